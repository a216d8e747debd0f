"""What practice staff do with a request: each action is one checked transition (with its event
row) plus what must follow it, such as telling the patient. Views call these functions."""

from django.core.exceptions import PermissionDenied
from django.db import transaction

from requests_app import access
from requests_app.lifecycle import StaleRequest, perform_transition
from requests_app.models import Request, RequestEvent
from workflows import deadlines, outbox
from workflows.models import Medium, Purpose

# Actions that change what the patient is told: they get an e-mail with a link (no content).
PATIENT_IS_TOLD = {
    "extend",
    "grant",
    "grant_partially",
    "refuse",
    "fulfil",
    "decide_complaint",
    "ask_patient",
}


def act(
    request: Request, action: str, *, actor, version: int | None, note: str = "", **fields
) -> Request:
    """Apply a staff action; raises StaleRequest, TransitionRefused, PermissionDenied or
    DecisionIncomplete (with nothing changed) when it cannot be done."""
    if action == "extend":
        fields["new_due"] = deadlines.response_due(request.kind, request.received_at, extended=True)
    with transaction.atomic():
        changed = perform_transition(
            request, action, actor=actor, note=note, expected_version=version, **fields
        )
        if action in PATIENT_IS_TOLD:
            tell_patient(changed)
    return changed


def tell_patient(request: Request) -> None:
    """An e-mail that there is news, with a sign-in link; the news itself is on the portal."""
    outbox.enqueue(
        [
            outbox.message(
                purpose=Purpose.PATIENT_UPDATE,
                medium=Medium.EMAIL,
                recipient=request.patient_email,
                template="patient_update",
                language=request.language,
                request=request,
                context={"reference": request.reference},
            )
        ]
    )


def assign(request: Request, *, actor, version: int | None, assignee) -> Request:
    """Give the request to a handler of its practice (or to nobody)."""
    if not access.works_for_practice(actor, request.practice_id):
        raise PermissionDenied
    if assignee is not None and not access.works_for_practice(assignee, request.practice_id):
        raise PermissionDenied("the handler does not work for this practice")
    with transaction.atomic():
        locked = Request.objects.select_for_update().get(pk=request.pk)
        if version is not None and locked.version != version:
            raise StaleRequest(locked.reference)
        locked.assigned_to = assignee
        locked.version += 1
        locked.save(update_fields=["assigned_to", "version"])
        RequestEvent.objects.create(
            request=locked,
            actor=actor,
            actor_label=actor.get_username(),
            action="assign",
            from_state=locked.state,
            to_state=locked.state,
            note=assignee.get_username() if assignee else "",
        )
    return locked
