"""Making a state change: the one path every transition of a request takes.

It locks the row, checks that the transition is possible and that the actor may make it,
applies it and writes the event row, all in one transaction. Side effects belong to the caller,
after commit.
"""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django_fsm import can_proceed, has_transition_perm

from requests_app import audit
from requests_app.errors import StaleRequest, TransitionRefused
from requests_app.models import AssistanceTask, AuditAction, Request, RequestEvent, TaskEvent

SYSTEM_LABEL = "system"


def actor_label(actor) -> str:
    return SYSTEM_LABEL if actor is None else actor.get_username()


def _request_trail(locked: Request, event: dict) -> tuple[str, dict]:
    RequestEvent.objects.create(request=locked, **event)
    return "request", {"request": locked}


def _task_trail(locked: AssistanceTask, event: dict) -> tuple[str, dict]:
    TaskEvent.objects.create(task=locked, **event)
    return "task", {
        "request": locked.request,
        "object_type": "assistance_task",
        "object_id": locked.number,
    }


def _transition(model, trail, pk: int, name: str, actor, note: str, version, kwargs):
    """Lock the row, check the version, the transition and the actor's permission, apply it, and
    write the timeline row (`trail`) and the audit record: all in one transaction."""
    with transaction.atomic():
        locked = model.objects.select_for_update().get(pk=pk)
        if version is not None and locked.version != version:
            raise StaleRequest(f"{locked} changed (version {locked.version})")
        method = getattr(locked, name)
        if not can_proceed(method):
            raise TransitionRefused(f"{name} is not possible from {locked.state}")
        if not has_transition_perm(method, actor):
            raise PermissionDenied(f"{actor_label(actor)} may not {name} {locked}")
        source = locked.state
        method(**kwargs)
        locked.version += 1
        locked.save()
        event = {"actor": actor, "actor_label": actor_label(actor), "action": name, "note": note}
        event |= {"from_state": source, "to_state": locked.state}
        prefix, where = trail(locked, event)
        audit.record(
            f"{prefix}.{name}",
            AuditAction.UPDATE,
            user=actor,
            user_label=actor_label(actor),
            details={"from": source, "to": locked.state},
            **where,
        )
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
    return _transition(Request, _request_trail, request.pk, name, actor, note, version, kwargs)


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
    return _transition(AssistanceTask, _task_trail, task.pk, name, actor, note, version, kwargs)
