"""Signing webhook events, as Stripe and GitHub do, and checking a signature as a receiver would.

Every delivery carries three headers:

    Webhook-Id: evt_…                       the event's id, the same on every retry and resend
    Webhook-Timestamp: 1767225600           unix seconds when this try was sent
    Webhook-Signature: t=1767225600,v1=<hex>[,v1=<hex>]

Each v1 is the hex HMAC-SHA256, keyed with one of the client's signing secrets, of
"<timestamp>.<raw body>". After a rotation the old secret signs too, for a day
(ApiClient.signing_secrets), so a receiver may switch secrets without losing events. The
timestamp is inside the signature, so an old delivery replayed later is refused by its age.

This module is what receivers need and nothing else (no Django): docs/webhooks.md shows it.
"""

import hashlib
import hmac
import json
import time
from collections.abc import Iterable, Mapping

ID_HEADER = "Webhook-Id"
TIMESTAMP_HEADER = "Webhook-Timestamp"
SIGNATURE_HEADER = "Webhook-Signature"
SCHEME = "v1"
DEFAULT_TOLERANCE = 300  # seconds either way


class SignatureError(ValueError):
    """The delivery is not to be trusted; the message says why."""


def _as_bytes(body: bytes | str) -> bytes:
    return body.encode() if isinstance(body, str) else body


def signature(secret: str, timestamp: int, body: bytes | str) -> str:
    """The hex HMAC-SHA256 of "<timestamp>.<body>" keyed with `secret`."""
    signed = str(timestamp).encode() + b"." + _as_bytes(body)
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def headers(event_id: str, body: bytes | str, secrets: Iterable[str], timestamp: int) -> dict:
    """The three headers of one try, one v1 per secret (the current one first)."""
    v1 = ",".join(f"{SCHEME}={signature(s, timestamp, body)}" for s in secrets)
    return {
        ID_HEADER: event_id,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: f"t={timestamp},{v1}",
    }


def verify(
    body: bytes | str,
    headers: Mapping[str, str],
    secret: str,
    tolerance: int = DEFAULT_TOLERANCE,
    *,
    now: float | None = None,
) -> dict:
    """Check a delivery as its receiver: returns the event (the parsed body) when one v1
    signature matches `secret` and the signed timestamp is within `tolerance` seconds of now;
    raises SignatureError otherwise. Pass the raw body, byte for byte as received."""
    found = {name.lower(): value for name, value in headers.items()}
    header = found.get(SIGNATURE_HEADER.lower(), "")
    timestamp, candidates = None, []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == SCHEME and value:
            candidates.append(value)
    if timestamp is None or not candidates:
        raise SignatureError("no signature, or no timestamp in it")
    stated = found.get(TIMESTAMP_HEADER.lower())
    if stated is not None and stated != str(timestamp):
        raise SignatureError("the timestamp header differs from the signed one")
    now = time.time() if now is None else now
    if abs(now - timestamp) > tolerance:
        raise SignatureError("the timestamp is too old or in the future (a replay?)")
    expected = signature(secret, timestamp, body)
    # Every candidate is compared in constant time, and all of them, so timing tells nothing.
    matched = [hmac.compare_digest(expected.encode(), c.encode()) for c in candidates]
    if not any(matched):
        raise SignatureError("no signature matches the secret")
    return json.loads(_as_bytes(body))
