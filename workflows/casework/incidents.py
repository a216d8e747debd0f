"""Incidents (agreement art. 5): opened at intake when a patient's request is about the
processor's own processing, drafted by processor support and reported to the practice's FG at
once, with the four fields of art. 5.2. Never shown or mentioned to the patient (art. 5.7)."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django_fsm import has_transition_perm

from requests_app import access, audit
from requests_app.errors import TransitionRefused
from requests_app.models import AuditAction, Incident, IncidentState, Request, RequestEvent
from workflows.messaging import outbox
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
    with transaction.atomic():
        locked = (
            Incident.objects.select_for_update(of=("self",))
            .select_related("request__practice")
            .get(pk=incident.pk)
        )
        for name in Incident.REPORT_FIELDS:
            setattr(locked, name, fields.get(name, getattr(locked, name)).strip())
        locked.practice = locked.request.practice
        if not has_transition_perm(locked.report, actor):
            if not access.is_processor_support(actor):
                raise PermissionDenied
            raise TransitionRefused("complete the four fields; the request needs a practice")
        practice = locked.practice
        recipient = practice.dpo_email or practice.standin_email
        locked.report(by=actor, recipient=recipient)
        locked.save()
        RequestEvent.objects.create(
            request=locked.request,
            actor=actor,
            actor_label=actor.get_username(),
            action="incident_reported",
            from_state=locked.request.state,
            to_state=locked.request.state,
            note=recipient,
        )
        audit.record(
            "incident.report",
            AuditAction.EXECUTE,
            user=actor,
            request=locked.request,
            object_type="incident",
            object_id=str(locked.pk),
        )
        outbox.enqueue(
            [
                outbox.message(
                    purpose=Purpose.INCIDENT,
                    medium=Medium.EMAIL,
                    recipient=recipient,
                    template="incident",
                    language="nl",
                    request=locked.request,
                    context={"incident": locked, "reference": locked.request.reference},
                )
            ]
        )
    return locked
