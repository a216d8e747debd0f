"""Forwarding a request to its practice without delay (agreement art. 6.2), and routing by hand."""

import contextlib

from django.db import transaction

from requests_app.lifecycle import TransitionRefused, perform_transition
from requests_app.models import Practice, Request, RequestState
from workflows import outbox
from workflows.models import Medium, Notification, Purpose

PRACTICE_LANGUAGE = "nl"


def practice_messages(request: Request) -> list[Notification]:
    """The new-request message for every privacy contact of the request's practice: e-mail to
    each address, SMS to each mobile number. Unsaved; the caller enqueues them in the
    transaction that stores or routes the request."""
    practice = request.practice
    contacts = [(Medium.EMAIL, e) for e in practice.privacy_emails()]
    contacts += [(Medium.SMS, p) for p in practice.privacy_phones()]
    return [
        outbox.message(
            purpose=Purpose.PRACTICE_NEW_REQUEST,
            medium=medium,
            recipient=recipient,
            template="practice_new_request",
            language=PRACTICE_LANGUAGE,
            context={"reference": request.reference},  # nothing about the patient or request
            request=request,
        )
        for medium, recipient in contacts
    ]


def record_practice_notified(notification: Notification) -> Request | None:
    """The first message that reaches the practice makes the request 'forwarded'.

    Returns the request as it now stands."""
    request = notification.request
    if request is None or request.state != RequestState.RECEIVED:
        return request
    # Another contact's message may have got there first; then there is nothing to do.
    with contextlib.suppress(TransitionRefused):
        request = perform_transition(
            request,
            "forward",
            actor=None,
            note=f"{notification.get_medium_display()} → {notification.recipient}",
        )
    return request


def route_request(request: Request, practice: Practice, *, actor, note: str = "") -> Request:
    """Processor support assigns an unrouted request to a practice, which is then notified."""
    with transaction.atomic():
        routed = perform_transition(request, "route", actor=actor, note=note, practice=practice)
        outbox.enqueue(practice_messages(routed))
    return routed
