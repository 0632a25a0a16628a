"""Monitoring sweeps of the people app (see relief/alerts/sweeps.py): who is being missed on the register.

Each function returns one QuerySet for one county, annotated as relief.alerts.sweeps expects; the numbers it
needs (policy parameters, visit rules) are read first with a handful of queries whatever the number
of people, and the rest is set-based SQL:

- visits overdue by rule: the person's stored next visit due has passed (computed from VisitRule and
  the cold-wave condition by people/visit_rules.py; see there);
- 应保未保 candidates: income per head below the local 低保 standard, not covered by 低保/特困 and
  not applying for either;
- rigid expenditure above the local share of annual income: a 支出型临时救助 candidate;
- children at risk with no recorded guardian; people unable to care for themselves with no carer.
"""

from __future__ import annotations

import datetime
import functools
import operator

from django.core.exceptions import FieldDoesNotExist
from django.db.models import (
    Case,
    CharField,
    Count,
    DateField,
    DecimalField,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Concat, Greatest, Round, TruncDate
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from people.choices import (
    DIBAO_UNCOVERED,
    NO_CARER,
    NO_GUARDIAN,
    RIGID_EXPENSE,
    VISIT_OVERDUE,
)
from people.models import (
    Assistance,
    Category,
    Household,
    Person,
    Visit,
    years_ago,
)
from people.visit_rules import rule_condition  # noqa: F401  (its old home; the definition moved)
from relief.alerts.delta import Inputs, Window
from relief.alerts.sweeps import sql_message
from relief.models import Severity
from relief.policy import policy_value

# Children the guardian sweep watches (their flag and its label in the message).
CHILD_FLAGS = {
    "is_orphan": _("孤儿"),
    "is_unsupported_child": _("事实无人抚养儿童"),
    "is_child_in_distress": _("困境儿童"),
    "is_left_behind_child": _("留守儿童"),
}
CHILD_AGE_LIMIT = 18
MONEY = DecimalField(max_digits=14, decimal_places=2)


def _yuan(amount) -> str:
    """800.0000 -> "800", 612.5000 -> "612.5"."""
    return f"{amount.normalize():f}"


def _keyed(kind: str) -> Concat:
    return Concat(Value(f"{kind}:"), Cast("pk", CharField()), output_field=CharField())


# --- Visits overdue by rule -------------------------------------------------------------------------


def overdue_visits(county_code: str, today: datetime.date) -> QuerySet:
    """People whose next visit due under the visit rules (Person.next_visit_due, kept by
    people.services.person_refresh_next_visit from the one definition in people/visit_rules.py:
    last visit to them or their household, else registration, plus the shortest matching rule's
    interval, the cold-wave interval while a warning is in force) has passed. An index range over
    the county's due people; no rule is evaluated here."""
    to_person = Visit.objects.filter(person=OuterRef("pk")).order_by("-visited_at").values("visited_at")[:1]
    to_household = (
        Visit.objects.filter(household=OuterRef("household_id"), person__isnull=True)
        .order_by("-visited_at")
        .values("visited_at")[:1]
    )
    overdue_days = Func(
        Value(today, output_field=DateField()),
        F("next_visit_due"),
        arg_joiner=" - ",
        template="(%(expressions)s)",
        output_field=IntegerField(),
    )
    last_seen = Case(
        When(last_visit__isnull=True, then=Value(gettext("登记后从未探访"))),
        default=Concat(Value(gettext("最近一次探访：")), Cast(TruncDate("last_visit"), CharField())),
        output_field=CharField(),
    )
    return (
        Person.objects.in_region(county_code)
        .filter(active=True, next_visit_due__lt=today)
        .annotate(last_visit=Greatest(Subquery(to_person), Subquery(to_household)))  # GREATEST skips NULLs
        .annotate(
            dedup_key=_keyed(VISIT_OVERDUE),
            region_code=F("region_id"),
            message=sql_message(
                gettext(
                    "%(name)s（%(rule)s）逾期未探访：应每%(days)s天探访一次，已逾期%(overdue)s天，%(last)s"
                ),
                name=F("name"),
                rule=F("visit_rule_name"),
                days=F("visit_interval_days"),
                overdue=overdue_days,
                last=last_seen,
            ),
            subject_id=F("pk"),
            subject_label=F("name"),
        )
    )


# --- 应保未保 and rigid expenditure -------------------------------------------------------------


def _households(county_code: str) -> QuerySet:
    members = (
        Person.objects.filter(household=OuterRef("pk"), active=True)
        .order_by()
        .values("household")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Household.objects.in_region(county_code).annotate(
        member_count=Coalesce(Subquery(members, output_field=IntegerField()), 0)
    )


def _household_label() -> Concat:
    return Case(
        When(head__isnull=False, then=Concat(F("head__name"), Value(gettext("户")))),
        default=F("address"),
        output_field=CharField(),
    )


def _applying() -> Exists | None:
    """Households with an application for 低保 or 特困 in progress: the enrolments app (a floor above
    people, reached through the reverse relation `household.enrolments`, never imported) answers a
    应保未保 alert with one, so the sweep does not raise it again while the application runs. None
    when no app keeps applications."""
    try:
        model = Household._meta.get_field("enrolments").related_model
    except FieldDoesNotExist:
        return None
    return Exists(
        model.objects.open().filter(household=OuterRef("pk"), kind__in=[Category.DIBAO, Category.TEKUN])
    )


def dibao_uncovered(county_code: str, today: datetime.date) -> QuerySet:
    """Households whose monthly income per head is below the local 低保 standard (urban or rural by
    the household) with no 低保 or 特困 in force and no application for either in progress:
    candidates the township should check (应保未保)."""
    urban = policy_value("dibao_standard_urban", county_code, today)
    rural = policy_value("dibao_standard_rural", county_code, today)
    standard = Case(When(is_urban=True, then=Value(urban)), default=Value(rural), output_field=MONEY)
    covered = Assistance.objects.current(today).filter(
        household=OuterRef("pk"), category__in=[Category.DIBAO, Category.TEKUN]
    )
    per_head = Round(Cast(F("monthly_income"), MONEY) / Cast(F("member_count"), MONEY), 2, output_field=MONEY)
    return (
        _households(county_code)
        .annotate(dibao_standard=standard)
        .filter(member_count__gt=0, monthly_income__lt=F("dibao_standard") * F("member_count"))
        .filter(~Exists(covered))
        .filter(~applying if (applying := _applying()) is not None else Q())
        .annotate(
            dedup_key=_keyed(DIBAO_UNCOVERED),
            region_code=F("region_id"),
            message=sql_message(
                gettext(
                    "%(household)s人均月收入%(per_head)s元，低于当地%(kind)s低保标准%(standard)s元，"
                    "未纳入低保或特困，请核实是否应保未保"
                ),
                household=_household_label(),
                per_head=per_head,
                kind=Case(
                    When(is_urban=True, then=Value(gettext("城市"))),
                    default=Value(gettext("农村")),
                    output_field=CharField(),
                ),
                standard=Case(
                    When(is_urban=True, then=Value(_yuan(urban))),
                    default=Value(_yuan(rural)),
                    output_field=CharField(),
                ),
            ),
            subject_id=F("pk"),
            subject_label=_household_label(),
        )
    )


def rigid_expense(county_code: str, today: datetime.date) -> QuerySet:
    """Households whose rigid spending of the last 12 months is above the local share of their annual
    income: candidates for 支出型临时救助."""
    share = policy_value("rigid_expense_share", county_code, today)
    total = F("expense_medical") + F("expense_education") + F("expense_heating") + F("expense_disaster")
    return (
        Household.objects.in_region(county_code)
        .annotate(rigid_total=Cast(total, MONEY), annual_income=Cast(F("monthly_income") * 12, MONEY))
        .filter(rigid_total__gt=0)
        .filter(rigid_total__gt=F("annual_income") * Value(share, output_field=MONEY))
        .annotate(
            dedup_key=_keyed(RIGID_EXPENSE),
            region_code=F("region_id"),
            message=sql_message(
                gettext(
                    "%(household)s近12个月刚性支出%(total)s元，超过家庭年收入%(income)s元的%(share)s，"
                    "可作为支出型临时救助对象核实"
                ),
                household=_household_label(),
                total=F("rigid_total"),
                income=F("annual_income"),
                share=Value(f"{share * 100:.0f}%"),
            ),
            subject_id=F("pk"),
            subject_label=_household_label(),
        )
    )


# --- Guardians and carers ---------------------------------------------------------------------------


def children_without_guardian(county_code: str, today: datetime.date) -> QuerySet:
    """Orphans, de facto unsupported, in-distress and left-behind children (under 18) with no guardian
    on record."""
    any_flag = functools.reduce(operator.or_, (Q(**{flag: True}) for flag in CHILD_FLAGS))
    labels = Func(
        Value("、"),
        *[
            Case(When(**{flag: True}, then=Value(str(label))), output_field=CharField())
            for flag, label in CHILD_FLAGS.items()
        ],
        function="CONCAT_WS",
        output_field=CharField(),
    )
    return (
        Person.objects.in_region(county_code)
        .filter(any_flag, active=True, guardian_name="", birth_date__gt=years_ago(CHILD_AGE_LIMIT, today))
        .annotate(
            dedup_key=_keyed(NO_GUARDIAN),
            region_code=F("region_id"),
            message=sql_message(
                gettext("%(name)s（%(labels)s）未登记监护人，请核实监护情况并补录"),
                name=F("name"),
                labels=labels,
            ),
            subject_id=F("pk"),
            subject_label=F("name"),
        )
    )


def unable_self_care_without_carer(county_code: str, today: datetime.date) -> QuerySet:
    """People unable to care for themselves with no carer on record."""
    return (
        Person.objects.in_region(county_code)
        .filter(active=True, unable_self_care=True, carer_name="")
        .annotate(
            dedup_key=_keyed(NO_CARER),
            region_code=F("region_id"),
            message=sql_message(
                gettext("%(name)s生活不能自理，未登记照料人，请核实照料安排并补录"), name=F("name")
            ),
            subject_id=F("pk"),
            subject_label=F("name"),
        )
    )


def next_visits_stored(county_code: str) -> int:
    """Before the visit-overdue sweep reads the stored dates: a county whose people under a rule have
    none stored (a database migrated before the column, not yet refreshed) is computed now, so the
    sweep never takes "not stored" for "not due" and resolves every open alert."""
    from people.models import Person
    from people.services import person_refresh_next_visit

    people = Person.objects.filter(region__code__startswith=county_code, active=True)
    if people.filter(next_visit_due__isnull=False).exists() or not people.exists():
        return 0
    return person_refresh_next_visit(region_code=county_code)


# --- What each sweep depends on (relief/alerts/delta.py): a nightly run skips a county where none of
# it changed. The rows its findings are drawn from, the other tables they read, the policy keys, and
# the dates that can move a row in or out without any write.


def _visits_fell_due(county_code: str, window: Window) -> bool:
    """Someone's stored next visit due fell between the last run's day and today (`< today` now,
    not `< since` then): the partial index on (next_visit_due, region)."""
    return (
        Person.objects.in_region(county_code)
        .filter(active=True, next_visit_due__gte=window.since_day, next_visit_due__lt=window.today)
        .exists()
    )


def _fell_due_since(findings: QuerySet, window: Window) -> QuerySet:
    """With nothing written, the overdue only gain the people who fell due since the last run."""
    return findings.filter(next_visit_due__gte=window.since_day)


def _assistance_started_or_ended(county_code: str, window: Window) -> bool:
    """A 低保/特困 record came into force or lapsed between the two days (Assistance.current())."""
    return (
        Assistance.objects.in_region(county_code)
        .filter(category__in=[Category.DIBAO, Category.TEKUN])
        .filter(
            Q(start_date__gt=window.since_day, start_date__lte=window.today)
            | Q(end_date__gte=window.since_day, end_date__lt=window.today)
        )
        .exists()
    )


def _children_came_of_age(county_code: str, window: Window) -> bool:
    """A watched child turned 18 between the two days (born after years_ago(18) then, not now)."""
    any_flag = functools.reduce(operator.or_, (Q(**{flag: True}) for flag in CHILD_FLAGS))
    return (
        Person.objects.in_region(county_code)
        .filter(any_flag, active=True, guardian_name="")
        .filter(
            birth_date__gt=years_ago(CHILD_AGE_LIMIT, window.since_day),
            birth_date__lte=years_ago(CHILD_AGE_LIMIT, window.today),
        )
        .exists()
    )


def _enrolment_model() -> tuple[str, ...]:
    """The applications the 应保未保 sweep reads through the reverse relation (_applying())."""
    try:
        return (Household._meta.get_field("enrolments").related_model._meta.label,)
    except FieldDoesNotExist:
        return ()


def inputs() -> dict[str, Inputs]:
    return {
        # the message's last visit reads the visits; the due date is stored on the person (written by
        # person_refresh_next_visit whenever a visit, a rule or a cold wave changes it)
        VISIT_OVERDUE: Inputs(
            subject="people.Person",
            reads=("people.Visit", "people.VisitRule"),
            crossed=_visits_fell_due,
            grows=_fell_due_since,
        ),
        DIBAO_UNCOVERED: Inputs(
            subject="people.Household",
            reads=("people.Person", "people.Assistance", *_enrolment_model()),
            policy=("dibao_standard_urban", "dibao_standard_rural"),
            crossed=_assistance_started_or_ended,
        ),
        RIGID_EXPENSE: Inputs(subject="people.Household", reads=(), policy=("rigid_expense_share",)),
        NO_GUARDIAN: Inputs(subject="people.Person", reads=(), crossed=_children_came_of_age),
        NO_CARER: Inputs(subject="people.Person", reads=()),
    }


def register() -> None:
    from relief.alerts.sweeps import Sweep
    from relief.alerts.sweeps import register as register_sweep

    declared = inputs()

    # (kind, label, findings, severity, subject model, the page that answers it and its button)
    for kind, label, findings, severity, model, action, action_label in (
        (
            VISIT_OVERDUE,
            _("探访逾期"),
            overdue_visits,
            Severity.WARNING,
            "people.Person",
            "people:person-visit",
            _("记录探访"),
        ),
        (
            DIBAO_UNCOVERED,
            _("应保未保线索"),
            dibao_uncovered,
            Severity.WARNING,
            "people.Household",
            "people:household-detail",
            _("核查认定"),
        ),
        (
            RIGID_EXPENSE,
            _("刚性支出困难（临时救助线索）"),
            rigid_expense,
            Severity.INFO,
            "people.Household",
            "people:household-detail",
            _("核查救助"),
        ),
        (
            NO_GUARDIAN,
            _("困境儿童未登记监护人"),
            children_without_guardian,
            Severity.URGENT,
            "people.Person",
            "people:person-edit",
            _("登记监护人"),
        ),
        (
            NO_CARER,
            _("失能人员未登记照料人"),
            unable_self_care_without_carer,
            Severity.WARNING,
            "people.Person",
            "people:person-edit",
            _("登记照料人"),
        ),
    ):
        register_sweep(
            Sweep(
                kind=kind,
                label=label,
                findings=findings,
                severity=severity,
                subject_model=model,
                action=action,
                action_label=action_label,
                prepare=next_visits_stored if kind == VISIT_OVERDUE else None,
                inputs=declared[kind],
            )
        )
