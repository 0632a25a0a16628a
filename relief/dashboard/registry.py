"""The dashboard's registry: each app contributes its own figures from `<app>/dashboard.py`
(imported by its AppConfig.ready()), so relief imports no app.

An app registers:

- `Figure`s: what is shown (key, label, unit, section, how to display it). A figure whose value is
  a share names its numerator and denominator (`ratio=(num_key, den_key)`) instead of a source.
- `Source`s: functions that compute raw values, set-based. `compute(q)` receives a `FigureQuery` and
  returns rows `(group, key, dim, value)` for the records under `q.prefix`, grouped by
  `substring(region_code, 1, q.length)`: ONE `GROUP BY` per table, never a query per region. `dim`
  splits a figure (by category, program, kind, week ...), "" for none.

Sources are additive (counts and sums: rolled up into `RegionFigure` by the refresh task and summed
up the region tree) unless `live=True` (a median, a highest level): those are computed when read,
from small tables.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils import timezone

Row = tuple[str, str, str, Any]  # (group code, figure key, dim, value)


@dataclass(frozen=True)
class Section:
    key: str
    label: Any
    order: int = 100


@dataclass(frozen=True)
class Link:
    """The list behind a figure: the page `url_name` filtered to the region (`?region=<code>`) and
    to the figure's condition (`params(q)`); a dim adds `dim_param=<dim>`.

    `measure` says what of that list shows the figure's number: "count" (its rows, the
    `data-count` of `relief/_list_total.html`), "amount" (the sum of its money, `data-amount`) or
    "" when the list cannot show it (a median, a level). When the figure counts something else
    than the list's rows (persons against households), `same_as` names the figure whose number
    the list shows, and `note` says so on the dashboard."""

    url_name: str
    params: Callable[[FigureQuery], dict[str, Any]] | None = None
    dim_param: str = ""
    measure: str = "count"
    same_as: str = ""
    note: Any = ""

    def url(self, code: str, q: FigureQuery, dim: str = "") -> str:
        from django.utils.http import urlencode

        query: dict[str, Any] = {"region": code} if code else {}
        query.update(self.params(q) if self.params else {})
        if dim and self.dim_param:
            query[self.dim_param] = dim
        path = list_path(self.url_name)
        return f"{path}?{urlencode(query)}" if query else path


def list_path(url_name: str) -> str:
    """`reverse(url_name)` of a list without arguments, kept per URLconf and script prefix: the
    dashboard page links every cell of its sub-region table (800 links at a province, a third of
    the page's time when each was reversed)."""
    from django.conf import settings
    from django.urls import get_script_prefix, get_urlconf

    return _list_path(url_name, str(get_urlconf() or settings.ROOT_URLCONF), get_script_prefix())


@functools.lru_cache(maxsize=256)
def _list_path(url_name: str, urlconf: str, prefix: str) -> str:
    from django.urls import reverse

    return reverse(url_name, urlconf=urlconf)


@dataclass(frozen=True)
class Figure:
    key: str
    label: Any
    section: str
    unit: Any = ""
    #: "count", "money", "ratio" (0..1, shown as a percentage), "hours", "level"
    kind: str = "count"
    order: int = 100
    #: the figure's dims and their labels: a callable, so labels can come from the database
    dims: Callable[[], dict[str, Any]] | None = None
    #: (numerator key, denominator key) of a share; the value is computed, not stored
    ratio: tuple[str, str] | None = None
    #: shown as a column of the sub-region table (its total, without dims)
    in_table: bool = False
    #: False when the total is not the sum of the dims (a person in two categories counts once):
    #: the source then also emits the total with dim ""
    total_is_sum: bool = True
    help: Any = ""
    #: the list behind the figure (every figure has one: tests/relief/test_dashboard_links.py)
    link: Link | None = None
    #: the policy parameter (relief/policy.py) holding the figure's target: a figure with a target
    #: is offered on the dashboard's map and in the "who is behind" ranking (relief/dashboard/board.py).
    #: A share's target is in percent.
    target: str = ""
    #: True when less is better (overdue visits, open hazards): the gap is value - target
    lower_is_better: bool = False


@dataclass(frozen=True)
class Trend:
    """A weekly series over the winter: a source's figure whose dims are ISO week start dates."""

    key: str
    label: Any
    unit: Any = ""
    order: int = 100


@dataclass(frozen=True)
class FigureQuery:
    prefix: str
    length: int
    now: datetime.datetime = field(default_factory=timezone.now)

    @property
    def today(self) -> datetime.date:
        return timezone.localdate(self.now)

    @property
    def week_start(self) -> datetime.datetime:
        """Monday 00:00 (local time) of the current week."""
        today = self.today
        monday = today - datetime.timedelta(days=today.weekday())
        return timezone.make_aware(datetime.datetime.combine(monday, datetime.time.min))

    @property
    def winter_start(self) -> datetime.datetime:
        return winter_start(self.today)


def winter_start(today: datetime.date) -> datetime.datetime:
    """The start of this winter's campaign (寒冬送温暖: October to mid-March): 1 October."""
    year = today.year if today.month >= 10 else today.year - 1
    return timezone.make_aware(datetime.datetime(year, 10, 1))


def winter_year(today: datetime.date) -> int:
    """The funds year the winter's money is counted in: the calendar year of today."""
    return today.year


@dataclass(frozen=True)
class Source:
    name: str
    compute: Callable[[FigureQuery], Iterable[Row]]
    live: bool = False


SECTIONS: dict[str, Section] = {}
FIGURES: dict[str, Figure] = {}
TRENDS: dict[str, Trend] = {}
SOURCES: dict[str, Source] = {}


def register(
    *,
    section: Section,
    figures: Iterable[Figure] = (),
    sources: Iterable[Source] = (),
    trends: Iterable[Trend] = (),
) -> None:
    """Add an app's section, figures, trends and sources (idempotent: keyed by name)."""
    SECTIONS[section.key] = section
    for f in figures:
        FIGURES[f.key] = f
    for t in trends:
        TRENDS[t.key] = t
    for s in sources:
        SOURCES[s.name] = s


def sections() -> list[Section]:
    return sorted(SECTIONS.values(), key=lambda s: (s.order, s.key))


def figures() -> list[Figure]:
    order = {s.key: s.order for s in SECTIONS.values()}
    return sorted(FIGURES.values(), key=lambda f: (order.get(f.section, 999), f.order, f.key))


def trends() -> list[Trend]:
    return sorted(TRENDS.values(), key=lambda t: (t.order, t.key))


def target_figures() -> list[Figure]:
    """The figures with a target: the map's choice and the ranking's sections."""
    return [f for f in figures() if f.target]


def additive_sources() -> list[Source]:
    return [s for s in SOURCES.values() if not s.live]


def live_sources() -> list[Source]:
    return [s for s in SOURCES.values() if s.live]


def grouped(queryset, q: FigureQuery, field: str = "region_id"):
    """`queryset` narrowed to the region `q.prefix` (through its scope field) and annotated with
    `g`, the code of the sub-region each row falls in: `substring(field, 1, q.length)`. Use with
    `.values("g", ...).annotate(...)`: one GROUP BY for all sub-regions."""
    from django.db.models.functions import Substr

    return queryset.in_region(q.prefix).annotate(g=Substr(field, 1, q.length)).order_by()


def counted_rows(queryset, q: FigureQuery, measures: dict[str, Any]) -> Iterable[Row]:
    """Rows of a live source counting `measures` ({figure key: aggregate}) over `queryset`: one
    GROUP BY for the sub-regions (`grouped()`), then the region's own totals (group None), which a
    live source must give itself."""
    totals = dict.fromkeys(measures, 0)
    for r in grouped(queryset, q).values("g").annotate(**measures):
        for key in measures:
            totals[key] += r[key]
            yield r["g"], key, "", r[key]
    for key, value in totals.items():
        yield None, key, "", value


def state_params(state: str) -> Callable[[FigureQuery], dict[str, str]]:
    """A Link's params: the list behind a figure filtered to `?state=<state>`."""
    return lambda q: {"state": state}


def as_decimal(value: Any) -> Decimal:
    if value is None:
        return Decimal(0)
    return value if isinstance(value, Decimal) else Decimal(str(value))
