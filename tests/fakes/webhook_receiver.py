"""A local HTTP server standing in for an API client's webhook receiver, recording every POST.

It answers 204 by default; `fail_next(n, status)` makes the next n calls answer `status` (500:
the receiver is down for a while), and `stop()` makes it dead: nothing listens on its port any
more, so a connection is refused. The tests check signatures with the same function a real
receiver would use (workflows.webhooks.signing.verify).
"""

import dataclasses
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PATH = "/hooks/privacy"


@dataclasses.dataclass
class Delivery:
    path: str
    headers: dict[str, str]
    body: bytes  # raw, as the signature covers it
    received_at: float  # time.time()
    answered: int

    def header(self, name: str) -> str:
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), "")

    @property
    def event(self) -> dict:
        return json.loads(self.body)


class WebhookReceiver:
    def __init__(self) -> None:
        self.deliveries: list[Delivery] = []
        self._failures: list[int] = []
        self._lock = threading.Lock()
        self.stopped = False
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}{PATH}"

    def start(self) -> "WebhookReceiver":
        self.thread.start()
        return self

    def stop(self) -> None:
        """Dead: the port is closed, connections are refused."""
        if self.stopped:
            return
        self.stopped = True
        self.server.shutdown()
        self.server.server_close()

    def reset(self) -> None:
        with self._lock:
            self.deliveries.clear()
            self._failures.clear()

    def fail_next(self, count: int, status: int = 500) -> None:
        with self._lock:
            self._failures.extend([status] * count)

    def events(self) -> list[dict]:
        with self._lock:
            return [d.event for d in self.deliveries]

    def wait_for(self, predicate, timeout: float = 10.0) -> list[Delivery]:
        """The deliveries once `predicate(deliveries)` holds (or as they are at the time-out)."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                seen = list(self.deliveries)
            if predicate(seen) or time.monotonic() > deadline:
                return seen
            time.sleep(0.01)

    def _answer(self) -> int:
        with self._lock:
            return self._failures.pop(0) if self._failures else 204

    def _handler(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as a real receiver would

            def log_message(self, *args) -> None:  # keep test output quiet
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                status = receiver._answer()
                with receiver._lock:
                    receiver.deliveries.append(
                        Delivery(self.path, dict(self.headers.items()), body, time.time(), status)
                    )
                text = b"" if status == 204 else b"receiver says no"
                self.send_response(status)
                self.send_header("Content-Length", str(len(text)))
                self.end_headers()
                self.wfile.write(text)

        return Handler
