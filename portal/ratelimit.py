"""Fixed-window counters in the cache (Redis in production, so all web workers share them)."""

import hashlib

from django.core.cache import cache


def allow(scope: str, subject: str, *, limit: int, window_seconds: int) -> bool:
    """Count one attempt for `subject` (an IP address, an e-mail address) in `scope`; False once
    more than `limit` were made in the current window."""
    digest = hashlib.sha256(subject.strip().lower().encode()).hexdigest()[:32]
    key = f"ratelimit:{scope}:{digest}"
    cache.add(key, 0, timeout=window_seconds)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window_seconds)
        count = 1
    return count <= limit


def client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "")
