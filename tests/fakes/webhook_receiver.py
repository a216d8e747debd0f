"""A local HTTP server standing in for an API client's webhook receiver, recording every POST.

It answers 204 by default; `fail_next(n, status)` makes the next n calls answer `status` (500:
the receiver is down for a while; a 3xx points elsewhere), `slow_next(n, seconds)` makes them
answer late, and `stop()` makes it dead: nothing listens on its port any
more, so a connection is refused. The tests check signatures with the same function a real
receiver would use (workflows.webhooks.signing.verify).
"""

import contextlib
import dataclasses
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PATH = "/hooks/privacy"


class _Server(ThreadingHTTPServer):
    """Keeps its open connections, so that stopping also ends those a client keeps alive."""

    daemon_threads = True

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()

    def process_request(self, request, client_address) -> None:
        with self.connections_lock:
            self.connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request) -> None:
        with self.connections_lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def drop_connections(self) -> None:
        with self.connections_lock:
            open_ones = list(self.connections)
        for connection in open_ones:
            with contextlib.suppress(OSError):  # already closed by the client
                connection.shutdown(socket.SHUT_RDWR)


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
        self._delays: list[float] = []
        self._lock = threading.Lock()
        self.stopped = False
        self.server = _Server(("127.0.0.1", 0), self._handler())
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
        self.server.drop_connections()

    def reset(self) -> None:
        with self._lock:
            self.deliveries.clear()
            self._failures.clear()
            self._delays.clear()

    def fail_next(self, count: int, status: int = 500) -> None:
        with self._lock:
            self._failures.extend([status] * count)

    def slow_next(self, count: int, seconds: float) -> None:
        with self._lock:
            self._delays.extend([seconds] * count)

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

    def _answer(self) -> tuple[int, float]:
        with self._lock:
            status = self._failures.pop(0) if self._failures else 204
            return status, self._delays.pop(0) if self._delays else 0.0

    def _handler(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as a real receiver would

            def log_message(self, *args) -> None:  # keep test output quiet
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                status, delay = receiver._answer()
                with receiver._lock:
                    receiver.deliveries.append(
                        Delivery(self.path, dict(self.headers.items()), body, time.time(), status)
                    )
                time.sleep(delay)
                text = b"" if status == 204 else b"receiver says no"
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", "http://127.0.0.1:9/elsewhere")
                self.send_header("Content-Length", str(len(text)))
                self.end_headers()
                self.wfile.write(text)

        return Handler
