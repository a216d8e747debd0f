"""Incidents (agreement art. 5): opened at intake when a patient's request is about the
processor's own processing, drafted by processor support and reported to the practice's FG at
once, with the four fields of art. 5.2. Never shown or mentioned to the patient (art. 5.7)."""

from django.core.exceptions import PermissionDenied
from django.db import transaction

from requests_app import access, audit
from requests_app.errors import TransitionRefused
from requests_app.lifecycle import perform_incident_transition
from requests_app.models import AuditAction, Incident, IncidentState, Request
from workflows.messaging import outbox
from workflows.messaging.messages import STAFF_LANGUAGE
from workflows.models import Medium, Purpose


def open_for(request: Request) -> Incident:
    """Called in the intake transaction of a request about the processor's processing."""
    return Incident.objects.create(request=request, practice=request.practice)


def save_draft(incident: Incident, *, actor, **fields) -> Incident:
    if not access.is_processor_support(actor):
        raise PermissionDenied
    if incident.state != IncidentState.DRAFT:
        raise TransitionRefused("a reported incident is not changed afterwards")
    audit.record(
        "incident.edit",
        AuditAction.UPDATE,
        user=actor,
        request=incident.request,
        object_type="incident",
        object_id=str(incident.pk),
    )
    for name in Incident.REPORT_FIELDS:
        setattr(incident, name, fields.get(name, getattr(incident, name)).strip())
    incident.save(update_fields=list(Incident.REPORT_FIELDS))
    return incident


def report(incident: Incident, *, actor, **fields) -> Incident:
    """Save the four fields and send them to the practice's FG (or its stand-in) at once."""
    if not access.is_processor_support(actor):
        raise PermissionDenied
    changes = {name: fields[name].strip() for name in Incident.REPORT_FIELDS if name in fields}
    with transaction.atomic():
        reported = perform_incident_transition(
            incident, "report", actor=actor, changes=changes, by=actor
        )
        outbox.enqueue(
            [
                outbox.message(
                    purpose=Purpose.INCIDENT,
                    medium=Medium.EMAIL,
                    recipient=reported.reported_to,
                    template="incident",
                    language=STAFF_LANGUAGE,
                    request=reported.request,
                    context={"incident": reported, "reference": reported.request.reference},
                )
            ]
        )
    return reported
