"""Recording what happened: one row on the timeline of a request (RequestEvent) or an assistance
task (TaskEvent) and, for an act the NEN 7513 log must hold, its audit record, written together
in one transaction. Every history row is written here: by the guarded path
(requests_app.lifecycle) for changes, and directly for acts that change no state."""

from django.db import transaction

from requests_app import audit
from requests_app.models import (
    AssistanceTask,
    AuditAction,
    ChangeEvent,
    GeneralTask,
    LegalOrder,
    PracticeExit,
    PracticeExitEvent,
    Request,
    RequestEvent,
    SubProcessorChange,
    TaskEvent,
)

# Work of the processor that belongs to no request: audited under the practice, no patient.
PRACTICE_WORK = {GeneralTask: "general_task", LegalOrder: "legal_order"}

SYSTEM_LABEL = "system"


def label_for(actor) -> str:
    """How an actor is named on a timeline: the account, or the portal itself."""
    return SYSTEM_LABEL if actor is None else actor.get_username()


def log_event(
    subject: Request | AssistanceTask | GeneralTask | LegalOrder,
    action: str,
    *,
    actor,
    actor_label: str = "",
    note: str = "",
    details: dict | None = None,
    from_state: str | None = None,
    to_state: str | None = None,
    audit_as: tuple[str, AuditAction] | None = None,
    object_type: str = "",
    object_id: str = "",
    purpose: str = "",
    audit_details: dict | None = None,
    practice_id: int | None = None,
) -> RequestEvent | TaskEvent:
    """Write the row `action` on the subject's timeline and, with `audit_as` (event type,
    action), the audit record of the same act: both or neither.

    `actor_label` names an actor without an account (the patient at intake, an API client); the
    states default to the subject's own (an act that changes none). `details` are kept on a
    task's row and, unless `audit_details` is given, in the audit record. The record names the
    subject (the request, or the task within its request) unless `object_type`, `object_id` or
    `purpose` say otherwise; `practice_id` names the practice whose log holds it when the
    request no longer does (sent back by that practice).
    """
    actor_label = actor_label or label_for(actor)
    row = {
        "actor": actor,
        "actor_label": actor_label,
        "action": action,
        "from_state": subject.state if from_state is None else from_state,
        "to_state": subject.state if to_state is None else to_state,
        "note": note,
    }
    if isinstance(subject, AssistanceTask):
        request = subject.request
        object_type = object_type or "assistance_task"
        object_id = object_id or subject.number
        purpose = purpose or f"{request.reference}/{subject.number}"
    elif type(subject) in PRACTICE_WORK:
        request = None
        practice_id = subject.practice_id
        object_type = object_type or PRACTICE_WORK[type(subject)]
        object_id = object_id or subject.number
        purpose = purpose or subject.number
    else:
        request = subject
    with transaction.atomic():
        if isinstance(subject, AssistanceTask):
            event = TaskEvent.objects.create(task=subject, details=details or {}, **row)
        elif request is None:
            event = subject.events.create(details=details or {}, **row)
        else:
            event = RequestEvent.objects.create(request=subject, **row)
        if audit_as is not None:
            event_type, audit_action = audit_as
            # Last, so the audit chain's lock is held as briefly as possible.
            audit.record(
                event_type,
                audit_action,
                user=actor,
                user_label=actor_label,
                request=request,
                practice_id=practice_id,
                purpose=purpose,
                object_type=object_type,
                object_id=object_id,
                details=details if audit_details is None else audit_details,
            )
    return event


def log_change_event(
    change: SubProcessorChange,
    action: str,
    *,
    actor,
    practice=None,
    note: str = "",
    from_state: str = "",
    to_state: str = "",
    audit_as: tuple[str, AuditAction],
    details: dict | None = None,
) -> ChangeEvent:
    """Write the row `action` in the history of a change of sub-processors (for one practice, or
    for all) and its audit record, together: both or neither."""
    label = label_for(actor)
    with transaction.atomic():
        event = ChangeEvent.objects.create(
            change=change,
            practice=practice,
            actor=actor,
            actor_label=label,
            action=action,
            from_state=from_state,
            to_state=to_state,
            note=note,
        )
        event_type, audit_action = audit_as
        audit.record(
            event_type,
            audit_action,
            user=actor,
            user_label=label,
            object_type="subprocessor_change",
            object_id=str(change.pk),
            purpose=f"agreement art. 7.1: {change.subprocessor.name}",
            practice_id=practice.pk if practice is not None else None,
            details={"from": from_state, "to": to_state, **(details or {})},
        )
    return event


def log_exit_event(
    exit_record: PracticeExit,
    action: str,
    *,
    actor,
    audit_as: tuple[str, AuditAction],
    note: str = "",
    details: dict | None = None,
    from_state: str | None = None,
) -> PracticeExitEvent:
    """A row on a practice exit's history and its audit record (against the practice, not a
    patient: the exit concerns all of them), both or neither."""
    actor_label = label_for(actor)
    with transaction.atomic():
        event = PracticeExitEvent.objects.create(
            exit=exit_record,
            actor=actor,
            actor_label=actor_label,
            action=action,
            from_state=exit_record.state if from_state is None else from_state,
            to_state=exit_record.state,
            note=note,
            details=details or {},
        )
        event_type, audit_action = audit_as
        audit.record(
            event_type,
            audit_action,
            user=actor,
            user_label=actor_label,
            purpose=f"practice exit {exit_record.number}",
            object_type="practice_exit",
            object_id=exit_record.number,
            practice_id=exit_record.practice_id,
            details=details or {},
        )
    return event
