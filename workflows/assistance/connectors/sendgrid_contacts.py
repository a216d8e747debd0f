"""SendGrid as a sub-processor: what it holds of the patient's e-mail address, read and deleted
through the SendGrid SDK.

That is the Marketing Campaigns contact with that address (its e-mail and, when filled in, the
name) and the address's entries on SendGrid's suppression lists, which SendGrid keeps per
address: bounces, blocks, spam reports, invalid e-mails and global unsubscribes.
"""

import dataclasses
import datetime
import json
import urllib.parse
from collections.abc import Iterator

from django.conf import settings
from django.utils.translation import gettext_lazy
from python_http_client.exceptions import HTTPError, NotFoundError
from sendgrid import SendGridAPIClient

from workflows.assistance.connectors import ConnectorError, Erased, Finding, Identifiers

EMAIL = "email"
NAME = "name"
TIMEOUT = 30  # seconds; python-http-client waits forever by default

# Row kind -> the list's path under /v3; each answers GET and DELETE for /{email}.
# The patient's own "send me nothing" is kept through an erasure: removing it would make the
# address mailable again (the opt-out is kept on the ground of GDPR art. 17(3), 21).
OPT_OUTS = frozenset({"global_unsubscribe", "spam_report"})
SUPPRESSION_LISTS = {
    "bounce": ("suppression", "bounces"),
    "block": ("suppression", "blocks"),
    "spam_report": ("suppression", "spam_reports"),
    "invalid_email": ("suppression", "invalid_emails"),
    "global_unsubscribe": ("asm", "suppressions", "global"),
}

# HTTP errors come as HTTPError; a refused or broken connection as an OSError (URLError,
# timeouts); a body that is not JSON as a JSONDecodeError.
SDK_ERRORS = (HTTPError, OSError, json.JSONDecodeError)


def _connector_error(exc: Exception) -> ConnectorError:
    if isinstance(exc, HTTPError):
        body = exc.body.decode(errors="replace") if isinstance(exc.body, bytes) else exc.body
        return ConnectorError(f"SendGrid answered {exc.status_code}: {body}"[:500])
    if isinstance(exc, json.JSONDecodeError):
        return ConnectorError(f"SendGrid answered something other than JSON: {exc}")
    return ConnectorError(f"SendGrid unreachable: {exc}")


def _from_unix(value) -> datetime.datetime | None:
    if isinstance(value, int | float):
        return datetime.datetime.fromtimestamp(value, tz=datetime.UTC)
    return None


def _from_iso(value) -> datetime.datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.UTC)


@dataclasses.dataclass
class _Held:
    """What SendGrid holds of one address."""

    contact: dict | None
    suppressions: list[tuple[str, dict]]  # (row kind, entry as SendGrid returned it)

    @property
    def has_name(self) -> bool:
        return bool(
            self.contact and (self.contact.get("first_name") or self.contact.get("last_name"))
        )

    @property
    def email_count(self) -> int:
        return (1 if self.contact else 0) + len(self.suppressions)


class SendGridContactsConnector:
    key = "sendgrid"
    label = gettext_lazy("SendGrid (e-mail)")
    practice_scoped = False  # one e-mail account for the whole app
    subprocessor = "SendGrid"

    def _client(self):
        if not settings.SENDGRID_API_KEY:
            raise ConnectorError("SendGrid is not configured (SENDGRID_API_KEY)")
        sendgrid = SendGridAPIClient(
            api_key=settings.SENDGRID_API_KEY, host=settings.SENDGRID_API_HOST
        )
        sendgrid.client.timeout = TIMEOUT  # copied to every path built from it
        return sendgrid.client

    @staticmethod
    def _path(client, segments: tuple[str, ...], address: str):
        for segment in segments:
            client = client._(segment)  # _() because "global" is a Python keyword
        # The SDK puts path segments in the URL as they are; an address may hold "+" or "/".
        return client._(urllib.parse.quote(address, safe="@"))

    def _held(self, client, address: str) -> _Held:
        try:
            response = client.marketing.contacts.search.emails.post(
                request_body={"emails": [address]}
            )
            found = response.to_dict or {}
        except NotFoundError:  # SendGrid's answer when no contact has the address
            found = {}
        contact = next(
            (r["contact"] for r in found.get("result", {}).values() if r.get("contact")), None
        )
        suppressions = []
        for kind, segments in SUPPRESSION_LISTS.items():
            try:
                entries = self._path(client, segments, address).get().to_dict
            except NotFoundError:
                continue
            if isinstance(entries, dict):  # the global list answers one object, {} for none
                entries = [entries] if entries else []
            suppressions += [(kind, entry) for entry in entries or []]
        return _Held(contact, suppressions)

    def _lookup(self, ids: Identifiers) -> tuple[object, str, _Held] | None:
        if not ids.email:
            return None
        # SendGrid keeps addresses in lower case.
        address = ids.email.strip().lower()
        client = self._client()
        try:
            return client, address, self._held(client, address)
        except SDK_ERRORS as exc:
            raise _connector_error(exc) from exc

    def find(self, ids: Identifiers) -> list[Finding]:
        looked_up = self._lookup(ids)
        if looked_up is None:
            return []
        _, _, held = looked_up
        findings = []
        if held.email_count:
            created = [_from_unix(e.get("created")) for _, e in held.suppressions]
            if held.contact:
                created.append(_from_iso(held.contact.get("created_at")))
            dates = [d for d in created if d is not None]
            findings.append(
                Finding(
                    self.key,
                    EMAIL,
                    held.email_count,
                    min(dates, default=None),
                    max(dates, default=None),
                )
            )
        if held.has_name:
            since = _from_iso(held.contact.get("created_at"))
            findings.append(Finding(self.key, NAME, 1, since, since))
        return findings

    def export(self, ids: Identifiers) -> Iterator[tuple[str, dict]]:
        looked_up = self._lookup(ids)
        if looked_up is None:
            return
        _, _, held = looked_up
        if contact := held.contact:
            yield (
                EMAIL,
                {
                    "kind": "contact",
                    "contact_id": contact.get("id"),
                    "email": contact.get("email"),
                    "alternate_emails": list(contact.get("alternate_emails") or []),
                    "list_ids": list(contact.get("list_ids") or []),
                    "created_at": contact.get("created_at"),
                    "updated_at": contact.get("updated_at"),
                },
            )
        for kind, entry in held.suppressions:
            row = {"kind": kind, "email": entry.get("email") or entry.get("recipient_email")}
            row |= {k: v for k, v in entry.items() if k not in ("email", "recipient_email")}
            if "created" in row:
                created = _from_unix(row["created"])
                row["created"] = created.isoformat() if created else None
            yield EMAIL, row
        if held.has_name:
            yield (
                NAME,
                {
                    "contact_id": held.contact.get("id"),
                    "first_name": held.contact.get("first_name") or "",
                    "last_name": held.contact.get("last_name") or "",
                },
            )

    def erase(self, ids: Identifiers, keep: frozenset[str]) -> list[Erased]:
        looked_up = self._lookup(ids)
        if looked_up is None:
            return []
        client, address, held = looked_up
        removed = kept = 0
        name_removed = name_kept = 0
        try:
            if held.contact:
                # One record holds the address and the name: it goes only when neither is kept.
                if EMAIL in keep or (held.has_name and NAME in keep):
                    kept += 1
                    name_kept = int(held.has_name)
                elif self._delete_contact(client, held.contact["id"]):
                    removed += 1
                    name_removed = int(held.has_name)
            for kind, _entry in held.suppressions:
                if EMAIL in keep or kind in OPT_OUTS:
                    kept += 1
                    continue
                try:
                    self._path(client, SUPPRESSION_LISTS[kind], address).delete()
                except NotFoundError:
                    continue  # gone since the look-up
                removed += 1
        except SDK_ERRORS as exc:
            error = _connector_error(exc)
            raise ConnectorError(
                f"{error} (after removing {removed} entries)",
                removed={EMAIL: removed, NAME: name_removed},
            ) from exc
        results = [Erased(self.key, EMAIL, removed=removed, kept=kept)]
        if held.has_name:
            results.append(Erased(self.key, NAME, removed=name_removed, kept=name_kept))
        return results

    @staticmethod
    def _delete_contact(client, contact_id: str) -> bool:
        try:
            # Accepted (202) means queued: SendGrid deletes contacts in a background job.
            client.marketing.contacts.delete(query_params={"ids": contact_id})
        except NotFoundError:
            return False
        return True
