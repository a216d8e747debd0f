"""Incidents under the processing agreement (art. 1.1 e, art. 5): the four kinds the agreement
names, recorded by processor support on their own or from a patient's request, for one practice or
several. Every practice concerned is told at once (art. 5.2, 5.6), before all facts are known; the
report stays open for updates until it is closed (art. 5.3, 5.8). Each practice keeps its own
record: when it was told, its 72 hours for the Autoriteit Persoonsgegevens (GDPR art. 33) and what
it decided about the AP and the patients (GDPR art. 33(5), 34). Nothing about incidents is ever
shown to the patient (art. 5.7)."""

import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition

from requests_app import access
from requests_app.models.practice import Practice
from requests_app.models.request import DecisionIncomplete, Request
from requests_app.roles import Capability

# GDPR art. 33(1): the controller reports a breach within 72 hours of becoming aware of it.
AP_REPORT_WITHIN = datetime.timedelta(hours=72)
TEXT_MAX = 5000


class IncidentCategory(models.TextChoices):
    """Agreement art. 1.1 e, i to iv."""

    COMPLAINT = "complaint", _("Complaint or information request of a data subject")
    AUTHORITIES = "authorities", _("Investigation or seizure by authorities, or a suspicion of one")
    BREACH = "breach", _("Personal data breach (GDPR art. 4(12))")
    UNLAWFUL = (
        "unlawful",
        _("Unauthorised access, deletion, mutilation, loss or other unlawful processing"),
    )


class IncidentState(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


def by_support(incident, user) -> bool:
    return access.is_processor_support(user)


class Incident(models.Model):
    REPORT_FIELDS = ("nature", "personal_data", "consequences", "measures")
    # What an update may change; each change is kept on its update row.
    CHANGEABLE = ("category", *REPORT_FIELDS, "started_at", "discovered_at")

    # From a patient's request (art. 1.1 e i), or none. Purged with its request when the
    # retention period ends (the audit log keeps the trace); an open incident holds it back.
    request = models.OneToOneField(
        Request, on_delete=models.CASCADE, null=True, blank=True, related_name="incident"
    )
    category = models.CharField(
        _("kind of incident"),
        max_length=20,
        choices=IncidentCategory.choices,
        default=IncidentCategory.COMPLAINT,
    )
    # Agreement art. 5.2, 1) to 4). Empty while not yet known.
    nature = models.TextField(_("nature of the incident"), blank=True)
    personal_data = models.TextField(_("personal data (possibly) affected"), blank=True)
    consequences = models.TextField(_("observed and likely consequences"), blank=True)
    measures = models.TextField(_("measures taken or planned"), blank=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    discovered_at = models.DateTimeField(_("discovered"), null=True, blank=True)

    state = FSMField(default=IncidentState.OPEN, choices=IncidentState.choices, protected=True)
    version = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The key of the form that recorded it: the same form sent twice records one incident.
    creation_key = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    last_update_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closing_note = models.TextField(_("closing note"), blank=True)
    # When processor support was last reminded (workflows.casework.incident_escalations).
    incomplete_escalated_at = models.DateTimeField(null=True, blank=True, editable=False)
    stale_escalated_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return f"INC-{self.pk:05d}" if self.pk else "INC-new"

    @property
    def missing(self) -> list[str]:
        """The fields of art. 5.2 not yet filled in."""
        return [name for name in self.REPORT_FIELDS if not getattr(self, name).strip()]

    @property
    def is_complete(self) -> bool:
        return not self.missing

    @property
    def is_open(self) -> bool:
        return self.state == IncidentState.OPEN

    # --- Lifecycle. Only requests_app.lifecycle.perform_incident_transition calls this. -------
    @transition(
        field=state, source=IncidentState.OPEN, target=IncidentState.CLOSED, permission=by_support
    )
    def close(self, *, by, note: str) -> None:
        if not note.strip():
            raise DecisionIncomplete("say why the incident is closed")
        self.closed_at, self.closed_by, self.closing_note = timezone.now(), by, note.strip()


class IncidentUpdate(models.Model):
    """One update of an open incident (art. 5.3, 5.8): its text and the fields it changed, with
    who and when. Sent to every practice concerned."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="updates")
    at = models.DateTimeField(default=timezone.now, editable=False)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    text = models.TextField(_("update"), blank=True)
    # {field: {"from": old, "to": new}} (dates as ISO text).
    changes = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.incident}: {self.at:%Y-%m-%d %H:%M}"


class ApState(models.TextChoices):
    PENDING = "pending", _("Not yet decided")
    REPORTED = "reported", _("Reported to the Autoriteit Persoonsgegevens")
    NOT_REPORTED = "not_reported", _("Not reported to the Autoriteit Persoonsgegevens")


class PatientsState(models.TextChoices):
    PENDING = "pending", _("Not yet decided")
    TOLD = "told", _("Patients told")
    NOT_TOLD = "not_told", _("Patients not told")


def by_practice_officer(record, user) -> bool:
    """The practice's FG or administrator (SEE_INCIDENTS); never a handler, never support."""
    return access.can(user, Capability.SEE_INCIDENTS, record.practice_id)


def _not_in_future(moment) -> None:
    if moment is None or moment > timezone.now():
        raise DecisionIncomplete("say when (not in the future)")


class IncidentPractice(models.Model):
    """One practice concerned by an incident, and what it records of its own duties."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="concerned")
    practice = models.ForeignKey(
        Practice, on_delete=models.PROTECT, related_name="incident_records"
    )
    # When the processor told it (its FG and stand-in): the moment it became aware.
    told_at = models.DateTimeField(_("told"), null=True, blank=True)
    told_to = models.CharField(_("told to"), max_length=600, blank=True)
    version = models.PositiveIntegerField(default=0, editable=False)

    ap_state = FSMField(default=ApState.PENDING, choices=ApState.choices, protected=True)
    ap_reported_at = models.DateTimeField(_("reported to the AP"), null=True, blank=True)
    ap_reference = models.CharField(_("the AP's reference"), max_length=100, blank=True)
    ap_reason = models.TextField(_("why not reported to the AP"), blank=True)
    ap_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    patients_state = FSMField(
        default=PatientsState.PENDING, choices=PatientsState.choices, protected=True
    )
    patients_told_at = models.DateTimeField(_("patients told"), null=True, blank=True)
    patients_how = models.TextField(_("how the patients were told"), blank=True)
    patients_reason = models.TextField(_("why the patients were not told"), blank=True)
    patients_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "practice"], name="incident_practice_once")
        ]

    def __str__(self) -> str:
        return f"{self.incident} / {self.practice_id}"

    @property
    def ap_deadline(self) -> datetime.datetime | None:
        return self.told_at + AP_REPORT_WITHIN if self.told_at else None

    def hours_left(self, now: datetime.datetime | None = None) -> int | None:
        """Whole hours until the AP deadline (negative when past), while the AP is undecided."""
        if self.ap_deadline is None or self.ap_state != ApState.PENDING:
            return None
        seconds = (self.ap_deadline - (now or timezone.now())).total_seconds()
        return int(seconds // 3600)

    def overdue(self, now: datetime.datetime | None = None) -> bool:
        left = self.hours_left(now)
        return left is not None and left < 0

    # --- Lifecycle. Only requests_app.lifecycle.perform_record_transition calls these. --------
    @transition(
        field=ap_state,
        source=[ApState.PENDING, ApState.NOT_REPORTED],
        target=ApState.REPORTED,
        permission=by_practice_officer,
    )
    def report_to_ap(self, *, by, at, reference: str) -> None:
        """GDPR art. 33(1): reported, when, and the AP's reference. Also after a first 'no',
        when the facts change."""
        _not_in_future(at)
        if not reference.strip():
            raise DecisionIncomplete("give the AP's reference")
        self.ap_reported_at, self.ap_reference, self.ap_by = at, reference.strip(), by

    @transition(
        field=ap_state,
        source=ApState.PENDING,
        target=ApState.NOT_REPORTED,
        permission=by_practice_officer,
    )
    def not_to_ap(self, *, by, reason: str) -> None:
        """GDPR art. 33(5): why it was not reported (no risk to the patients, not a breach)."""
        if not reason.strip():
            raise DecisionIncomplete("say why it is not reported")
        self.ap_reason, self.ap_by = reason.strip(), by

    @transition(
        field=patients_state,
        source=[PatientsState.PENDING, PatientsState.NOT_TOLD],
        target=PatientsState.TOLD,
        permission=by_practice_officer,
    )
    def tell_patients(self, *, by, at, how: str) -> None:
        """GDPR art. 34: the patients were told, when and how."""
        _not_in_future(at)
        if not how.strip():
            raise DecisionIncomplete("say how the patients were told")
        self.patients_told_at, self.patients_how, self.patients_by = at, how.strip(), by

    @transition(
        field=patients_state,
        source=PatientsState.PENDING,
        target=PatientsState.NOT_TOLD,
        permission=by_practice_officer,
    )
    def not_tell_patients(self, *, by, reason: str) -> None:
        """GDPR art. 34(3): why the patients are not told."""
        if not reason.strip():
            raise DecisionIncomplete("say why the patients are not told")
        self.patients_reason, self.patients_by = reason.strip(), by
