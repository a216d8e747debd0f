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

from requests_app.errors import StaleRequest, TransitionRefused
from requests_app.models import (
    AssistanceTask,
    AuditAction,
    ExtraIdentifier,
    Incident,
    PracticeExit,
    RecipientNotice,
    Request,
)
from requests_app.timeline import label_for, log_event, log_exit_event


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
        )

    return record


def _record_incident(locked: Incident, name: str, *, actor, note: str, source: str) -> None:
    # On its request's timeline ("incident_reported"), saying to whom it was reported.
    log_event(
        locked.request,
        f"incident_{locked.state}",
        actor=actor,
        note=locked.reported_to,
        audit_as=(f"incident.{name}", AuditAction.EXECUTE),
        object_type="incident",
        object_id=str(locked.pk),
    )


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
INCIDENT = _Guarded(Incident, versioned=False, record=_record_incident)
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
RECORDS = {RecipientNotice: NOTICE, ExtraIdentifier: IDENTIFIER}


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
        source = locked.state
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
    task: AssistanceTask,
    name: str,
    *,
    actor,
    note: str = "",
    version: int | None = None,
    **kwargs,
) -> AssistanceTask:
    """The same for an assistance task (its own timeline, audited against its request)."""
    return _transition(
        TASK, task.pk, name, actor=actor, note=note, version=version, changes={}, kwargs=kwargs
    )


def perform_incident_transition(
    incident: Incident, name: str, *, actor, changes: dict | None = None, **kwargs
) -> Incident:
    """The same for an incident (recorded on its request's timeline). `changes` are set on the
    locked row first: the transition's conditions judge them, and they are saved with it."""
    return _transition(
        INCIDENT,
        incident.pk,
        name,
        actor=actor,
        note="",
        version=None,
        changes=changes or {},
        kwargs=kwargs,
    )


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
