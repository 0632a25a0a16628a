"""What the roll call pages and the dashboard read: progress per region, the entries a worker must
reach, in a fixed number of queries."""

from __future__ import annotations

import datetime
from collections import defaultdict

from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import Left
from django.utils import timezone

from coldwaves.models import REACHED

EMPTY = {"total": 0, "pending": 0, "safe": 0, "needs_help": 0, "not_reached": 0, "overdue": 0}


def progress(entries: QuerySet, key, now: datetime.datetime | None = None) -> dict:
    """Counts per `key` (an expression over the entries): to contact (total), not tried yet
    (pending), reached safe, needing help, not reached, overdue (unanswered past the deadline).
    One query."""
    now = now or timezone.now()
    rows: dict = defaultdict(lambda: dict(EMPTY))
    grouped = (
        entries.annotate(group=key)
        .order_by()
        .values("group", "outcome")
        .annotate(n=Count("id"), late=Count("id", filter=Q(due_at__lt=now) & ~Q(outcome__in=REACHED)))
    )
    for row in grouped:
        r = rows[row["group"]]
        r["total"] += row["n"]
        r[row["outcome"]] += row["n"]
        r["overdue"] += row["late"]
    for r in rows.values():
        r["reached"] = r["safe"] + r["needs_help"]
        r["percent"] = round(100 * r["reached"] / r["total"]) if r["total"] else 100
    return dict(rows)


def progress_by_region(entries: QuerySet, depth: int = 9, now: datetime.datetime | None = None) -> list[dict]:
    """Progress per region: the first `depth` digits of the entry's region (9: township, 12: village)."""
    rows = progress(entries, Left("region_id", depth), now)
    return [{"region": code, **counts} for code, counts in sorted(rows.items())]


def progress_by_roll_call(entries: QuerySet, now: datetime.datetime | None = None) -> dict[int, dict]:
    return progress(entries, F("roll_call_id"), now)


def region_names(codes: list[str]) -> dict[str, str]:
    from relief.models import Region

    return dict(Region.objects.filter(code__in=codes).values_list("code", "name"))


# --- Emergency plans: the reserves against the county's stock -------------------------------------


def reserve_check(plan) -> list:
    """The plan's reserve lines, each with `held` (the stock of its item in every warehouse of the
    plan's county, its townships' included) and `shortfall` (required - held, never below zero),
    in item order. One query."""
    return list(plan.reserves.with_stock().select_related("item").order_by("item_id"))


def shortfalls_by_plan(plan_ids: list[int]) -> dict[int, int]:
    """Plan id -> how many of its reserve lines fall short. One query."""
    from coldwaves.plan_models import PlanReserve

    found: dict[int, int] = {}
    for plan_id in PlanReserve.objects.filter(plan_id__in=plan_ids).short().values_list("plan_id", flat=True):
        found[plan_id] = found.get(plan_id, 0) + 1
    return found
