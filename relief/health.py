"""Is the background-task broker reachable? Pages show a notice when it is not, so users know their
imports, exports and sweeps are recorded but delayed (everything else keeps working)."""

from __future__ import annotations

import time

from django.conf import settings

_cache: dict[str, tuple[float, bool]] = {}
CACHE_SECONDS = 15


def broker_available() -> bool:
    """True when tasks run in-process or the broker answers a ping (cached for a few seconds)."""
    url = settings.CELERY_BROKER_URL
    if settings.CELERY_TASK_ALWAYS_EAGER or not url:
        return True
    now = time.monotonic()
    cached = _cache.get(url)
    if cached and now - cached[0] < CACHE_SECONDS:
        return cached[1]
    ok = _ping(url)
    _cache[url] = (now, ok)
    return ok


def _ping(url: str) -> bool:
    if url.startswith(("redis://", "rediss://")):
        import redis

        try:
            return bool(redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5).ping())
        except Exception:
            return False
    from relief.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=0.5)
        return True
    except Exception:
        return False
