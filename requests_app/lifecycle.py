"""Making a change: the one guarded path of every state change, and of the other changes that need
the row lock and the version (such as assigning a request).

It locks the row, refuses a stale form (`version`: the version the form was made from), checks
that the transition is possible and that the actor may make it, applies it, raises the version and
records it on the timeline (the history row and the audit record), all in one transaction. Side
effects belong to the caller, after commit.
"""

import dataclasses
from collections.abc import Callable

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django_fsm import can_proceed, has_transition_perm

from requests_app import audit
from requests_app.errors import StaleRequest, TransitionRefused
from requests_app.models import (
    AssistanceTask,
    AuditAction,
    ChangeAnswer,
    ExtraIdentifier,
    GeneralTask,
    Incident,
    IncidentPractice,
    IncidentUpdate,
    LegalOrder,
    PracticeExit,
    RecipientNotice,
    Request,
    SubProcessorChange,
)
from requests_app.timeline import label_for, log_change_event, log_event, log_exit_event


def _recorder(prefix: str, purpose: Callable[..., str] | None = None):
    """How a request's or a task's transition is recorded: on the object's own timeline, audited
    as `<prefix>.<transition>` (a task under its request's reference)."""

    def record(locked, name: str, *, actor, note: str, source: str) -> None:
        log_event(
            locked,
            name,
            actor=actor,
            note=note,
            from_state=source,
            audit_as=(f"{prefix}.{name}", AuditAction.UPDATE),
            purpose=purpose(locked) if purpose else "",
            audit_details={"from": source, "to": locked.state},
            # A request sent back has no practice now: the act stays in the sender's log.
            practice_id=getattr(locked, "sent_back_from_id", None) if name == "send_back" else None,
        )

    return record


def _record_incident(locked: Incident, name: str, *, actor, note: str, source: str) -> None:
    # In the audit log only: a request's timeline is read by its handlers, who are not told of
    # incidents (only the FG and the practice admin are, requests_app.roles).
    audit.record(
        f"incident.{name}",
        AuditAction.UPDATE,
        user=actor,
        request=locked.request,
        object_type="incident",
        object_id=str(locked.pk),
        details={"from": source, "to": locked.state},
    )


def _record_incident_practice(
    locked: IncidentPractice, name: str, *, actor, note: str, source: str
) -> None:
    """A practice's own record of an incident (the AP, the patients): in its audit log."""
    audit.record(
        f"incident.{name}",
        AuditAction.UPDATE,
        user=actor,
        object_type="incident",
        object_id=str(locked.incident_id),
        practice_id=locked.practice_id,
        details={"from": source, "to": _state_after(locked, name)},
    )


def _state_field(method) -> str:
    """The name of the FSM field a transition method moves (a record may have more than one)."""
    field = method._django_fsm.field
    return field if isinstance(field, str) else field.name


def _state_after(locked, name: str) -> str:
    return getattr(locked, _state_field(getattr(locked, name)))


def _record_on(subject: Callable, prefix: str, object_type: str, describe: Callable):
    """How a transition of a record that belongs to a request or task is recorded: on that
    request's or task's timeline, audited as `<prefix>.<transition>`."""

    def record(locked, name: str, *, actor, note: str, source: str) -> None:
        log_event(
            subject(locked),
            f"{prefix}_{name}",
            actor=actor,
            note=describe(locked),
            audit_as=(f"{prefix}.{name}", AuditAction.UPDATE),
            object_type=object_type,
            object_id=str(locked.pk),
            audit_details={"from": source, "to": locked.state},
        )

    return record


@dataclasses.dataclass(frozen=True)
class _Guarded:
    """What the guarded path needs to know of a model with transitions."""

    model: type
    versioned: bool  # has a `version` for optimistic locking
    record: Callable[..., None]


REQUEST = _Guarded(Request, versioned=True, record=_recorder("request"))
TASK = _Guarded(
    AssistanceTask, versioned=True, record=_recorder("task", lambda task: task.request.reference)
)
INCIDENT = _Guarded(Incident, versioned=True, record=_record_incident)
INCIDENT_PRACTICE = _Guarded(IncidentPractice, versioned=True, record=_record_incident_practice)
GENERAL_TASK = _Guarded(GeneralTask, versioned=True, record=_recorder("general_task"))
LEGAL_ORDER = _Guarded(LegalOrder, versioned=True, record=_recorder("legal_order"))
TASKS = {AssistanceTask: TASK, GeneralTask: GENERAL_TASK}
# Art. 19 notices (on the request's timeline) and extra identifiers (on the task's).
NOTICE = _Guarded(
    RecipientNotice,
    versioned=True,
    record=_record_on(lambda n: n.request, "recipient", "recipient_notice", lambda n: n.name),
)
IDENTIFIER = _Guarded(
    ExtraIdentifier,
    versioned=False,
    record=_record_on(
        lambda i: i.task, "identifier", "extra_identifier", lambda i: i.get_kind_display()
    ),
)
RECORDS = {
    RecipientNotice: NOTICE,
    ExtraIdentifier: IDENTIFIER,
    IncidentPractice: INCIDENT_PRACTICE,
}


def _record_change(locked, name: str, *, actor, note: str, source: str) -> None:
    # An announcement's own transitions concern every practice; an answer, its practice.
    answer = locked if isinstance(locked, ChangeAnswer) else None
    log_change_event(
        answer.change if answer else locked,
        f"answer_{name}" if answer else name,
        actor=actor,
        practice=answer.practice if answer else None,
        note=note,
        from_state=source,
        to_state=locked.state,
        audit_as=(f"subprocessor_change.{'answer.' if answer else ''}{name}", AuditAction.UPDATE),
    )


# Announced changes of sub-processors and the practices' answers (agreement art. 7.1).
CHANGES = {
    SubProcessorChange: _Guarded(SubProcessorChange, versioned=False, record=_record_change),
    ChangeAnswer: _Guarded(ChangeAnswer, versioned=False, record=_record_change),
}


def _record_exit(locked: PracticeExit, name: str, *, actor, note: str, source: str) -> None:
    log_exit_event(
        locked,
        name,
        actor=actor,
        note=note,
        from_state=source,
        audit_as=(f"practice_exit.{name}", AuditAction.EXECUTE),
        details={"from": source, "to": locked.state},
    )


EXIT = _Guarded(PracticeExit, versioned=True, record=_record_exit)


def _lock(guarded: _Guarded, pk: int, version: int | None):
    """The row, locked for this transaction; StaleRequest when its version moved on."""
    locked = guarded.model.objects.select_for_update().get(pk=pk)
    if version is not None and locked.version != version:
        raise StaleRequest(f"{locked} changed (version {locked.version})")
    return locked


def _transition(
    guarded: _Guarded,
    pk: int,
    name: str,
    *,
    actor,
    note: str,
    version: int | None,
    changes: dict,
    kwargs: dict,
):
    with transaction.atomic():
        locked = _lock(guarded, pk, version)
        # Values the transition's conditions judge (an incident's four fields).
        for field, value in changes.items():
            setattr(locked, field, value)
        method = getattr(locked, name)
        if not can_proceed(method):
            raise TransitionRefused(f"{name} is not possible from {locked.state}")
        if not has_transition_perm(method, actor):
            raise PermissionDenied(f"{label_for(actor)} may not {name} {locked}")
        source = getattr(locked, _state_field(method))
        method(**kwargs)
        if guarded.versioned:
            locked.version += 1
        locked.save()
        guarded.record(locked, name, actor=actor, note=note, source=source)
    return locked


def perform_transition(
    request: Request,
    name: str,
    *,
    actor,
    note: str = "",
    version: int | None = None,
    **kwargs,
) -> Request:
    """Apply transition `name` on behalf of `actor` (a user, or None for the portal itself).

    With `version` (the version a form was made from) a request that changed in the meantime is
    refused with StaleRequest instead of being overwritten.
    """
    return _transition(
        REQUEST,
        request.pk,
        name,
        actor=actor,
        note=note,
        version=version,
        changes={},
        kwargs=kwargs,
    )


def perform_task_transition(
    task: AssistanceTask | GeneralTask,
    name: str,
    *,
    actor,
    note: str = "",
    version: int | None = None,
    **kwargs,
) -> AssistanceTask | GeneralTask:
    """The same for an assistance task (its own timeline, audited against its request) or a
    general one (its own timeline, audited under its practice)."""
    return _transition(
        TASKS[type(task)],
        task.pk,
        name,
        actor=actor,
        note=note,
        version=version,
        changes={},
        kwargs=kwargs,
    )


def perform_order_transition(
    order: LegalOrder,
    name: str,
    *,
    actor,
    note: str = "",
    version: int | None = None,
    **kwargs,
) -> LegalOrder:
    """The same for a legal order (agreement art. 3.4; its own timeline, audited under its
    practice)."""
    return _transition(
        LEGAL_ORDER,
        order.pk,
        name,
        actor=actor,
        note=note,
        version=version,
        changes={},
        kwargs=kwargs,
    )


def perform_incident_transition(
    incident: Incident, name: str, *, actor, version: int | None = None, **kwargs
) -> Incident:
    """The same for an incident (recorded in the audit log, never on a request's timeline)."""
    return _transition(
        INCIDENT,
        incident.pk,
        name,
        actor=actor,
        note="",
        version=version,
        changes={},
        kwargs=kwargs,
    )


def perform_incident_update(
    incident: Incident, *, actor, version: int | None, text: str, changes: dict
) -> tuple[Incident, IncidentUpdate | None]:
    """An update of an open incident (agreement art. 5.3, 5.8): the fields in `changes` that
    differ are set, and the update row keeps the text and each change (from, to). Refused once
    the incident is closed, or when its version moved on. Nothing changed and no text: None.
    Whether the actor may make it is the caller's check."""
    with transaction.atomic():
        locked = _lock(INCIDENT, incident.pk, version)
        if locked.state != "open":
            raise TransitionRefused(f"{locked} is closed")
        changed = {}
        for field, value in changes.items():
            old = getattr(locked, field)
            if old != value:
                changed[field] = {"from": _plain(old), "to": _plain(value)}
                setattr(locked, field, value)
        if not changed and not text:
            return locked, None
        update = IncidentUpdate.objects.create(
            incident=locked, by=actor, text=text, changes=changed
        )
        locked.version += 1
        locked.last_update_at = update.at
        locked.save(update_fields=[*changes, "version", "last_update_at"])
        audit.record(
            "incident.update",
            AuditAction.UPDATE,
            user=actor,
            request=locked.request,
            object_type="incident",
            object_id=str(locked.pk),
            details={"update": update.pk, "fields": sorted(changed)},
        )
    return locked, update


def _plain(value) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value or "")


def perform_record_transition(
    record: RecipientNotice | ExtraIdentifier,
    name: str,
    *,
    actor,
    version: int | None = None,
    **kwargs,
):
    """The same for a record of a request or task with its own small lifecycle (an art. 19
    notice, an extra identifier): recorded on its request's or task's timeline."""
    return _transition(
        RECORDS[type(record)],
        record.pk,
        name,
        actor=actor,
        note="",
        version=version,
        changes={},
        kwargs=kwargs,
    )


def perform_change_transition(
    record: SubProcessorChange | ChangeAnswer,
    name: str,
    *,
    actor,
    note: str = "",
    changes: dict | None = None,
    **kwargs,
):
    """The same for an announced change of sub-processors or a practice's answer to it,
    recorded in the change's history. `changes` (an objection's reason) are set on the locked
    row first, so the transition's conditions judge them."""
    return _transition(
        CHANGES[type(record)],
        record.pk,
        name,
        actor=actor,
        note=note,
        version=None,
        changes=changes or {},
        kwargs=kwargs,
    )


def perform_change(
    request: Request,
    name: str,
    *,
    actor,
    version: int | None,
    changes: dict,
    note: str = "",
    audit_details: dict | None = None,
) -> Request:
    """A change of a request that is not a transition (such as assigning it): the same lock,
    version check and record as a transition, for the fields in `changes`. Whether the actor may
    make it is the caller's check."""
    with transaction.atomic():
        locked = _lock(REQUEST, request.pk, version)
        for field, value in changes.items():
            setattr(locked, field, value)
        locked.version += 1
        locked.save(update_fields=[*changes, "version"])
        log_event(
            locked,
            name,
            actor=actor,
            note=note,
            audit_as=(f"request.{name}", AuditAction.UPDATE),
            audit_details=audit_details,
        )
    return locked


def perform_exit_transition(
    exit_record: PracticeExit,
    name: str,
    *,
    actor,
    note: str = "",
    version: int | None = None,
    **kwargs,
) -> PracticeExit:
    """The same for a practice's exit (its own history, audited against the practice)."""
    return _transition(
        EXIT,
        exit_record.pk,
        name,
        actor=actor,
        note=note,
        version=version,
        changes={},
        kwargs=kwargs,
    )
