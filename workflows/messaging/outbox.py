"""Writing messages to the outbox and handing them to workers after commit.

A row is written inside the caller's transaction, so it exists exactly when its cause does.
After commit a task is queued for it; if the broker is down the periodic sweep queues it later.
Retries are bounded here, in one place: MAX_ATTEMPTS tries over about three hours.
"""

import datetime
import logging
import uuid

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from requests_app.validators import has_mailbox
from workflows import schedule
from workflows.messaging.messages import render_message
from workflows.models import Medium, Notification, Purpose, Status

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
FIRST_RETRY = datetime.timedelta(seconds=10)
LONGEST_RETRY = datetime.timedelta(hours=1)
# A queued task normally runs within a second; the sweep leaves fresh rows to it.
SWEEP_GRACE = datetime.timedelta(seconds=30)
# A claim this old means the worker died while sending: the row is offered again.
CLAIM_TIMEOUT = datetime.timedelta(minutes=5)
# Rows per task when the sweep re-offers many, so that several workers share a backlog.
SWEEP_BATCH = 20


def retry_delay(attempts: int) -> datetime.timedelta:
    """10 s, 30 s, 90 s, … tripling, at most an hour."""
    return min(FIRST_RETRY * (3 ** max(attempts - 1, 0)), LONGEST_RETRY)


def message(
    *,
    purpose: Purpose,
    medium: Medium,
    recipient: str,
    template: str,
    language: str,
    context: dict,
    request=None,
    scrub_after_send: bool = False,
) -> Notification:
    """Render a message into an unsaved outbox row; `enqueue` stores and sends it."""
    subject, body = render_message(template, medium, language, context)
    return Notification(
        request=request,
        purpose=purpose,
        medium=medium,
        recipient=recipient,
        subject=subject,
        body=body,
        scrub_after_send=scrub_after_send,
    )


def enqueue(rows: list[Notification]) -> list[Notification]:
    """Store rows in the caller's transaction; after commit one task sends them, in order.
    An e-mail to a patient without an address (validators.has_mailbox) is never stored: the
    practice answers that patient by post."""
    rows = [r for r in rows if r.medium != Medium.EMAIL or has_mailbox(r.recipient)]
    if not rows:
        return []
    stored = Notification.objects.bulk_create(rows)
    ids = [row.pk for row in stored]
    transaction.on_commit(lambda: dispatch(ids))
    return stored


def enqueue_once(rows: list[Notification]) -> list[Notification]:
    """Like enqueue, for rows with a dedupe_key: those already in the outbox are left out."""
    keys = [row.dedupe_key for row in rows]
    seen = set(
        Notification.objects.filter(dedupe_key__in=keys).values_list("dedupe_key", flat=True)
    )
    fresh = [row for row in rows if row.dedupe_key not in seen]
    if not fresh:
        return []
    try:
        with transaction.atomic():
            return enqueue(fresh)
    except IntegrityError:  # a concurrent run stored them first; it sends them
        return []


def dispatch(notification_ids: list[int], *, countdown: float | None = None) -> bool:
    """Queue the delivery task; a broker fault is logged, not raised (the sweep catches up)."""
    try:
        schedule.publish(
            "workflows.tasks.deliver_notifications", notification_ids, countdown=countdown
        )
    except Exception:
        log.warning("could not queue %s; the sweep will retry", notification_ids, exc_info=True)
        return False
    return True


def claim(notification_ids: list[int], now: datetime.datetime) -> dict[int, Notification]:
    """Take the rows that are pending and due, for sending; returns them by id.

    The update is conditional and marks the rows with a fresh token, so of two workers given
    the same row only one gets it back.
    """
    token = uuid.uuid4()
    won = Notification.objects.filter(
        pk__in=notification_ids, status=Status.PENDING, next_attempt_at__lte=now
    ).update(status=Status.SENDING, claimed_at=now, claim_token=token, attempts=F("attempts") + 1)
    if not won:
        return {}
    rows = Notification.objects.filter(claim_token=token).select_related("request")
    return {row.pk: row for row in rows}


def release_for_retry(
    notification: Notification, error: str, *, permanent: bool, now: datetime.datetime
) -> datetime.timedelta | None:
    """Record a failed try; return the wait before the next one, or None when giving up."""
    notification.last_error = error[:2000]
    notification.claimed_at = None
    if permanent or notification.attempts >= MAX_ATTEMPTS:
        notification.status = Status.FAILED
        notification.save(update_fields=["status", "last_error", "claimed_at"])
        log.error("notification %s failed for good: %s", notification.pk, error)
        return None
    delay = retry_delay(notification.attempts)
    notification.status = Status.PENDING
    notification.next_attempt_at = now + delay
    notification.save(update_fields=["status", "last_error", "claimed_at", "next_attempt_at"])
    return delay


def mark_sent(notification: Notification, provider_id: str, now: datetime.datetime) -> None:
    notification.status = Status.SENT
    notification.sent_at = now
    notification.provider_message_id = provider_id[:100]
    notification.last_error = ""
    if notification.scrub_after_send:
        notification.body = "[removed after sending]"
    notification.save(
        update_fields=["status", "sent_at", "provider_message_id", "last_error", "body"]
    )


def sweep(now: datetime.datetime | None = None) -> list[int]:
    """Find rows nobody is working on (never queued, retry due, or a dead worker's claim),
    make them pending again and queue them. Returns the ids queued."""
    now = now or timezone.now()
    Notification.objects.filter(status=Status.SENDING, claimed_at__lte=now - CLAIM_TIMEOUT).update(
        status=Status.PENDING, claimed_at=None, next_attempt_at=now
    )
    due = list(
        Notification.objects.filter(status=Status.PENDING)
        .filter(
            Q(next_attempt_at__lte=now - SWEEP_GRACE) | Q(next_attempt_at__lte=now, attempts__gt=0)
        )
        .values_list("pk", flat=True)[:1000]
    )
    for start in range(0, len(due), SWEEP_BATCH):
        dispatch(due[start : start + SWEEP_BATCH])
    return due
