"""Help beyond one patient's request (agreement art. 6.3, 6.4, 4.7): a practice asks the processor
about a DPIA, a breach, an audit or inspection, or for information about the processing. Like an
assistance task it is a recorded instruction (art. 3.1) with its own turnaround, lifecycle and
timeline, and support may object to it (art. 3.3)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import RETURN_VALUE, FSMField, transition

from requests_app import access
from requests_app.models.assistance import answer_objection, raise_objection
from requests_app.models.practice import Practice
from requests_app.roles import Capability


class GeneralKind(models.TextChoices):
    DPIA = "dpia", _("Privacy impact assessment (DPIA)")
    BREACH = "breach", _("Help with a data breach")
    AUDIT = "audit", _("Audit or inspection")
    INFORMATION = "information", _("Information about the processing")
    OTHER = "other", _("Other help")


class GeneralState(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    IN_PROGRESS = "in_progress", _("In progress")
    ANSWERED = "answered", _("Answered")
    CLOSED = "closed", _("Closed")
    OBJECTED = "objected", _("Awaiting the practice: objection")
    WITHDRAWN = "withdrawn", _("Withdrawn by the practice")


GENERAL_OPEN_STATES = (
    GeneralState.REQUESTED,
    GeneralState.IN_PROGRESS,
    GeneralState.ANSWERED,
    GeneralState.OBJECTED,
)
GENERAL_CLOCK_STATES = (GeneralState.REQUESTED, GeneralState.IN_PROGRESS)


def by_support(task: "GeneralTask", user) -> bool:
    return access.is_processor_support(user)


def by_practice(task: "GeneralTask", user) -> bool:
    return access.can(user, Capability.ASK_PROCESSOR, task.practice_id)


class GeneralTask(models.Model):
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="general_tasks")
    kind = models.CharField(_("what about"), max_length=20, choices=GeneralKind.choices)
    subject = models.CharField(_("subject"), max_length=200)
    # The question is the practice's instruction (art. 3.1); named so for the objection's rules.
    instruction = models.TextField(_("question"), max_length=5000)
    state = FSMField(
        _("state"), default=GeneralState.REQUESTED, choices=GeneralState.choices, protected=True
    )
    version = models.PositiveIntegerField(default=0, editable=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("asked"), default=timezone.now, editable=False)
    due = models.DateField(_("due"))
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("processor support"),
    )
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    answer = models.TextField(_("answer"), blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    reopen_reason = models.TextField(_("why reopened"), blank=True)
    objection = models.TextField(_("objection to the instruction"), blank=True)
    objected_at = models.DateTimeField(_("objected"), null=True, blank=True)
    objected_from = models.CharField(max_length=20, blank=True, editable=False)
    objection_answer = models.TextField(_("the practice's answer"), blank=True)
    objection_answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    # The key of the form it was asked with: the same form sent twice files one question.
    creation_key = models.UUIDField(null=True, blank=True, unique=True, editable=False)

    class Meta:
        ordering = ["due", "requested_at"]
        verbose_name = _("general assistance task")
        verbose_name_plural = _("general assistance tasks")
        indexes = [models.Index(fields=["practice", "state", "due"])]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return f"G{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.state in GENERAL_OPEN_STATES

    @property
    def overdue(self) -> bool:
        return self.state in GENERAL_CLOCK_STATES and timezone.localdate() > self.due

    def may_instruct(self, user) -> bool:
        return by_practice(self, user)

    # --- Lifecycle. Only requests_app.lifecycle.perform_task_transition calls these. ----------
    @transition(
        field=state,
        source=GeneralState.REQUESTED,
        target=GeneralState.IN_PROGRESS,
        permission=by_support,
    )
    def start(self, *, by) -> None:
        self.started_at = timezone.now()
        self.assigned_to = by

    @transition(
        field=state,
        source=GeneralState.IN_PROGRESS,
        target=GeneralState.ANSWERED,
        permission=by_support,
    )
    def give_answer(self, *, text: str) -> None:
        if not text.strip():
            raise ValueError("an answer needs its text")
        self.answer = text.strip()
        self.answered_at = timezone.now()

    @transition(
        field=state,
        source=GeneralState.ANSWERED,
        target=GeneralState.CLOSED,
        permission=by_practice,
    )
    def close(self) -> None:
        self.closed_at = timezone.now()

    @transition(
        field=state,
        source=GeneralState.ANSWERED,
        target=GeneralState.IN_PROGRESS,
        permission=by_practice,
    )
    def reopen(self, *, reason: str, due) -> None:
        if not reason.strip():
            raise ValueError("reopening needs a reason")
        self.reopen_reason = reason.strip()
        self.due = due

    @transition(
        field=state,
        source=[GeneralState.REQUESTED, GeneralState.IN_PROGRESS],
        target=GeneralState.OBJECTED,
        permission=by_support,
    )
    def object(self, *, reason: str) -> None:
        raise_objection(self, reason)

    @transition(
        field=state,
        source=GeneralState.OBJECTED,
        target=RETURN_VALUE(GeneralState.REQUESTED, GeneralState.IN_PROGRESS),
        permission=by_practice,
    )
    def confirm_instruction(self, *, answer: str, due) -> str:
        return answer_objection(self, answer, due)

    @transition(
        field=state,
        source=GeneralState.OBJECTED,
        target=RETURN_VALUE(GeneralState.REQUESTED, GeneralState.IN_PROGRESS),
        permission=by_practice,
    )
    def change_instruction(self, *, instruction: str, due) -> str:
        return answer_objection(self, "", due, instruction=instruction)

    @transition(
        field=state,
        source=GeneralState.OBJECTED,
        target=GeneralState.WITHDRAWN,
        permission=by_practice,
    )
    def withdraw(self, *, answer: str = "") -> None:
        self.objection_answer = answer.strip()
        self.objection_answered_at = timezone.now()


class WorkEvent(models.Model):
    """A line of the timeline of the processor's work that belongs to no request."""

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
        abstract = True
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.action} {self.at:%Y-%m-%d %H:%M}"

    @property
    def action_label(self) -> str:
        return str(WORK_ACTION_LABELS.get(self.action, self.action))


class GeneralTaskEvent(WorkEvent):
    task = models.ForeignKey(GeneralTask, on_delete=models.CASCADE, related_name="events")

    class Meta(WorkEvent.Meta):
        pass

    @property
    def to_state_label(self) -> str:
        return GeneralState(self.to_state).label if self.to_state in GeneralState.values else ""


WORK_ACTION_LABELS = {
    "requested": _("Asked by the practice"),
    "start": _("Taken on by the processor"),
    "give_answer": _("Answered by the processor"),
    "close": _("Closed by the practice"),
    "reopen": _("Reopened by the practice"),
    "object": _("Objection to the instruction (agreement art. 3.3)"),
    "confirm_instruction": _("Instruction confirmed by the practice"),
    "change_instruction": _("Instruction changed by the practice"),
    "withdraw": _("Instruction withdrawn by the practice"),
    "time": _("Time recorded"),
    "recorded": _("Recorded by the processor"),
    "notify": _("Practice notified before the processing"),
    "forbid_notice": _("Notice forbidden by law"),
    "lift_ban": _("Ban on notice lifted; practice notified"),
    "carry_out": _("Carried out"),
}
