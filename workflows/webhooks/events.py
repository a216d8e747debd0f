"""Webhook events: what one says, and writing it to the outbox in its cause's transaction.

An event goes to the API client that submitted the request (Request.api_client), when that
client is active and has a webhook address. It names the request by its reference and says its
state; never a name, an address, a description, a message's text or anything about health: the
app fetches what it may show through the API, with its key.

The body is written once, with the event: a retry or a resend sends the same bytes, so the same
id, and the receiver drops what it has seen (docs/webhooks.md).
"""

import datetime
import json
import secrets

from django.utils import timezone

from requests_app.models import ApiClient, Request
from workflows.messaging import outbox
from workflows.models import EventType, Medium, Notification, Purpose, WebhookEvent

API_VERSION = "v1"
RECIPIENT_PREFIX = "api_client:"


def new_event_id() -> str:
    return "evt_" + secrets.token_hex(16)


def recipient(client: ApiClient) -> str:
    """How an outbox row names its client: the address and secrets are read when it is sent."""
    return f"{RECIPIENT_PREFIX}{client.pk}"


def client_id_of(recipient_text: str) -> int | None:
    prefix, _, number = recipient_text.partition(":")
    if f"{prefix}:" != RECIPIENT_PREFIX or not number.isdigit():
        return None
    return int(number)


def subscriber(request: Request) -> ApiClient | None:
    """The client told about `request`: the one that submitted it, if active with an address."""
    if request.api_client_id is None:
        return None
    return (
        ApiClient.objects.filter(pk=request.api_client_id, active=True)
        .exclude(webhook_url="")
        .first()
    )


def _iso(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def payload(
    event_id: str,
    event_type: str,
    request: Request,
    *,
    state: str,
    occurred_at: datetime.datetime,
    previous_state: str = "",
    created: datetime.datetime,
) -> dict:
    """The whole body: references and states only (tests/workflows/test_webhooks.py holds it)."""
    data = {"reference": request.reference, "state": state}
    if previous_state:
        data["previous_state"] = previous_state
    data["occurred_at"] = _iso(occurred_at)
    return {
        "id": event_id,
        "type": event_type,
        "created": _iso(created),
        "api_version": API_VERSION,
        "data": data,
    }


def delivery(event: WebhookEvent) -> Notification:
    """An unsaved outbox row carrying `event` (a first delivery, or one sent again)."""
    return Notification(
        request_id=event.request_id,
        purpose=Purpose.WEBHOOK_EVENT,
        medium=Medium.WEBHOOK,
        recipient=recipient(event.client),
        subject=event.type,
        body=event.body,
        webhook_event=event,
    )


def emit(
    request: Request,
    event_type: EventType,
    *,
    occurred_at: datetime.datetime,
    state: str | None = None,
    previous_state: str = "",
) -> WebhookEvent | None:
    """Write the event and its outbox row in the caller's transaction (sent after commit);
    None when nobody is to be told."""
    client = subscriber(request)
    if client is None:
        return None
    event_id, created = new_event_id(), timezone.now()
    body = payload(
        event_id,
        event_type,
        request,
        state=state or request.state,
        previous_state=previous_state,
        occurred_at=occurred_at,
        created=created,
    )
    event = WebhookEvent.objects.create(
        event_id=event_id,
        type=event_type,
        client=client,
        request=request,
        body=json.dumps(body, separators=(",", ":")),
        created_at=created,
    )
    outbox.enqueue([delivery(event)])
    return event
