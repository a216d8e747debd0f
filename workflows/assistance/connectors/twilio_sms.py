"""Twilio as a sub-processor: the SMS messages exchanged with the patient's mobile number,
read from and deleted in Twilio's message log through the Twilio SDK."""

import contextlib
import datetime
import json
from collections.abc import Iterator

from django.conf import settings
from django.utils.translation import gettext_lazy
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from workflows.assistance.connectors import ConnectorError, Erased, Finding, Identifiers

CATEGORY = "mobile"
TIMEOUT = 30  # seconds; the SDK waits forever by default
MAX_PAGE_SIZE = 1000  # the most Twilio returns per page


def _status_of(exc: Exception) -> int | None:
    status = getattr(exc, "status", None)
    if status is None and len(exc.args) > 1:
        # A failed page read carries the HTTP response, not a status.
        status = getattr(exc.args[1], "status_code", None)
    return status


def _connector_error(exc: Exception) -> ConnectorError:
    if isinstance(exc, TwilioRestException):
        return ConnectorError(f"Twilio answered {exc.status} (code {exc.code}): {exc.msg}")
    if isinstance(exc, TwilioException):
        status = _status_of(exc)
        detail = exc.args[0] if exc.args else exc
        return ConnectorError(
            f"Twilio answered {status}: {detail}" if status else f"Twilio: {detail}"
        )
    if isinstance(exc, json.JSONDecodeError):
        return ConnectorError(f"Twilio answered something other than JSON: {exc}")
    return ConnectorError(f"Twilio unreachable: {exc}")


# What the SDK raises: its own errors, requests' errors (OSErrors) and JSON it cannot read.
SDK_ERRORS = (TwilioException, OSError, json.JSONDecodeError)


@contextlib.contextmanager
def _twilio_errors():
    """Anything the SDK or the network raises becomes a ConnectorError."""
    try:
        yield
    except SDK_ERRORS as exc:
        raise _connector_error(exc) from exc


class TwilioSmsConnector:
    key = "twilio"
    label = gettext_lazy("Twilio (SMS)")
    practice_scoped = False  # one SMS account for the whole app
    subprocessor = "Twilio"

    def __init__(self, page_size: int = MAX_PAGE_SIZE) -> None:
        # Settings are read per call, not here: instances live for the whole process.
        self.page_size = page_size

    def _client(self) -> Client:
        if not settings.TWILIO_ACCOUNT_SID:
            raise ConnectorError("Twilio is not configured (TWILIO_ACCOUNT_SID)")
        client = Client(
            settings.TWILIO_ACCOUNT_SID,
            settings.TWILIO_AUTH_TOKEN,
            http_client=TwilioHttpClient(timeout=TIMEOUT),
        )
        # Only tests and local fakes change this; production talks to Twilio itself.
        client.api.base_url = settings.TWILIO_API_BASE_URL
        return client

    def _messages(self, client, number: str) -> Iterator:
        """Every message to or from the number, each once (a message to oneself is in both)."""
        seen: set[str] = set()
        messages = client.api.account.messages
        with _twilio_errors():
            for direction in ({"to": number}, {"from_": number}):
                for message in messages.stream(page_size=self.page_size, **direction):
                    if message.sid not in seen:
                        seen.add(message.sid)
                        yield message

    def find(self, ids: Identifiers) -> list[Finding]:
        if not ids.mobile:
            return []
        count, first, last = 0, None, None
        for message in self._messages(self._client(), ids.mobile):
            count += 1
            # Messages not sent yet (queued, failed) have no date_sent.
            when = message.date_sent or message.date_created
            if isinstance(when, datetime.datetime):
                first = when if first is None else min(first, when)
                last = when if last is None else max(last, when)
        if not count:
            return []
        return [Finding(self.key, CATEGORY, count, first, last)]

    def export(self, ids: Identifiers) -> Iterator[tuple[str, dict]]:
        if not ids.mobile:
            return
        for message in self._messages(self._client(), ids.mobile):
            sent = message.date_sent
            yield (
                CATEGORY,
                {
                    "sid": message.sid,
                    "direction": _text(message.direction),
                    "from": message.from_,
                    "to": message.to,
                    "body": message.body,
                    "status": _text(message.status),
                    "date_sent": sent.isoformat() if isinstance(sent, datetime.datetime) else None,
                },
            )

    def erase(self, ids: Identifiers, keep: frozenset[str]) -> list[Erased]:
        if not ids.mobile:
            return []
        client = self._client()
        # All sids first: deleting while paging through the same list could skip messages.
        sids = [m.sid for m in self._messages(client, ids.mobile)]
        if CATEGORY in keep:
            return [Erased(self.key, CATEGORY, removed=0, kept=len(sids))]
        removed = 0
        for sid in sids:
            try:
                client.api.account.messages(sid).delete()
            except SDK_ERRORS as exc:
                if _status_of(exc) == 404:
                    continue  # gone already (an earlier run, or Twilio's own retention)
                error = _connector_error(exc)
                raise ConnectorError(
                    f"{error} (after removing {removed} of {len(sids)})",
                    removed={CATEGORY: removed},
                ) from exc
            removed += 1
        return [Erased(self.key, CATEGORY, removed=removed)]


def _text(value) -> str | None:
    # The SDK types these as enums but hands back Twilio's strings; keep rows plain JSON.
    return None if value is None else str(value)
