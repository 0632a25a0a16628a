"""The next visit due, kept on the person (issue 14, point 3): computed from the visit rules when a
visit is recorded, when the person or the household's categories change, when the rules, the
interval policy values or a cold-wave warning change; proposed on the visit form with its reason;
read by the visit-overdue sweep, the dashboard's 探访逾期 figure and the `visit_overdue` lists."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from patrols import services as patrol_services
from people import services
from people.models import Household, Person, VisitRule, years_ago
from people.sweeps import VISIT_OVERDUE
from relief import policy
from relief.alerts.sweeps import sweep_county
from relief.dashboard import selectors as dashboard
from relief.models import Alert, AlertStatus, PolicyParameter
from tests.conftest import HOME_COUNTY, OTHER_COUNTY, login
from tests.factories import region
from tests.people.factories import (
    HouseholdFactory,
    PersonFactory,
    VisitFactory,
    household_with_head,
    make_id_number,
)

pytestmark = pytest.mark.django_db

VILLAGE = "510121001001"
OTHER_VILLAGE = "510129001001"


def ago(days: int) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=days)


def today() -> datetime.date:
    return timezone.localdate()


def days_from(moment: datetime.datetime, days: int) -> datetime.date:
    return timezone.localtime(moment).date() + datetime.timedelta(days=days)


def born(age: int) -> datetime.date:
    return years_ago(age, today()) - datetime.timedelta(days=3)


def reload(person: Person) -> Person:
    return Person.objects.get(pk=person.pk)


@pytest.fixture
def old_man(regions, users):
    """94, living alone, disabled and unable to care for himself, registered through the service;
    his household was last visited 20 days ago."""
    household = services.household_create(
        actor=users["village"], region=regions["village"], address="滨河路1号"
    )
    person = services.person_add(
        actor=users["village"],
        household=household,
        name="李大爷",
        id_number=make_id_number(HOME_COUNTY, born(94)),
        relation="head",
        make_head=True,
        lives_alone=True,
        has_disability=True,
        unable_self_care=True,
        carer_name="邻居",
    )
    services.visit_record(actor=users["village"], household=household, visited_at=ago(20))
    return reload(person)


def issue_cold_wave(users, regions, django_capture_on_commit_callbacks, region="county"):
    with django_capture_on_commit_callbacks(execute=True):
        return patrol_services.cold_warning_issue(
            actor=users["city" if region == "city" else "county"], region=regions[region], level=3
        )


# --- the 94-year-old of the issue ---------------------------------------------------------------


def test_the_94_year_old_alone_gets_a_week_stored_and_proposed_on_the_form(
    old_man, users, regions, as_user, django_capture_on_commit_callbacks
):
    # weekly (high risk) already, from the household visit 20 days ago: overdue by 13 days
    assert old_man.visit_rule_name == "高龄独居老人（80周岁以上）"
    assert (old_man.visit_interval_days, old_man.next_visit_due) == (7, days_from(ago(20), 7))
    # an orange cold wave for the county, and the county shortens cold-wave visits to 3 days
    PolicyParameter.objects.create(
        key="visit_interval_cold_wave_days",
        region_id=HOME_COUNTY,
        value=3,
        valid_from=datetime.date(2020, 1, 1),
    )
    issue_cold_wave(users, regions, django_capture_on_commit_callbacks)
    stored = reload(old_man)
    assert (stored.visit_interval_days, stored.visit_cold_wave) == (3, True)
    assert stored.next_visit_due == days_from(ago(20), 3)

    page = as_user(users["village"]).get(f"/people/households/{old_man.household_id}/visits/new/")
    html = page.content.decode()
    proposed = today() + datetime.timedelta(days=3)
    assert f'value="{proposed:%Y-%m-%d}"' in html  # not today + 90
    assert "李大爷：高龄独居老人（80周岁以上） · 寒潮预警期间 3 天" in html


def test_without_a_county_value_the_cold_wave_interval_is_the_national_week(
    old_man, users, regions, as_user, django_capture_on_commit_callbacks
):
    issue_cold_wave(users, regions, django_capture_on_commit_callbacks)
    stored = reload(old_man)
    assert (stored.visit_interval_days, stored.next_visit_due) == (7, days_from(ago(20), 7))
    page = as_user(users["village"]).get(
        f"/people/households/{old_man.household_id}/visits/new/?person={old_man.pk}"
    )
    html = page.content.decode()
    assert f'value="{today() + datetime.timedelta(days=7):%Y-%m-%d}"' in html
    assert "高龄独居老人（80周岁以上） · 每 7 天" in html


# --- what moves the date ------------------------------------------------------------------------


@pytest.fixture
def alone_65(regions, users):
    """65, living alone (monthly), visited 10 days ago."""
    household = services.household_create(
        actor=users["village"], region=regions["village"], address="滨河路2号"
    )
    person = services.person_add(
        actor=users["village"],
        household=household,
        name="孙德明",
        id_number=make_id_number(HOME_COUNTY, born(65)),
        make_head=True,
        lives_alone=True,
    )
    services.visit_record(actor=users["village"], household=household, person=person, visited_at=ago(10))
    return reload(person)


def test_a_cold_wave_shortens_the_date_and_lifting_it_moves_it_back(
    alone_65, users, regions, django_capture_on_commit_callbacks
):
    assert (alone_65.visit_interval_days, alone_65.next_visit_due) == (30, days_from(ago(10), 30))
    warning = issue_cold_wave(users, regions, django_capture_on_commit_callbacks, region="city")
    stored = reload(alone_65)
    assert (stored.visit_interval_days, stored.visit_cold_wave) == (7, True)
    assert stored.next_visit_due == days_from(ago(10), 7) < today()  # overdue at once
    assert stored.visit_reason == "独居老人（60周岁以上） · 寒潮预警期间 7 天"

    with django_capture_on_commit_callbacks(execute=True):
        patrol_services.cold_warning_lift(actor=users["city"], warning=warning)
    stored = reload(alone_65)
    assert (stored.visit_interval_days, stored.visit_cold_wave) == (30, False)
    assert stored.next_visit_due == days_from(ago(10), 30)


def test_a_cold_wave_in_the_other_county_changes_nothing_here(
    alone_65, users, regions, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        patrol_services.cold_warning_issue(
            actor=users["other_county"], region=regions["other_county"], level=4
        )
    assert reload(alone_65).visit_interval_days == 30


def test_recording_a_visit_moves_the_date_forward_for_the_household(alone_65, users):
    spouse = services.person_add(
        actor=users["village"],
        household=alone_65.household,
        name="孙老伴",
        id_number=make_id_number(HOME_COUNTY, born(81)),
        lives_alone=True,
    )
    assert reload(spouse).next_visit_due == today() + datetime.timedelta(days=7)  # registered today
    services.visit_record(actor=users["village"], household=alone_65.household)  # the whole household
    assert reload(alone_65).next_visit_due == today() + datetime.timedelta(days=30)
    assert reload(spouse).next_visit_due == today() + datetime.timedelta(days=7)
    # a visit to one member moves that member's date only
    services.visit_record(
        actor=users["village"], household=alone_65.household, person=spouse, visited_at=ago(0)
    )
    assert reload(alone_65).next_visit_due == today() + datetime.timedelta(days=30)


def test_changing_an_attribute_recomputes(old_man, users):
    services.person_update(actor=users["village"], person=old_man, lives_alone=False)
    stored = reload(old_man)
    # no longer living alone: the disabled-elderly rule (monthly) applies instead
    assert (stored.visit_rule_name, stored.visit_interval_days) == ("残疾老人（60周岁以上）", 30)
    assert stored.next_visit_due == days_from(ago(20), 30)
    services.person_update(actor=users["village"], person=old_man, has_disability=False)
    assert (reload(old_man).visit_rule_name, reload(old_man).next_visit_due) == ("", None)  # no rule: not due
    services.person_update(actor=users["village"], person=old_man, lives_alone=True)
    assert reload(old_man).visit_interval_days == 7
    services.person_deactivate(actor=users["village"], person=old_man, reason="迁出")
    assert reload(old_man).next_visit_due is None


def test_a_category_brings_a_member_under_a_rule(regions, users):
    household = services.household_create(
        actor=users["village"], region=regions["village"], address="滨河路3号"
    )
    person = services.person_add(
        actor=users["village"],
        household=household,
        name="周长顺",
        id_number=make_id_number(HOME_COUNTY, born(50)),
        make_head=True,
    )
    assert reload(person).next_visit_due is None
    record = services.assistance_add(
        actor=users["county"],
        household=household,
        person=person,
        category="tekun",
        tekun_mode="dispersed",
        start_date=datetime.date(2025, 1, 1),
    )
    assert (reload(person).visit_rule_name, reload(person).visit_interval_days) == ("分散供养特困人员", 30)
    services.assistance_end(
        actor=users["county"], assistance=record, end_date=today() - datetime.timedelta(days=1)
    )
    assert reload(person).next_visit_due is None


def test_a_policy_value_change_recomputes_the_region(alone_65, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        row = PolicyParameter.objects.create(
            key="visit_interval_key_days",
            region_id=HOME_COUNTY,
            value=14,
            valid_from=datetime.date(2020, 1, 1),
        )
        policy.value_changed(row.key, row.region_id)  # what the admin's save does
    assert reload(alone_65).next_visit_due == days_from(ago(10), 14)


def test_the_admin_saving_a_rule_recomputes(alone_65, client, users, django_capture_on_commit_callbacks):
    rule = VisitRule.objects.get(name="独居老人（60周岁以上）")
    login(client, users["admin"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/people/visitrule/add/",
            {
                "name": rule.name,
                "region": HOME_COUNTY,
                "active": "on",
                "lives_alone": "on",
                "min_age": 60,
                "interval_days": 5,
                "cold_wave": "on",
            },
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert reload(alone_65).next_visit_due == days_from(ago(10), 5)


# --- rules per region ---------------------------------------------------------------------------


def person_at(village: str, age: int, **fields) -> Person:
    household = HouseholdFactory(region_id=village)
    return PersonFactory(household=household, birth=born(age), created_at=ago(100), **fields)


def test_a_regions_rule_replaces_the_national_one_of_the_same_name_and_a_new_name_adds(regions):
    here = person_at(VILLAGE, 65, lives_alone=True)
    there = person_at(OTHER_VILLAGE, 65, lives_alone=True)
    ill_here = person_at(VILLAGE, 40, severe_illness=True)
    ill_there = person_at(OTHER_VILLAGE, 40, severe_illness=True)
    VisitRule.objects.create(
        name="独居老人（60周岁以上）", region_id=HOME_COUNTY, lives_alone=True, min_age=60, interval_days=14
    )
    VisitRule.objects.create(name="重病人员", region_id="510121001", flag="severe_illness", interval_days=10)
    services.person_refresh_next_visit()
    assert reload(here).visit_interval_days == 14  # the county's rule replaces the national 30 days
    assert reload(there).visit_interval_days == 30  # the other county keeps the national rule
    assert (reload(ill_here).visit_rule_name, reload(ill_here).visit_interval_days) == ("重病人员", 10)
    assert reload(ill_there).next_visit_due is None  # the township's new rule adds only there
    # a longer interval replaces too (a region may relax a rule), and an inactive one switches it off
    VisitRule.objects.filter(region_id=HOME_COUNTY).update(interval_days=45)
    services.person_refresh_next_visit(region_code=HOME_COUNTY)
    assert reload(here).visit_interval_days == 45
    VisitRule.objects.filter(region_id=HOME_COUNTY).update(active=False)
    services.person_refresh_next_visit(region_code=HOME_COUNTY)
    assert reload(here).next_visit_due is None
    assert reload(there).visit_interval_days == 30


# --- the form: a later date needs a reason ------------------------------------------------------


def test_a_later_date_than_the_rule_needs_a_note(alone_65, users, as_user):
    household = alone_65.household
    later = today() + datetime.timedelta(days=60)
    client = as_user(users["village"])
    url = f"/people/households/{household.pk}/visits/new/"
    data = {
        "person": alone_65.pk,
        "kind": "elderly",
        "channel": "home",
        "next_visit_due": f"{later:%Y-%m-%d}",
    }
    page = client.post(url, data)
    assert page.status_code == 200
    assert "请在备注中说明原因" in page.content.decode()
    assert household.visits.count() == 1
    client.post(url, {**data, "note": "老人下月住院，出院后再探访", "idempotency_key": "k2"})
    assert household.visits.count() == 2
    earlier = today() + datetime.timedelta(days=3)
    services.visit_record(
        actor=users["village"], household=household, person=alone_65, next_visit_due=earlier
    )
    assert household.visits.count() == 3


# --- the sweep, the dashboard and the lists read the stored date -----------------------------------


def test_the_sweep_reads_the_stored_date(regions):
    stale = person_at(VILLAGE, 40, name="无规则")  # matches no rule
    Person.objects.filter(pk=stale.pk).update(next_visit_due=today() - datetime.timedelta(days=2))
    late = person_at(VILLAGE, 85, lives_alone=True)  # due under the rules, not yet stored
    assert sweep_county(VISIT_OVERDUE, HOME_COUNTY).raised == 1
    assert Alert.objects.get(kind=VISIT_OVERDUE).subject_id == str(stale.pk)
    services.person_refresh_next_visit(region_code=HOME_COUNTY)  # the nightly recompute
    result = sweep_county(VISIT_OVERDUE, HOME_COUNTY)
    assert (result.raised, result.resolved) == (1, 1)
    alert = Alert.objects.get(kind=VISIT_OVERDUE, status=AlertStatus.OPEN)
    assert alert.subject_id == str(late.pk)
    assert (
        "（高龄独居老人（80周岁以上））逾期未探访：应每7天探访一次，已逾期93天，登记后从未探访"
        in alert.message
    )


def test_dashboard_figure_equals_the_alerts_and_the_lists(regions, users, api, as_user):
    for i in range(3):
        person_at(VILLAGE, 85, lives_alone=True, name=f"逾期{i}")  # registered 100 days ago: overdue
    fresh = person_at(VILLAGE, 85, lives_alone=True, name="刚探访")
    VisitFactory(household=fresh.household, person=fresh, visited_at=ago(1))
    two = person_at(VILLAGE, 70, lives_alone=True, name="同户一")
    PersonFactory(
        household=two.household, birth=born(75), lives_alone=True, created_at=ago(100), relation="spouse"
    )
    person_at(OTHER_VILLAGE, 90, lives_alone=True, name="邻县")
    services.person_refresh_next_visit()
    sweep_county(VISIT_OVERDUE, HOME_COUNTY)

    alerts = Alert.objects.filter(
        kind=VISIT_OVERDUE, status=AlertStatus.OPEN, region__code__startswith=HOME_COUNTY
    ).count()
    summary = dashboard.summary(regions["county"], live=True)
    figure = {f["key"]: f["value"] for f in dashboard.figure_rows(summary.totals)}["people.visits_overdue"]
    api.force_authenticate(users["county"])
    persons = api.get("/api/v1/persons/", {"visit_overdue": "1"}).json()
    households = api.get("/api/v1/households/", {"visit_overdue": "1"}).json()
    page = as_user(users["county"]).get("/people/", {"visit_overdue": "1"})

    assert alerts == 5
    assert figure == alerts
    assert persons["count"] == alerts
    assert households["count"] == 4  # two of the five live together
    assert page.context["page"].paginator.count == 4
    assert page.context["overdue_people"] == alerts
    assert "其中探访逾期人员 5 人" in page.content.decode()
    # the other county's official sees their own one
    api.force_authenticate(users["other_county"])
    assert api.get("/api/v1/persons/", {"visit_overdue": "1"}).json()["count"] == 1


def test_the_village_sees_only_its_own_overdue_people(regions, users, api):
    region("510121002", "另一街道")
    region("510121002001", "另一社区")
    person_at(VILLAGE, 85, lives_alone=True)
    person_at("510121002001", 85, lives_alone=True)
    services.person_refresh_next_visit()
    api.force_authenticate(users["village"])
    assert api.get("/api/v1/persons/", {"visit_overdue": "1"}).json()["count"] == 1
    api.force_authenticate(users["county"])
    assert api.get("/api/v1/persons/", {"visit_overdue": "1"}).json()["count"] == 2


# --- set-based --------------------------------------------------------------------------------


def test_the_recompute_is_one_statement_per_county_whatever_the_number_of_people(regions):
    for _i in range(2):
        person_at(VILLAGE, 85, lives_alone=True)
    for _i in range(30):
        person_at(OTHER_VILLAGE, 85, lives_alone=True)
    services.person_refresh_next_visit(region_code="14")  # warm caches
    with CaptureQueriesContext(connection) as small:
        few = services.person_refresh_next_visit(region_code=HOME_COUNTY)
    with CaptureQueriesContext(connection) as large:
        many = services.person_refresh_next_visit(region_code=OTHER_COUNTY)
    assert (few, many) == (2, 30)
    assert len(small) == len(large)
    # nothing changed: nothing written
    assert services.person_refresh_next_visit(region_code=OTHER_COUNTY) == 0


def test_the_household_page_shows_each_members_next_visit_due(old_man, users, as_user):
    page = as_user(users["village"]).get(f"/people/households/{old_man.household_id}/")
    due = days_from(ago(20), 7)
    assert f"下次应探访：{due:%Y-%m-%d}（高龄独居老人（80周岁以上） · 每 7 天）" in page.content.decode()


def test_a_roster_commit_stores_the_next_visit_due_of_the_people_it_writes(users):
    from tests.people.test_imports import GOOD_ROWS, LI_ID, roster, run

    assert run(users["county"], roster(GOOD_ROWS), commit=False)["errors"] == []
    assert not Person.objects.exists()  # the dry run wrote nothing
    run(users["county"], roster(GOOD_ROWS), commit=True)
    li = Person.objects.get(id_number=LI_ID)  # 特困分散供养 on the roster: monthly, never visited
    assert (li.visit_rule_name, li.visit_interval_days) == ("分散供养特困人员", 30)
    assert li.next_visit_due == timezone.localtime(li.created_at).date() + datetime.timedelta(days=30)


def test_the_command_fills_the_dates_after_an_upgrade(regions):
    from io import StringIO

    from django.core.management import call_command

    late = person_at(VILLAGE, 85, lives_alone=True)
    other = person_at(OTHER_VILLAGE, 85, lives_alone=True)
    out = StringIO()
    call_command("refresh_next_visits", "--region", HOME_COUNTY, stdout=out)
    assert reload(late).next_visit_due == days_from(ago(100), 7)
    assert reload(other).next_visit_due is None
    call_command("refresh_next_visits", "--all", stdout=out)
    assert reload(other).next_visit_due == days_from(ago(100), 7)
    assert "1 people updated" in out.getvalue()


def test_a_roster_commit_stores_the_next_visit_due_of_registered_people_given_a_category(users):
    from tests.people.test_imports import roster, run

    household = household_with_head(VILLAGE, name="王五", birth=born(50), created_at=ago(100))
    Household.objects.filter(pk=household.pk).update(household_number="H777")
    registered = household.head
    # someone else of the county the file does not name, whose stored date is stale
    elsewhere = person_at(VILLAGE, 85, lives_alone=True)
    Person.objects.filter(pk=elsewhere.pk).update(next_visit_due=None)
    assert reload(registered).next_visit_due is None  # no rule covers them yet
    rows = {
        5: (
            "H777",
            "滨河社区",
            "王五",
            "王五",
            registered.id_number,
            "户主",
            None,
            "特困分散供养",
            None,
            None,
        )
    }

    report = run(users["county"], roster(rows), commit=True)

    assert (report["persons_unchanged"], report["assistances_created"]) == (1, 1)
    registered = reload(registered)
    assert (registered.visit_rule_name, registered.visit_interval_days) == ("分散供养特困人员", 30)
    assert registered.next_visit_due == days_from(ago(100), 30)  # never visited: from registration
    assert reload(elsewhere).next_visit_due is None  # left to the nightly recompute


def test_a_member_a_roster_adds_to_a_visited_household_is_due_from_its_last_visit(users):
    """The commit stores a new person's date as they are inserted: from the household's own visits
    (a visit to the household as a whole counts for every member), by the rules in force."""
    from tests.people.test_imports import roster, run

    VisitRule.objects.create(name="八十岁以上（测试）", min_age=80, interval_days=3)
    household = household_with_head(VILLAGE, name="王五", birth=born(50), created_at=ago(100))
    Household.objects.filter(pk=household.pk).update(household_number="H778")
    VisitFactory(household=household, person=None, visited_at=ago(2))
    newcomer = make_id_number(HOME_COUNTY, born(85))
    rows = {
        5: ("H778", "滨河社区", "王五", "王五", household.head.id_number, "户主", None, None, None, None),
        6: ("H778", "滨河社区", "王五", "王老太", newcomer, "父母", None, None, None, None),
    }

    report = run(users["county"], roster(rows), commit=True)

    assert (report["persons_created"], report["persons_unchanged"]) == (1, 1)
    added = Person.objects.get(id_number=newcomer)
    assert (added.visit_rule_name, added.visit_interval_days) == ("八十岁以上（测试）", 3)
    assert added.next_visit_due == days_from(ago(2), 3)  # from the household's visit, not the import
    assert reload(household.head).next_visit_due is None  # 50: no rule, and not written by the file
