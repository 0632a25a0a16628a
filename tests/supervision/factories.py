"""督查 helpers for tests: a city trip to the home county, started, through the services."""

from __future__ import annotations

import datetime

from supervision import services


def make_trip(user, regions=("510121",), *, start=True, **kw):
    trip = services.trip_create(
        actor=user,
        title=kw.pop("title", "冬季救助工作督查"),
        leader=kw.pop("leader", "王副局长"),
        members=kw.pop("members", "李明、张华"),
        planned_start=kw.pop("planned_start", datetime.date(2026, 12, 1)),
        planned_end=kw.pop("planned_end", datetime.date(2026, 12, 3)),
        regions=list(regions),
        **kw,
    )
    if start:
        trip = services.trip_start(actor=user, trip=trip)
    return trip


def make_finding(user, trip, region="510121", **kw):
    return services.finding_add(
        actor=user,
        trip=trip,
        region=region,
        area=kw.pop("area", "visits"),
        text=kw.pop("text", "高龄独居老人近一个月无走访记录"),
        requirement=kw.pop("requirement", "一周内完成走访"),
        **kw,
    )


def issued(user, regions=("510121",), n=1, region="510121"):
    """A trip with `n` findings for `region`, issued. Returns (trip, findings)."""
    trip = make_trip(user, regions)
    findings = [make_finding(user, trip, region, text=f"问题{i}") for i in range(n)]
    trip = services.trip_issue(actor=user, trip=trip)
    for f in findings:
        f.refresh_from_db()
    return trip, findings
