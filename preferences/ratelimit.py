"""A fixed-window counter in the cache, for the public pages that need no login."""

from django.core.cache import cache


def allow(key: str, limit: int, window_seconds: int) -> bool:
    """Count one hit on `key`; False once more than `limit` hits fell in the current window.

    The cache is shared by every web process (Redis at scale), so the limit holds across processes.
    """
    key = f"ratelimit:{key}"
    cache.add(key, 0, timeout=window_seconds)
    try:
        hits = cache.incr(key)
    except ValueError:  # expired between add and incr: start a new window
        cache.set(key, 1, timeout=window_seconds)
        hits = 1
    return hits <= limit
