"""Fixed-window counters in the cache (Redis in production, so every web worker and Celery
worker shares them). Atomic: parallel requests each get their own number."""

import hashlib

from django.core.cache import cache


def hit(scope: str, subject: str, *, window_seconds: int) -> int:
    """Count one event for `subject` in `scope` and the current window; returns the count."""
    digest = hashlib.sha256(subject.encode()).hexdigest()[:32]
    key = f"counter:{scope}:{window_seconds}:{digest}"
    cache.add(key, 0, timeout=window_seconds)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=window_seconds)
        return 1


def within(scope: str, subject: str, limits: list[tuple[int, int]]) -> bool:
    """Count one event against every (window in seconds, most allowed) pair; False when any
    window is over its limit. Every window counts the event, so waiting out a short window does
    not reset a longer one."""
    over = [hit(scope, subject, window_seconds=w) > most for w, most in limits]
    return not any(over)
