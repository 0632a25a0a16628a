"""What a report shows, read from the dashboard's roll-ups (relief/dashboard) and frozen as JSON in
`Report.figures`: the Excel and PDF files are drawn from that JSON alone, so the three cannot
disagree, and a report read in March shows what the region knew that morning.

Everything here is a handful of queries whatever the number of people: the summary, the ranking and
the trends come from `RegionFigure` / `FigureSnapshot`, the open 督查 findings from one GROUP BY.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from relief.dashboard import board, registry, selectors
from relief.models import Region
from supervision.selectors import open_findings


def _json(value: Any) -> Any:
    """A figure's value for JSON: counts as integers, shares and money as exact strings."""
    if value is None or isinstance(value, int):
        return value
    if isinstance(value, Decimal):
        return (
            int(value)
            if value == value.to_integral_value() and value.as_tuple().exponent >= 0
            else str(value)
        )
    return value


def _rounded(fig: registry.Figure, value: Decimal | None) -> Any:
    """As the dashboard's ranking rounds a target or a gap: a share to 4 places, else as shown."""
    if value is None:
        return None
    return value.quantize(Decimal("0.0001")) if fig.kind == "ratio" else selectors.plain(fig, value)


def build(region: Region, kind: str, period: datetime.date, *, now: datetime.datetime | None = None) -> dict:
    """The report's figures for `region` (a province, city or county) as of `now`."""
    now = now or timezone.now()
    summary = selectors.summary(region, now=now)
    rows = selectors.figure_rows(summary.totals, summary.code, now)
    boards = {b.figure.key: b for b in board.boards(summary, now=now)}
    targets = board.targets_for(registry.figures(), region.code, timezone.localdate(now))
    figures = []
    for row in rows:
        fig = registry.FIGURES[row["key"]]
        b = boards.get(fig.key)
        target = targets.get(fig.key) if fig.target else None
        value = row["value"]
        figures.append(
            {
                "key": fig.key,
                "label": row["label"],
                "section": str(registry.SECTIONS[fig.section].label)
                if fig.section in registry.SECTIONS
                else "",
                "unit": row["unit"],
                "kind": fig.kind,
                "value": _json(value),
                "value_label": row["value_label"],
                "target": _json(_rounded(fig, target)),
                "gap": _json(
                    _rounded(fig, board.gap(fig, None if value is None else Decimal(value), target))
                ),
                "change": _json(b.region_change) if b else None,
                "lower_is_better": fig.lower_is_better,
            }
        )
    ranking = [
        {
            "key": b.figure.key,
            "label": str(b.figure.label),
            "kind": b.figure.kind,
            "unit": str(b.figure.unit),
            "target": _json(_rounded(b.figure, b.target)),
            "lower_is_better": b.figure.lower_is_better,
            "rows": [
                {
                    "code": r["code"],
                    "name": r["name"],
                    "rank": r["rank"],
                    "value": _json(r["value"]),
                    "gap": _json(r["gap"]),
                    "behind": r["behind"],
                    "change": _json(r["change"]),
                }
                for r in b.rows
            ],
        }
        for b in boards.values()
    ]
    trend = selectors.trends(region, now=now)
    findings = open_findings(region.code)
    by_key = {f["key"]: f for f in figures}
    level = next((f for f in figures if f["kind"] == "level"), None)
    rollcall = None
    if (by_key.get("coldwaves.to_contact") or {}).get("value"):
        rollcall = {
            k: by_key[k]["value"]
            for k in (
                "coldwaves.to_contact",
                "coldwaves.reached",
                "coldwaves.reached_share",
                "coldwaves.overdue",
            )
            if k in by_key
        }
    return {
        "region": {"code": region.code, "name": region.name, "level": len(region.code)},
        "kind": kind,
        "period": period.isoformat(),
        "computed_at": summary.computed_at.isoformat(),
        "source": summary.source,
        "figures": figures,
        "ranking": ranking,
        "trends": {
            "weeks": [w.isoformat() for w in trend["weeks"]],
            "series": [
                {
                    "key": s["key"],
                    "label": s["label"],
                    "unit": s["unit"],
                    "values": [_json(v) for v in s["values"]],
                }
                for s in trend["series"]
            ],
        },
        "findings": {
            "total": findings["total"],
            "open": findings["open"],
            "answered": findings["answered"],
            "overdue": findings["overdue"],
            "by_area": findings["by_area"],
        },
        "cold_wave": {"level": level["value"], "label": level["value_label"] or _("无")} if level else None,
        "rollcall": rollcall,
        "subregions": [],  # filled by the service: who has reported (reports/selectors.py)
    }


def figure(content: dict, key: str) -> dict | None:
    return next((f for f in content.get("figures", []) if f["key"] == key), None)


def shown(value: Any, kind: str, unit: str = "") -> str:
    """A value as the report prints it: a share as a percentage, money to the fen."""
    if value is None or value == "":
        return "—"
    if kind == "ratio":
        return f"{Decimal(str(value)) * 100:.1f}%"
    if kind == "money":
        return f"{Decimal(str(value)):,.2f}"
    if kind == "hours":
        return f"{Decimal(str(value)):.1f}"
    return f"{value}"


def signed(value: Any, kind: str) -> str:
    if value is None:
        return "—"
    text = shown(value, kind)
    return text if text.startswith("-") else f"+{text}"
