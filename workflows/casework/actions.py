"""What practice staff do with a request: each action is one checked transition (with its event
row) plus what must follow it, such as telling the patient. Views call these functions."""

import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy

from requests_app import access, audit
from requests_app.lifecycle import perform_change, perform_transition
from requests_app.models import (
    AuditAction,
    PatientWait,
    Request,
    RequestKind,
    RequestMessage,
    Sender,
)
from requests_app.models.completion import WorkNotDone, open_work
from requests_app.models.request import person_label
from requests_app.roles import Capability
from workflows.casework import deadlines
from workflows.messaging import outbox
from workflows.messaging.messages import STAFF_LANGUAGE
from workflows.models import Medium, Purpose

FEE_WAIT = gettext_lazy("a fee was asked (GDPR art. 12(5)); the request is handled once paid")

# Actions that change what the patient is told: they get an e-mail with a link (no content).
PATIENT_IS_TOLD = {
    "extend",
    "grant",
    "grant_partially",
    "refuse",
    "fulfil",
    "decide_complaint",
    "ask_patient",
    "charge_fee",
    "waive_fee",
}


def act(
    request: Request,
    action: str,
    *,
    actor,
    version: int | None,
    note: str = "",
    stops_clock: bool = False,
    clock_reason: str = "",
    **fields,
) -> Request:
    """Apply a staff action; raises StaleRequest, TransitionRefused, PermissionDenied or
    DecisionIncomplete (with nothing changed) when it cannot be done."""
    if action == "extend":
        fields["new_due"] = extended_due(request)
    if action == "fulfil" and request.kind == RequestKind.DESTRUCTION:
        note = destruction_note(note, **fields)
    if action in ("fulfil", "close"):
        # The model refuses these too (a condition); here the handler learns what is open.
        points = open_work(request)
        if points:
            raise WorkNotDone(points)
    with transaction.atomic():
        changed = perform_transition(
            request, action, actor=actor, note=note, version=version, **fields
        )
        if action == "ask_patient":
            RequestMessage.objects.create(
                request=changed, sender=Sender.PRACTICE, author=actor, body=note
            )
            PatientWait.objects.create(
                request=changed,
                stops_clock=stops_clock,
                clock_reason=clock_reason,
                due_before=changed.response_due,
            )
        if action == "charge_fee":
            # No work is owed before the fee is paid: the wait is recorded, not silent.
            PatientWait.objects.create(
                request=changed,
                stops_clock=True,
                clock_reason=str(FEE_WAIT),
                due_before=changed.response_due,
            )
        if action == "acknowledge" and changed.assigned_to_id is None:
            # "I am handling this request": whoever takes it on is its handler, unless someone
            # was assigned already; the history says so in a row of its own.
            changed = _assign(changed, actor=actor, assignee=actor)
        if action in ("resume", "record_fee_paid", "waive_fee", "refuse"):
            changed = end_wait(changed)
        if action in PATIENT_IS_TOLD:
            asked = action == "ask_patient"
            tell_patient(
                changed,
                extended=action == "extend",
                asked=asked,
                paused=asked and stops_clock,
            )
    return changed


def destruction_note(note: str, *, destroyed_what="", destroyed_where="", destroyed_on=None):
    """The history row of a carried-out destruction holds its record: what, where, when."""
    when = destroyed_on.strftime("%d-%m-%Y") if destroyed_on else ""
    record = " | ".join(part.strip() for part in (destroyed_what, destroyed_where, when))
    return f"{record} – {note.strip()}" if note.strip() else record


def extended_due(request: Request) -> datetime.date:
    """The extended deadline, moved on by the days a stopped clock already added; never earlier
    than the deadline as it stands."""
    due = deadlines.response_due(request.kind, request.received_at, extended=True)
    stopped = sum(
        (timezone.localdate(w.ended_at) - timezone.localdate(w.started_at)).days
        for w in request.waits.filter(stops_clock=True, ended_at__isnull=False)
    )
    if stopped:
        due = deadlines.next_working_day(due + datetime.timedelta(days=stopped))
    return max(due, request.response_due) if request.response_due else due


def end_wait(request: Request) -> Request:
    """Close the open waiting period; when it stops the clock, the deadline moves by the days
    waited (the first deadline stays recorded beside it)."""
    wait = request.waits.filter(ended_at__isnull=True).last()
    if wait is None:
        return request
    wait.ended_at = timezone.now()
    if wait.stops_clock and request.response_due:
        waited = (timezone.localdate(wait.ended_at) - timezone.localdate(wait.started_at)).days
        new_due = deadlines.next_working_day(request.response_due + datetime.timedelta(days=waited))
        Request.objects.filter(pk=request.pk).update(
            response_due=new_due, original_due=request.original_due or request.response_due
        )
        request = Request.objects.get(pk=request.pk)
    wait.due_after = request.response_due
    wait.save()
    return request


def write_to_patient(request: Request, *, actor, body: str) -> RequestMessage:
    if not access.can(actor, Capability.WORK_REQUESTS, request.practice_id):
        raise PermissionDenied
    with transaction.atomic():
        message = RequestMessage.objects.create(
            request=request, sender=Sender.PRACTICE, author=actor, body=body
        )
        audit.record("request.message", AuditAction.CREATE, user=actor, request=request)
        tell_patient(request)
    return message


def tell_patient(
    request: Request, *, extended: bool = False, asked: bool = False, paused: bool = False
) -> None:
    """An e-mail that there is news, with a sign-in link; the news itself is on the portal.
    An extension is told in the e-mail too: the statute, its longest term and the new date
    (no health data), so the patient knows within the first term (GDPR art. 12(3), Wkkgz
    art. 17(2)); the reasons are in the letter. A question says that the practice waits for
    the patient and whether the term stands still meanwhile (not the question itself)."""
    context = {
        "reference": request.reference,
        "complaint": request.kind == RequestKind.COMPLAINT,
    }
    if extended:
        context |= {"extended": True, "new_due": request.response_due}
    elif asked:
        context |= {"asked": True, "paused": paused}
    outbox.enqueue(
        [
            outbox.message(
                purpose=Purpose.PATIENT_UPDATE,
                medium=Medium.EMAIL,
                recipient=request.patient_email,
                template="patient_update",
                language=request.language,
                request=request,
                context=context,
            )
        ]
    )


def tell_practice(request: Request) -> None:
    """The patient answered or withdrew: the handler (or else the privacy contact) is told."""
    handler = request.assigned_to
    recipient = handler.email if handler and handler.email else request.practice.dpo_email
    outbox.enqueue(
        [
            outbox.message(
                purpose=Purpose.PRACTICE_UPDATE,
                medium=Medium.EMAIL,
                recipient=recipient,
                template="practice_update",
                language=STAFF_LANGUAGE,
                request=request,
                context={"reference": request.reference},
            )
        ]
    )


def assign(request: Request, *, actor, version: int | None, assignee) -> Request:
    """Give the request to a handler of its practice (or to nobody)."""
    if not access.can(actor, Capability.ASSIGN, request.practice_id):
        raise PermissionDenied
    if assignee is not None and not access.can(
        assignee, Capability.WORK_REQUESTS, request.practice_id
    ):
        raise PermissionDenied("the handler does not work for this practice")
    return _assign(request, actor=actor, assignee=assignee, version=version)


def _assign(request: Request, *, actor, assignee, version: int | None = None) -> Request:
    """The history row names the handler as the page does; the audit record keeps the account."""
    return perform_change(
        request,
        "assign",
        actor=actor,
        version=request.version if version is None else version,
        changes={"assigned_to": assignee},
        note=person_label(assignee, untranslated=True) if assignee else "",
        audit_details={"assignee": assignee.get_username() if assignee else None},
    )
