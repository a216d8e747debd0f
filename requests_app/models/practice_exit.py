"""The end of the contract with a practice (agreement art. 10.5, 10.6, 11.1, 11.2): on the
practice's written request, or when the agreement ends, the processor returns everything it holds
for the practice in a documented format and then destroys it everywhere, with proof.

An exit is started by a processor administrator (why: the end of the agreement or the practice's
written request, its reference and date), exported (the archive's manifest digest is recorded),
destroyed step by step (each step runs once; a failed one runs again) and certified. The record
holds counts and digests, no patient data, and stays as the proof."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition

from requests_app import access
from requests_app.models.practice import Practice
from requests_app.models.subprocessor import SubProcessor


class ExitReason(models.TextChoices):
    AGREEMENT_ENDED = "agreement_ended", _("The agreement has ended")
    WRITTEN_REQUEST = "written_request", _("The practice's written request")


class ExitState(models.TextChoices):
    STARTED = "started", _("Started")
    EXPORTED = "exported", _("Exported")
    DESTROYING = "destroying", _("Being destroyed")
    DESTROYED = "destroyed", _("Destroyed")
    CERTIFIED = "certified", _("Certified")


def by_processor_admin(exit_record: "PracticeExit", user) -> bool:
    return access.is_processor_admin(user)


def all_steps_done(exit_record: "PracticeExit") -> bool:
    steps = list(exit_record.steps.all())
    return bool(steps) and all(step.done_at is not None for step in steps)


def has_export(exit_record: "PracticeExit") -> bool:
    return bool(exit_record.manifest_digest)


class PracticeExit(models.Model):
    practice = models.ForeignKey(
        Practice, on_delete=models.PROTECT, related_name="exits", verbose_name=_("practice")
    )
    reason = models.CharField(_("why"), max_length=20, choices=ExitReason.choices)
    reason_reference = models.CharField(
        _("reference of the notice or request"), max_length=200, blank=True
    )
    reason_date = models.DateField(_("dated"))
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    started_at = models.DateTimeField(_("started"), default=timezone.now, editable=False)
    state = FSMField(
        _("state"), default=ExitState.STARTED, choices=ExitState.choices, protected=True
    )
    version = models.PositiveIntegerField(default=0, editable=False)

    # The export: the digest of the manifest handed over, the archive's checksum, and the
    # manifest itself (file list and the state of the data it was made from).
    exported_at = models.DateTimeField(_("exported"), null=True, blank=True)
    exported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    manifest = models.JSONField(default=dict, blank=True)
    manifest_digest = models.CharField(max_length=64, blank=True)
    archive_sha256 = models.CharField(max_length=64, blank=True)
    archive_name = models.CharField(max_length=200, blank=True)
    downloads = models.PositiveIntegerField(default=0)

    destruction_started_at = models.DateTimeField(null=True, blank=True)
    destruction_started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # What cannot be returned or destroyed, reported to the practice at once (art. 11.2).
    kept = models.JSONField(default=list, blank=True)
    kept_reported_at = models.DateTimeField(null=True, blank=True)
    destroyed_at = models.DateTimeField(_("destroyed"), null=True, blank=True)

    certified_at = models.DateTimeField(_("certified"), null=True, blank=True)
    certified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    certificate = models.JSONField(default=dict, blank=True)
    certificate_digest = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("practice exit")
        verbose_name_plural = _("practice exits")
        constraints = [
            models.UniqueConstraint(
                fields=["practice"],
                condition=~models.Q(state="certified"),
                name="practice_exit_one_open",
            )
        ]

    def __str__(self) -> str:
        return f"exit {self.practice.agb_code} ({self.state})"

    @property
    def number(self) -> str:
        return f"E{self.pk}"

    # --- Lifecycle. Only requests_app.lifecycle.perform_exit_transition calls these. ----------
    @transition(
        field=state,
        source=[ExitState.STARTED, ExitState.EXPORTED],
        target=ExitState.EXPORTED,
        permission=by_processor_admin,
    )
    def record_export(
        self, *, by, manifest: dict, digest: str, archive_sha256: str, archive_name: str
    ) -> None:
        """A new export replaces the one before (it was made from data that changed since)."""
        self.exported_at, self.exported_by = timezone.now(), by
        self.manifest, self.manifest_digest = manifest, digest
        self.archive_sha256, self.archive_name = archive_sha256, archive_name

    @transition(
        field=state,
        source=ExitState.EXPORTED,
        target=ExitState.DESTROYING,
        permission=by_processor_admin,
        conditions=[has_export],
    )
    def begin_destruction(self, *, by, kept: list) -> None:
        self.destruction_started_at, self.destruction_started_by = timezone.now(), by
        self.kept = kept

    @transition(
        field=state,
        source=ExitState.DESTROYING,
        target=ExitState.DESTROYED,
        permission=by_processor_admin,
        conditions=[all_steps_done],
    )
    def finish_destruction(self) -> None:
        self.destroyed_at = timezone.now()

    @transition(
        field=state,
        source=ExitState.DESTROYED,
        target=ExitState.CERTIFIED,
        permission=by_processor_admin,
    )
    def certify(self, *, by, certificate: dict, digest: str) -> None:
        self.certified_at, self.certified_by = timezone.now(), by
        self.certificate, self.certificate_digest = certificate, digest


class StepKind(models.TextChoices):
    AUTOMATIC = "automatic", _("automatic")
    MANUAL = "manual", _("by hand")


class PracticeExitStep(models.Model):
    """One place the practice's data are destroyed: run once; a failed step runs again and adds
    what it removed this time (a source's erasure removes nothing twice)."""

    exit = models.ForeignKey(PracticeExit, on_delete=models.CASCADE, related_name="steps")
    key = models.CharField(max_length=60)
    position = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(max_length=10, choices=StepKind.choices, default=StepKind.AUTOMATIC)
    subprocessor = models.ForeignKey(
        SubProcessor, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    removed = models.JSONField(default=dict, blank=True)  # {what: count}
    kept = models.JSONField(default=dict, blank=True)  # {what: count}, see `note`
    # What the step still has to remove outside the database (file names, no personal data).
    pending = models.JSONField(default=list, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    note = models.TextField(blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["position", "pk"]
        constraints = [models.UniqueConstraint(fields=["exit", "key"], name="exit_step_once")]

    def __str__(self) -> str:
        return f"{self.exit_id}: {self.key}"


class PracticeExitEvent(models.Model):
    """The exit's history: who did what, when, from which state to which."""

    exit = models.ForeignKey(PracticeExit, on_delete=models.CASCADE, related_name="events")
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
        return f"{self.exit_id} {self.action}"

    @property
    def action_label(self) -> str:
        return str(EXIT_ACTION_LABELS.get(self.action, self.action))


EXIT_ACTION_LABELS = {
    "start": _("Exit started"),
    "record_export": _("Archive exported"),
    "archive_download": _("Archive downloaded"),
    "begin_destruction": _("Destruction started"),
    "kept_reported": _("What is kept reported to the practice"),
    "step": _("Destruction step run"),
    "step_failed": _("Destruction step failed"),
    "manual_step": _("Manual step ticked off"),
    "finish_destruction": _("Destruction finished"),
    "certify": _("Certificate of destruction issued"),
}
