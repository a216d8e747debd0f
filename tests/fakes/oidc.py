"""A local OpenID Connect identity broker (as DigiD is usually reached), enough for the
authorization-code flow django-allauth runs: discovery, token and userinfo endpoints. The test
chooses the claims the next sign-in returns."""

import json
import secrets
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeBroker:
    def __init__(self) -> None:
        self.claims: dict = {}
        self.tokens: dict[str, dict] = {}
        self.token_requests: list[dict] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handler(self):
        broker = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def _json(self, status: int, payload: dict) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802
                if self.path == "/.well-known/openid-configuration":
                    base = broker.url
                    self._json(
                        200,
                        {
                            "issuer": base,
                            "authorization_endpoint": base + "/authorize",
                            "token_endpoint": base + "/token",
                            "userinfo_endpoint": base + "/userinfo",
                            "jwks_uri": base + "/jwks",
                            "token_endpoint_auth_methods_supported": ["client_secret_post"],
                        },
                    )
                elif self.path == "/userinfo":
                    token = self.headers.get("Authorization", "").removeprefix("Bearer ")
                    claims = broker.tokens.get(token)
                    self._json(200, claims) if claims else self._json(401, {"error": "bad"})
                else:
                    self._json(404, {"error": "not found"})

            def do_POST(self) -> None:  # noqa: N802
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                form = {k: v[0] for k, v in urllib.parse.parse_qs(raw).items()}
                broker.token_requests.append(form)
                if self.path != "/token" or form.get("grant_type") != "authorization_code":
                    self._json(400, {"error": "invalid_request"})
                    return
                token = secrets.token_hex(16)
                broker.tokens[token] = dict(broker.claims)
                self._json(200, {"access_token": token, "token_type": "Bearer", "expires_in": 300})

        return Handler
