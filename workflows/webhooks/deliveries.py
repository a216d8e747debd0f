"""The delivery log the processor reads: every try of every event, and sending an event again.

Each try is recorded by delivery (the outbox) in the transaction that records its outcome on the
outbox row: when, how long, the receiver's HTTP status or what went wrong, and whether the
outbox will try again. An event's state is that of its latest outbox row: delivered, pending
(waiting for a try or a retry) or failed (refused for good, or every retry used).

Sending again writes a fresh outbox row with the same body, so the same event id: a receiver
that had it already drops it. Once per event (failed or delivered; not while a delivery is on
its way), under the event's lock, audited. It goes to the client's address as it is then.
"""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from requests_app import access, audit
from requests_app.errors import DomainError
from requests_app.models import ApiClient, AuditAction
from workflows.messaging import delivery as outbox_delivery
from workflows.messaging import outbox
from workflows.models import (
    AttemptOutcome,
    Medium,
    Notification,
    Status,
    WebhookAttempt,
    WebhookEvent,
)
from workflows.webhooks.events import delivery as delivery_of

DELIVERED, PENDING, FAILED = "delivered", "pending", "failed"
STATE_OF_STATUS = {
    Status.SENT: DELIVERED,
    Status.PENDING: PENDING,
    Status.SENDING: PENDING,
    Status.FAILED: FAILED,
}
OUTCOMES = {"sent": AttemptOutcome.DELIVERED, "retry": AttemptOutcome.RETRY}
RESEND_PREFIX = "webhook-resend:"

REFUSE_DONE = _("This event has already been sent again.")
REFUSE_PENDING = _("This event is still being delivered: wait for the outcome.")
REFUSE_CLIENT = _(
    "The API client is deactivated or has no webhook address: mend that first, then send the "
    "event again."
)


class ResendRefusal(DomainError):
    def __init__(self, reason) -> None:
        super().__init__(str(reason))
        self.reason = reason


def record_attempt(notification: Notification, attempt: outbox_delivery.Attempt) -> None:
    """delivery's hook for every try of a webhook row."""
    event_id = notification.webhook_event_id
    if event_id is None:
        return
    error = attempt.error
    status = error.status if error is not None else _status(attempt.answer)
    WebhookAttempt.objects.create(
        event_id=event_id,
        delivery=notification,
        number=WebhookAttempt.objects.filter(event_id=event_id).count() + 1,
        sent_again=(notification.dedupe_key or "").startswith(RESEND_PREFIX),
        at=attempt.at,
        duration_ms=round(attempt.duration.total_seconds() * 1000),
        status_code=status,
        error=str(error)[:500] if error is not None else "",
        outcome=OUTCOMES.get(attempt.outcome.status, AttemptOutcome.FAILED),
    )


def _status(answer: str) -> int | None:
    return int(answer) if answer.isdigit() else None


def clients() -> QuerySet[ApiClient]:
    """The API clients whose delivery log the processor reads (all of them: none is a
    practice's)."""
    return ApiClient.objects.all()


def events_of(client: ApiClient, *, state: str = "") -> QuerySet[WebhookEvent]:
    """The client's events, the newest first, each with `delivery_status` (its latest row's
    status) and its tries; `state` is delivered, pending or failed (or all)."""
    latest = Notification.objects.filter(webhook_event=OuterRef("pk")).order_by("-pk")
    rows = WebhookEvent.objects.filter(client=client).annotate(
        delivery_status=Subquery(latest.values("status")[:1])
    )
    wanted = [status for status, name in STATE_OF_STATUS.items() if name == state]
    if wanted:
        rows = rows.filter(delivery_status__in=wanted)
    return (
        rows.select_related("request", "client", "resent_by")
        .prefetch_related("attempts")
        .order_by("-created_at", "-pk")
    )


def state_of(event: WebhookEvent) -> str:
    """delivered, pending or failed; needs `delivery_status` (events_of) or reads it."""
    status = getattr(event, "delivery_status", None)
    if status is None:
        latest = event.deliveries.order_by("-pk").first()
        status = latest.status if latest else Status.PENDING
    return STATE_OF_STATUS[status]


def resend_refusal(event: WebhookEvent):
    """Why `event` cannot be sent again now, or None when it can."""
    if event.resent_at is not None:
        return REFUSE_DONE
    if state_of(event) == PENDING:
        return REFUSE_PENDING
    if not event.client.active or not event.client.webhook_url:
        return REFUSE_CLIENT
    return None


def resend(client: ApiClient, event_id: str, *, actor) -> Notification:
    """Queue `event_id` of `client` again, once: the same body, so the same event id, in a fresh
    outbox row. Raises WebhookEvent.DoesNotExist for an unknown id (or another client's) and
    ResendRefusal when it cannot be sent again."""
    if not access.is_processor_support(actor):
        raise PermissionDenied
    with transaction.atomic():
        event = (
            WebhookEvent.objects.select_for_update(of=("self",))
            .select_related("client", "request")
            .get(client=client, event_id=event_id)
        )
        refusal = resend_refusal(event)
        if refusal is not None:
            raise ResendRefusal(refusal)
        fresh = delivery_of(event)
        fresh.dedupe_key = f"{RESEND_PREFIX}{event.pk}"
        (fresh,) = outbox.enqueue([fresh])
        event.resent_at, event.resent_by = timezone.now(), actor
        event.save(update_fields=["resent_at", "resent_by"])
        audit.record(
            "webhook.resend",
            AuditAction.EXECUTE,
            user=actor,
            request=event.request,
            object_type="webhook_event",
            object_id=event.event_id,
            details={
                "type": event.type,
                "client": client.name,
                "delivery": fresh.pk,
            },
        )
    return fresh


def register() -> None:
    outbox_delivery.after_attempt(Medium.WEBHOOK, record_attempt)
