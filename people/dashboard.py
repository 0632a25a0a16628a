"""The people app's dashboard figures (registered with relief's dashboard from PeopleConfig.ready()):
people monitored by category, visit coverage this week, overdue visits, and weekly visits.

- Monitored: active members of a household with an assistance record in force today; a record
  made for one member (特困) counts that member only. A person in two categories counts once in
  the total.
- Coverage this week: monitored households visited since Monday 00:00, over monitored households.
- Overdue (探访逾期人员): active people whose next visit due under the visit rules has passed
  (Person.visit_overdue, the stored date people/visit_rules.py defines): the people the
  visit-overdue sweep raises its alerts for, and the people list filtered with `visit_overdue=1`.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q
from django.db.models.functions import TruncWeek
from django.utils.translation import gettext_lazy as _

from people.models import Assistance, Category, Household, Person, Visit
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

HOUSEHOLDS = "people:index"


def _monitored(q: FigureQuery) -> dict[str, str]:
    return {"monitored": "1"}


def _visited_this_week(q: FigureQuery) -> dict[str, str]:
    return {"monitored": "1", "visited_since": q.week_start.date().isoformat()}


def _visit_overdue(q: FigureQuery) -> dict[str, str]:
    return {"visit_overdue": "1"}


def monitored_people(q: FigureQuery) -> Iterable[Row]:
    """One GROUP BY with grouping sets: per sub-region and category, and per sub-region (distinct)."""
    sql = """
        SELECT substring(p.region_code, 1, %(length)s) AS g, a.category, count(DISTINCT p.id)
        FROM people_person p
        JOIN people_assistance a
          ON a.household_id = p.household_id AND (a.person_id IS NULL OR a.person_id = p.id)
        WHERE p.active AND p.region_code LIKE %(prefix)s
          AND a.start_date <= %(today)s AND (a.end_date IS NULL OR a.end_date >= %(today)s)
        GROUP BY GROUPING SETS ((1, 2), (1))
    """
    with connection.cursor() as cur:
        cur.execute(sql, {"length": q.length, "prefix": q.prefix + "%", "today": q.today})
        for g, category, n in cur.fetchall():
            yield g, "people.monitored", category or "", n


def households_and_visits(q: FigureQuery) -> Iterable[Row]:
    current = Assistance.objects.current(q.today).filter(household=OuterRef("pk"))
    this_week = Visit.objects.filter(household=OuterRef("pk"), visited_at__gte=q.week_start)
    rows = (
        grouped(Household.objects.filter(Exists(current)), q)
        .annotate(visited=Exists(this_week))
        .values("g")
        .annotate(households=Count("pk"), visited_week=Count("pk", filter=Q(visited=True)))
    )
    for r in rows:
        yield r["g"], "people.households", "", r["households"]
        yield r["g"], "people.visited_week", "", r["visited_week"]


def visits_overdue(q: FigureQuery) -> Iterable[Row]:
    """People overdue a visit, from the index on (next_visit_due, region) of active people."""
    rows = grouped(Person.objects.visit_overdue(q.today), q).values("g").annotate(n=Count("pk"))
    for r in rows:
        yield r["g"], "people.visits_overdue", "", r["n"]


def weekly_visits(q: FigureQuery) -> Iterable[Row]:
    rows = (
        grouped(Visit.objects.filter(visited_at__gte=q.winter_start, visited_at__lte=q.now), q)
        .annotate(week=TruncWeek("visited_at"))
        .values("g", "week")
        .annotate(n=Count("pk"))
    )
    for r in rows:
        yield r["g"], "trend.visits", r["week"].date().isoformat(), r["n"]


def category_labels() -> dict[str, str]:
    return dict(Category.choices)


register(
    section=Section("people", _("困难群众"), order=10),
    figures=[
        Figure(
            "people.monitored",
            _("在册监测人数"),
            "people",
            _("人"),
            order=10,
            dims=category_labels,
            in_table=True,
            total_is_sum=False,
            help=_("有效救助类别认定覆盖的在册人员；同一人属于多个类别时合计只计一次"),
            link=Link(
                HOUSEHOLDS,
                _monitored,
                dim_param="category",
                same_as="people.households",
                note=_("按人计；点击查看的名单按户列出，户数即“监测家庭”"),
            ),
        ),
        Figure(
            "people.households",
            _("监测家庭"),
            "people",
            _("户"),
            order=20,
            help=_("有有效救助类别认定的家庭；困难群众台账中未在认定期内的家庭不计"),
            link=Link(HOUSEHOLDS, _monitored),
        ),
        Figure(
            "people.visited_week",
            _("本周已走访家庭"),
            "people",
            _("户"),
            order=30,
            link=Link(HOUSEHOLDS, _visited_this_week),
        ),
        Figure(
            "people.visit_coverage",
            _("本周走访覆盖率"),
            "people",
            kind="ratio",
            order=40,
            ratio=("people.visited_week", "people.households"),
            in_table=True,
            target="target_visit_coverage_pct",
            link=Link(
                HOUSEHOLDS,
                _visited_this_week,
                same_as="people.visited_week",
                note=_("比例；点击查看本周已走访的监测家庭"),
            ),
        ),
        Figure(
            "people.visits_overdue",
            _("探访逾期人员"),
            "people",
            _("人"),
            order=50,
            in_table=True,
            target="target_visits_overdue",
            lower_is_better=True,
            help=_(
                "按探访规则计算的下次应探访日期已过、仍未探访的在册人员（含寒潮预警期间加密探访），"
                "与“探访逾期”预警的人数一致；人员名单中勾选“探访逾期”可查看"
            ),
            link=Link(
                HOUSEHOLDS,
                _visit_overdue,
                measure="",
                note=_("按人计；名单按家庭列出，页首显示其中探访逾期人员人数"),
            ),
        ),
    ],
    trends=[Trend("trend.visits", _("每周走访次数"), _("次"), order=10)],
    sources=[
        Source("people.monitored", monitored_people),
        Source("people.households", households_and_visits),
        Source("people.visits_overdue", visits_overdue),
        Source("people.trend_visits", weekly_visits),
    ],
)
