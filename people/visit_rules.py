"""When a person is next due a visit: the one definition.

    next visit due = the day of the person's last visit (to them, or to their household as a whole;
                     never visited: the registration date)
                   + the effective interval: the shortest interval of the visit rules the person
                     matches, each rule's shortened to the cold-wave interval while a cold-wave
                     warning is in force for the person's region (rules with `cold_wave` set).
    No rule matches (or the person is inactive): NULL, not due.

`refresh_sql` turns it into one `UPDATE people_person ... FROM (...)` over a county (or a set of
people in it), which people.services.person_refresh_next_visit runs; what it stores on Person
(`next_visit_due`, `visit_rule_name`, `visit_interval_days`, `visit_cold_wave`) is what the
visit-overdue sweep, the dashboard's 探访逾期 figure, the `visit_overdue` list filter and the visit
form read. Which rules apply in a region (national ones, replaced or added to by a region's own):
see VisitRule's docstring. Intervals come from the rule or from the county's policy values
(`visit_interval_*_days`); the cold-wave condition from relief.alerts.sweeps, registered by patrols
(people never imports patrols; without patrols installed no cold-wave interval applies).

The stored date depends on the day (ages, categories in force, warnings that end by themselves),
so a nightly recompute (people.tasks.refresh_next_visits) keeps it true between changes.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q, QuerySet, Value
from django.db.models.sql.datastructures import BaseTable
from django.utils import timezone
from django.utils.translation import gettext

from people.models import Assistance, Household, Person, Visit, VisitRule, years_ago
from relief.alerts.sweeps import condition
from relief.policy import MissingPolicyParameter, policy_value
from relief.regions import ancestor_codes


def rule_condition(rule: VisitRule, today: datetime.date) -> Q:
    """The people (of any region) a visit rule's conditions cover, as a filter on Person."""
    q = Q()
    if rule.lives_alone:
        q &= Q(lives_alone=True)
    if rule.cohort:  # the monitored cohort beyond the categories (Household.cohort_until)
        q &= Q(household__cohort_until__gte=today)
    if rule.flag:
        q &= Q(**{rule.flag: True})
    if rule.min_age is not None:
        q &= Q(birth_date__lte=years_ago(rule.min_age, today))
    if rule.max_age is not None:
        q &= Q(birth_date__gt=years_ago(rule.max_age, today))
    if rule.category:
        covered = (
            Assistance.objects.current(today)
            .filter(household=OuterRef("household_id"), category=rule.category)
            .filter(Q(person__isnull=True) | Q(person=OuterRef("pk")))
        )
        if rule.tekun_mode:
            covered = covered.filter(tekun_mode=rule.tekun_mode)
        q &= Q(Exists(covered))
    return q


def _scope(rule: VisitRule, same_name: list[VisitRule]) -> Q:
    """The people a rule speaks for: its region's (everyone's for a national rule), less the
    regions inside it that have their own rule of the same name."""
    q = Q(region__code__startswith=rule.region_id) if rule.region_id else Q()
    for other in same_name:
        if other.pk == rule.pk or not other.region_id:
            continue
        if rule.region_id is None or (
            other.region_id.startswith(rule.region_id) and len(other.region_id) > len(rule.region_id)
        ):
            q &= ~Q(region__code__startswith=other.region_id)
    return q


@dataclass(frozen=True)
class AppliedRule:
    rule: VisitRule
    condition: Q  # region scope, active, and the rule's own conditions
    days: int  # the rule's interval
    cold_days: int | None  # the interval while a cold wave is in force, when shorter


def rules_for_county(county_code: str, today: datetime.date) -> list[AppliedRule]:
    """The rules in force for the people of a county, shortest interval first (the rule named for a
    person is the first one they match). A handful of queries, whatever the number of people."""
    candidates = list(
        VisitRule.objects.filter(
            Q(region__isnull=True)
            | Q(region_id__in=ancestor_codes(county_code))
            | Q(region__code__startswith=county_code)
        )
    )
    by_name: dict[str, list[VisitRule]] = {}
    for rule in candidates:
        by_name.setdefault(rule.name, []).append(rule)
    active = [r for r in candidates if r.active]
    keys = {r.interval_key for r in active if r.interval_key}
    days = {key: int(policy_value(key, county_code, today)) for key in keys}
    cold_days = None
    if any(r.cold_wave for r in active) and condition("cold_wave") is not None:
        cold_days = int(policy_value("visit_interval_cold_wave_days", county_code, today))
    applied = []
    for rule in active:
        interval = rule.interval_days if rule.interval_days is not None else days[rule.interval_key]
        shortened = cold_days if rule.cold_wave and cold_days is not None and cold_days < interval else None
        cond = _scope(rule, by_name[rule.name]) & Q(active=True) & rule_condition(rule, today)
        applied.append(AppliedRule(rule, cond, interval, shortened))
    return sorted(applied, key=lambda a: (a.days, a.rule.name, a.rule.pk))


def _moment(today: datetime.date) -> datetime.datetime:
    """The moment a computation for `today` looks at: now, or noon of another day (tests, reruns)."""
    if today == timezone.localdate():
        return timezone.now()
    return timezone.make_aware(datetime.datetime.combine(today, datetime.time(12)))


def schedule_sql(
    county_code: str, today: datetime.date, people: QuerySet | None = None, *, table: str | None = None
) -> tuple[str, list]:
    """One SELECT of every person of a county (or of `people` among them): `id`, `due` (the next
    visit due), `days` (the effective interval), `rule` (the rule's name, '' for none) and `cold`
    (shortened by a cold wave). Each rule's conditions are evaluated once per person (the inner
    select is materialised: each is read four times), the last-visit look-ups only for people some
    rule covers.

    `table`: read the persons from this table instead of people_person (the same columns: the
    roster import's staged new persons, people/roster/writer.py), so that their schedule is stored
    as they are inserted; everything else (assistance records, visits, cold waves) is read as
    stored."""
    applied = rules_for_county(county_code, today)
    cold_fn = condition("cold_wave") if any(a.cold_days for a in applied) else None
    annotations = {
        f"vr_{i}": ExpressionWrapper(a.condition, output_field=BooleanField()) for i, a in enumerate(applied)
    }
    annotations["vr_cold"] = (
        Exists(cold_fn(county_code, OuterRef("region_id"), _moment(today)))
        if cold_fn is not None
        else Value(False)
    )
    inner = Person.objects.in_region(county_code)
    if people is not None:
        inner = inner.filter(pk__in=people.values("pk"))
    inner = inner.order_by().annotate(**annotations).values("id", "household_id", "created_at", *annotations)
    if table is not None:
        # the same query, its person table read under the name it has in it ("people_person")
        query = inner.query
        alias = query.get_initial_alias()
        query.alias_map[alias] = BaseTable(table, alias)
    inner_sql, inner_params = inner.query.sql_with_params()

    params: list = list(inner_params)
    if applied:
        any_match = " OR ".join(f"s.vr_{i}" for i in range(len(applied)))
        effective, base, names = [], [], []
        for i, a in enumerate(applied):
            if a.cold_days is not None:
                effective.append(f"CASE WHEN s.vr_{i} THEN (CASE WHEN s.vr_cold THEN %s ELSE %s END) END")
                params += [a.cold_days, a.days]
            else:
                effective.append(f"CASE WHEN s.vr_{i} THEN %s END")
                params.append(a.days)
        for i, a in enumerate(applied):
            base.append(f"CASE WHEN s.vr_{i} THEN %s END")
            params.append(a.days)
        for i, a in enumerate(applied):
            names.append(f"WHEN s.vr_{i} THEN %s")
            params.append(a.rule.name)
        days_sql = f"LEAST({', '.join(effective)})"  # LEAST skips NULLs
        base_sql = f"LEAST({', '.join(base)})"
        name_sql = f"CASE {' '.join(names)} ELSE '' END"
    else:
        any_match, days_sql, base_sql, name_sql = "FALSE", "NULL::integer", "NULL::integer", "''"
    since_sql = f"""CASE WHEN {any_match} THEN (COALESCE(GREATEST(
            (SELECT max(v.visited_at) FROM people_visit v WHERE v.person_id = s.id),
            (SELECT max(v.visited_at) FROM people_visit v
              WHERE v.household_id = s.household_id AND v.person_id IS NULL)
        ), s.created_at) AT TIME ZONE %s)::date END"""  # noqa: S608 - no value in it, only %s
    params.append(timezone.get_current_timezone_name())
    sql = f"""
        WITH s AS MATERIALIZED ({inner_sql}),
        c AS (
            SELECT s.id, {days_sql} AS days, {base_sql} AS base, {name_sql} AS rule, {since_sql} AS since
            FROM s
        )
        SELECT id, since + days AS due, days, rule, COALESCE(days < base, FALSE) AS cold FROM c
    """  # noqa: S608 - the ORM's SQL with its parameters, and column names; every value is a %s
    return sql, params


def refresh_sql(
    county_code: str, today: datetime.date, people: QuerySet | None = None, *, table: str | None = None
) -> tuple[str, list]:
    """One statement that stores the next visit due of the people of a county (or of `people`
    among them) as `schedule_sql` computes it, touching only the rows whose schedule changed;
    `table`: of the rows of that table instead (see `schedule_sql`)."""
    select, params = schedule_sql(county_code, today, people, table=table)
    target = f'"{table}"' if table else "people_person"
    sql = f"""
        WITH d AS ({select})
        UPDATE {target} p
        SET next_visit_due = d.due, visit_interval_days = d.days, visit_rule_name = d.rule,
            visit_cold_wave = d.cold
        FROM d
        WHERE p.id = d.id
          AND (p.next_visit_due IS DISTINCT FROM d.due OR p.visit_interval_days IS DISTINCT FROM d.days
               OR p.visit_rule_name <> d.rule OR p.visit_cold_wave <> d.cold)
    """  # noqa: S608 - the SELECT above with its parameters, and a table name; every value is a %s
    return sql, params


# --- What the visit form proposes ---------------------------------------------------------------


@dataclass(frozen=True)
class Proposal:
    date: datetime.date | None
    reason: str  # "王秀英：高龄独居老人（80周岁以上） · 寒潮预警期间 7 天"
    by_rule: bool  # False: no rule covers them, the general interval is only a suggestion


def next_visit_proposal(
    household: Household, person: Person | None = None, on: datetime.date | None = None
) -> Proposal:
    """The next visit a visit on `on` (default today) should set: for a member, their rule's
    interval from then; for the household as a whole, the shortest of its active members'. Read
    from the stored schedule (one query). No rule: the general interval, as a suggestion."""
    on = on or timezone.localdate()
    if person is not None:
        members = [person] if person.active else []
    else:
        members = list(
            household.members.filter(active=True, visit_interval_days__isnull=False).order_by(
                "visit_interval_days", "id"
            )
        )
    ruled = [m for m in members if m.visit_interval_days is not None]
    if ruled:
        first = min(ruled, key=lambda m: m.visit_interval_days)
        reason = first.visit_reason if person is not None else f"{first.name}：{first.visit_reason}"
        return Proposal(on + datetime.timedelta(days=first.visit_interval_days), reason, True)
    try:
        days = int(policy_value("visit_interval_general_days", household.region_id, on))
    except MissingPolicyParameter:
        return Proposal(None, "", False)
    return Proposal(
        on + datetime.timedelta(days=days),
        gettext("不在探访规则范围内，按一般对象每 %(n)s 天") % {"n": days},
        False,
    )


def check_next_visit(visit: Visit) -> None:
    """A next-visit date later than the visit rules ask for needs a reason in the visit's note (an
    earlier one is always fine). Called by the visit services."""
    if not visit.next_visit_due or (visit.note or "").strip():
        return
    proposal = next_visit_proposal(visit.household, visit.person, timezone.localtime(visit.visited_at).date())
    if proposal.by_rule and proposal.date and visit.next_visit_due > proposal.date:
        message = gettext("按探访规则（%(reason)s）应在 %(date)s 前再次探访；如需推迟，请在备注中说明原因")
        raise ValidationError(
            {"next_visit_due": message % {"reason": proposal.reason, "date": f"{proposal.date:%Y-%m-%d}"}}
        )


# --- Rules that cannot apply (the admin form refuses them) ----------------------------------------

#: child flags and the age they stop at (留守儿童: under 16; the others: under 18)
CHILD_FLAG_AGES = {
    "is_orphan": 18,
    "is_unsupported_child": 18,
    "is_child_in_distress": 18,
    "is_left_behind_child": 16,
}
MAX_AGE = 130
MAX_INTERVAL_DAYS = 366


def rule_problems(rule: VisitRule, on: datetime.date | None = None) -> dict[str, str]:
    """What makes a visit rule one that can never apply or never run, by field (empty: fine).
    The model's own clean() covers one interval and 特困供养方式 only with 特困."""
    problems: dict[str, str] = {}
    limit = CHILD_FLAG_AGES.get(rule.flag)
    if limit is not None:
        if rule.min_age is not None and rule.min_age >= limit:
            problems["min_age"] = gettext("“%(flag)s”只适用于未满%(n)d周岁的儿童，年龄下限不能为%(age)d") % {
                "flag": rule.get_flag_display(),
                "n": limit,
                "age": rule.min_age,
            }
        if rule.lives_alone:
            problems["lives_alone"] = gettext(
                "儿童标识不能与“须独居”同时选择：独居的儿童请按“事实无人抚养儿童”设置"
            )
    if rule.max_age is not None and rule.max_age == 0:
        problems["max_age"] = gettext("年龄上限须大于0")
    for name in ("min_age", "max_age"):
        value = getattr(rule, name)
        if value is not None and value > MAX_AGE and name not in problems:
            problems[name] = gettext("年龄不能超过%(n)d周岁") % {"n": MAX_AGE}
    if rule.interval_days is not None and not 1 <= rule.interval_days <= MAX_INTERVAL_DAYS:
        problems["interval_days"] = gettext("探访间隔天数须在1到%(n)d天之间") % {"n": MAX_INTERVAL_DAYS}
    keys = [("interval_key", rule.interval_key)] if rule.interval_key else []
    if rule.cold_wave:
        keys.append(("cold_wave", "visit_interval_cold_wave_days"))
    for name, key in keys:
        try:
            policy_value(key, rule.region_id or None, on)
        except MissingPolicyParameter as exc:
            if rule.region_id:
                text = gettext("该区划未设置这项政策参数，规则无法计算探访间隔：%(why)s")
            else:
                text = gettext("全国未设置这项政策参数，规则无法计算探访间隔：%(why)s")
            problems[name] = text % {"why": str(exc)}
    return problems


def check_rule(rule: VisitRule, on: datetime.date | None = None) -> None:
    problems = rule_problems(rule, on)
    if problems:
        raise ValidationError(problems)
