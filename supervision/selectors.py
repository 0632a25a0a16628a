"""Reading 督查: the open findings of a region, counted for the daily report and the region's
page, and the lines those pages draw."""

from __future__ import annotations

from django.db.models import Count, Q
from django.utils import timezone

from supervision.models import Area, Finding, FindingState


def open_findings(region_code: str) -> dict:
    """The findings given to `region_code` or any region inside it that are not closed yet, counted
    by region visited and by what was checked. Not a permission check: the caller (a report made
    for a region, a page already scoped to it) decides who reads it. One query.

    Returns::

        {
            "total": 5,            # open findings: waiting for the answer (待整改) or its acceptance (待验收)
            "open": 3,             # waiting for the region's answer
            "answered": 2,         # answered, waiting for the supervisor's acceptance
            "overdue": 1,          # waiting for the answer past their deadline
            "by_region": {"510121": {"total": 5, "open": 3, "answered": 2, "overdue": 1}, ...},
            "by_area": {"visits": {"label": "走访探视", "total": 2, ...}, ...},
            "rows": [{"region": "510121", "area": "visits", "total": 2, "open": 1,
                      "answered": 1, "overdue": 0}, ...],   # by region, then area
        }

    An empty region has zeros and empty mappings. The daily report (another module) may include
    `total`, `overdue` and `by_area` as they are.
    """
    now = timezone.now()
    rows = list(
        Finding.objects.in_region(region_code)
        .filter(state__in=(FindingState.OPEN, FindingState.ANSWERED))
        .order_by()
        .values("region_id", "area")
        .annotate(
            total=Count("id"),
            open=Count("id", filter=Q(state=FindingState.OPEN)),
            answered=Count("id", filter=Q(state=FindingState.ANSWERED)),
            overdue=Count("id", filter=Q(state=FindingState.OPEN, due_at__lt=now)),
        )
        .order_by("region_id", "area")
    )
    empty = {"total": 0, "open": 0, "answered": 0, "overdue": 0}
    out: dict = {**empty, "by_region": {}, "by_area": {}, "rows": []}
    labels = dict(Area.choices)
    for row in rows:
        counts = {k: row[k] for k in empty}
        region = out["by_region"].setdefault(row["region_id"], dict(empty))
        area = out["by_area"].setdefault(
            row["area"], {"label": str(labels.get(row["area"], row["area"])), **empty}
        )
        for k, v in counts.items():
            out[k] += v
            region[k] += v
            area[k] += v
        out["rows"].append({"region": row["region_id"], "area": row["area"], **counts})
    return out


def open_finding_lines(user, region_code: str, limit: int = 20):
    """The open findings under a region the user may see, most urgent first, for a page."""
    qs = (
        Finding.objects.visible_to(user)
        .in_region(region_code)
        .filter(state__in=(FindingState.OPEN, FindingState.ANSWERED))
        .select_related("trip", "region")
        .order_by("due_at", "id")
    )
    return list(qs[:limit]), qs.count()
