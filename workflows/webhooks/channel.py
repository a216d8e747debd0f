"""The webhook channel: a signed POST of an event's JSON to its client's webhook address.

Everything about the client is read when the row is sent, not when the event was written: the
current address, the current signing secrets (two during a rotation's overlap), whether it is
still active. A changed address or a rotated secret so applies to events already queued.

What the receiver's answer means for the outbox (workflows.messaging.outbox retries transient
failures with back-off, and marks permanent ones failed at once):
- 2xx: delivered. Redirects are not followed (an address that moved must be changed).
- 410 Gone: permanent; the receiver says this address takes no more events.
- any other answer (3xx, 4xx, 5xx), a time-out, a refused or broken connection: transient. A
  receiver that rejects a signature or has a wrong path is mended on its side, and the next try
  reads the address and secrets again.
- permanent without a try: the client is deactivated, has no address or no secret, or the
  address may not be posted to (addresses.py: https and public addresses in production).

`send` returns the receiver's HTTP status as the row's provider id ("204"): there is no
provider, and the delivery log (deliveries.py) reads it back.
"""

import json
import time

import requests
import urllib3
from django.conf import settings

from requests_app.models import ApiClient
from workflows.messaging import channels
from workflows.messaging.channels import DeliveryError
from workflows.models import Medium
from workflows.webhooks import addresses, signing
from workflows.webhooks.events import client_id_of

USER_AGENT = "Privacyverzoeken-Webhooks/1"
# Enough of the receiver's answer for the log to say why, without keeping what it sent.
ANSWER_KEPT = 200


class WebhookChannel:
    # The app's backend is the processor's own system, not a sub-processor.
    subprocessor = ""

    def send(self, *, to: str, subject: str, body: str, idempotency_key: str) -> str:
        client = self._client(to)
        event_id = json.loads(body)["id"]
        timestamp = int(time.time())
        headers = signing.headers(event_id, body, client.signing_secrets(), timestamp)
        headers |= {"Content-Type": "application/json", "User-Agent": USER_AGENT}
        url = client.webhook_url
        try:
            with addresses.session_for(url) as session:
                response = session.post(
                    url,
                    data=body.encode(),
                    headers=headers,
                    timeout=settings.WEBHOOK_TIMEOUT_SECONDS,
                    allow_redirects=False,
                    stream=True,  # the answer's body is read only as far as the log needs
                )
                with response:
                    status = response.status_code
                    answer = b"" if 200 <= status < 300 else response.raw.read(ANSWER_KEPT)
        except addresses.AddressRefused as exc:
            raise DeliveryError(f"address refused: {exc}", permanent=True) from exc
        except requests.Timeout as exc:
            raise DeliveryError(
                f"no answer within {settings.WEBHOOK_TIMEOUT_SECONDS:g} s", permanent=False
            ) from exc
        except (requests.RequestException, OSError) as exc:
            raise DeliveryError(f"could not connect: {_reason(exc)}", permanent=False) from exc
        except urllib3.exceptions.HTTPError as exc:  # reading a refusal's body: late or broken
            raise DeliveryError(f"the answer broke off: {_reason(exc)}", permanent=False) from exc
        if 200 <= status < 300:
            return str(status)
        # Printable characters only: the log keeps it, and PostgreSQL stores no NUL.
        said = "".join(ch for ch in answer.decode(errors="replace") if ch.isprintable()).strip()
        raise DeliveryError(
            f"the receiver answered {status}" + (f": {said}" if said else ""),
            permanent=status == 410,
            status=status,
        )

    @staticmethod
    def _client(to: str) -> ApiClient:
        client_id = client_id_of(to)
        client = ApiClient.objects.filter(pk=client_id).first() if client_id else None
        if client is None or not client.active:
            raise DeliveryError("the API client is deactivated", permanent=True)
        if not client.webhook_url:
            raise DeliveryError("the API client has no webhook address", permanent=True)
        if not client.signing_secrets():
            raise DeliveryError("the API client has no signing secret", permanent=True)
        return client


def _reason(exc: Exception) -> str:
    """The innermost cause, which says what happened (refused, reset, name unknown)."""
    while exc.__context__ is not None and exc.__context__ is not exc:
        exc = exc.__context__
    return str(exc)[:300]


def register() -> None:
    channels.register(Medium.WEBHOOK, WebhookChannel())
