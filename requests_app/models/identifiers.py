"""Identifiers beyond the request's own under which support found the patient's data in a
look-up (another e-mail address or mobile number). Support records them on the task; they widen
whose data an export or erasure touches, so they are used only once the practice confirmed them
(agreement art. 3.1: the processor acts on the practice's instruction)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition

from requests_app import access
from requests_app.models.assistance import AssistanceTask, TaskState
from requests_app.roles import Capability


class IdentifierKind(models.TextChoices):
    EMAIL = "email", _("E-mail address")
    MOBILE = "mobile", _("Mobile number")


class IdentifierState(models.TextChoices):
    PROPOSED = "proposed", _("Awaiting the practice's confirmation")
    CONFIRMED = "confirmed", _("Confirmed by the practice")
    DECLINED = "declined", _("Declined by the practice")


def by_practice(identifier: "ExtraIdentifier", user) -> bool:
    return access.can(user, Capability.INSTRUCT_PROCESSOR, identifier.task.practice_id)


def task_open(identifier: "ExtraIdentifier") -> bool:
    return identifier.task.state in (TaskState.REQUESTED, TaskState.IN_PROGRESS)


class ExtraIdentifier(models.Model):
    task = models.ForeignKey(
        AssistanceTask, on_delete=models.CASCADE, related_name="extra_identifiers"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=IdentifierKind.choices)
    # Canonical: requests_app.validators.canonical_email, or E.164 for a number.
    value = models.CharField(_("identifier"), max_length=254)
    why = models.TextField(_("why it is the same patient"), max_length=2000)
    # Where the record found under it disagreed with the request in the look-up that used it
    # (workflows.assistance.connectors.Mismatch as dicts): the practice sees them before it
    # confirms, so a "same patient" that is someone else does not slip through.
    mismatches = models.JSONField(default=list, blank=True, editable=False)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(default=timezone.now, editable=False)
    state = FSMField(
        default=IdentifierState.PROPOSED, choices=IdentifierState.choices, protected=True
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.TextField(_("why it is declined"), blank=True)

    class Meta:
        ordering = ["added_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["task", "kind", "value"], name="extra_identifier_once_per_task"
            )
        ]

    def __str__(self) -> str:
        return f"{self.task_id}: {self.kind}"

    # --- Lifecycle. Only requests_app.lifecycle.perform_record_transition calls these. --------
    @transition(
        field=state,
        source=IdentifierState.PROPOSED,
        target=IdentifierState.CONFIRMED,
        permission=by_practice,
        conditions=[task_open],
    )
    def confirm(self, *, by) -> None:
        self.decided_by, self.decided_at = by, timezone.now()

    @transition(
        field=state,
        source=IdentifierState.PROPOSED,
        target=IdentifierState.DECLINED,
        permission=by_practice,
        conditions=[task_open],
    )
    def decline(self, *, by, reason: str) -> None:
        if not reason.strip():
            raise ValueError("a declined identifier needs a reason")
        self.decided_by, self.decided_at = by, timezone.now()
        self.decline_reason = reason.strip()
