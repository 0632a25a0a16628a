"""The patrols app's dashboard figures (registered with relief's dashboard from PatrolsConfig.ready()):
patrol shifts, encounters and people placed this winter, weekly encounters, and the cold-wave level.

- Placed: people met on the street who were escorted to a rescue station or taken to hospital.
- Cold-wave level: the highest level in force now for the region, an enclosing region, or any
  part of it (computed when read: it is not a sum).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Count, Max, Q
from django.db.models.functions import Length, TruncWeek
from django.utils.translation import gettext_lazy as _

from patrols.models import ColdWaveLevel, ColdWaveWarning, Encounter, PatrolShift
from relief.dashboard.registry import (
    Figure,
    FigureQuery,
    Link,
    Row,
    Section,
    Source,
    Trend,
    grouped,
    register,
)
from relief.regions import ancestor_codes

SHIFTS = "patrols:shift-list"


def _this_winter(q: FigureQuery) -> dict[str, str]:
    return {"since": q.winter_start.date().isoformat()}


def _night_this_winter(q: FigureQuery) -> dict[str, str]:
    return {"since": q.winter_start.date().isoformat(), "night": "1"}


def shifts(q: FigureQuery) -> Iterable[Row]:
    rows = (
        grouped(PatrolShift.objects.filter(started_at__gte=q.winter_start, started_at__lte=q.now), q)
        .values("g")
        .annotate(n=Count("pk"), night=Count("pk", filter=Q(is_night=True)))
    )
    for r in rows:
        yield r["g"], "patrols.shifts", "", r["n"]
        yield r["g"], "patrols.night_shifts", "", r["night"]


def encounters(q: FigureQuery) -> Iterable[Row]:
    rows = (
        grouped(Encounter.objects.filter(occurred_at__gte=q.winter_start, occurred_at__lte=q.now), q)
        .values("g")
        .annotate(
            n=Count("pk"),
            placed=Count("pk", filter=Q(escorted_to_station=True) | Q(medical_referral=True)),
        )
    )
    for r in rows:
        yield r["g"], "patrols.encounters", "", r["n"]
        yield r["g"], "patrols.placed", "", r["placed"]


def weekly_encounters(q: FigureQuery) -> Iterable[Row]:
    rows = (
        grouped(Encounter.objects.filter(occurred_at__gte=q.winter_start, occurred_at__lte=q.now), q)
        .annotate(week=TruncWeek("occurred_at"))
        .values("g", "week")
        .annotate(n=Count("pk"))
    )
    for r in rows:
        yield r["g"], "trend.encounters", r["week"].date().isoformat(), r["n"]


def cold_wave(q: FigureQuery) -> Iterable[Row]:
    """The level of warnings on the region itself or enclosing it (row for `q.prefix`: applies to
    every sub-region), and the highest level inside each sub-region."""
    active = ColdWaveWarning.objects.active_at(q.now)
    if q.prefix:
        base = active.filter(region_id__in=ancestor_codes(q.prefix)).aggregate(m=Max("level"))["m"]
        if base:
            yield q.prefix, "patrols.cold_wave", "", base
    inside = (
        grouped(active.annotate(code_len=Length("region_id")).filter(code_len__gt=len(q.prefix)), q)
        .values("g")
        .annotate(m=Max("level"))
    )
    for r in inside:
        yield r["g"], "patrols.cold_wave", "", r["m"]


def level_labels() -> dict[str, str]:
    return {str(value): label for value, label in ColdWaveLevel.choices}


register(
    section=Section("patrols", _("街面巡查救助"), order=30),
    figures=[
        Figure(
            "patrols.cold_wave",
            _("寒潮预警等级"),
            "patrols",
            kind="level",
            order=5,
            dims=level_labels,
            in_table=True,
            link=Link("patrols:coldwave", measure=""),
        ),
        Figure(
            "patrols.shifts",
            _("本冬巡查班次"),
            "patrols",
            _("次"),
            order=10,
            in_table=True,
            link=Link(SHIFTS, _this_winter),
        ),
        Figure(
            "patrols.night_shifts",
            _("其中夜间巡查"),
            "patrols",
            _("次"),
            order=20,
            link=Link(SHIFTS, _night_this_winter),
        ),
        Figure(
            "patrols.encounters",
            _("本冬街面救助"),
            "patrols",
            _("人次"),
            order=30,
            in_table=True,
            link=Link(
                SHIFTS,
                _this_winter,
                measure="encounters",
                note=_("按人次计；点击查看的名单按巡查班次列出，页首为救助人次合计"),
            ),
        ),
        Figure(
            "patrols.placed",
            _("护送入站或送医"),
            "patrols",
            _("人次"),
            order=40,
            in_table=True,
            help=_("街面救助中护送至救助站或送医救治的人次"),
            link=Link(SHIFTS, _this_winter, measure="placed"),
        ),
    ],
    trends=[Trend("trend.encounters", _("每周街面救助人次"), _("人次"), order=30)],
    sources=[
        Source("patrols.shifts", shifts),
        Source("patrols.encounters", encounters),
        Source("patrols.trend_encounters", weekly_encounters),
        Source("patrols.cold_wave", cold_wave, live=True),
    ],
)
