"""Where a webhook may be posted, decided when it is sent (SSRF).

With WEBHOOK_ALLOW_LOCAL (development and tests) any http or https address is posted to. Without
it (production) only an https address whose name resolves to public addresses alone: never the
portal's own machine, its network or a cloud's metadata service. The name is resolved once, here,
and the connection goes to the address that was checked, never to a second answer of DNS, so a
name that resolves to a public address for the check and a private one for the connection (DNS
rebinding) gets nowhere. TLS still checks the certificate against the name.

The rule is applied at send time, to the client's address as it is then: an address changed
after an event was queued, or a name whose DNS changed, is judged as it stands.
"""

import contextlib
import ipaddress
import socket
import threading
import urllib.parse
from collections.abc import Iterator

import requests
import urllib3
from django.conf import settings
from requests.adapters import HTTPAdapter

from requests_app.validators import is_public_address

# IPv6 prefixes that carry an IPv4 address the packet ends up at (NAT64).
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class AddressRefused(Exception):
    """The address may not be posted to; the message says why (for the delivery log)."""


def is_public(text: str) -> bool:
    """Whether an IP address is on the public internet, also when an IPv4 address hides in an
    IPv6 one (mapped, 6to4, Teredo, NAT64): the same rule as when the address was set
    (requests_app.validators.is_public_address), so a name whose DNS changed since then is held
    to it too."""
    ip = ipaddress.ip_address(text.split("%", 1)[0])  # a link-local scope id is never public
    if ip.version == 6 and ip in _NAT64:
        embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if not is_public_address(str(embedded)):
            return False
    return is_public_address(text)


def public_address(url: str) -> str:
    """The address to connect to for `url`: every address its name resolves to must be public
    (a name that also points inward is refused, whichever answer comes first)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "https":
        raise AddressRefused("only https addresses are posted to")
    host = parts.hostname
    if not host:
        raise AddressRefused("the address has no host")
    try:
        port = parts.port or 443
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, ValueError) as exc:
        raise AddressRefused(f"the host name does not resolve: {exc}") from exc
    addresses = list(dict.fromkeys(info[4][0] for info in found))
    if not addresses:
        raise AddressRefused("the host name does not resolve")
    private = [a for a in addresses if not is_public(a)]
    if private:
        raise AddressRefused(f"{host} resolves to an address that is not public: {private[0]}")
    return addresses[0]


class _PinnedConnection(urllib3.connection.HTTPSConnection):
    """Connects to `address` instead of resolving the host again; the host name stays what TLS
    (server name, certificate) and the Host header use. (urllib3 derives `host` from the name
    it resolves, so the socket is made here rather than by changing that name.)"""

    address = ""

    def _new_conn(self) -> socket.socket:
        try:
            return urllib3.util.connection.create_connection(
                (self.address, self.port),
                self.timeout,
                source_address=self.source_address,
                socket_options=self.socket_options,
            )
        except TimeoutError as exc:
            raise urllib3.exceptions.ConnectTimeoutError(
                self, f"connection to {self.host} ({self.address}) timed out"
            ) from exc
        except OSError as exc:
            raise urllib3.exceptions.NewConnectionError(
                self, f"could not connect to {self.host} ({self.address}): {exc}"
            ) from exc


def _pinned_session(address: str) -> requests.Session:
    connection = type("Pinned", (_PinnedConnection,), {"address": address})
    pool = type("PinnedPool", (urllib3.HTTPSConnectionPool,), {"ConnectionCls": connection})
    adapter = HTTPAdapter(max_retries=0)
    adapter.poolmanager.pool_classes_by_scheme = {"https": pool}
    session = requests.Session()
    session.trust_env = False  # no proxy or .netrc from the environment
    session.mount("https://", adapter)
    return session


_local = threading.local()


def _shared_session() -> requests.Session:
    """Development and tests: one session per thread (workers send from a thread pool), so
    connections to a local receiver are reused."""
    session = getattr(_local, "session", None)
    if session is None:
        session = requests.Session()
        session.trust_env = False
        _local.session = session
    return session


@contextlib.contextmanager
def session_for(url: str) -> Iterator[requests.Session]:
    """A session that may post to `url` now; raises AddressRefused when none may. A pinned
    session serves one delivery and is closed after it."""
    if settings.WEBHOOK_ALLOW_LOCAL:
        if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
            raise AddressRefused("only http and https addresses are posted to")
        yield _shared_session()
        return
    session = _pinned_session(public_address(url))
    try:
        yield session
    finally:
        session.close()
