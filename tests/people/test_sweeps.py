"""The people app's monitoring sweeps: visits overdue by rule, 应保未保 and rigid-expense candidates,
children without a guardian, people unable to care for themselves without a carer.

Each sweep: the right alerts with a Chinese message, nothing new on a second run, an alert resolves
itself when its condition clears, the same number of queries for few and many people, and one
county's run never touches another county's people."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from people import services
from people.models import Person, VisitRule, years_ago
from people.sweeps import DIBAO_UNCOVERED, NO_CARER, NO_GUARDIAN, RIGID_EXPENSE, VISIT_OVERDUE
from relief.alerts.sweeps import SWEEPS, sweep_county
from relief.models import Alert, AlertStatus, PolicyParameter, Severity
from tests.conftest import HOME_COUNTY, OTHER_COUNTY
from tests.people.factories import AssistanceFactory, HouseholdFactory, PersonFactory, VisitFactory

pytestmark = pytest.mark.django_db

VILLAGE = "510121001001"
OTHER_VILLAGE = "510129001001"
TODAY = timezone.localdate


def ago(days: int) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=days)


def person(
    village: str = VILLAGE, *, age: int = 40, registered_days_ago: int = 400, household=None, **fields
):
    """A person of `age` (a few days past the birthday), registered long ago unless told."""
    household = household or HouseholdFactory(region_id=village)
    birth = years_ago(age, TODAY()) - datetime.timedelta(days=3)
    return PersonFactory(household=household, birth=birth, created_at=ago(registered_days_ago), **fields)


def alerts(kind: str):
    return Alert.objects.filter(kind=kind)


def sweep_visits(county: str, today=None):
    """The visit-overdue sweep reads Person.next_visit_due: the factories write people, visits and
    warnings behind the services' back, so store the schedule first, as the nightly task does."""
    services.person_refresh_next_visit()
    return sweep_county(VISIT_OVERDUE, county, today)


def test_every_people_sweep_is_registered():
    assert {VISIT_OVERDUE, DIBAO_UNCOVERED, RIGID_EXPENSE, NO_GUARDIAN, NO_CARER} <= set(SWEEPS)
    assert SWEEPS[NO_GUARDIAN].severity == Severity.URGENT


def test_default_visit_rules_come_from_the_migration():
    names = set(VisitRule.objects.values_list("name", flat=True))
    assert {
        "高龄独居老人（80周岁以上）",
        "独居老人（60周岁以上）",
        "分散供养特困人员",
        "困境儿童",
        "孤儿",
    } <= names
    high = VisitRule.objects.get(name="高龄独居老人（80周岁以上）")
    assert (high.lives_alone, high.min_age, high.interval_key) == (True, 80, "visit_interval_high_risk_days")


# --- Visits overdue by rule ------------------------------------------------------------------------


@pytest.fixture
def visit_cases(regions):
    """The home county's people under (or outside) the default rules, and one in the other county."""
    p = {}
    p["old_alone_late"] = person(age=82, lives_alone=True, name="王秀英")
    VisitFactory(household=p["old_alone_late"].household, person=p["old_alone_late"], visited_at=ago(10))
    p["old_alone_fresh"] = person(age=85, lives_alone=True, name="赵桂兰")
    VisitFactory(household=p["old_alone_fresh"].household, person=p["old_alone_fresh"], visited_at=ago(3))
    p["alone_60"] = person(age=65, lives_alone=True, name="孙德明")
    VisitFactory(household=p["alone_60"].household, person=p["alone_60"], visited_at=ago(20))
    p["tekun_never"] = person(age=70, name="周长顺", registered_days_ago=40)
    AssistanceFactory(
        household=p["tekun_never"].household,
        person=p["tekun_never"],
        category="tekun",
        tekun_mode="dispersed",
    )
    p["tekun_new"] = person(
        age=70, name="吴有才", registered_days_ago=5
    )  # registered 5 days ago: not yet due
    AssistanceFactory(
        household=p["tekun_new"].household, person=p["tekun_new"], category="tekun", tekun_mode="dispersed"
    )
    p["tekun_centralized"] = person(age=75, name="郑老汉")
    AssistanceFactory(
        household=p["tekun_centralized"].household,
        person=p["tekun_centralized"],
        category="tekun",
        tekun_mode="centralized",
    )
    p["child_household_visit"] = person(
        age=10, is_child_in_distress=True, guardian_name="张奶奶", name="刘小宝"
    )
    VisitFactory(household=p["child_household_visit"].household, person=None, visited_at=ago(5))
    p["orphan_grown_up"] = person(age=19, is_orphan=True, guardian_name="叔叔", name="陈成年")
    p["young_no_rule"] = person(age=40, name="普通人")
    p["inactive"] = person(age=88, lives_alone=True, active=False, name="已注销")
    p["other_county"] = person(OTHER_VILLAGE, age=90, lives_alone=True, name="邻县老人")
    return p


def test_visits_overdue_by_rule_raise_once_and_resolve_when_visited(visit_cases, users):
    result = sweep_visits(HOME_COUNTY)
    found = {a.subject_id: a for a in alerts(VISIT_OVERDUE)}
    expected = {visit_cases["old_alone_late"], visit_cases["tekun_never"]}
    assert result.raised == 2
    assert set(found) == {str(p.pk) for p in expected}
    late = found[str(visit_cases["old_alone_late"].pk)]
    assert late.message.startswith(
        "王秀英（高龄独居老人（80周岁以上））逾期未探访：应每7天探访一次，已逾期3天"
    )
    assert "最近一次探访：" in late.message
    assert late.region_id == VILLAGE and late.subject == visit_cases["old_alone_late"]
    never = found[str(visit_cases["tekun_never"].pk)]
    assert (
        "分散供养特困人员" in never.message
        and "应每30天" in never.message
        and "登记后从未探访" in never.message
    )

    assert sweep_visits(HOME_COUNTY).raised == 0  # idempotent
    assert alerts(VISIT_OVERDUE).count() == 2

    # the visit clears its alert (and the alert's task) at once, not at the next nightly sweep
    services.visit_record(actor=users["village"], household=late.subject.household, person=late.subject)
    late.refresh_from_db()
    assert late.status == AlertStatus.RESOLVED
    assert late.tasks.get().state == "done"
    cleared = sweep_visits(HOME_COUNTY)
    assert (cleared.raised, cleared.resolved) == (0, 0)
    assert list(late.events.values_list("action", flat=True)) == ["raised", "auto_resolved"]


def test_other_county_is_swept_separately(visit_cases):
    sweep_visits(HOME_COUNTY)
    assert not alerts(VISIT_OVERDUE).filter(region__code__startswith=OTHER_COUNTY).exists()
    assert sweep_visits(OTHER_COUNTY).raised == 1
    assert alerts(VISIT_OVERDUE).get(region_id=OTHER_VILLAGE).subject == visit_cases["other_county"]
    # the home county's run does not resolve the other county's alert
    assert sweep_visits(HOME_COUNTY).resolved == 0
    assert alerts(VISIT_OVERDUE).filter(status=AlertStatus.OPEN).count() == 3


def test_a_cold_wave_warning_shortens_the_interval_to_a_week(visit_cases, regions):
    from tests.patrols.factories import ColdWaveWarningFactory

    sweep_visits(HOME_COUNTY)
    assert not alerts(VISIT_OVERDUE).filter(subject_id=str(visit_cases["alone_60"].pk)).exists()
    warning = ColdWaveWarningFactory(region=regions["township"])  # the township of the village
    assert sweep_visits(HOME_COUNTY).raised == 1
    alert = alerts(VISIT_OVERDUE).get(subject_id=str(visit_cases["alone_60"].pk))
    assert "独居老人（60周岁以上）" in alert.message and "应每7天" in alert.message
    # the warning is lifted: the monthly interval applies again and the alert resolves itself
    warning.ends_at = timezone.now() - datetime.timedelta(minutes=1)
    warning.save()
    assert sweep_visits(HOME_COUNTY).resolved == 1


def test_a_cold_wave_in_another_township_changes_nothing(visit_cases, regions):
    from tests.factories import region
    from tests.patrols.factories import ColdWaveWarningFactory

    ColdWaveWarningFactory(region=region("510121002"))
    ColdWaveWarningFactory(region=regions["other_county"])
    assert sweep_visits(HOME_COUNTY).raised == 2


def test_rules_and_intervals_are_data_an_administrator_changes(visit_cases):
    ill = person(age=50, severe_illness=True, name="重病者")
    VisitFactory(household=ill.household, person=ill, visited_at=ago(20))
    VisitRule.objects.create(name="重病人员", flag="severe_illness", interval_days=14)
    VisitRule.objects.filter(name="分散供养特困人员").update(active=False)
    sweep_visits(HOME_COUNTY)
    subjects = set(alerts(VISIT_OVERDUE).values_list("subject_id", flat=True))
    assert subjects == {str(visit_cases["old_alone_late"].pk), str(ill.pk)}
    assert (
        "重病者（重病人员）逾期未探访：应每14天" in alerts(VISIT_OVERDUE).get(subject_id=str(ill.pk)).message
    )
    # the county sets its own high-risk interval (policy parameter): 85-year-old visited 3 days ago is late
    PolicyParameter.objects.create(
        key="visit_interval_high_risk_days",
        region_id=HOME_COUNTY,
        value=2,
        valid_from=datetime.date(2020, 1, 1),
    )
    assert sweep_visits(HOME_COUNTY).raised == 1
    assert alerts(VISIT_OVERDUE).filter(subject_id=str(visit_cases["old_alone_fresh"].pk)).exists()


def test_no_rules_means_no_visit_alerts(visit_cases):
    VisitRule.objects.update(active=False)
    assert sweep_visits(HOME_COUNTY).raised == 0


# --- 应保未保 and rigid expenditure ----------------------------------------------------------------


@pytest.fixture
def income_cases(regions):
    h = {}
    # rural (a village household): 低保标准 600 a head; two members, 1000 a month: 500 a head
    h["poor_uncovered"] = HouseholdFactory(region_id=VILLAGE, is_urban=False, monthly_income=Decimal(1000))
    person(household=h["poor_uncovered"], name="马大勇")
    person(household=h["poor_uncovered"], name="马小勇", age=12)
    h["poor_uncovered"].head = h["poor_uncovered"].members.first()
    h["poor_uncovered"].save()
    h["poor_covered"] = HouseholdFactory(region_id=VILLAGE, monthly_income=Decimal(300))
    person(household=h["poor_covered"])
    AssistanceFactory(household=h["poor_covered"], category="dibao")
    h["poor_lapsed"] = HouseholdFactory(region_id=VILLAGE, monthly_income=Decimal(300))
    person(household=h["poor_lapsed"])
    AssistanceFactory(
        household=h["poor_lapsed"],
        category="dibao",
        start_date=datetime.date(2020, 1, 1),
        end_date=datetime.date(2021, 1, 1),
    )
    # urban: standard 800; one member with 700 is below, one with 900 is not
    h["urban_poor"] = HouseholdFactory(region_id=VILLAGE, is_urban=True, monthly_income=Decimal(700))
    person(household=h["urban_poor"])
    h["urban_ok"] = HouseholdFactory(region_id=VILLAGE, is_urban=True, monthly_income=Decimal(900))
    person(household=h["urban_ok"])
    h["empty"] = HouseholdFactory(region_id=VILLAGE, monthly_income=Decimal(0))  # no active member
    h["other_county"] = HouseholdFactory(region_id=OTHER_VILLAGE, monthly_income=Decimal(0))
    person(household=h["other_county"])
    return h


def test_dibao_uncovered_candidates(income_cases, users):
    result = sweep_county(DIBAO_UNCOVERED, HOME_COUNTY)
    found = {a.subject_id: a for a in alerts(DIBAO_UNCOVERED)}
    expected = {income_cases[k].pk for k in ("poor_uncovered", "poor_lapsed", "urban_poor")}
    assert result.raised == 3 and set(found) == {str(pk) for pk in expected}
    alert = found[str(income_cases["poor_uncovered"].pk)]
    assert alert.message == (
        "马大勇户人均月收入500.00元，低于当地农村低保标准600元，未纳入低保或特困，请核实是否应保未保"
    )
    assert alert.subject_label == "马大勇户"
    assert "城市低保标准800元" in found[str(income_cases["urban_poor"].pk)].message
    assert sweep_county(DIBAO_UNCOVERED, HOME_COUNTY).raised == 0

    services.assistance_add(
        actor=users["county"],
        household=income_cases["poor_uncovered"],
        category="dibao",
        start_date=TODAY() - datetime.timedelta(days=1),
    )
    assert sweep_county(DIBAO_UNCOVERED, HOME_COUNTY).resolved == 1
    assert not alerts(DIBAO_UNCOVERED).filter(region__code__startswith=OTHER_COUNTY).exists()


def test_dibao_standard_is_the_countys_own(income_cases):
    PolicyParameter.objects.create(
        key="dibao_standard_rural", region_id=HOME_COUNTY, value=400, valid_from=datetime.date(2020, 1, 1)
    )
    sweep_county(DIBAO_UNCOVERED, HOME_COUNTY)
    found = set(alerts(DIBAO_UNCOVERED).values_list("subject_id", flat=True))
    # 500 a head is above 400 now; the 300 a head rural household is still below
    assert str(income_cases["poor_uncovered"].pk) not in found
    assert str(income_cases["poor_lapsed"].pk) in found


def test_rigid_expense_candidates(regions):
    heavy = HouseholdFactory(region_id=VILLAGE, monthly_income=Decimal(1000), expense_medical=Decimal(8000))
    light = HouseholdFactory(region_id=VILLAGE, monthly_income=Decimal(1000), expense_medical=Decimal(7000))
    HouseholdFactory(region_id=VILLAGE, monthly_income=Decimal(0))  # no spending, no candidate
    HouseholdFactory(region_id=OTHER_VILLAGE, monthly_income=Decimal(0), expense_education=Decimal(100))
    assert sweep_county(RIGID_EXPENSE, HOME_COUNTY).raised == 1
    alert = alerts(RIGID_EXPENSE).get()
    assert alert.subject == heavy and alert.severity == Severity.INFO
    assert alert.message == (
        f"{heavy.address}近12个月刚性支出8000.00元，超过家庭年收入12000.00元的60%，可作为支出型临时救助对象核实"
    )
    assert sweep_county(RIGID_EXPENSE, HOME_COUNTY).raised == 0
    light.expense_heating = Decimal(1000)  # 8000 > 7200 now
    light.save()
    assert sweep_county(RIGID_EXPENSE, HOME_COUNTY).raised == 1
    heavy.monthly_income = Decimal(3000)
    heavy.save()
    assert sweep_county(RIGID_EXPENSE, HOME_COUNTY).resolved == 1


# --- Guardians and carers --------------------------------------------------------------------------


def test_children_without_a_guardian(regions, users):
    lone = person(age=9, is_unsupported_child=True, is_child_in_distress=True, name="李小草")
    person(age=9, is_orphan=True, guardian_name="王阿姨")
    person(age=20, is_orphan=True)  # grown up
    person(age=9)  # no flag
    person(OTHER_VILLAGE, age=8, is_left_behind_child=True)
    assert sweep_county(NO_GUARDIAN, HOME_COUNTY).raised == 1
    alert = alerts(NO_GUARDIAN).get()
    assert alert.subject == lone and alert.severity == Severity.URGENT
    assert alert.message == "李小草（事实无人抚养儿童、困境儿童）未登记监护人，请核实监护情况并补录"
    assert sweep_county(NO_GUARDIAN, HOME_COUNTY).raised == 0
    services.person_update(
        actor=users["village"], person=lone, guardian_name="李奶奶", guardian_relation="祖母"
    )
    assert sweep_county(NO_GUARDIAN, HOME_COUNTY).resolved == 1


def test_unable_to_care_for_themselves_without_a_carer(regions, users):
    alone = person(age=77, unable_self_care=True, name="何大爷")
    person(age=77, unable_self_care=True, carer_name="何儿子")
    person(OTHER_VILLAGE, age=77, unable_self_care=True)
    assert sweep_county(NO_CARER, HOME_COUNTY).raised == 1
    alert = alerts(NO_CARER).get()
    assert alert.message == "何大爷生活不能自理，未登记照料人，请核实照料安排并补录"
    assert sweep_county(NO_CARER, HOME_COUNTY).raised == 0
    Person.objects.filter(pk=alone.pk).update(carer_name="邻居刘姐")
    assert sweep_county(NO_CARER, HOME_COUNTY).resolved == 1


# --- Set-based: the query count does not grow with the number of people ---------------------------


def populate(village: str, n: int) -> None:
    """n of each finding in one village."""
    for i in range(n):
        old = person(village, age=85, lives_alone=True, unable_self_care=True, name=f"老人{i}")
        VisitFactory(household=old.household, person=old, visited_at=ago(15))
        tekun = person(village, age=70, name=f"特困{i}")
        AssistanceFactory(household=tekun.household, person=tekun, category="tekun", tekun_mode="dispersed")
        person(village, age=8, is_orphan=True, name=f"孤儿{i}")
        HouseholdFactory(region_id=village, monthly_income=Decimal(10), expense_medical=Decimal(500))


@pytest.mark.parametrize("kind", [VISIT_OVERDUE, DIBAO_UNCOVERED, RIGID_EXPENSE, NO_GUARDIAN, NO_CARER])
def test_query_count_does_not_grow_with_people(kind, regions):
    from tests.patrols.factories import ColdWaveWarningFactory

    ColdWaveWarningFactory(region=regions["province"])
    populate(VILLAGE, 2)
    populate(OTHER_VILLAGE, 25)
    services.person_refresh_next_visit()  # what the visit sweep reads (the other sweeps ignore it)
    sweep_county(kind, "14")  # warm the content-type cache
    with CaptureQueriesContext(connection) as small:
        few = sweep_county(kind, HOME_COUNTY)
    with CaptureQueriesContext(connection) as large:
        many = sweep_county(kind, OTHER_COUNTY)
    assert 0 < few.raised < many.raised
    assert len(small) == len(large), [q["sql"][:120] for q in large.captured_queries]


def test_run_sweeps_command_prints_raised_and_resolved_per_kind(regions):
    from io import StringIO

    from django.core.management import call_command

    person(age=77, unable_self_care=True)
    person(OTHER_VILLAGE, age=77, unable_self_care=True)
    out = StringIO()
    call_command("run_sweeps", "--county", HOME_COUNTY, "--kind", NO_CARER, stdout=out)
    assert f"{NO_CARER}\t新产生 1\t自动解除 0" in out.getvalue()
    assert "合计：1 个县，新产生 1，自动解除 0" in out.getvalue()
    out = StringIO()
    call_command("run_sweeps", "--all", "--kind", NO_CARER, "--kind", NO_GUARDIAN, stdout=out)
    assert f"{NO_CARER}\t新产生 1\t" in out.getvalue()  # the other county's; the home one exists already
    assert Alert.objects.filter(kind=NO_CARER).count() == 2


def test_a_county_never_computed_is_computed_before_the_visit_sweep_reads_it(visit_cases):
    # a database migrated before Person.next_visit_due existed: nothing stored yet. The sweep must
    # not read "not stored" as "not due" (and resolve every open visit-overdue alert).
    from people.models import Person

    Person.objects.update(next_visit_due=None)
    raised = sweep_county(VISIT_OVERDUE, HOME_COUNTY).raised
    assert raised == 2  # the same two people the stored schedule finds
    assert Person.objects.filter(region__code__startswith=HOME_COUNTY, next_visit_due__isnull=False).exists()
