"""Reading reports: which sub-regions of a region have sent up their report for a day (上报情况),
and the regions reports are made for."""

from __future__ import annotations

import datetime

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from relief.models import Region, RegionFigure
from reports.models import Kind, Report, State

#: reports are made for provinces, cities and counties (townships report through their county)
REPORT_LEVELS = (2, 4, 6)
#: a region "has people" when the roll-ups count anyone on the register there
PEOPLE_KEY = "people.monitored"


def period_of(kind: str, day: datetime.date) -> datetime.date:
    """A daily report's period is its day; a weekly one's the Monday of its week."""
    return day - datetime.timedelta(days=day.weekday()) if kind == Kind.WEEKLY else day


def regions_with_people(prefix: str = "") -> list[str]:
    """Codes of the provinces, cities and counties (under `prefix`) whose roll-ups count people:
    one query on the roll-up table, never a scan of the register."""
    rows = (
        RegionFigure.objects.filter(key=PEOPLE_KEY, value__gt=0, region_code__startswith=prefix)
        .exclude(region_code="")
        .values_list("region_code", flat=True)
        .distinct()
    )
    return sorted(c for c in rows if len(c) in REPORT_LEVELS)


def subregion_status(region: Region, kind: str, day: datetime.date) -> list[dict]:
    """Each direct sub-region of `region` expected to report (it has people, or it has a report):
    reported (已上报), generated but not submitted (已生成未上报) or missing (未生成). Two queries."""
    period = period_of(kind, day)
    if len(region.code) >= 6:
        return []
    reports = {
        r.region_id: r
        for r in Report.objects.children_of(region.code).of(kind, period).select_related("submitted_by")
    }
    expected = set(
        RegionFigure.objects.filter(parent_code=region.code, key=PEOPLE_KEY, value__gt=0).values_list(
            "region_code", flat=True
        )
    )
    codes = expected | set(reports)
    names = dict(Region.objects.filter(Q(code__in=codes)).values_list("code", "name"))
    out = []
    for code in sorted(codes):
        report = reports.get(code)
        if report is None:
            status = "missing"
        elif report.state == State.SUBMITTED:
            status = "submitted"
        else:
            status = "generated"
        out.append(
            {
                "code": code,
                "name": names.get(code, code),
                "status": status,
                "report": report,
                "submitted_at": report.submitted_at if report else None,
            }
        )
    return out


STATUS_LABELS = {"submitted": _("已上报"), "generated": _("已生成未上报"), "missing": _("未生成")}
