"""Reads of the dashboard: a region's figures with its direct sub-regions, and its weekly trends.

Additive figures come from the roll-ups (`RegionFigure`, refreshed by Celery) when a refresh has
run, else they are computed directly (`source` "live"); figures that are not sums (a median, the
highest cold-wave level) are computed when read, from small tables, and kept a minute per region
(`live_cache`: a second read within the window runs none of their queries; the page and the API
show when they were computed, `live_computed_at`). Either way a read is a handful of queries
whatever the number of people. Callers check scope first: `region_for(user,
code)` answers 404 for a region outside the user's.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from relief import replica
from relief.dashboard import live_cache, registry
from relief.dashboard.registry import Figure, FigureQuery, as_decimal
from relief.models import Region, RegionFigure
from relief.regions import ancestor_codes, child_length
from relief.scoping import get_visible_or_404

RUN_KEY = "_run"

Values = dict[tuple[str, str], Decimal]  # (key, dim) -> value


def parent_code(code: str) -> str:
    ancestors = ancestor_codes(code)
    return ancestors[-2] if len(ancestors) > 1 else ""


def region_for(user, code: str | None) -> Region | None:
    """The region a user asks for (default: their own); None is the whole country, for
    administrators only. Outside the user's region: 404."""
    code = (code or "").strip() or user.scope_code
    if not code:
        if user.is_region_admin:
            return None
        code = "-"  # a user without a region sees nothing
    return get_visible_or_404(Region.objects.all(), user, code=code)


# --- computing ---------------------------------------------------------------------------------


def compute(prefix: str, length: int, now: datetime.datetime, *, live: bool) -> dict[str | None, Values]:
    """Run the sources (live ones, or additive ones) for `prefix` grouped by `length`:
    {group code (None: the whole region, when a source gives it): {(key, dim): value}}."""
    q = FigureQuery(prefix=prefix, length=length, now=now)
    groups: dict[str | None, Values] = defaultdict(lambda: defaultdict(Decimal))
    sources = registry.live_sources() if live else registry.additive_sources()
    for source in sources:
        for g, key, dim, value in source.compute(q):
            groups[g][(key, dim or "")] += as_decimal(value)
    return groups


def last_run() -> datetime.datetime | None:
    return (
        RegionFigure.objects.filter(region_code="", key=RUN_KEY).values_list("computed_at", flat=True).first()
    )


@dataclass
class Summary:
    region: Region | None
    code: str
    computed_at: datetime.datetime
    source: str  # "rollup" or "live"
    totals: Values
    children: dict[str, Values]  # sub-region code (or `code` itself: records held at this level)
    names: dict[str, str] = field(default_factory=dict)
    #: when the live figures (roll calls, campaigns, ...) were computed: now, or a kept copy's time
    live_computed_at: datetime.datetime | None = None
    #: True when they came from the cache (live_cache), False when computed for this read
    live_cached: bool = False
    #: the figure keys the live sources gave (the page marks their sections with the time above)
    live_keys: frozenset[str] = frozenset()

    @property
    def child_length(self) -> int | None:
        return child_length(self.code)


def _sum_values(groups) -> Values:
    total: Values = defaultdict(Decimal)
    for values in groups:
        for k, v in values.items():
            total[k] += v
    return total


def _level_keys() -> set[str]:
    return {f.key for f in registry.FIGURES.values() if f.kind == "level"}


def live_groups(
    code: str, now: datetime.datetime, *, fresh: bool = False
) -> tuple[dict[str | None, Values], datetime.datetime, bool]:
    """The live sources' groups for the region `code` (grouped as `summary` groups it), when they
    were computed, and whether they came from the cache: computed now when `fresh` (or when none
    is kept), then kept for `live_cache.seconds()`."""
    length = live_cache.grouping_length(code)
    if not fresh:
        stored = live_cache.get(code, length)
        if stored is not None:
            groups, computed_at = stored
            return dict(groups), computed_at, True
    # as of the data read: a lagging replica's last replayed commit, not the clock
    computed_at = replica.read_as_of(timezone.now())
    groups = compute(code, length, now, live=True)
    live_cache.put(code, length, groups, computed_at)
    return groups, computed_at, False


def _merge_live(
    totals: Values, children: dict[str, Values], code: str, groups: dict[str | None, Values]
) -> None:
    """Add the figures computed when read (a median, the highest level): a live source gives the
    region's own value with group None; a level held by the region itself (group `code`) applies
    to every sub-region."""
    groups = dict(groups)
    level_keys = _level_keys()
    own = groups.pop(code, {})
    explicit = groups.pop(None, {})
    for g, values in groups.items():
        children.setdefault(g, defaultdict(Decimal)).update(values)
    for k, v in own.items():
        if k[0] in level_keys:
            for g, target in children.items():
                if g != code:
                    target[k] = max(target.get(k, Decimal(0)), v)
    totals.update(explicit)
    for k in {k for values in (own, *groups.values()) for k in values if k[0] in level_keys}:
        totals[k] = max(values.get(k, Decimal(0)) for values in (own, *groups.values()))


def _without_trends(values: Values) -> Values:
    return defaultdict(Decimal, {k: v for k, v in values.items() if not k[0].startswith("trend.")})


def summary(region: Region | None, *, now: datetime.datetime | None = None, live: bool = False) -> Summary:
    """The region's figures and those of its direct sub-regions (every sub-region on record, and
    the region's own level when records are held there).

    `live`: nothing read from the roll-ups or the live cache, everything computed for this read;
    a read at a given `now` (a report) computes its live figures too."""
    fresh = live or now is not None
    now = now or timezone.now()
    code = region.code if region else ""
    length = child_length(code)
    computed_at = None if live else last_run()
    children: dict[str, Values] = defaultdict(lambda: defaultdict(Decimal))
    if computed_at is not None:
        totals: Values = defaultdict(Decimal)
        rows = (
            RegionFigure.objects.filter(Q(region_code=code) | Q(parent_code=code))
            .exclude(key=RUN_KEY)
            .exclude(Q(parent_code=code) & Q(key__startswith="trend."))
        )
        for region_code, key, dim, value in rows.values_list("region_code", "key", "dim", "value"):
            target = totals if region_code == code else children[region_code]
            target[(key, dim)] = value
        totals = _without_trends(totals)
        own = _own_level(totals, children)
        if own:
            children[code] = own
        source = "rollup"
    else:
        groups = compute(code, length or len(code), now, live=False)
        totals = _without_trends(_sum_values(groups.values()))
        if length:
            for g, values in groups.items():
                children[g] = _without_trends(values)
        # as of the data read: a lagging replica's last replayed commit, not the clock
        source, computed_at = "live", replica.read_as_of(now)
    if length:
        subregions = (
            Region.objects.filter(parent_id=code) if code else Region.objects.filter(parent__isnull=True)
        )
        names = dict(subregions.values_list("code", "name"))
        missing = [g for g in children if g not in names and g != code]
        if missing:
            names.update(Region.objects.filter(code__in=missing).values_list("code", "name"))
        for g in names:  # every sub-region gets a row, with or without records
            children.setdefault(g, defaultdict(Decimal))
    else:
        names, children = {}, {}
    groups, live_at, cached = live_groups(code, now, fresh=fresh)
    live_keys = frozenset(k[0] for values in groups.values() for k in values)
    _merge_live(totals, children, code, groups)
    names[code] = _("本级（直属）")
    return Summary(
        region, code, computed_at, source, totals, dict(children), names, live_at, cached, live_keys
    )


def _own_level(totals: Values, children: dict[str, Values]) -> Values:
    """What is held at the region's own level (e.g. allocations to a county seen from the county):
    the total minus the sub-regions' sum."""
    summed = _sum_values(children.values())
    own = {k: v - summed.get(k, Decimal(0)) for k, v in totals.items() if not k[0].startswith("trend.")}
    return defaultdict(Decimal, {k: v for k, v in own.items() if v})


# --- presenting ----------------------------------------------------------------------------------


def figure_value(fig: Figure, values: Values) -> Decimal | None:
    if fig.ratio:
        num = figure_value(registry.FIGURES.get(fig.ratio[0]) or Figure(fig.ratio[0], "", ""), values)
        den = figure_value(registry.FIGURES.get(fig.ratio[1]) or Figure(fig.ratio[1], "", ""), values)
        if not den:
            return None
        return (Decimal(num or 0) / den).quantize(Decimal("0.0001"))
    if fig.kind in ("hours", "level"):
        return values.get((fig.key, ""))
    if fig.total_is_sum:
        return sum((v for (k, _d), v in values.items() if k == fig.key), Decimal(0))
    return values.get((fig.key, ""), Decimal(0))


def plain(fig: Figure, value: Decimal | None) -> Any:
    """A figure's value as shown: counts and levels as integers, money to the fen."""
    if value is None:
        return None
    if fig.kind == "count" or fig.kind == "level":
        return int(value)
    if fig.kind == "money":
        return value.quantize(Decimal("0.01"))
    return value


def level_label(fig: Figure, value) -> str:
    if fig.kind != "level" or value is None or not fig.dims:
        return ""
    return str(fig.dims().get(str(int(value)), value))


def figure_link(fig: Figure, code: str, q: FigureQuery | None = None, dim: str = "") -> str:
    """The URL of the list behind `fig` for the region `code` (and a dim of it), "" for none."""
    if fig.link is None:
        return ""
    return fig.link.url(code, q or FigureQuery(prefix=code, length=len(code)), dim)


def figure_rows(values: Values, code: str | None = None, now: datetime.datetime | None = None) -> list[dict]:
    """Every registered figure: value, and its split by dim (with labels); with `code`, the URL of
    the list behind each figure and dim, filtered to that region."""
    q = FigureQuery(prefix=code, length=len(code), now=now or timezone.now()) if code is not None else None
    out = []
    for fig in registry.figures():
        value = plain(fig, figure_value(fig, values))
        dims = []
        if fig.dims and fig.kind != "level":
            labels = fig.dims()
            present = sorted({d for (k, d) in values if k == fig.key and d})
            for d in present:
                dims.append(
                    {
                        "dim": d,
                        "label": str(labels.get(d) or _("其他")),  # never the raw code
                        "value": plain(fig, values.get((fig.key, d))),
                        "url": figure_link(fig, code, q, d) if q and fig.link and fig.link.dim_param else "",
                    }
                )
        out.append(
            {
                "key": fig.key,
                "label": str(fig.label),
                "section": fig.section,
                "unit": str(fig.unit),
                "kind": fig.kind,
                "value": value,
                "value_label": level_label(fig, value),
                "help": str(fig.help),
                "dims": dims,
                "url": figure_link(fig, code, q) if q else "",
                "note": str(fig.link.note) if fig.link and fig.link.note else "",
            }
        )
    return out


def table_figures() -> list[Figure]:
    return [f for f in registry.figures() if f.in_table]


def subregion_value(s: Summary, code: str, fig: Figure) -> Any:
    """One sub-region's value of a figure, as the sub-region table, the map and the ranking show
    it (relief/dashboard/board.py reads it through here)."""
    return plain(fig, figure_value(fig, s.children.get(code, {})))


def table_rows(s: Summary) -> list[dict[str, Any]]:
    """The sub-region table: one row per direct sub-region (plus this level's own records)."""
    figs = table_figures()
    rows = []
    for g in sorted(s.children, key=lambda c: (c == s.code, c)):
        row_figures = {}
        for fig in figs:
            row_figures[fig.key] = subregion_value(s, g, fig)
        rows.append(
            {
                "code": g,
                "name": s.names.get(g, g),
                "is_own_level": g == s.code,
                "has_region": g in s.names and g != s.code,
                "figures": row_figures,
                "labels": {f.key: level_label(f, row_figures[f.key]) for f in figs if f.kind == "level"},
            }
        )
    return rows


# --- trends ----------------------------------------------------------------------------------------


def weeks(now: datetime.datetime) -> list[datetime.date]:
    today = timezone.localdate(now)
    start = registry.winter_start(today).date()
    monday = start - datetime.timedelta(days=start.weekday())
    this_monday = today - datetime.timedelta(days=today.weekday())
    out = []
    while monday <= this_monday:
        out.append(monday)
        monday += datetime.timedelta(days=7)
    return out


def trends(
    region: Region | None, *, now: datetime.datetime | None = None, live: bool = False
) -> dict[str, Any]:
    """Weekly series over the winter for the region: {"weeks": [...], "series": [{key, label, unit,
    values}], "computed_at", "source"}."""
    now = now or timezone.now()
    code = region.code if region else ""
    computed_at = None if live else last_run()
    values: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    if computed_at is not None:
        rows = RegionFigure.objects.filter(region_code=code, key__startswith="trend.")
        for key, dim, value in rows.values_list("key", "dim", "value"):
            values[(key, dim)] = value
        source = "rollup"
    else:
        for group in compute(code, len(code), now, live=False).values():
            for k, v in group.items():
                if k[0].startswith("trend."):
                    values[k] += v
        # as of the data read: a lagging replica's last replayed commit, not the clock
        source, computed_at = "live", replica.read_as_of(now)
    week_list = weeks(now)
    series = []
    for t in registry.trends():
        series.append(
            {
                "key": t.key,
                "label": str(t.label),
                "unit": str(t.unit),
                "values": [values.get((t.key, w.isoformat()), Decimal(0)) for w in week_list],
            }
        )
    return {"weeks": week_list, "series": series, "computed_at": computed_at, "source": source}
