"""Making a state change: the one path every transition of a request takes.

It locks the row, checks that the transition is possible and that the actor may make it,
applies it and writes the event row, all in one transaction. Side effects belong to the caller,
after commit.
"""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django_fsm import can_proceed, has_transition_perm

from requests_app import audit
from requests_app.models import AuditAction, Request, RequestEvent


class TransitionRefused(Exception):
    """The request is not in a state that allows this change (someone may have acted first)."""


class StaleRequest(TransitionRefused):
    """The request changed since the form was shown: reload and decide again."""


SYSTEM_LABEL = "system"


def actor_label(actor) -> str:
    return SYSTEM_LABEL if actor is None else actor.get_username()


def perform_transition(
    request: Request,
    name: str,
    *,
    actor,
    note: str = "",
    expected_version: int | None = None,
    **kwargs,
) -> Request:
    """Apply transition `name` on behalf of `actor` (a user, or None for the portal itself).

    With `expected_version` (the version a form was made from) a request that changed in the
    meantime is refused with StaleRequest instead of being overwritten.
    """
    with transaction.atomic():
        locked = Request.objects.select_for_update().get(pk=request.pk)
        if expected_version is not None and locked.version != expected_version:
            raise StaleRequest(f"{locked.reference} changed (version {locked.version})")
        method = getattr(locked, name)
        if not can_proceed(method):
            raise TransitionRefused(f"{name} is not possible from {locked.state}")
        if not has_transition_perm(method, actor):
            raise PermissionDenied(f"{actor_label(actor)} may not {name} {locked.reference}")
        source = locked.state
        method(**kwargs)
        locked.version += 1
        locked.save()
        RequestEvent.objects.create(
            request=locked,
            actor=actor,
            actor_label=actor_label(actor),
            action=name,
            from_state=source,
            to_state=locked.state,
            note=note,
        )
        audit.record(
            f"request.{name}",
            AuditAction.UPDATE,
            user=actor,
            user_label=actor_label(actor),
            request=locked,
            details={"from": source, "to": locked.state},
        )
    return locked
