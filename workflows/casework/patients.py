"""What the patient does after intake: sign in with a code, answer the practice or write to it
(also for a while after its decision), withdraw."""

import dataclasses
import datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from requests_app import access
from requests_app.errors import DomainError
from requests_app.lifecycle import perform_transition
from requests_app.models import AuditAction, Request, RequestMessage, RequestState, Sender
from requests_app.models.request import by_patient
from requests_app.timeline import log_event
from requests_app.validators import canonical_email
from workflows.casework import actions as casework

S = RequestState
# After the practice's decision (or the request's end) the patient may still write, to ask about
# it or to disagree, without reopening it: three months, well past the six weeks within which
# they may ask the court to rule (UAVG art. 35), so a question about the decision fits in time.
WRITING_AFTER_END = datetime.timedelta(days=91)
ENDED_STATES = (
    S.GRANTED,
    S.PARTIALLY_GRANTED,
    S.REFUSED,
    S.FULFILLED,
    S.DECIDED,
    S.CLOSED,
    S.WITHDRAWN,
)
# The history row of a message from the patient (the staff page's history names it).
MESSAGE_EVENT = "patient_message"
PATIENT_LABEL = "patient"


class WritingClosed(DomainError):
    """The request takes no more messages: no practice to read them, or too long after its end."""


@dataclasses.dataclass(frozen=True)
class Sent:
    message: RequestMessage
    # Whether the message answered the practice's question (the request went on) or was new.
    answered: bool


@dataclasses.dataclass(frozen=True)
class Question:
    """What the practice waits for, as the patient reads it while the request waits."""

    text: str
    asked_at: datetime.datetime
    # Whether the term stands still until the answer (the practice's documented choice).
    paused: bool
    reason: str
    due: datetime.date | None
    # The practice's message that holds it (the page shows it once, as the question).
    message_id: int | None = None


def open_question(request: Request) -> Question | None:
    """The question the practice waits on the patient's answer to, or None when it waits for
    nothing. The question is the practice's message written with the wait (casework.act)."""
    if request.state != S.AWAITING_PATIENT:
        return None
    wait = request.waits.filter(ended_at__isnull=True).last()
    # The practice's latest message: the question itself, or a later word on it while it waits.
    message = request.messages.filter(sender=Sender.PRACTICE).last()
    return Question(
        text=message.body if message else "",
        asked_at=message.created_at if message else request.received_at,
        paused=bool(wait and wait.stops_clock),
        reason=wait.clock_reason if wait else "",
        due=request.response_due,
        message_id=message.pk if message else None,
    )


def term_paused(request: Request) -> bool:
    """Whether the legal term stands still now: an open wait (for an answer or a fee) that
    stops the clock; the date moves on by the days waited when it ends (casework.end_wait)."""
    waits = request.waits.filter(ended_at__isnull=True, stops_clock=True)
    return request.is_open and waits.exists()


def ended_at(request: Request) -> datetime.datetime | None:
    """When the request last reached an end: its decision, carrying out, closing or withdrawal."""
    if request.state not in ENDED_STATES:
        return None
    moments = [m for m in (request.decided_at, request.fulfilled_at, request.closed_at) if m]
    return max(moments) if moments else None


def writing_until(request: Request) -> datetime.date | None:
    """The last day the patient may write after the request's end; None while it is open."""
    end = ended_at(request)
    return timezone.localdate(end + WRITING_AFTER_END) if end else None


def may_write(request: Request, now: datetime.datetime | None = None) -> bool:
    """Whether the patient may write to the practice about this request now: while it is open,
    and after its end for WRITING_AFTER_END; never before a practice has it."""
    if request.practice_id is None:
        return False
    if request.is_open:
        return True
    until = writing_until(request)
    return until is not None and timezone.localdate(now or timezone.now()) <= until


def account_for(email: str):
    """The patient's sign-in account: no password, reached by a code sent to this address
    (canonical, as intake stores it)."""
    email = canonical_email(email)
    username = access.patient_username(email)
    users = get_user_model().objects
    user = users.filter(username=username).first()
    if user is None:
        try:
            with transaction.atomic():
                user = users.create_user(username=username, email=email)
        except IntegrityError:  # created by a concurrent intake
            user = users.get(username=username)
    if not user.is_active or user.email != email:  # retired by retention, now back
        user.email, user.is_active = email, True
        user.save(update_fields=["email", "is_active"])
    return user


def retire_account(email: str) -> bool:
    """When retention has erased a patient's last request: the account keeps no e-mail address
    and no identity-broker link (with its claims). The row itself stays, because the audit log
    (kept longer) refers to it. Returns whether there was an account to retire."""
    from allauth.account.models import EmailAddress
    from allauth.socialaccount.models import SocialAccount

    user = get_user_model().objects.filter(username=access.patient_username(email)).first()
    if user is None or access.practice_ids(user) or access.processor_roles(user):
        return False
    SocialAccount.objects.filter(user=user).delete()
    EmailAddress.objects.filter(user=user).delete()
    user.email, user.is_active = "", False
    user.set_unusable_password()
    user.save(update_fields=["email", "is_active", "password"])
    return True


def reply(request: Request, *, patient, body: str) -> Sent:
    """The patient writes to the practice: an answer to its question (a request that waited for
    them goes on where it was) or a new message, also after the decision for a while (the request
    stays as it is). Each message is a row in the request's history; the handler is told.
    Raises WritingClosed when the request takes no more messages."""
    if not by_patient(request, patient):
        raise PermissionDenied
    with transaction.atomic():
        request = Request.objects.select_for_update().get(pk=request.pk)
        if not may_write(request):
            raise WritingClosed(f"{request.reference} takes no messages in {request.state}")
        answered = request.state == S.AWAITING_PATIENT
        message = RequestMessage.objects.create(
            request=request, sender=Sender.PATIENT, author=patient, body=body
        )
        if answered:
            resumed = perform_transition(
                request, "resume", actor=None, note=gettext_noop("patient answered")
            )
            request = casework.end_wait(resumed)
        # After the transition: it takes the request's lock before the audit chain's, as here.
        log_event(
            request,
            MESSAGE_EVENT,
            actor=patient,
            actor_label=PATIENT_LABEL,
            note=gettext_noop("answer to the practice's question") if answered else "",
            audit_as=("request.message", AuditAction.CREATE),
        )
        casework.tell_practice(request)
    return Sent(message=message, answered=answered)


def withdraw(request: Request, *, patient) -> Request:
    with transaction.atomic():
        withdrawn = perform_transition(
            request, "withdraw", actor=patient, note=gettext_noop("withdrawn by the patient")
        )
        if withdrawn.practice_id:
            casework.tell_practice(withdrawn)
    return withdrawn
