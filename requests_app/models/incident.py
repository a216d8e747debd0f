"""Incidents under the processing agreement (art. 5). A patient's complaint or question about the
processor's own processing is one (art. 1.1 e i); it is reported to the practice at once with the
four things art. 5.2 names. Nothing about incidents is ever shown to the patient (art. 5.7)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition

from requests_app import access
from requests_app.models.practice import Practice
from requests_app.models.request import Request


class IncidentState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    REPORTED = "reported", _("Reported to the practice")


def _complete(incident: "Incident") -> bool:
    return all(getattr(incident, f).strip() for f in Incident.REPORT_FIELDS)


class Incident(models.Model):
    REPORT_FIELDS = ("nature", "personal_data", "consequences", "measures")

    # Purged with its request when the retention period ends (the audit log keeps the trace).
    request = models.OneToOneField(Request, on_delete=models.CASCADE, related_name="incident")
    practice = models.ForeignKey(
        Practice, on_delete=models.PROTECT, null=True, blank=True, related_name="incidents"
    )
    nature = models.TextField(_("nature of the incident"), blank=True)
    personal_data = models.TextField(_("personal data (possibly) affected"), blank=True)
    consequences = models.TextField(_("observed and likely consequences"), blank=True)
    measures = models.TextField(_("measures taken or planned"), blank=True)
    state = FSMField(default=IncidentState.DRAFT, choices=IncidentState.choices, protected=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    reported_at = models.DateTimeField(_("reported"), null=True, blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reported_to = models.CharField(_("reported to"), max_length=254, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"incident {self.request.reference}"

    # --- Lifecycle. Only requests_app.lifecycle.perform_incident_transition calls this. -------
    @transition(
        field=state,
        source=IncidentState.DRAFT,
        target=IncidentState.REPORTED,
        permission=lambda incident, user: access.is_processor_support(user),
        conditions=[_complete, lambda i: i.request.practice_id is not None],
    )
    def report(self, *, by) -> None:
        """To the FG of the request's practice (or its stand-in), which the incident joins now."""
        self.practice = self.request.practice
        self.reported_at = timezone.now()
        self.reported_by = by
        self.reported_to = self.practice.dpo_email or self.practice.standin_email
