"""Steps on several requests of the queue at once: acknowledge, assign. Each request goes through
the same guarded path as on its own page (workflows.casework.actions: the row lock, the version,
the django-fsm transition with its permission, the history row and the audit record), in its own
transaction: one that cannot take the step is left as it is, with the reason, and the others go
on. The row is locked before its reason is judged, so a second click (or a colleague's at the
same moment) finds the step done and says so; it never acknowledges twice."""

import dataclasses

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django_fsm import can_proceed, has_transition_perm

from requests_app import access
from requests_app.errors import StaleRequest, TransitionRefused
from requests_app.models import Request, RequestState
from requests_app.models.request import FINISHED_STATES, DecisionIncomplete, receipt_possible
from requests_app.roles import Capability
from workflows.casework import actions

# One form's worth: a page of the queue holds 50; more in one step is not a person ticking boxes.
MAX_ITEMS = 100

# What each step needs of the account's role at the request's practice (requests_app.roles).
NEEDS = {"acknowledge": Capability.WORK_REQUESTS, "assign": Capability.ASSIGN}


def steps_allowed(user) -> list[str]:
    """The bulk steps the account may take at one of its practices at least."""
    return [step for step, capability in NEEDS.items() if access.practices_where(user, capability)]


# Why a request was left as it was, in the words the result message uses.
ALREADY_ACKNOWLEDGED = _("already acknowledged")
NOT_FORWARDED = _("not yet forwarded to the practice")
FINISHED = _("closed or withdrawn")
NO_COMPLAINT_SETTINGS = _("the practice's complaint settings are not complete")
NOT_YOUR_ROLE = _("your role at this request's practice does not allow this step")
CHANGED = _("changed by someone else in the meantime")
ALREADY_ASSIGNED = _("already assigned to this handler")
NOT_A_HANDLER_THERE = _("the chosen handler does not handle this practice's requests")
NOT_POSSIBLE = _("not possible in its current state")


@dataclasses.dataclass(frozen=True)
class Outcome:
    """What happened to one ticked request: done, or the reason it was left as it was."""

    reference: str
    reason: str = ""

    @property
    def done(self) -> bool:
        return not self.reason


@dataclasses.dataclass(frozen=True)
class Ticked:
    """A request as the list showed it: the version lets a change made since be noticed."""

    request: Request
    version: int | None


def acknowledge_many(ticked: list[Ticked], *, actor) -> list[Outcome]:
    return [_each(item, actor, _acknowledge) for item in ticked]


def assign_many(ticked: list[Ticked], *, actor, assignee) -> list[Outcome]:
    return [_each(item, actor, _assign, assignee=assignee) for item in ticked]


def _each(item: Ticked, actor, step, **kwargs) -> Outcome:
    reference = item.request.reference
    try:
        with transaction.atomic():
            locked = Request.objects.select_for_update().get(pk=item.request.pk)
            reason = step(locked, item.version, actor, **kwargs)
    except StaleRequest:
        reason = CHANGED
    except PermissionDenied:
        reason = NOT_YOUR_ROLE
    except (TransitionRefused, DecisionIncomplete):
        reason = NOT_POSSIBLE
    return Outcome(reference, str(reason) if reason else "")


def _stale(locked: Request, version: int | None) -> bool:
    return version is not None and locked.version != version


def _acknowledge(locked: Request, version: int | None, actor) -> str:
    """The reason first, from the request as it now is; then the step as on its page."""
    if not access.can(actor, Capability.WORK_REQUESTS, locked.practice_id):
        return NOT_YOUR_ROLE
    if locked.state in FINISHED_STATES:
        return FINISHED
    if locked.state in (RequestState.RECEIVED, RequestState.UNROUTED):
        return NOT_FORWARDED
    if locked.state != RequestState.FORWARDED:
        return ALREADY_ACKNOWLEDGED
    if not receipt_possible(locked):
        return NO_COMPLAINT_SETTINGS
    if not (can_proceed(locked.acknowledge) and has_transition_perm(locked.acknowledge, actor)):
        return NOT_POSSIBLE
    if _stale(locked, version):
        return CHANGED
    actions.act(locked, "acknowledge", actor=actor, version=locked.version)
    return ""


def _assign(locked: Request, version: int | None, actor, *, assignee) -> str:
    if not access.can(actor, Capability.ASSIGN, locked.practice_id):
        return NOT_YOUR_ROLE
    if locked.state in FINISHED_STATES:
        return FINISHED
    if not access.can(assignee, Capability.WORK_REQUESTS, locked.practice_id):
        return NOT_A_HANDLER_THERE
    if locked.assigned_to_id == assignee.pk:
        return ALREADY_ASSIGNED
    if _stale(locked, version):
        return CHANGED
    actions.assign(locked, actor=actor, version=locked.version, assignee=assignee)
    return ""
