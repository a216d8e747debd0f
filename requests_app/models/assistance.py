"""Assistance tasks: a practice asks the processor to supply, erase, rectify or restrict a
patient's data (agreement art. 6.1, 6.4). The processor acts only on such a recorded instruction
(art. 3.1): who at the practice asked, when and what. Each task has its own lifecycle, turnaround
and timeline; its results are a data package or a certificate of erasure."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import RETURN_VALUE, FSMField, transition

from requests_app import access
from requests_app.models.practice import Practice
from requests_app.models.request import Request, RequestKind, RequestState
from requests_app.models.subprocessor import DataCategory, SubProcessor
from requests_app.roles import Capability


class AssistanceKind(models.TextChoices):
    SUPPLY = "supply", _("Supply the data")
    ERASE = "erase", _("Erase the data")
    RECTIFY = "rectify", _("Rectify the data")
    RESTRICT = "restrict", _("Restrict processing")


class TaskState(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    IN_PROGRESS = "in_progress", _("In progress")
    DELIVERED = "delivered", _("Delivered")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")
    # Support objected to the instruction (agreement art. 3.3): the practice answers.
    OBJECTED = "objected", _("Awaiting the practice: objection")
    WITHDRAWN = "withdrawn", _("Withdrawn by the practice")


# The states in which work is still owed, and those in which the processor's clock runs: not
# while the practice considers an objection to its instruction.
OPEN_TASK_STATES = (TaskState.REQUESTED, TaskState.IN_PROGRESS, TaskState.OBJECTED)
CLOCK_STATES = (TaskState.REQUESTED, TaskState.IN_PROGRESS)


# What a practice may ask for on each kind of request.
KINDS_FOR_REQUEST = {
    RequestKind.ACCESS: [AssistanceKind.SUPPLY],
    RequestKind.PORTABILITY: [AssistanceKind.SUPPLY],
    RequestKind.ERASURE: [AssistanceKind.ERASE],
    RequestKind.RECTIFICATION: [AssistanceKind.RECTIFY],
    RequestKind.RESTRICTION: [AssistanceKind.RESTRICT],
    RequestKind.OBJECTION: [AssistanceKind.RESTRICT, AssistanceKind.ERASE],
    # The medical file is in the practice's own system; the copies the app keeps for the practice
    # (conversations with the practice, Bijlage 1) are part of what it must destroy (7:455(1)).
    RequestKind.DESTRUCTION: [AssistanceKind.ERASE],
}
GRANTED_STATES = [RequestState.GRANTED, RequestState.PARTIALLY_GRANTED, RequestState.FULFILLED]
# Data go to the patient only once the practice decided to give them (art. 15, 20; agreement
# art. 3.1): not while it still decides, and never for a refused request.
WAIT_FOR_GRANT = _(
    "Release is possible once the request has been granted, in full or in part: record the "
    "decision on the request page first."
)
# Changing data needs the practice's decision first (art. 3.1); supplying it needs the patient's
# identity to be verified.
READY_STATES = {
    AssistanceKind.SUPPLY: [RequestState.IN_PROGRESS, *GRANTED_STATES],
    AssistanceKind.ERASE: GRANTED_STATES,
    AssistanceKind.RECTIFY: GRANTED_STATES,
    AssistanceKind.RESTRICT: GRANTED_STATES,
}


def kinds_possible(request: Request) -> list[AssistanceKind]:
    return [
        kind
        for kind in KINDS_FOR_REQUEST.get(request.kind, [])
        if request.state in READY_STATES[kind] and request.practice_id is not None
    ]


def by_support(task: "AssistanceTask", user) -> bool:
    return access.is_processor_support(user)


def by_practice(task: "AssistanceTask", user) -> bool:
    return access.can(user, Capability.INSTRUCT_PROCESSOR, task.practice_id)


def _work_done(task: "AssistanceTask") -> bool:
    """What must exist before a task can be delivered."""
    if task.manual_steps.filter(done_at__isnull=True).exists():
        return False
    if task.kind == AssistanceKind.SUPPLY:
        return hasattr(task, "package")
    if task.kind == AssistanceKind.ERASE:
        # The certificate must cover every run: a run after it calls for a new one.
        certificate = getattr(task, "certificate", None)
        return (
            certificate is not None
            and not task.erasure_runs.filter(at__gt=certificate.issued_at).exists()
        )
    return bool(task.delivery_note.strip())


def package_opened(task: "AssistanceTask") -> bool:
    """A data package is accepted only after the practice opened it: a package made from the
    wrong patient's record is to be found there, before the patient can download it."""
    if task.kind != AssistanceKind.SUPPLY:
        return True
    package = DataPackage.objects.filter(task=task).only("opened_at").first()
    return package is not None and package.opened_at is not None


class AssistanceTask(models.Model):
    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="tasks")
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="tasks")
    kind = models.CharField(_("what is asked"), max_length=20, choices=AssistanceKind.choices)
    state = FSMField(
        _("state"), default=TaskState.REQUESTED, choices=TaskState.choices, protected=True
    )
    version = models.PositiveIntegerField(default=0, editable=False)

    # The instruction (art. 3.1): who asked, when, what.
    instruction = models.TextField(_("instruction"), max_length=5000)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested"), default=timezone.now, editable=False)
    due = models.DateField(_("due"))
    # Identifiers beyond those of the request (which has name, e-mail, mobile and BSN).
    patient_number = models.CharField(_("patient number"), max_length=50, blank=True)
    device_id = models.CharField(_("device id"), max_length=200, blank=True)
    # Erasure: what the practice keeps, e.g. conversations that belong to the medical record.
    keep_categories = models.JSONField(_("categories to keep"), default=list, blank=True)
    keep_reason = models.TextField(_("why they are kept"), blank=True)

    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("processor support"),
    )
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    delivery_note = models.TextField(_("what was done"), blank=True)
    decided_at = models.DateTimeField(_("accepted or rejected"), null=True, blank=True)
    rejection_reason = models.TextField(_("reason for rejecting"), blank=True)
    # Support's objection to the instruction (agreement art. 3.3) and the practice's answer.
    objection = models.TextField(_("objection to the instruction"), blank=True)
    objected_at = models.DateTimeField(_("objected"), null=True, blank=True)
    objected_from = models.CharField(max_length=20, blank=True, editable=False)
    objection_answer = models.TextField(_("the practice's answer"), blank=True)
    objection_answered_at = models.DateTimeField(_("answered"), null=True, blank=True)

    class Meta:
        ordering = ["due", "requested_at"]
        verbose_name = _("assistance task")
        verbose_name_plural = _("assistance tasks")
        indexes = [
            models.Index(fields=["practice", "state", "due"]),
            models.Index(fields=["state", "due"]),
        ]

    def __str__(self) -> str:
        return f"{self.request.reference}/{self.number}"

    @property
    def number(self) -> str:
        return f"T{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_TASK_STATES

    @property
    def overdue(self) -> bool:
        return self.state in CLOCK_STATES and timezone.localdate() > self.due

    def may_instruct(self, user) -> bool:
        return by_practice(self, user)

    # --- Lifecycle. Only requests_app.lifecycle.perform_task_transition calls these. ----------
    @transition(
        field=state, source=TaskState.REQUESTED, target=TaskState.IN_PROGRESS, permission=by_support
    )
    def start(self, *, by) -> None:
        self.started_at = timezone.now()
        self.assigned_to = by

    @transition(
        field=state,
        source=TaskState.IN_PROGRESS,
        target=TaskState.DELIVERED,
        permission=by_support,
        conditions=[_work_done],
    )
    def deliver(self) -> None:
        self.delivered_at = timezone.now()

    @transition(
        field=state,
        source=TaskState.DELIVERED,
        target=TaskState.ACCEPTED,
        permission=by_practice,
        conditions=[package_opened],
    )
    def accept(self) -> None:
        self.decided_at = timezone.now()

    @transition(
        field=state, source=TaskState.DELIVERED, target=TaskState.REJECTED, permission=by_practice
    )
    def reject(self, *, reason: str) -> None:
        if not reason.strip():
            raise ValueError("a rejection needs a reason")
        self.decided_at = timezone.now()
        self.rejection_reason = reason.strip()

    # The objection (agreement art. 3.3): support says why it holds the instruction unlawful; the
    # practice confirms it, changes it or withdraws it. Its answer sets a new due date.
    @transition(
        field=state,
        source=[TaskState.REQUESTED, TaskState.IN_PROGRESS],
        target=TaskState.OBJECTED,
        permission=by_support,
    )
    def object(self, *, reason: str) -> None:
        raise_objection(self, reason)

    @transition(
        field=state,
        source=TaskState.OBJECTED,
        target=RETURN_VALUE(TaskState.REQUESTED, TaskState.IN_PROGRESS),
        permission=by_practice,
    )
    def confirm_instruction(self, *, answer: str, due) -> str:
        return answer_objection(self, answer, due)

    @transition(
        field=state,
        source=TaskState.OBJECTED,
        target=RETURN_VALUE(TaskState.REQUESTED, TaskState.IN_PROGRESS),
        permission=by_practice,
    )
    def change_instruction(self, *, instruction: str, due) -> str:
        return answer_objection(self, "", due, instruction=instruction)

    @transition(
        field=state, source=TaskState.OBJECTED, target=TaskState.WITHDRAWN, permission=by_practice
    )
    def withdraw(self, *, answer: str = "") -> None:
        self.objection_answer = answer.strip()
        self.objection_answered_at = timezone.now()


def raise_objection(task, reason: str) -> None:
    """Agreement art. 3.3: the objection says why, and the task waits for the practice."""
    if not reason.strip():
        raise ValueError("an objection needs a reason")
    task.objection = reason.strip()
    task.objected_at = timezone.now()
    task.objected_from = task.state
    task.objection_answer = ""
    task.objection_answered_at = None


def answer_objection(task, note: str, due, *, instruction: str | None = None) -> str:
    """The practice confirms (with a note) or changes the instruction: the work goes on where it
    stood, due anew from the answer. The returned state is where it stood."""
    if instruction is not None:
        if not instruction.strip():
            raise ValueError("a changed instruction needs its text")
        task.instruction = instruction.strip()
    elif not note.strip():
        raise ValueError("a confirmation needs a note")
    task.objection_answer = note.strip()
    task.objection_answered_at = timezone.now()
    task.due = due
    return task.objected_from or "requested"


class TaskEvent(models.Model):
    """The task's own timeline: state changes, look-ups, exports, erasure runs, manual steps."""

    task = models.ForeignKey(AssistanceTask, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now, editable=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_label = models.CharField(max_length=254)
    action = models.CharField(max_length=40)
    from_state = models.CharField(max_length=20, blank=True)
    to_state = models.CharField(max_length=20, blank=True)
    note = models.TextField(blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.action} {self.at:%Y-%m-%d %H:%M}"

    @property
    def action_label(self) -> str:
        return str(TASK_ACTION_LABELS.get(self.action, self.action))

    @property
    def to_state_label(self) -> str:
        return TaskState(self.to_state).label if self.to_state in TaskState.values else ""


TASK_ACTION_LABELS = {
    "requested": _("Asked by the practice"),
    "start": _("Taken on by the processor"),
    "deliver": _("Delivered"),
    "accept": _("Accepted by the practice"),
    "reject": _("Rejected by the practice"),
    "object": _("Objection to the instruction (agreement art. 3.3)"),
    "confirm_instruction": _("Instruction confirmed by the practice"),
    "change_instruction": _("Instruction changed by the practice"),
    "withdraw": _("Instruction withdrawn by the practice"),
    "time": _("Time recorded"),
    "lookup": _("Look-up"),
    "manual_step": _("Manual step done"),
    "package_built": _("Data package built"),
    "package_failed": _("Building the package failed"),
    "package_released": _("Released to the patient"),
    "package_download": _("Package downloaded"),
    "erasure_run": _("Erasure run"),
    "certificate_issued": _("Certificate of erasure issued"),
    "identifier_added": _("Extra identifier recorded"),
    "identifier_confirm": _("Extra identifier confirmed by the practice"),
    "identifier_decline": _("Extra identifier declined by the practice"),
}


class ManualStep(models.Model):
    """A sub-processor without an API: processor support does the work there by hand and ticks it
    off with a note (and so tells that recipient of a change, GDPR art. 19)."""

    task = models.ForeignKey(AssistanceTask, on_delete=models.CASCADE, related_name="manual_steps")
    subprocessor = models.ForeignKey(SubProcessor, on_delete=models.PROTECT, related_name="+")
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["subprocessor__name"]
        constraints = [
            models.UniqueConstraint(fields=["task", "subprocessor"], name="manual_step_once")
        ]

    def __str__(self) -> str:
        return f"{self.task_id}: {self.subprocessor}"


class DataPackage(models.Model):
    """The data supplied for an access or portability request: a ZIP (JSON, CSV per category,
    a readable HTML page) stored encrypted; the practice releases it to the patient."""

    task = models.OneToOneField(AssistanceTask, on_delete=models.CASCADE, related_name="package")
    built_at = models.DateTimeField(default=timezone.now, editable=False)
    built_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    file_name = models.CharField(max_length=200)  # inside settings.PACKAGE_STORAGE_DIR
    size = models.PositiveBigIntegerField(default=0)  # of the unencrypted ZIP
    sha256 = models.CharField(max_length=64)  # of the unencrypted ZIP
    counts = models.JSONField(default=dict)  # {source: {category: rows}}
    released_at = models.DateTimeField(_("released to the patient"), null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    link_expires_at = models.DateTimeField(_("download link expires"), null=True, blank=True)
    purged_at = models.DateTimeField(_("file removed"), null=True, blank=True)
    # The practice's review: the first time someone of the practice opened the package.
    opened_at = models.DateTimeField(_("opened by the practice"), null=True, blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # Where the patient records the sources chose disagree with the request (see
    # workflows.assistance.connectors.Mismatch): shown to support and the practice.
    mismatches = models.JSONField(default=list, blank=True)

    def __str__(self) -> str:
        return f"package of task {self.task_id}"

    @property
    def downloadable(self) -> bool:
        return (
            self.released_at is not None
            and self.purged_at is None
            and self.link_expires_at is not None
            and timezone.now() < self.link_expires_at
        )

    @property
    def release_refusal(self) -> str:
        """Why the package cannot be released now ("" when it can): released once, after the
        practice accepted the task and granted the request, while the file is kept."""
        if self.released_at is not None:
            return str(_("The package has been released already."))
        if self.purged_at is not None:
            return str(_("The package file has been removed."))
        if self.task.state != TaskState.ACCEPTED:
            return str(_("Release is possible once you have opened and accepted the package."))
        if self.task.request.state not in GRANTED_STATES:
            return str(WAIT_FOR_GRANT)
        return ""

    @property
    def releasable(self) -> bool:
        return not self.release_refusal

    @property
    def total_rows(self) -> int:
        return sum(n for per_source in self.counts.values() for n in per_source.values())


class ErasureRun(models.Model):
    """One connector's erasure result for one category; re-runs add rows (removing nothing)."""

    task = models.ForeignKey(AssistanceTask, on_delete=models.CASCADE, related_name="erasure_runs")
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    source = models.CharField(max_length=50)
    category = models.CharField(max_length=30, choices=DataCategory.choices, blank=True)
    removed = models.PositiveIntegerField(default=0)
    kept = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)  # the source failed (removed: what it did before)
    # Left out on purpose (e.g. the source serves several practices): why.
    skipped = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.source}/{self.category}: {self.removed}"


class ErasureCertificate(models.Model):
    """Proof of erasure (agreement art. 11.2): the manifest and its SHA-256 digest."""

    task = models.OneToOneField(
        AssistanceTask, on_delete=models.CASCADE, related_name="certificate"
    )
    issued_at = models.DateTimeField(default=timezone.now, editable=False)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    manifest = models.JSONField()
    digest = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"certificate of task {self.task_id}"
