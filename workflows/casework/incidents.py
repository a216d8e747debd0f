"""Incidents (agreement art. 1.1 e, art. 5): recorded by processor support on their own, for one
practice or several, or from a patient's request (at intake, or classified later). Every practice
concerned is told at once, before all facts are known (art. 5.2, 5.6): its FG and its stand-in
get an e-mail that the incident exists, with a link; the report itself is read in the portal
(messages carry no personal data, workflows.messaging.messages). Each update and the closing go
to them the same way (art. 5.3, 5.8). The practice records its own decisions about the
Autoriteit Persoonsgegevens and the patients (GDPR art. 33, 34). Never shown or mentioned to the
patient (art. 5.7)."""

import uuid
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from requests_app import access, audit
from requests_app.lifecycle import (
    perform_incident_transition,
    perform_incident_update,
    perform_record_transition,
)
from requests_app.models import (
    AuditAction,
    Incident,
    IncidentCategory,
    IncidentPractice,
    IncidentState,
    IncidentUpdate,
    Practice,
    Request,
)
from workflows.messaging import outbox
from workflows.messaging.messages import STAFF_LANGUAGE
from workflows.models import Medium, Notification, Purpose

# What the practice's FG and administrator record (requests_app.models.IncidentPractice).
PRACTICE_STEPS = ("report_to_ap", "not_to_ap", "tell_patients", "not_tell_patients")


def _support_only(actor) -> None:
    if not access.is_processor_support(actor):
        raise PermissionDenied


def active_practices() -> list[Practice]:
    return list(Practice.objects.filter(active=True).order_by("name"))


def record(
    *,
    actor,
    category: str,
    practices: Iterable[Practice],
    fields: dict,
    key: uuid.UUID | None = None,
    request: Request | None = None,
) -> tuple[Incident, bool]:
    """Record an incident and tell every practice concerned at once. The same form sent twice
    (its `key`), or a request already classified, gives the incident already recorded and sends
    nothing: (incident, False)."""
    if actor is not None:
        _support_only(actor)
    existing = _existing(key, request)
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            incident = Incident.objects.create(
                request=request,
                category=category,
                created_by=actor,
                creation_key=key,
                **{name: fields.get(name) or "" for name in Incident.REPORT_FIELDS},
                started_at=fields.get("started_at"),
                discovered_at=fields.get("discovered_at"),
            )
            audit.record(
                "incident.create",
                AuditAction.CREATE,
                user=actor,
                user_label="" if actor else "system",
                request=request,
                object_type="incident",
                object_id=str(incident.pk),
                details={"category": category},
            )
            for practice in dict.fromkeys(practices):
                _concern(incident, practice, actor=actor)
    except IntegrityError:
        existing = _existing(key, request)
        if existing is None:
            raise
        return existing, False
    return incident, True


def _existing(key, request) -> Incident | None:
    if key is not None:
        found = Incident.objects.filter(creation_key=key).first()
        if found is not None:
            return found
    if request is not None:
        return Incident.objects.filter(request=request).first()
    return None


def open_for(request: Request) -> Incident:
    """Called in the intake transaction of a request about the processor's processing (art.
    1.1 e i): the request's practice is told at once; one not yet routed is told on routing."""
    practices = [request.practice] if request.practice_id else []
    incident, _created = record(
        actor=None,
        category=IncidentCategory.COMPLAINT,
        practices=practices,
        fields={},
        request=request,
    )
    return incident


def classify(
    request: Request, *, actor, category: str, practices: Iterable[Practice]
) -> tuple[Incident, bool]:
    """Processor support classifies a patient's request as an incident."""
    return record(actor=actor, category=category, practices=practices, fields={}, request=request)


def concern(incident: Incident, practice: Practice, *, actor) -> IncidentPractice | None:
    """Another practice turns out to be concerned (or the request is routed to one): it is told
    now. Nothing when it already is, or when the incident is closed."""
    with transaction.atomic():
        locked = Incident.objects.select_for_update().get(pk=incident.pk)
        if locked.state != IncidentState.OPEN:
            return None
        if locked.concerned.filter(practice=practice).exists():
            return None
        return _concern(locked, practice, actor=actor)


def _concern(incident: Incident, practice: Practice, *, actor) -> IncidentPractice:
    row = IncidentPractice.objects.create(incident=incident, practice=practice)
    audit.record(
        "incident.concern",
        AuditAction.CREATE,
        user=actor,
        user_label="" if actor else "system",
        object_type="incident",
        object_id=str(incident.pk),
        practice_id=practice.pk,
    )
    _tell(row)
    return row


def _tell(row: IncidentPractice) -> None:
    """The practice's FG and stand-in hear that the incident exists: the moment it becomes aware
    (its 72 hours for the AP start here)."""
    addresses = row.practice.privacy_emails()
    row.told_at, row.told_to = timezone.now(), ", ".join(addresses)
    row.save(update_fields=["told_at", "told_to"])
    incident = row.incident
    outbox.enqueue(
        _messages(
            row,
            "incident",
            f"incident:{incident.pk}:told:{row.practice_id}",
            {"missing": _missing_names(incident)},
        )
    )


def _messages(row: IncidentPractice, template: str, key: str, extra: dict) -> list[Notification]:
    incident = row.incident
    rows = []
    for address in row.practice.privacy_emails():
        message = outbox.message(
            purpose=Purpose.INCIDENT,
            medium=Medium.EMAIL,
            recipient=address,
            template=template,
            language=STAFF_LANGUAGE,
            context={
                "number": incident.number,
                "pk": incident.pk,
                "category": incident.get_category_display(),
                **extra,
            },
        )
        # About the practice, never about the request: the patient's messages are the request's.
        message.practice = row.practice
        message.dedupe_key = f"{key}:{address}"[:200]
        rows.append(message)
    return rows


def _tell_everyone(incident: Incident, template: str, key: str, extra: dict) -> None:
    rows = []
    for row in incident.concerned.filter(told_at__isnull=False).select_related("practice"):
        rows += _messages(row, template, f"{key}:{row.practice_id}", extra)
    outbox.enqueue(rows)


def update(
    incident: Incident,
    *,
    actor,
    version: int | None,
    text: str,
    changes: dict,
    add_practices: Iterable[Practice] = (),
) -> tuple[IncidentUpdate | None, list[Practice]]:
    """Support updates an open incident (art. 5.3, 5.8): the update row is kept and every
    practice concerned is told; practices added are told of the incident itself. Returns the
    update row (None when no field changed and there is no text) and the practices added."""
    _support_only(actor)
    changes = {name: value for name, value in changes.items() if name in Incident.CHANGEABLE}
    with transaction.atomic():
        updated, row = perform_incident_update(
            incident, actor=actor, version=version, text=text.strip(), changes=changes
        )
        if row is not None:
            names = [Incident._meta.get_field(n).verbose_name for n in row.changes]
            _tell_everyone(
                updated,
                "incident_update",
                f"incident:{updated.pk}:update:{row.pk}",
                {"changed": names, "missing": _missing_names(updated)},
            )
        added = [p for p in add_practices if concern(updated, p, actor=actor) is not None]
    return row, added


def _missing_names(incident: Incident) -> list:
    return [Incident._meta.get_field(n).verbose_name for n in incident.missing]


def close(incident: Incident, *, actor, version: int | None, note: str) -> Incident:
    """Closing (support only): the closing note goes with it; a closed incident changes no
    more. The practices concerned are told."""
    with transaction.atomic():
        closed = perform_incident_transition(
            incident, "close", actor=actor, version=version, by=actor, note=note
        )
        _tell_everyone(closed, "incident_closed", f"incident:{closed.pk}:closed", {})
    return closed


def practice_step(
    row: IncidentPractice, name: str, *, actor, version: int | None, **kwargs
) -> IncidentPractice:
    """The practice's FG or administrator records a decision about the AP or the patients."""
    if name not in PRACTICE_STEPS:
        raise ValueError(name)
    return perform_record_transition(row, name, actor=actor, version=version, by=actor, **kwargs)


def tell_untold() -> int:
    """Practices concerned but not yet told (an incident of before this version, recorded as a
    draft): told now. Safe to run again."""
    told = 0
    for pk in IncidentPractice.objects.filter(
        told_at__isnull=True, incident__state=IncidentState.OPEN
    ).values_list("pk", flat=True):
        with transaction.atomic():
            row = (
                IncidentPractice.objects.select_for_update(of=("self",))
                .select_related("incident", "practice")
                .filter(pk=pk, told_at__isnull=True)
                .first()
            )
            if row is not None:
                _tell(row)
                told += 1
    return told
