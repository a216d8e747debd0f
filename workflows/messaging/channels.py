"""Ways to reach people: e-mail and SMS, each one small class behind one interface.

A channel's `send` returns the provider's message id or raises DeliveryError, which says
whether trying again could help (transient: a 503, a timeout) or not (permanent: a bad address).
Another part of workflows may add a medium with its own channel (`register`): the webhooks to
API clients (workflows.webhooks), which messaging never imports.
"""

import functools
import logging
import urllib.error
from typing import Protocol

from django.conf import settings

log = logging.getLogger(__name__)

TRANSIENT_HTTP = {408, 425, 429, 500, 502, 503, 504}


class DeliveryError(Exception):
    def __init__(self, message: str, *, permanent: bool, status: int | None = None) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.status = status  # the HTTP status the other side answered, when it answered


class Channel(Protocol):
    # The register entry (requests_app SubProcessor.name) that receives what is sent; "" when
    # nothing leaves the portal. `check --deploy` holds it against the register.
    subprocessor: str

    def send(self, *, to: str, subject: str, body: str, idempotency_key: str) -> str: ...


class ConsoleChannel:
    """Development channel: prints the message. The outbox row keeps it in the database."""

    subprocessor = ""

    def __init__(self, medium: str) -> None:
        self.medium = medium

    def send(self, *, to: str, subject: str, body: str, idempotency_key: str) -> str:
        print(f"\n----- {self.medium} to {to} -----\n{subject}\n\n{body}\n-----", flush=True)
        return f"console-{idempotency_key}"


class SendGridEmail:
    subprocessor = "SendGrid"

    def __init__(self) -> None:
        from sendgrid import SendGridAPIClient

        self.client = SendGridAPIClient(
            api_key=settings.SENDGRID_API_KEY, host=settings.SENDGRID_API_HOST
        )

    def send(self, *, to: str, subject: str, body: str, idempotency_key: str) -> str:
        from python_http_client.exceptions import HTTPError
        from sendgrid.helpers.mail import CustomArg, Mail

        mail = Mail(
            from_email=settings.NOTIFY_FROM_EMAIL,
            to_emails=to,
            subject=subject,
            plain_text_content=body,
        )
        mail.custom_arg = CustomArg("idempotency_key", idempotency_key)
        try:
            response = self.client.send(mail)
        except HTTPError as exc:
            raise DeliveryError(
                f"SendGrid answered {exc.status_code}: {exc.body!r}"[:500],
                permanent=exc.status_code not in TRANSIENT_HTTP,
                status=exc.status_code,
            ) from exc
        except (urllib.error.URLError, OSError) as exc:
            raise DeliveryError(f"SendGrid unreachable: {exc}", permanent=False) from exc
        return response.headers.get("X-Message-Id", "") if response.headers else ""


def sms_text(body: str) -> str:
    # Non-breaking spaces push an SMS into UCS-2 encoding, which halves its length and
    # doubles its price; plain spaces read the same.
    return body.replace("\u00a0", " ").replace("\u202f", " ").strip()


class TwilioSms:
    subprocessor = "Twilio"

    def __init__(self) -> None:
        from twilio.rest import Client

        self.client = Client(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN)
        # Only tests and local fakes change this; production talks to Twilio itself.
        self.client.api.base_url = settings.TWILIO_API_BASE_URL

    def send(self, *, to: str, subject: str, body: str, idempotency_key: str) -> str:
        from twilio.base.exceptions import TwilioException, TwilioRestException

        try:
            message = self.client.api.account.messages.create(
                to=to, from_=settings.TWILIO_FROM_NUMBER, body=sms_text(body)
            )
        except TwilioRestException as exc:
            raise DeliveryError(
                f"Twilio answered {exc.status} (code {exc.code}): {exc.msg}"[:500],
                permanent=exc.status not in TRANSIENT_HTTP,
                status=exc.status,
            ) from exc
        except (TwilioException, OSError) as exc:  # requests' errors are OSErrors
            raise DeliveryError(f"Twilio unreachable: {exc}", permanent=False) from exc
        return message.sid or ""


MEDIA = ("email", "sms")

# Media whose channel another part of workflows provides, registered at start-up
# (WorkflowsConfig.ready): medium -> the channel, made once.
_registered: dict[str, Channel] = {}


def register(medium: str, channel: Channel) -> None:
    _registered[medium] = channel


def _configured(medium: str) -> tuple[type, tuple[str, ...]]:
    """The channel class that serves `medium` with the current settings, and its configuration
    (empty for the console: it needs none)."""
    if medium == "email":
        if not settings.SENDGRID_API_KEY:
            return ConsoleChannel, ()
        return SendGridEmail, (settings.SENDGRID_API_KEY, settings.SENDGRID_API_HOST)
    if medium == "sms":
        if not settings.TWILIO_ACCOUNT_SID:
            return ConsoleChannel, ()
        return TwilioSms, (
            settings.TWILIO_ACCOUNT_SID,
            settings.TWILIO_AUTH_TOKEN,
            settings.TWILIO_API_BASE_URL,
        )
    raise ValueError(f"unknown medium {medium}")


def configured_channels() -> dict[str, type]:
    """Medium -> the channel class that would send it now, without building a client."""
    found = {medium: _configured(medium)[0] for medium in MEDIA}
    return found | {medium: type(channel) for medium, channel in _registered.items()}


def channel_for(medium: str) -> Channel:
    if medium in _registered:
        return _registered[medium]
    kind, config = _configured(medium)
    if kind is ConsoleChannel:
        return ConsoleChannel("e-mail" if medium == "email" else "sms")
    return _provider(kind, *config)


@functools.lru_cache(maxsize=8)
def _provider(kind: type, *config: str) -> Channel:
    """One client per configuration and process, so set-up and connections are reused.
    The configuration is part of the cache key: changed settings get a new client."""
    return kind()
