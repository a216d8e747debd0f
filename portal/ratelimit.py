"""Fixed-window counters in the cache (Redis in production, so all web workers share them)."""

import contextlib
import hashlib
import math
import time

from django.core.cache import cache


def _incr(key: str, timeout: int) -> int:
    """One atomic increment (Redis INCR); the key expires after `timeout` seconds."""
    cache.add(key, 0, timeout=timeout)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=timeout)
        return 1


def allow(scope: str, subject: str, *, limit: int, window_seconds: int) -> bool:
    """Count one attempt for `subject` (an IP address, an e-mail address) in `scope`; False once
    more than `limit` were made in the current window."""
    digest = hashlib.sha256(subject.strip().lower().encode()).hexdigest()[:32]
    return _incr(f"ratelimit:{scope}:{digest}", window_seconds) <= limit


def take(scope: str, subject: str, windows: list[tuple[int, int]], *, now: float | None = None):
    """Use one unit of `subject`'s quota in each (window seconds, limit) pair. The windows are
    aligned to the clock (a minute from :00, a day from midnight UTC), so every worker agrees on
    when they free up.

    Returns None when allowed, else the seconds until the exhausted window frees. A refused call
    gives back what it took, so it uses no quota and exactly `limit` calls pass per window, however
    many arrive at once."""
    now = time.time() if now is None else now
    taken = []
    for seconds, limit in windows:
        start = int(now // seconds) * seconds
        left = max(1, math.ceil(start + seconds - now))
        key = f"quota:{scope}:{subject}:{seconds}:{start}"
        count = _incr(key, left + 1)
        taken.append(key)
        if count > limit:
            for used in taken:
                with contextlib.suppress(ValueError):  # the window just ended
                    cache.decr(used)
            return left
    return None


def client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "")
