"""Sending one outbox row: claim it, hand it to its channel, record the outcome.

Claiming is a conditional update, so two workers given the same row send it once. What a sent
message sets in motion (a request becoming 'forwarded') happens in the same transaction as
marking the row sent. A medium may keep a log of every try (the webhooks' delivery log): its
hook is told of each one, in the transaction that records the try's outcome on the row.
"""

import dataclasses
import datetime
import logging
import time

from django.db import transaction
from django.utils import timezone

from workflows.messaging import outbox
from workflows.messaging.channels import DeliveryError, channel_for
from workflows.models import Notification

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class Outcome:
    status: str  # "sent", "retry", "failed" or "skipped" (someone else has it, or it is done)
    retry_in: datetime.timedelta | None = None


def deliver(notification_ids: list[int]) -> list[Outcome]:
    """Send the given rows in order; returns one outcome per id."""
    now = timezone.now()
    claimed = outbox.claim(notification_ids, now)
    requests = {}  # the latest state of each request, as forwarding changes it
    outcomes = []
    for notification_id in notification_ids:
        notification = claimed.get(notification_id)
        if notification is None:
            outcomes.append(Outcome("skipped"))
            continue
        if notification.request_id in requests:
            notification.request = requests[notification.request_id]
        outcome = _send(notification, now)
        if notification.request_id is not None:
            requests[notification.request_id] = notification.request
        outcomes.append(outcome)
    return outcomes


@dataclasses.dataclass(frozen=True)
class Attempt:
    """One try of a row, for a medium's log of tries."""

    at: datetime.datetime
    duration: datetime.timedelta
    outcome: Outcome
    answer: str = ""  # what the channel returned on success (its provider id)
    error: DeliveryError | None = None


def _send(notification: Notification, now: datetime.datetime) -> Outcome:
    started_at, clock = timezone.now(), time.monotonic()
    try:
        provider_id = channel_for(notification.medium).send(
            to=notification.recipient,
            subject=notification.subject,
            body=notification.body,
            idempotency_key=str(notification.idempotency_key),
        )
    except DeliveryError as exc:
        took = datetime.timedelta(seconds=time.monotonic() - clock)
        with transaction.atomic():
            delay = outbox.release_for_retry(
                notification, str(exc), permanent=exc.permanent, now=now
            )
            outcome = Outcome("failed") if delay is None else Outcome("retry", delay)
            _tell_attempt(notification, Attempt(started_at, took, outcome, error=exc))
        return outcome
    took = datetime.timedelta(seconds=time.monotonic() - clock)
    with transaction.atomic():
        outbox.mark_sent(notification, provider_id, timezone.now())
        _tell_attempt(notification, Attempt(started_at, took, Outcome("sent"), answer=provider_id))
        for hook in _after_sent.get(notification.purpose, ()):
            hook(notification)
    return Outcome("sent")


def _tell_attempt(notification: Notification, attempt: Attempt) -> None:
    for hook in _after_attempt.get(notification.medium, ()):
        hook(notification, attempt)


# What else happens, in the same transaction as marking a row sent, for a purpose: registered
# by the part that owns it (forwarding records that the practice was notified), so delivery
# stays generic and knows nothing of requests.
_after_sent: dict[str, list] = {}


def after_sent(purpose: str, hook) -> None:
    """Call hook(notification) whenever a row of this purpose has been sent."""
    if hook not in _after_sent.setdefault(purpose, []):
        _after_sent[purpose].append(hook)


# Who keeps a log of every try of a medium's rows (the webhooks' delivery log), registered the
# same way.
_after_attempt: dict[str, list] = {}


def after_attempt(medium: str, hook) -> None:
    """Call hook(notification, attempt) after every try of a row of this medium."""
    if hook not in _after_attempt.setdefault(medium, []):
        _after_attempt[medium].append(hook)
