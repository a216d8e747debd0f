"""Counters in the cache (Redis in production, so every web worker and Celery worker shares
them), counted with one atomic increment each, so parallel requests each get their own number.
Subjects (an address, an IP address, a client) are hashed into the key: no address in Redis."""

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


def _digest(subject: str) -> str:
    return hashlib.sha256(subject.strip().lower().encode()).hexdigest()[:32]


def allow(scope: str, subject: str, *, limit: int, window_seconds: int) -> bool:
    """Count one attempt for `subject` in `scope`; False once more than `limit` were made in the
    window that started with the first of them."""
    return _incr(f"ratelimit:{scope}:{_digest(subject)}", window_seconds) <= limit


def window_key(scope: str, subject: str, seconds: int, now: float) -> str:
    start = int(now // seconds) * seconds
    return f"quota:{scope}:{_digest(subject)}:{seconds}:{start}"


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
        key = window_key(scope, subject, seconds, now)
        count = _incr(key, left + 1)
        taken.append(key)
        if count > limit:
            for used in taken:
                with contextlib.suppress(ValueError):  # the window just ended
                    cache.decr(used)
            return left
    return None


def within(scope: str, subject: str, limits: list[tuple[int, int]]) -> bool:
    """take() as a yes or no."""
    return take(scope, subject, limits) is None


# Codes mailed to one address, intake and sign-in together: 3 a minute, 6 an hour, 12 a day.
CODE_MAILS = [(60, 3), (60 * 60, 6), (24 * 60 * 60, 12)]


def may_mail_code(address: str) -> bool:
    """Count one code e-mail to `address`; False past the caps (whoever asks for it)."""
    return within("code-mail", address, CODE_MAILS)


def first_use(scope: str, token: str, *, seconds: int) -> bool:
    """Whether this is the first use of `token` in `scope` (one atomic add): a form sent twice,
    by a double click or a reload of its answer, is told apart from a new one."""
    return cache.add(f"once:{scope}:{_digest(token)}", 1, timeout=seconds)


def forget_use(scope: str, token: str) -> None:
    """The token may be used again (the step it was spent on was refused)."""
    cache.delete(f"once:{scope}:{_digest(token)}")
