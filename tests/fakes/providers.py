"""A local HTTP server standing in for SendGrid and Twilio, recording what they were sent.

The real SDKs talk to it over HTTP (SENDGRID_API_HOST, TWILIO_API_BASE_URL). It can be told
to fail the next calls with a status code, to test retries.

Besides sending it keeps state the way the providers do, so connectors can be tested against
it: Twilio's message log (listed page by page, deleted one by one) and SendGrid's marketing
contacts and suppression lists. Tests seed that state with add_sms, add_contact and
add_suppression and read it back with sms_messages, contacts and suppressions.
"""

import dataclasses
import datetime
import email.utils
import json
import re
import threading
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# The account the `providers` fixture configures; seeded messages belong to it by default.
DEFAULT_TWILIO_ACCOUNT = "AC" + "0" * 32
TWILIO_DEFAULT_PAGE_SIZE = 50  # what Twilio uses when PageSize is not given
TWILIO_MAX_PAGE_SIZE = 1000

SUPPRESSION_KINDS = ("bounces", "blocks", "spam_reports", "invalid_emails", "global")

_TWILIO_LIST = re.compile(r"^/2010-04-01/Accounts/(?P<account>[^/]+)/Messages\.json$")
_TWILIO_ONE = re.compile(r"^/2010-04-01/Accounts/(?P<account>[^/]+)/Messages/(?P<sid>[^/]+)\.json$")
_SUPPRESSION = re.compile(
    r"^/v3/(?:suppression/(?P<kind>bounces|blocks|spam_reports|invalid_emails)"
    r"|asm/suppressions/(?P<global>global))/(?P<email>[^/]+)$"
)


@dataclasses.dataclass
class Recorded:
    service: str  # "sendgrid" or "twilio"
    path: str  # with the query string, if any
    headers: dict
    body: dict
    received_at: float  # time.time()
    method: str = "POST"

    @property
    def query(self) -> dict[str, str]:
        return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query))

    # Convenience views of what was sent; empty for calls that send nothing (look-ups, deletes).
    @property
    def to(self) -> list[str]:
        if self.service == "sendgrid":
            return [
                t["email"] for p in self.body.get("personalizations", []) for t in p.get("to", [])
            ]
        return [self.body["To"]] if "To" in self.body else []

    @property
    def text(self) -> str:
        if self.service == "sendgrid":
            parts = [self.body.get("subject", "")]
            parts += [c["value"] for c in self.body.get("content", [])]
            return "\n".join(parts)
        return self.body.get("Body", "")


def _rfc2822(when: datetime.datetime | None) -> str | None:
    # Twilio writes its timestamps in GMT, RFC 2822 style; the SDK ignores any other offset.
    if when is None:
        return None
    return email.utils.format_datetime(when.astimezone(datetime.UTC))


def _iso(when: datetime.datetime) -> str:
    return when.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC).replace(microsecond=0)


@dataclasses.dataclass
class _Sms:
    record: dict  # as Twilio's API returns it
    account: str
    sort_at: datetime.datetime  # date_sent, or date_created while unsent

    @property
    def key(self) -> tuple[datetime.datetime, str]:
        return (self.sort_at, self.record["sid"])


class FakeProviders:
    def __init__(self) -> None:
        self.calls: list[Recorded] = []
        self._failures: list[tuple[int, str | None]] = []  # (status, only for this method)
        self._sms: dict[str, _Sms] = {}
        self._contacts: dict[str, dict] = {}
        self._suppressions: dict[str, dict[str, dict]] = {k: {} for k in SUPPRESSION_KINDS}
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "FakeProviders":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self._failures.clear()
            self._sms.clear()
            self._contacts.clear()
            for entries in self._suppressions.values():
                entries.clear()

    def fail_next(self, count: int, status: int = 503, *, method: str | None = None) -> None:
        """Answer the next `count` calls (only those with `method`, if given) with `status`."""
        with self._lock:
            self._failures.extend([(status, method)] * count)

    # What was sent: only mail sends and SMS creates, whatever else the SDKs asked.
    def emails(self) -> list[Recorded]:
        with self._lock:
            return [
                c
                for c in self.calls
                if c.service == "sendgrid" and c.method == "POST" and c.path == "/v3/mail/send"
            ]

    def sms(self) -> list[Recorded]:
        with self._lock:
            return [
                c
                for c in self.calls
                if c.service == "twilio" and c.method == "POST" and _TWILIO_LIST.match(c.path)
            ]

    def wait_for(self, predicate, timeout: float = 10.0) -> list[Recorded]:
        """Block until predicate(calls) holds; return the calls, or raise on time-out."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not predicate(self.calls):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"condition not met; calls so far: {self.calls!r}")
                self._cond.wait(remaining)
            return list(self.calls)

    # --- Seeding and reading provider state ----------------------------------------------
    def add_sms(
        self,
        to: str,
        from_: str,
        body: str = "",
        date_sent: datetime.datetime | None = None,
        *,
        direction: str = "outbound-api",
        status: str = "delivered",
        account: str = DEFAULT_TWILIO_ACCOUNT,
    ) -> str:
        """A message in Twilio's log; returns its sid."""
        sent = date_sent or _now()
        if sent.tzinfo is None:
            sent = sent.replace(tzinfo=datetime.UTC)
        with self._lock:
            return self._store_sms(account, to, from_, body, status, direction, sent, sent)

    def sms_messages(self) -> list[dict]:
        """Twilio's message log as its API shows it, newest first."""
        with self._lock:
            return [dict(m.record) for m in sorted(self._sms.values(), key=lambda m: m.key)][::-1]

    def add_contact(
        self,
        email_address: str,
        first_name: str = "",
        last_name: str = "",
        created_at: datetime.datetime | None = None,
        *,
        alternate_emails: tuple[str, ...] = (),
    ) -> str:
        """A Marketing Campaigns contact; returns its id."""
        created = created_at or _now()
        contact_id = str(uuid.uuid4())
        with self._lock:
            self._contacts[contact_id] = {
                "id": contact_id,
                # SendGrid keeps addresses in lower case.
                "email": email_address.lower(),
                "alternate_emails": [a.lower() for a in alternate_emails],
                "first_name": first_name,
                "last_name": last_name,
                "phone_number": "",
                "list_ids": [],
                "segment_ids": [],
                "custom_fields": {},
                "created_at": _iso(created),
                "updated_at": _iso(created),
                "_metadata": {"self": f"/v3/marketing/contacts/{contact_id}"},
            }
        return contact_id

    def contacts(self) -> list[dict]:
        with self._lock:
            return [dict(c) for c in self._contacts.values()]

    def add_suppression(
        self,
        kind: str,
        email_address: str,
        created: datetime.datetime | None = None,
        reason: str = "",
    ) -> dict:
        """An entry on one of SendGrid's suppression lists (see SUPPRESSION_KINDS)."""
        if kind not in SUPPRESSION_KINDS:
            raise ValueError(f"unknown suppression list {kind}")
        address = email_address.lower()
        stamp = int((created or _now()).timestamp())
        # Each list has its own fields, as SendGrid answers them.
        entry = {
            "bounces": {"created": stamp, "email": address, "reason": reason, "status": "5.1.1"},
            "blocks": {"created": stamp, "email": address, "reason": reason, "status": "4.0.0"},
            "spam_reports": {"created": stamp, "email": address, "ip": "192.0.2.10"},
            "invalid_emails": {"created": stamp, "email": address, "reason": reason},
            "global": {"recipient_email": address},
        }[kind]
        with self._lock:
            self._suppressions[kind][address] = entry
        return dict(entry)

    def suppressions(self, kind: str | None = None) -> list[dict]:
        with self._lock:
            kinds = [kind] if kind else SUPPRESSION_KINDS
            return [dict(e) for k in kinds for e in self._suppressions[k].values()]

    # --- Internals (called with the lock held) -------------------------------------------
    def _store_sms(self, account, to, from_, body, status, direction, date_created, date_sent):
        sid = "SM" + uuid.uuid4().hex
        self._sms[sid] = _Sms(
            record={
                "account_sid": account,
                "api_version": "2010-04-01",
                "body": body,
                "date_created": _rfc2822(date_created),
                "date_sent": _rfc2822(date_sent),
                "date_updated": _rfc2822(date_sent or date_created),
                "direction": direction,
                "error_code": None,
                "error_message": None,
                "from": from_,
                "messaging_service_sid": None,
                "num_media": "0",
                "num_segments": "1",
                "price": None,
                "price_unit": "USD",
                "sid": sid,
                "status": status,
                "subresource_uris": {
                    "media": f"/2010-04-01/Accounts/{account}/Messages/{sid}/Media.json"
                },
                "to": to,
                "uri": f"/2010-04-01/Accounts/{account}/Messages/{sid}.json",
            },
            account=account,
            sort_at=date_sent or date_created,
        )
        return sid

    def _record(self, call: Recorded) -> int | None:
        with self._cond:
            for i, (status, method) in enumerate(self._failures):
                if method is None or method == call.method:
                    del self._failures[i]
                    return status
            self.calls.append(call)
            self._cond.notify_all()
            return None

    def _twilio_page(self, account: str, query: dict[str, str]) -> tuple[int, dict]:
        """One page of the message log, newest first, with Twilio's paging fields.

        Like Twilio, the next and previous pages are found by a token naming the record at the
        page's edge, not by position, so records deleted between pages shift nothing."""
        try:
            size = int(query.get("PageSize", TWILIO_DEFAULT_PAGE_SIZE))
            page = int(query.get("Page", 0))
        except ValueError:
            return 400, {"code": 20001, "message": "Invalid paging parameter", "status": 400}
        size = max(1, min(size, TWILIO_MAX_PAGE_SIZE))
        filters = {k: query[k] for k in ("To", "From") if k in query}
        with self._lock:
            matching = sorted(
                (
                    m
                    for m in self._sms.values()
                    if m.account == account
                    and all(m.record[k.lower()] == v for k, v in filters.items())
                ),
                key=lambda m: m.key,
                reverse=True,
            )
            token = query.get("PageToken", "")
            if token[:2] in ("PA", "PB"):
                stamp, _, sid = token[2:].partition("_")
                try:
                    edge = (datetime.datetime.fromisoformat(stamp), sid)
                except ValueError:
                    return 400, {"code": 20001, "message": "Invalid PageToken", "status": 400}
                if token.startswith("PA"):
                    rest = [m for m in matching if m.key < edge]
                    chosen = rest[:size]
                else:
                    before = [m for m in matching if m.key > edge]
                    chosen = before[-size:]
            else:
                chosen = matching[:size]
            records = [dict(m.record) for m in chosen]
            more_after = bool(chosen) and any(m.key < chosen[-1].key for m in matching)

        base = f"/2010-04-01/Accounts/{account}/Messages.json"

        def uri(page_number: int, token: str | None = None) -> str:
            params = {**filters, "PageSize": size, "Page": page_number}
            if token:
                params["PageToken"] = token
            return f"{base}?{urllib.parse.urlencode(params)}"

        def token_for(m: _Sms, direction: str) -> str:
            return f"{direction}{m.sort_at.isoformat()}_{m.record['sid']}"

        start = page * size
        return 200, {
            "messages": records,
            "first_page_uri": uri(0),
            "uri": uri(page, query.get("PageToken")),
            "next_page_uri": uri(page + 1, token_for(chosen[-1], "PA")) if more_after else None,
            "previous_page_uri": (
                uri(page - 1, token_for(chosen[0], "PB")) if page > 0 and chosen else None
            ),
            "page": page,
            "page_size": size,
            "start": start,
            "end": start + max(len(records) - 1, 0),
        }

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep test output quiet
                pass

            def _reply(self, status: int, payload, headers: dict | None = None) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            def _no_content(self) -> None:
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def _twilio_failure(self, status: int) -> None:
                self._reply(status, {"code": 20500, "message": "fake failure", "status": status})

            def _twilio_not_found(self, path: str) -> None:
                self._reply(
                    404,
                    {
                        "code": 20404,
                        "message": f"The requested resource {path} was not found",
                        "more_info": "https://www.twilio.com/docs/errors/20404",
                        "status": 404,
                    },
                )

            def _sendgrid_error(self, status: int, message: str) -> None:
                self._reply(status, {"errors": [{"field": None, "message": message}]})

            def _record(self, service: str, body: dict) -> int | None:
                call = Recorded(
                    service, self.path, dict(self.headers), body, time.time(), self.command
                )
                return fake._record(call)

            def do_GET(self) -> None:  # noqa: N802
                parts = urllib.parse.urlsplit(self.path)
                query = dict(urllib.parse.parse_qsl(parts.query))
                if match := _TWILIO_LIST.match(parts.path):
                    if failure := self._record("twilio", {}):
                        return self._twilio_failure(failure)
                    status, payload = fake._twilio_page(match["account"], query)
                    return self._reply(status, payload)
                if match := _SUPPRESSION.match(parts.path):
                    if failure := self._record("sendgrid", {}):
                        return self._sendgrid_error(failure, "fake failure")
                    kind = "global" if match["global"] else match["kind"]
                    address = urllib.parse.unquote(match["email"]).lower()
                    with fake._lock:
                        entry = fake._suppressions[kind].get(address)
                    if kind == "global":
                        # SendGrid answers an empty object for an address not suppressed.
                        return self._reply(200, dict(entry) if entry else {})
                    return self._reply(200, [dict(entry)] if entry else [])
                self._reply(404, {"errors": [{"message": f"unknown path {self.path}"}]})

            def do_DELETE(self) -> None:  # noqa: N802
                parts = urllib.parse.urlsplit(self.path)
                query = dict(urllib.parse.parse_qsl(parts.query))
                if match := _TWILIO_ONE.match(parts.path):
                    if failure := self._record("twilio", {}):
                        return self._twilio_failure(failure)
                    with fake._lock:
                        message = fake._sms.get(match["sid"])
                        found = message is not None and message.account == match["account"]
                        if found:
                            del fake._sms[match["sid"]]
                    return self._no_content() if found else self._twilio_not_found(parts.path)
                if parts.path == "/v3/marketing/contacts":
                    if failure := self._record("sendgrid", {}):
                        return self._sendgrid_error(failure, "fake failure")
                    ids = [i for i in query.get("ids", "").split(",") if i]
                    if not ids:
                        return self._sendgrid_error(400, "ids or delete_all_contacts required")
                    with fake._lock:
                        for contact_id in ids:
                            fake._contacts.pop(contact_id, None)
                    # SendGrid deletes in a background job; the fake is done at once.
                    return self._reply(202, {"job_id": str(uuid.uuid4())})
                if match := _SUPPRESSION.match(parts.path):
                    if failure := self._record("sendgrid", {}):
                        return self._sendgrid_error(failure, "fake failure")
                    kind = "global" if match["global"] else match["kind"]
                    address = urllib.parse.unquote(match["email"]).lower()
                    with fake._lock:
                        entry = fake._suppressions[kind].pop(address, None)
                    if entry is None:
                        return self._sendgrid_error(404, "Email address not found")
                    return self._no_content()
                self._reply(404, {"errors": [{"message": f"unknown path {self.path}"}]})

            def do_POST(self) -> None:  # noqa: N802
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.path == "/v3/mail/send":
                    failure = self._record("sendgrid", json.loads(raw))
                    if failure:
                        self._sendgrid_error(failure, "fake failure")
                    else:
                        self._reply(202, {}, {"X-Message-Id": uuid.uuid4().hex})
                    return
                if self.path == "/v3/marketing/contacts/search/emails":
                    body = json.loads(raw or b"{}")
                    if failure := self._record("sendgrid", body):
                        return self._sendgrid_error(failure, "fake failure")
                    wanted = [e.lower() for e in body.get("emails", []) if e]
                    if not wanted:
                        return self._sendgrid_error(400, "emails are required")
                    result = {}
                    with fake._lock:
                        for address in wanted:
                            contact = next(
                                (
                                    c
                                    for c in fake._contacts.values()
                                    if address == c["email"] or address in c["alternate_emails"]
                                ),
                                None,
                            )
                            result[address] = (
                                {"contact": dict(contact)}
                                if contact
                                else {"error": "contact not found"}
                            )
                    if all("error" in r for r in result.values()):
                        # No match at all is a 404, not an empty result.
                        return self._sendgrid_error(404, "No contacts found")
                    return self._reply(200, {"result": result})
                if match := _TWILIO_LIST.match(self.path):
                    form = {k: v[0] for k, v in urllib.parse.parse_qs(raw.decode()).items()}
                    if failure := self._record("twilio", form):
                        return self._twilio_failure(failure)
                    with fake._lock:
                        sid = fake._store_sms(
                            match["account"],
                            form.get("To"),
                            form.get("From"),
                            form.get("Body"),
                            "queued",
                            "outbound-api",
                            _now(),
                            None,  # not sent yet; Twilio fills date_sent later
                        )
                        record = dict(fake._sms[sid].record)
                    return self._reply(201, record)
                self._reply(404, {"errors": [{"message": f"unknown path {self.path}"}]})

        return Handler
