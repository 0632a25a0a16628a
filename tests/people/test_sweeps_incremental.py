"""The nightly sweeps work only what changed since the last run (relief/alerts/delta.py), and still
raise and resolve exactly what a full run would.

Every check here runs the incremental pass (`full=False`, what the nightly task does) and then a full
pass over the same counties: the full pass must find nothing left to raise, resolve or reopen, and
leave the alerts as the incremental pass left them. Transactional tests: the change log is read by
transaction id, so each write must commit as it would in production."""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import F, IntegerField
from django.db.models.functions import Cast
from django.utils import timezone

from people import services
from people.models import Assistance, Household, Person, Visit, years_ago
from people.sweeps import DIBAO_UNCOVERED, NO_CARER, NO_GUARDIAN, RIGID_EXPENSE, VISIT_OVERDUE, _keyed
from relief.alerts.delta import Inputs, install_triggers
from relief.alerts.sweeps import SWEEPS, Sweep, register, sweep_county
from relief.models import Alert, AlertStatus, PolicyParameter, SweepRun
from tests.conftest import HOME_COUNTY, OTHER_COUNTY
from tests.people.factories import AssistanceFactory, HouseholdFactory, PersonFactory, VisitFactory

pytestmark = pytest.mark.django_db(transaction=True)

KINDS = [VISIT_OVERDUE, DIBAO_UNCOVERED, RIGID_EXPENSE, NO_GUARDIAN, NO_CARER]
COUNTIES = [HOME_COUNTY, OTHER_COUNTY]
VILLAGE = "510121001001"
OTHER_VILLAGE = "510129001001"
TODAY = timezone.localdate()


def alert_state() -> set[tuple]:
    return set(
        Alert.objects.filter(kind__in=KINDS).values_list(
            "kind", "dedup_key", "status", "cause_open", "region_id"
        )
    )


def nightly(today: datetime.date = TODAY) -> dict[tuple[str, str], object]:
    """The incremental pass, then the full pass that must have nothing left to do."""
    services.person_refresh_next_visit()  # the factories write behind the services' back
    incremental = {(k, c): sweep_county(k, c, today, full=False) for c in COUNTIES for k in KINDS}
    after = alert_state()
    for county in COUNTIES:
        for kind in KINDS:
            full = sweep_county(kind, county, today, full=True)
            assert (full.raised, full.resolved, full.reopened) == (0, 0, 0), (kind, county, today)
    assert alert_state() == after
    return incremental


def skipped(results: dict, county: str = HOME_COUNTY) -> set[str]:
    return {kind for (kind, c), r in results.items() if c == county and r.skipped}


def person(
    village: str = VILLAGE, *, age: int = 40, registered_days_ago: int = 400, household=None, **fields
):
    household = household or HouseholdFactory(region_id=village)
    birth = years_ago(age, TODAY) - datetime.timedelta(days=3)
    registered = timezone.now() - datetime.timedelta(days=registered_days_ago)
    return PersonFactory(household=household, birth=birth, created_at=registered, **fields)


def open_alert(kind: str, subject) -> bool:
    return (
        Alert.objects.filter(kind=kind, subject_id=str(subject.pk))
        .exclude(status=AlertStatus.RESOLVED)
        .exists()
    )


@pytest.fixture
def county(regions):
    """One of each finding in the home county, one overdue person next door."""
    p = {
        "overdue": person(age=82, lives_alone=True, name="王秀英"),
        "child": person(age=10, is_orphan=True, guardian_name="", name="刘小宝"),
        "no_carer": person(age=70, unable_self_care=True, carer_name="", name="李大爷"),
        "neighbour": person(OTHER_VILLAGE, age=90, lives_alone=True, name="邻县老人"),
    }
    poor = HouseholdFactory(region_id=VILLAGE, monthly_income=Decimal(400))
    p["poor"] = PersonFactory(household=poor, name="马大勇").household
    covered = HouseholdFactory(region_id=VILLAGE, monthly_income=Decimal(300))
    PersonFactory(household=covered, name="何秀兰")
    p["covered"] = covered
    p["assistance"] = AssistanceFactory(household=covered, category="dibao")
    p["heavy"] = HouseholdFactory(
        region_id=VILLAGE, monthly_income=Decimal(1000), expense_medical=Decimal(8000)
    )
    PersonFactory(household=p["heavy"])
    first = nightly()
    assert not skipped(first)  # no watermark yet: every county runs
    assert open_alert(VISIT_OVERDUE, p["overdue"]) and open_alert(DIBAO_UNCOVERED, p["poor"])
    assert open_alert(NO_GUARDIAN, p["child"]) and open_alert(NO_CARER, p["no_carer"])
    assert open_alert(RIGID_EXPENSE, p["heavy"]) and not open_alert(DIBAO_UNCOVERED, covered)
    return p


def test_a_run_with_nothing_changed_skips_every_county_and_records_it(county):
    results = nightly()
    assert skipped(results) == set(KINDS) and skipped(results, OTHER_COUNTY) == set(KINDS)
    run = SweepRun.objects.get(kind=DIBAO_UNCOVERED, county_code=HOME_COUNTY)
    assert run.ran_for == TODAY and run.statements_ran  # the full pass ran last


def test_a_new_household_below_the_dibao_line_is_raised_and_only_its_kinds_run(county):
    newcomer = HouseholdFactory(region_id=VILLAGE, monthly_income=Decimal(100))
    PersonFactory(household=newcomer)
    results = nightly()
    assert results[(DIBAO_UNCOVERED, HOME_COUNTY)].raised == 1 and open_alert(DIBAO_UNCOVERED, newcomer)
    # the next county saw no change; neither did the kinds that read none of what changed
    assert skipped(results, OTHER_COUNTY) == set(KINDS)
    assert RIGID_EXPENSE not in skipped(results)  # a household was written


def test_a_visit_recorded_resolves_and_a_visit_deleted_raises_again(county, users):
    who = county["overdue"]
    visit = services.visit_record(
        actor=users["village"], household=who.household, person=who, visited_at=timezone.now()
    )
    nightly()  # (the service resolves the alert itself; the sweeps agree)
    assert not open_alert(VISIT_OVERDUE, who)
    Visit.objects.filter(pk=visit.pk).delete()  # an administrator's delete, no service behind it
    results = nightly()
    assert VISIT_OVERDUE not in skipped(results) and open_alert(VISIT_OVERDUE, who)


def test_the_date_crossing_a_threshold_is_found_without_any_write(county):
    soon = person(age=84, lives_alone=True, name="赵桂兰")
    VisitFactory(
        household=soon.household, person=soon, visited_at=timezone.now() - datetime.timedelta(days=5)
    )
    nightly()  # written today, not due yet
    assert not open_alert(VISIT_OVERDUE, soon)
    results = nightly(TODAY + datetime.timedelta(days=10))  # no write since: only the date moved
    assert open_alert(VISIT_OVERDUE, soon) and results[(VISIT_OVERDUE, HOME_COUNTY)].raised == 1
    assert NO_CARER in skipped(results)  # not date-dependent: still skipped


def test_a_child_coming_of_age_resolves_on_the_day(county):
    child = county["child"]
    Person.objects.filter(pk=child.pk).update(birth_date=years_ago(18, TODAY) + datetime.timedelta(days=2))
    nightly()
    assert open_alert(NO_GUARDIAN, child)
    results = nightly(TODAY + datetime.timedelta(days=3))
    assert not open_alert(NO_GUARDIAN, child) and results[(NO_GUARDIAN, HOME_COUNTY)].resolved == 1


def test_a_policy_value_changed_or_taking_effect_runs_the_kinds_that_read_it(county):
    lower = PolicyParameter.objects.create(
        key="dibao_standard_rural",
        region_id=HOME_COUNTY,
        value=300,
        valid_from=TODAY - datetime.timedelta(days=1),
    )
    results = nightly()
    assert not open_alert(DIBAO_UNCOVERED, county["poor"])  # 400 a head is above 300
    assert VISIT_OVERDUE in skipped(results) and DIBAO_UNCOVERED not in skipped(results)
    PolicyParameter.objects.create(
        key="dibao_standard_rural", region_id="51", value=900, valid_from=TODAY + datetime.timedelta(days=5)
    )
    lower.delete()
    nightly()
    assert open_alert(DIBAO_UNCOVERED, county["poor"])  # the national 600 again
    results = nightly(TODAY + datetime.timedelta(days=6))  # the province's 900 takes effect
    # a province's value: both its counties run, and only the kinds that read it
    assert DIBAO_UNCOVERED not in skipped(results) and DIBAO_UNCOVERED not in skipped(results, OTHER_COUNTY)
    assert NO_CARER in skipped(results) and NO_CARER in skipped(results, OTHER_COUNTY)


def test_a_category_ended_now_or_lapsing_on_a_date_raises_the_household(county):
    Assistance.objects.filter(pk=county["assistance"].pk).update(end_date=TODAY + datetime.timedelta(days=2))
    nightly()
    assert not open_alert(DIBAO_UNCOVERED, county["covered"])
    nightly(TODAY + datetime.timedelta(days=4))  # lapsed on its end date, nothing written since
    assert open_alert(DIBAO_UNCOVERED, county["covered"])


def test_an_alert_resolved_by_hand_comes_back_as_a_full_run_would(county, users):
    from relief.alerts.services import alert_resolve

    alert = Alert.objects.get(kind=NO_CARER, subject_id=str(county["no_carer"].pk))
    alert_resolve(actor=users["county"], alert=alert, note="已核实")
    results = nightly()
    assert NO_CARER not in skipped(results) and open_alert(NO_CARER, county["no_carer"])


def test_a_household_moved_to_another_county_is_seen_in_both(county):
    Household.objects.filter(pk=county["poor"].pk).update(region_id=OTHER_VILLAGE)
    Person.objects.filter(household=county["poor"]).update(region_id=OTHER_VILLAGE)
    nightly()
    assert Alert.objects.get(
        kind=DIBAO_UNCOVERED, subject_id=str(county["poor"].pk), status=AlertStatus.OPEN
    ).region_id.startswith(OTHER_COUNTY)


def test_random_changes_incremental_matches_full(county, users):
    """Property-style: random writes and date jumps; after each, the incremental pass leaves nothing
    for a full pass to do."""
    rng = random.Random(22)
    day = TODAY
    for _step in range(25):
        op = rng.choice(["income", "new", "visit", "unvisit", "day", "policy", "end", "carer", "deactivate"])
        people = list(Person.objects.filter(active=True).order_by("pk"))
        households = list(Household.objects.order_by("pk"))
        if op == "income":
            Household.objects.filter(pk=rng.choice(households).pk).update(
                monthly_income=rng.randrange(0, 3000)
            )
        elif op == "new":
            h = HouseholdFactory(
                region_id=rng.choice([VILLAGE, OTHER_VILLAGE]), monthly_income=rng.randrange(0, 2000)
            )
            person(household=h, age=rng.choice([8, 40, 70, 85]), lives_alone=rng.random() < 0.5)
        elif op == "visit":
            p = rng.choice(people)
            VisitFactory(household=p.household, person=p, visited_at=timezone.now())
        elif op == "unvisit" and Visit.objects.exists():
            Visit.objects.filter(pk=Visit.objects.order_by("?").values("pk")[:1]).delete()
        elif op == "day":
            day = day + datetime.timedelta(days=rng.choice([1, 7, 30, 120]))
        elif op == "policy":
            PolicyParameter.objects.create(
                key=rng.choice(["dibao_standard_rural", "rigid_expense_share"]),
                region_id=rng.choice([HOME_COUNTY, OTHER_COUNTY, "51"]),
                value=rng.choice([Decimal("0.3"), 500, 700]),
                valid_from=day + datetime.timedelta(days=rng.choice([-1, 3])),
            )
        elif op == "end" and Assistance.objects.exists():
            Assistance.objects.filter(pk=Assistance.objects.order_by("?").values("pk")[:1]).update(
                end_date=day + datetime.timedelta(days=rng.choice([-1, 2]))
            )
        elif op == "carer":
            Person.objects.filter(pk=rng.choice(people).pk).update(
                carer_name=rng.choice(["", "张三"]), unable_self_care=True
            )
        elif op == "deactivate":
            Person.objects.filter(pk=rng.choice(people).pk).update(active=False)
        nightly(day)


# --- A run that fails keeps the previous watermark --------------------------------------------------

CRASHING = "test.crashing"


def numeric_names(county_code: str, today: datetime.date):
    """Fails in SQL as soon as the county holds a person whose name is not a number."""
    return (
        Person.objects.in_region(county_code)
        .annotate(n=Cast(F("name"), IntegerField()))
        .filter(n__gte=0)
        .annotate(
            dedup_key=_keyed(CRASHING),
            region_code=F("region_id"),
            message=F("name"),
            subject_id=F("pk"),
            subject_label=F("name"),
        )
    )


@pytest.fixture
def crashing(regions):
    register(
        Sweep(
            kind=CRASHING,
            label="测试",
            findings=numeric_names,
            inputs=Inputs(subject="people.Person", reads=()),
        )
    )
    install_triggers([SWEEPS[CRASHING]])
    yield CRASHING
    del SWEEPS[CRASHING]


def test_a_run_that_fails_mid_county_keeps_the_old_watermark(crashing):
    PersonFactory(household=HouseholdFactory(region_id=VILLAGE), name="1")
    assert sweep_county(CRASHING, HOME_COUNTY, full=False).raised == 1
    before = SweepRun.objects.values().get(kind=CRASHING, county_code=HOME_COUNTY)
    bad = PersonFactory(household=HouseholdFactory(region_id=VILLAGE), name="张三")
    with pytest.raises(Exception, match="invalid input syntax"):
        sweep_county(CRASHING, HOME_COUNTY, full=False)
    assert SweepRun.objects.values().get(kind=CRASHING, county_code=HOME_COUNTY) == before
    assert Alert.objects.filter(kind=CRASHING).count() == 1  # nothing half-written
    Person.objects.filter(pk=bad.pk).update(name="2")
    assert sweep_county(CRASHING, HOME_COUNTY, full=False).raised == 1  # the change was still pending
    assert sweep_county(CRASHING, HOME_COUNTY, full=False).skipped == 1


def test_the_change_log_holds_one_row_per_statement_and_county(regions):
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM relief_sweepchange")
        start = cur.fetchone()[0]
    HouseholdFactory.create_batch(3, region_id=VILLAGE)
    Household.objects.filter(region__code__startswith="5101").update(monthly_income=1)  # one statement
    with connection.cursor() as cur:
        cur.execute("SELECT tbl, region_prefix FROM relief_sweepchange ORDER BY id OFFSET %s", [start])
        rows = cur.fetchall()
    assert rows.count(("people_household", HOME_COUNTY)) == 4  # three inserts, one update


def test_run_sweeps_skips_unchanged_counties_unless_full(county):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("run_sweeps", "--county", HOME_COUNTY, "--kind", NO_CARER, stdout=out)
    assert "无变化跳过 1 个县" in out.getvalue()
    out = StringIO()
    call_command("run_sweeps", "--county", HOME_COUNTY, "--kind", NO_CARER, "--full", stdout=out)
    assert "无变化跳过 0 个县" in out.getvalue()


def test_the_weekly_full_run_is_scheduled_and_the_nightly_run_is_not_on_its_day():
    from relief.schedules import SCHEDULES

    weekly, nightly_ = SCHEDULES["sweeps-weekly-full"], SCHEDULES["sweeps-nightly"]
    assert weekly.task == "relief.sweeps_weekly_full" and weekly.day_of_week == "0"
    assert nightly_.day_of_week == "1-6" and (weekly.hour, weekly.minute) == (nightly_.hour, nightly_.minute)
