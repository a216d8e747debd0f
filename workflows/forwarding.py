"""Forwarding a request to its practice without delay (agreement art. 6.2), and routing by hand."""

import contextlib

from django.db import transaction

from requests_app.lifecycle import TransitionRefused, perform_transition
from requests_app.models import Practice, Request, RequestState
from workflows import outbox
from workflows.models import Medium, Notification, Purpose

PRACTICE_LANGUAGE = "nl"


def notify_practice(request: Request) -> list[Notification]:
    """Queue the new-request message to every privacy contact of the request's practice.

    Called inside the transaction that stores (or routes) the request; sending follows commit.
    """
    practice = request.practice
    context = {"reference": request.reference}  # nothing about the patient or the request
    rows = [
        outbox.queue_message(
            purpose=Purpose.PRACTICE_NEW_REQUEST,
            medium=Medium.EMAIL,
            recipient=email,
            template="practice_new_request",
            language=PRACTICE_LANGUAGE,
            context=context,
            request=request,
        )
        for email in practice.privacy_emails()
    ]
    rows += [
        outbox.queue_message(
            purpose=Purpose.PRACTICE_NEW_REQUEST,
            medium=Medium.SMS,
            recipient=phone,
            template="practice_new_request",
            language=PRACTICE_LANGUAGE,
            context=context,
            request=request,
        )
        for phone in practice.privacy_phones()
    ]
    return rows


def record_practice_notified(notification: Notification) -> None:
    """The first message that reaches the practice makes the request 'forwarded'."""
    request = notification.request
    if request is None or request.state != RequestState.RECEIVED:
        return
    # Another contact's message may have got there first; then there is nothing to do.
    with contextlib.suppress(TransitionRefused):
        perform_transition(
            request,
            "forward",
            actor=None,
            note=f"{notification.get_medium_display()} → {notification.recipient}",
        )


def route_request(request: Request, practice: Practice, *, actor, note: str = "") -> Request:
    """Processor support assigns an unrouted request to a practice, which is then notified."""
    with transaction.atomic():
        routed = perform_transition(request, "route", actor=actor, note=note, practice=practice)
        notify_practice(routed)
    return routed
