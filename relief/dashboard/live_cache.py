"""The dashboard's live figures (`Source(live=True)`: the open roll calls' progress, the open
campaigns' completion, the cold-wave level in force, the median hours of 先行救助), kept a short
while in Django's cache (Redis in production: `CACHE_URL`).

Computed at every read they were most of a province dashboard's time at 1,000,000 people (85,000
roll-call entries, 46,000 campaign households: bench/README.md, issue 22). A read within
`settings.DASHBOARD_LIVE_SECONDS` (60 by default; 0 turns the cache off) of a computation for the
same region and grouping gets the stored groups and the time they were computed, which the page
("截至 HH:MM") and the API (`live_computed_at`) show: a kept figure never passes for a fresh one.

The key holds the region prefix and the grouping length, so one region's figures are never served
to another. A contact recorded in a roll call and a delivery recorded in a campaign drop, once
committed, the stored figures of every region enclosing the entry (`invalidate_on_commit`); other
changes (a roll call opened or closed, a campaign's list generated) show within the window. With
the per-process memory cache (no `CACHE_URL`) each web process keeps its own copy, and a drop
reaches only the process that made the change.

The cache being down never breaks the dashboard: the figures are computed as if it were off.
"""

from __future__ import annotations

import datetime
import logging
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from relief.regions import ancestor_codes, child_length

logger = logging.getLogger(__name__)

#: bump when the stored shape changes, so a deploy never reads the old one
VERSION = 1

Groups = dict[str | None, dict[tuple[str, str], Decimal]]


def seconds() -> int:
    """How long the live figures are kept (0: not kept)."""
    return max(0, int(getattr(settings, "DASHBOARD_LIVE_SECONDS", 0) or 0))


def key(prefix: str, length: int) -> str:
    return f"dashboard:live:{VERSION}:{prefix or '-'}:{length}"


def grouping_length(prefix: str) -> int:
    """The length the dashboard groups `prefix`'s live figures by: its direct sub-regions', or its
    own for a village (selectors.summary)."""
    return child_length(prefix) or len(prefix)


def get(prefix: str, length: int) -> tuple[Groups, datetime.datetime] | None:
    """The stored (groups, computed_at) of the region, None when there is none (or it is off)."""
    if not seconds():
        return None
    try:
        stored: Any = cache.get(key(prefix, length))
    except Exception:  # the cache is down: compute
        logger.warning("dashboard live cache unavailable (read)", exc_info=True)
        return None
    if not stored or stored.get("prefix") != prefix or stored.get("length") != length:
        return None
    return stored["groups"], stored["computed_at"]


def put(prefix: str, length: int, groups: Groups, computed_at: datetime.datetime) -> None:
    """Keep the region's groups (plain dicts) for `seconds()`."""
    timeout = seconds()
    if not timeout:
        return
    value = {
        "prefix": prefix,
        "length": length,
        "computed_at": computed_at,
        "groups": {g: dict(values) for g, values in groups.items()},
    }
    try:
        cache.set(key(prefix, length), value, timeout)
    except Exception:
        logger.warning("dashboard live cache unavailable (write)", exc_info=True)


def invalidate(region_code: str) -> None:
    """Drop the stored figures of every region enclosing `region_code` (itself, and the country)."""
    if not seconds():
        return
    codes = ["", *ancestor_codes(region_code or "")]
    try:
        cache.delete_many([key(c, grouping_length(c)) for c in codes])
    except Exception:  # kept figures then show their age until the window ends
        logger.warning("dashboard live cache unavailable (invalidate)", exc_info=True)


def invalidate_on_commit(region_code: str) -> None:
    """`invalidate` once the current transaction commits: dropped earlier, a read in between would
    store the old figures again. (A read that began before the commit and stores after the drop
    keeps figures stamped with its start, older than the change: shown as such.)"""
    transaction.on_commit(lambda: invalidate(region_code))
