"""A local HTTP server standing in for SendGrid and Twilio, recording what they were sent.

The real SDKs talk to it over HTTP (SENDGRID_API_HOST, TWILIO_API_BASE_URL). It can be told
to fail the next calls with a status code, to test retries.
"""

import dataclasses
import json
import threading
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclasses.dataclass
class Recorded:
    service: str  # "sendgrid" or "twilio"
    path: str
    headers: dict
    body: dict
    received_at: float  # time.time()

    # Convenience views of what was sent.
    @property
    def to(self) -> list[str]:
        if self.service == "sendgrid":
            return [t["email"] for p in self.body["personalizations"] for t in p["to"]]
        return [self.body["To"]]

    @property
    def text(self) -> str:
        if self.service == "sendgrid":
            parts = [self.body.get("subject", "")]
            parts += [c["value"] for c in self.body.get("content", [])]
            return "\n".join(parts)
        return self.body["Body"]


class FakeProviders:
    def __init__(self) -> None:
        self.calls: list[Recorded] = []
        self._failures: list[int] = []
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

    def fail_next(self, count: int, status: int = 503) -> None:
        with self._lock:
            self._failures.extend([status] * count)

    def emails(self) -> list[Recorded]:
        with self._lock:
            return [c for c in self.calls if c.service == "sendgrid"]

    def sms(self) -> list[Recorded]:
        with self._lock:
            return [c for c in self.calls if c.service == "twilio"]

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

    def _record(self, call: Recorded) -> int | None:
        with self._cond:
            if self._failures:
                return self._failures.pop(0)
            self.calls.append(call)
            self._cond.notify_all()
            return None

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep test output quiet
                pass

            def _reply(self, status: int, payload: dict, headers: dict | None = None) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:  # noqa: N802
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                now = time.time()
                if self.path == "/v3/mail/send":
                    call = Recorded("sendgrid", self.path, dict(self.headers), json.loads(raw), now)
                    failure = fake._record(call)
                    if failure:
                        self._reply(failure, {"errors": [{"message": "fake failure"}]})
                    else:
                        self._reply(202, {}, {"X-Message-Id": uuid.uuid4().hex})
                    return
                if self.path.startswith("/2010-04-01/Accounts/") and self.path.endswith(
                    "/Messages.json"
                ):
                    form = {k: v[0] for k, v in urllib.parse.parse_qs(raw.decode()).items()}
                    call = Recorded("twilio", self.path, dict(self.headers), form, now)
                    failure = fake._record(call)
                    if failure:
                        self._reply(
                            failure, {"code": 20500, "message": "fake failure", "status": failure}
                        )
                        return
                    sid = "SM" + uuid.uuid4().hex
                    self._reply(
                        201,
                        {
                            "sid": sid,
                            "status": "queued",
                            "to": form.get("To"),
                            "from": form.get("From"),
                            "body": form.get("Body"),
                        },
                    )
                    return
                self._reply(404, {"errors": [{"message": f"unknown path {self.path}"}]})

        return Handler
