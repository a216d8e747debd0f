"""A plain HTTP client for attacks against a live server: real sockets, threads, cookies and
Django's CSRF token handled as a browser would."""

import re

import requests


class Visitor:
    def __init__(self, base_url: str, cookies: dict | None = None):
        self.base = base_url.rstrip("/")
        self.session = requests.Session()
        for name, value in (cookies or {}).items():
            self.session.cookies.set(name, value)

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.session.get(self.base + path, allow_redirects=False, timeout=20, **kwargs)

    def post(self, path: str, data: dict, **kwargs) -> requests.Response:
        token = self.session.cookies.get("csrftoken")
        if not token:
            self.get(path)
            token = self.session.cookies.get("csrftoken")
        return self.session.post(
            self.base + path,
            data={"csrfmiddlewaretoken": token, **data},
            allow_redirects=False,
            timeout=20,
            **kwargs,
        )

    def clone(self) -> "Visitor":
        """Another connection holding the same cookies (the same browser session)."""
        return Visitor(self.base, dict(self.session.cookies))


def code_in(text: str) -> str:
    return re.search(r"\b(\d{6})\b", text).group(1)
