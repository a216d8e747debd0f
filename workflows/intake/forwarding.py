"""Forwarding a request to its practice without delay (agreement art. 6.2), and routing by hand."""

import contextlib
import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from requests_app.errors import TransitionRefused
from requests_app.lifecycle import perform_transition
from requests_app.models import Incident, Practice, Request, RequestState
from workflows.casework import duplicates, incidents
from workflows.messaging import delivery, outbox
from workflows.models import Medium, Notification, Purpose

PRACTICE_LANGUAGE = "nl"


FLOOD_WINDOW = datetime.timedelta(minutes=10)


def practice_messages(request: Request) -> list[Notification]:
    """The new-request message for every privacy contact of the request's practice: e-mail to
    each address, SMS to each mobile number. Unsaved; the caller enqueues them in the
    transaction that stores or routes the request.

    In a flood (more than PRACTICE_FLOOD_THRESHOLD new requests for the practice within ten
    minutes) the request is announced instead in one combined message per contact, sent at the
    end of the current ten-minute slot; nothing is lost, the practice is not swamped."""
    practice = request.practice
    if _flooded(practice):
        _queue_batch(practice)
        return []
    rows = [
        outbox.message(
            purpose=Purpose.PRACTICE_NEW_REQUEST,
            medium=medium,
            recipient=recipient,
            template="practice_new_request",
            language=PRACTICE_LANGUAGE,
            context={"reference": request.reference},  # nothing about the patient or request
            request=request,
        )
        for medium, recipient in _contacts(practice)
    ]
    for row in rows:
        # Which practice it told: a request sent back and routed elsewhere is not forwarded by
        # a late message to the first practice (Notification.reaches_the_requests_practice).
        row.practice = practice
    return rows


def _contacts(practice: Practice) -> list[tuple[str, str]]:
    contacts = [(Medium.EMAIL, e) for e in practice.privacy_emails()]
    return contacts + [(Medium.SMS, p) for p in practice.privacy_phones()]


def _flooded(practice: Practice) -> bool:
    """More than the threshold of requests for this practice arrived in the last ten minutes
    (counted up to the threshold only, on an index, so the check stays cheap)."""
    threshold = settings.PRACTICE_FLOOD_THRESHOLD
    since = timezone.now() - FLOOD_WINDOW
    recent = Request.objects.filter(practice=practice, received_at__gte=since)[: threshold + 1]
    return recent.count() > threshold


def _queue_batch(practice: Practice) -> None:
    """One combined message per contact per ten-minute slot (a second request in the same slot
    finds it already queued)."""
    now = timezone.now()
    slot = int(now.timestamp() // FLOOD_WINDOW.total_seconds())
    slot_end = datetime.datetime.fromtimestamp(
        (slot + 1) * FLOOD_WINDOW.total_seconds(), tz=datetime.UTC
    )
    rows = []
    for medium, recipient in _contacts(practice):
        row = outbox.message(
            purpose=Purpose.PRACTICE_BATCH,
            medium=medium,
            recipient=recipient,
            template="practice_new_requests_batch",
            language=PRACTICE_LANGUAGE,
            context={},
        )
        row.practice = practice
        row.next_attempt_at = slot_end
        row.dedupe_key = f"batch:{practice.pk}:{slot}:{medium}:{recipient}"
        rows.append(row)
    outbox.enqueue_once(rows)


def record_batch_notified(notification: Notification) -> None:
    """A combined message reached the practice: every request of it still waiting is forwarded."""
    waiting = Request.objects.filter(
        practice=notification.practice,
        state=RequestState.RECEIVED,
        received_at__lte=notification.created_at + FLOOD_WINDOW,
    )
    for request in waiting:
        with contextlib.suppress(TransitionRefused):
            perform_transition(
                request,
                "forward",
                actor=None,
                note=f"{notification.get_medium_display()} → {notification.recipient} (batch)",
            )


def record_practice_notified(notification: Notification) -> Request | None:
    """The first message that reaches the practice makes the request 'forwarded'.

    Returns the request as it now stands."""
    request = notification.request
    if request is None or request.state != RequestState.RECEIVED:
        return request
    # A message to a practice that no longer has the request (sent back, routed again) is no
    # sign that the practice it is at now knows of it.
    if not notification.reaches_the_requests_practice():
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
    """Processor support assigns an unrouted request to a practice, which is then notified; an
    incident it is (agreement art. 1.1 e i) then concerns that practice too, which is told."""
    with transaction.atomic():
        # Now that it has a practice, it may turn out to be a request sent twice (the other
        # request's row is locked before the first audit record: see hold_match).
        match = duplicates.hold_match(request, practice_id=practice.pk)
        routed = perform_transition(request, "route", actor=actor, note=note, practice=practice)
        routed = duplicates.flag(routed, actor=actor, match=match)
        # The receipt promised the patient word once the practice was found (no practice
        # name: e-mails say as little as they can).
        told = outbox.message(
            purpose=Purpose.PATIENT_UPDATE,
            medium=Medium.EMAIL,
            recipient=routed.patient_email,
            template="patient_routed",
            language=routed.language,
            request=routed,
            context={"reference": routed.reference},
        )
        outbox.enqueue([*practice_messages(routed), told])
        incident = Incident.objects.filter(request=routed).first()
        if incident is not None:
            incidents.concern(incident, practice, actor=actor)
    return routed


def _practice_notified(notification: Notification) -> None:
    notification.request = record_practice_notified(notification)


def register() -> None:
    """Delivery calls these when a practice's message has gone (WorkflowsConfig.ready)."""
    delivery.after_sent(Purpose.PRACTICE_NEW_REQUEST, _practice_notified)
    delivery.after_sent(Purpose.PRACTICE_BATCH, record_batch_notified)
