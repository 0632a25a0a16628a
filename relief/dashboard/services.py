"""The dashboard's one write: refreshing the roll-ups (`RegionFigure`).

Every additive source runs once over the whole country grouped by full region code (one GROUP BY
per table), the values are summed up the region tree in Python, and the table is rewritten in one
transaction: readers see the previous figures until it commits. A second refresh while one runs
does nothing (advisory lock). The same transaction overwrites this week's snapshot of the target
figures (`FigureSnapshot`, regions down to townships), from which the ranking reads the change since
last week.
"""

from __future__ import annotations

import datetime
import logging
import time
from collections import defaultdict
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from relief.dashboard import registry
from relief.dashboard.selectors import RUN_KEY, Values, compute, figure_value, parent_code
from relief.models import FigureSnapshot
from relief.regions import ancestor_codes

logger = logging.getLogger(__name__)
LOCK_KEY = 7_202_608  # pg advisory lock: one refresh at a time


def figures_refresh(*, now: datetime.datetime | None = None) -> int | None:
    """Recompute every roll-up. Returns the number of rows written, or None when another refresh
    holds the lock."""
    now = now or timezone.now()
    started = time.monotonic()
    with transaction.atomic():
        with connection.cursor() as cur:
            cur.execute("SELECT pg_try_advisory_xact_lock(%s)", [LOCK_KEY])
            if not cur.fetchone()[0]:
                return None
        leaf = compute("", 12, now, live=False)
        totals: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
        for code, values in leaf.items():
            if code is None:
                continue
            for (key, dim), value in values.items():
                for region_code in ("", *ancestor_codes(code)):
                    totals[(region_code, key, dim)] += value
        totals[("", RUN_KEY, "")] = Decimal(0)
        with connection.cursor() as cur:
            cur.execute("DELETE FROM relief_regionfigure")
            with cur.cursor.copy(
                "COPY relief_regionfigure (region_code, parent_code, key, dim, value, computed_at) FROM STDIN"
            ) as copy:
                for (region_code, key, dim), value in totals.items():
                    copy.write_row(
                        (region_code, parent_code(region_code) if region_code else "", key, dim, value, now)
                    )
        snapshots = _snapshot_week(totals, now)
    logger.info("dashboard roll-ups: %s rows in %.1fs", len(totals), time.monotonic() - started)
    logger.info("dashboard weekly snapshot: %s rows", snapshots)
    return len(totals)


#: the deepest regions kept in the weekly snapshot: townships (the ranking of a township's villages
#: shows no change: there would be a row per village and figure each week)
SNAPSHOT_MAX_LENGTH = 9


def _snapshot_week(totals: dict[tuple[str, str, str], Decimal], now: datetime.datetime) -> int:
    """Overwrite this week's `FigureSnapshot` rows with the target figures computed from the new
    roll-ups (a figure without a value, such as a share with nothing to divide by, gets no row)."""
    today = timezone.localdate(now)
    week = today - datetime.timedelta(days=today.weekday())
    by_region: dict[str, Values] = defaultdict(lambda: defaultdict(Decimal))
    for (region_code, key, dim), value in totals.items():
        if len(region_code) <= SNAPSHOT_MAX_LENGTH and key != RUN_KEY:
            by_region[region_code][(key, dim)] = value
    rows = []
    for fig in registry.target_figures():
        for region_code, values in by_region.items():
            value = figure_value(fig, values)
            if value is not None:
                rows.append(
                    FigureSnapshot(
                        region_code=region_code, week=week, key=fig.key, value=value, computed_at=now
                    )
                )
    FigureSnapshot.objects.filter(week=week).delete()
    FigureSnapshot.objects.bulk_create(rows, batch_size=5000)
    return len(rows)
