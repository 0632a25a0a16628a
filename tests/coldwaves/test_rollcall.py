"""寒潮点名: a level in force opens each county's list of the people to reach, by the rules of the
notices; a worker answers each in one tap (safe, needs help, not reached); what is not reached by the
deadline is an alert that escalates; the county sees progress per township."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from coldwaves.models import Outcome, Reason, RollCall, RollCallEntry
from coldwaves.services import rollcall_tick
from coldwaves.sweeps import ROLLCALL_UNREACHED
from patrols.services import cold_warning_issue, cold_warning_lift
from people.models import Household, Visit
from people.services import visit_record
from relief.alerts.services import alerts_escalate_overdue
from relief.models import Alert, AlertStatus, Task
from relief.todo.services import due_in_working_days
from tests.people.factories import AssistanceFactory, PersonFactory, household_with_head

pytestmark = pytest.mark.django_db


def _home(region_code="510121001001", heating="electric", housing="safe", **head):
    household = household_with_head(region_code, **head)
    Household.objects.filter(pk=household.pk).update(heating_type=heating, housing_condition=housing)
    return household


@pytest.fixture
def at_risk(regions):
    """One person for each reason, two people who are not at risk, one at risk in another county."""
    people = {
        "aged_alone": _home(birth=datetime.date(1938, 5, 1), lives_alone=True).head,
        "tekun": _home(birth=datetime.date(1960, 5, 1)).head,
        "bedridden": _home(birth=datetime.date(1950, 5, 1), unable_self_care=True).head,
        "disabled_alone": _home(
            birth=datetime.date(1970, 5, 1), lives_alone=True, has_disability=True, disability_level=1
        ).head,
        "coal": _home(heating="coal").head,
        "unsafe": _home(housing="grade_d").head,
        "aged_with_family": _home(birth=datetime.date(1938, 6, 1)).head,  # 88, not alone
        "other_county": _home("510129001001", birth=datetime.date(1930, 1, 1), lives_alone=True).head,
    }
    AssistanceFactory(
        household=people["tekun"].household, person=people["tekun"], category="tekun", tekun_mode="dispersed"
    )
    family = _home()
    people["child"] = PersonFactory(
        household=family, relation="child", birth=datetime.date(2016, 3, 1), is_left_behind_child=True
    )
    people["child_with_guardian"] = PersonFactory(
        household=family,
        relation="child",
        birth=datetime.date(2014, 3, 1),
        is_left_behind_child=True,
        guardian_name="王奶奶",
    )
    return people


def _yellow(users, regions, region="county"):
    return cold_warning_issue(
        actor=users["county" if region == "county" else "province"], region=regions[region], level=2
    )


def test_a_level_in_force_opens_the_list_of_the_people_to_reach_by_the_rules(users, regions, at_risk):
    warning = _yellow(users, regions)
    counts = rollcall_tick()
    assert counts["opened"] == 1
    roll_call = RollCall.objects.get()
    assert (roll_call.region_id, roll_call.level, roll_call.warning_id) == ("510121", 2, warning.pk)
    # yellow: 24 hours (the national default of rollcall_hours_level_2)
    assert roll_call.due_at - roll_call.opened_at == datetime.timedelta(hours=24)
    reasons = {e.person_id: e.reasons for e in RollCallEntry.objects.all()}
    expected = {
        "aged_alone": [Reason.AGED_80_ALONE],
        "tekun": [Reason.TEKUN_DISPERSED],
        "bedridden": [Reason.UNABLE_SELF_CARE],
        "disabled_alone": [Reason.DISABLED_ALONE],
        "coal": [Reason.COLD_HOME],
        "unsafe": [Reason.UNSAFE_HOUSING],
        "child": [Reason.CHILD_UNATTENDED],
    }
    assert reasons == {at_risk[k].pk: [str(r) for r in v] for k, v in expected.items()}
    assert roll_call.people == 7
    # a second tick (and the hand-set level's own) opens nothing more
    assert rollcall_tick()["opened"] == 0
    assert RollCallEntry.objects.count() == 7
    # every person is an alert for their village, due at the deadline
    alerts = Alert.objects.filter(kind=ROLLCALL_UNREACHED, status=AlertStatus.OPEN)
    assert alerts.count() == 7
    assert {a.region_id for a in alerts} == {"510121001001"}
    assert {a.due_at for a in alerts} == {roll_call.due_at}


def test_a_worker_answers_in_one_tap_and_the_need_becomes_a_task(as_user, users, regions, at_risk):
    _yellow(users, regions)
    rollcall_tick()
    entries = {e.person_id: e for e in RollCallEntry.objects.all()}
    worker = as_user(users["village"])
    roll_call = RollCall.objects.get()
    page = worker.get(reverse("coldwaves:rollcall", args=[roll_call.pk]))
    assert page.status_code == 200 and at_risk["aged_alone"].name in page.content.decode()

    safe = entries[at_risk["aged_alone"].pk]
    response = worker.post(reverse("coldwaves:answer", args=[safe.pk]), {"outcome": "safe"})
    assert response.status_code == 302
    safe.refresh_from_db()
    assert safe.outcome == Outcome.SAFE and safe.answered_by == users["village"]
    assert (safe.visit.channel, safe.visit.kind, safe.visit.person_id) == (
        "phone",
        "cold_wave",
        safe.person_id,
    )
    # a double tap records nothing twice
    worker.post(reverse("coldwaves:answer", args=[safe.pk]), {"outcome": "safe"})
    assert Visit.objects.filter(person=safe.person).count() == 1

    home = entries[at_risk["bedridden"].pk]
    worker.post(reverse("coldwaves:answer", args=[home.pk]), {"outcome": "safe_home"})
    home.refresh_from_db()
    assert (home.outcome, home.visit.channel) == (Outcome.SAFE, "home")

    needy = entries[at_risk["coal"].pk]
    refused = worker.post(
        reverse("coldwaves:answer", args=[needy.pk]), {"outcome": "needs_help"}, follow=True
    )
    assert "请写明困难和需求" in refused.content.decode()
    needy.refresh_from_db()
    assert needy.outcome == Outcome.PENDING
    worker.post(
        reverse("coldwaves:answer", args=[needy.pk]),
        {
            "outcome": "needs_help",
            "channel": "home",
            "needs": "煤不够烧到月底",
            "follow_up": "temp_assistance",
        },
    )
    needy.refresh_from_db()
    assert needy.outcome == Outcome.NEEDS_HELP
    # people/needs.py: the need is the township's task with a button to the pre-filled application
    task = Task.objects.get(source="need", subject_id=str(needy.visit_id))
    # the township acts, on the working-day clock (need_due_working_days: 3 by default)
    assert task.assignee_region == "510121001"
    assert task.due_at == due_in_working_days(3, timezone.localdate())
    assert "application" in task.action_url or "funds" in task.action_url

    gone = entries[at_risk["unsafe"].pk]
    worker.post(reverse("coldwaves:answer", args=[gone.pk]), {"outcome": "not_reached", "note": "电话无人接"})
    gone.refresh_from_db()
    assert (gone.outcome, gone.attempts) == (Outcome.NOT_REACHED, 1)

    rollcall_tick()
    open_alerts = Alert.objects.filter(kind=ROLLCALL_UNREACHED, status=AlertStatus.OPEN)
    assert {int(a.subject_id) for a in open_alerts} == {
        e.pk for p, e in entries.items() if p not in (safe.person_id, home.person_id, needy.person_id)
    }
    # the not-reached person stays on the list, first, with the attempt shown
    listed = worker.get(reverse("coldwaves:rollcall", args=[roll_call.pk])).content.decode()
    assert listed.index(gone.person.name) < listed.index(at_risk["tekun"].name)
    assert "电话无人接" in worker.get(reverse("coldwaves:entry", args=[gone.pk])).content.decode()


def test_a_visit_recorded_elsewhere_answers_the_entry(users, regions, at_risk):
    _yellow(users, regions)
    rollcall_tick()
    person = at_risk["tekun"]
    visit_record(
        actor=users["village"], household=person.household, person=person, channel="home", food_ok=False
    )
    rollcall_tick()
    entry = RollCallEntry.objects.get(person=person)
    assert entry.outcome == Outcome.NEEDS_HELP  # the visit found food short
    assert not Alert.objects.filter(
        kind=ROLLCALL_UNREACHED, subject_id=str(entry.pk), status=AlertStatus.OPEN
    ).exists()


def test_an_unreached_person_escalates_to_the_township_then_the_county(users, regions, at_risk):
    _yellow(users, regions)
    rollcall_tick()
    entry = RollCallEntry.objects.get(person=at_risk["aged_alone"])
    alert = Alert.objects.get(kind=ROLLCALL_UNREACHED, subject_id=str(entry.pk))
    assert alert.escalation_level == 0
    # an hour before the 24-hour deadline: nothing; just after: the township supervises (督办)
    alerts_escalate_overdue(now=entry.due_at - datetime.timedelta(hours=1))
    alert.refresh_from_db()
    assert alert.escalation_level == 0
    alerts_escalate_overdue(now=entry.due_at + datetime.timedelta(minutes=1))
    alert.refresh_from_db()
    assert alert.escalation_level == 1
    alerts_escalate_overdue(now=alert.due_at + datetime.timedelta(minutes=1))
    alert.refresh_from_db()
    assert alert.escalation_level == 2


def test_a_higher_level_shortens_the_deadline_and_standing_down_closes_the_roll_call(users, regions, at_risk):
    _yellow(users, regions)
    rollcall_tick()
    roll_call = RollCall.objects.get()
    red = cold_warning_issue(actor=users["province"], region=regions["city"], level=4)
    counts = rollcall_tick()
    # the city's red raises the county's roll call and opens one in the city's other county
    assert (counts["raised"], counts["opened"]) == (1, 1)
    roll_call.refresh_from_db()
    assert roll_call.level == 4
    assert roll_call.due_at <= timezone.now() + datetime.timedelta(hours=6)
    assert {e.due_at for e in RollCallEntry.objects.all()} == {roll_call.due_at}
    cold_warning_lift(actor=users["province"], warning=red)
    for warning in roll_call.warning.__class__.objects.filter(ends_at__isnull=True):
        cold_warning_lift(actor=users["county"], warning=warning)
    counts = rollcall_tick()
    roll_call.refresh_from_db()
    assert counts["closed"] == 2 and roll_call.closed_at is not None
    assert not Alert.objects.filter(kind=ROLLCALL_UNREACHED, status=AlertStatus.OPEN).exists()


def test_progress_per_township_and_only_ones_own_region(as_user, users, regions, at_risk):
    _yellow(users, regions)
    cold_warning_issue(actor=users["other_county"], region=regions["other_county"], level=3)
    rollcall_tick()
    home = RollCall.objects.get(region_id="510121")
    other = RollCall.objects.get(region_id="510129")
    entry = RollCallEntry.objects.get(person=at_risk["aged_alone"])
    as_user(users["village"]).post(reverse("coldwaves:answer", args=[entry.pk]), {"outcome": "safe"})

    page = as_user(users["county"]).get(reverse("coldwaves:rollcall", args=[home.pk]))
    html = page.content.decode()
    assert 'data-region="510121001"' in html and "赵镇街道" in html
    row = html.split('data-region="510121001"')[1].split("</tr>")[0]
    cells = [c.split(">")[-1] for c in row.split("</td>")[:-1]]
    assert cells[1:] == ["7", "1", "0", "0", "0"]
    assert at_risk["other_county"].name not in html
    index = as_user(users["county"]).get(reverse("coldwaves:index")).content.decode()
    assert "金堂县" in index and "大邑县" not in index
    # another county's roll call and entries answer 404, and it cannot answer for them
    assert as_user(users["county"]).get(reverse("coldwaves:rollcall", args=[other.pk])).status_code == 404
    foreign = RollCallEntry.objects.get(roll_call=other)
    assert as_user(users["county"]).get(reverse("coldwaves:entry", args=[foreign.pk])).status_code == 404
    assert (
        as_user(users["county"])
        .post(reverse("coldwaves:answer", args=[foreign.pk]), {"outcome": "safe"})
        .status_code
        == 404
    )
    foreign.refresh_from_db()
    assert foreign.outcome == Outcome.PENDING


def test_the_dashboard_shows_the_progress_live_and_links_to_the_people(as_user, users, regions, at_risk):
    from relief.dashboard.selectors import summary

    _yellow(users, regions)
    rollcall_tick()
    entry = RollCallEntry.objects.get(person=at_risk["aged_alone"])
    as_user(users["village"]).post(reverse("coldwaves:answer", args=[entry.pk]), {"outcome": "safe"})
    gone = RollCallEntry.objects.get(person=at_risk["coal"])
    as_user(users["village"]).post(reverse("coldwaves:answer", args=[gone.pk]), {"outcome": "not_reached"})
    RollCallEntry.objects.filter(person=at_risk["unsafe"]).update(
        due_at=timezone.now() - datetime.timedelta(hours=1)
    )

    result = summary(regions["city"])
    figures = {key: int(value) for (key, dim), value in result.totals.items() if key.startswith("coldwaves.")}
    assert figures == {
        "coldwaves.to_contact": 7,
        "coldwaves.reached": 1,
        "coldwaves.needs_help": 0,
        "coldwaves.not_reached": 1,
        "coldwaves.overdue": 1,
    }
    assert int(result.children["510121"][("coldwaves.to_contact", "")]) == 7
    county = as_user(users["county"])
    for state, expected in [("", 7), ("reached", 1), ("not_reached", 1), ("overdue", 1), ("todo", 6)]:
        html = county.get(
            reverse("coldwaves:entries"), {"region": "510121001", "state": state}
        ).content.decode()
        assert f'data-count="{expected}"' in html, state
    page = county.get(reverse("dashboard:index"), {"region": "510121"})
    assert page.status_code == 200 and "寒潮点名" in page.content.decode()


def test_the_api_lists_roll_calls_with_progress_and_answers_in_json(api, users, regions, at_risk):
    _yellow(users, regions)
    rollcall_tick()
    api.force_authenticate(users["village"])
    listed = api.get("/api/v1/rollcalls/").json()
    assert listed["count"] == 1
    assert listed["results"][0]["progress"]["total"] == 7
    entry = RollCallEntry.objects.get(person=at_risk["aged_alone"])
    answered = api.post(
        f"/api/v1/rollcall-entries/{entry.pk}/answer/", {"outcome": "safe", "channel": "phone"}, format="json"
    )
    assert answered.status_code == 200 and answered.json()["outcome"] == "safe"
    bad = api.post(f"/api/v1/rollcall-entries/{entry.pk}/answer/", {"outcome": "maybe"}, format="json")
    assert bad.status_code == 400 and "outcome" in bad.json()["error"]["fields"]
    needy = RollCallEntry.objects.get(person=at_risk["coal"])
    refused = api.post(
        f"/api/v1/rollcall-entries/{needy.pk}/answer/", {"outcome": "needs_help"}, format="json"
    )
    assert refused.status_code == 400 and "需要帮助时请写明困难和需求" in str(refused.json())
    progress = api.get(f"/api/v1/rollcalls/{listed['results'][0]['id']}/").json()["progress"]
    assert (progress["total"], progress["reached"], progress["pending"]) == (7, 1, 6)
    # read-only API clients read but do not answer; another county sees nothing
    api.force_authenticate(users["api_read"])
    assert (
        api.post(
            f"/api/v1/rollcall-entries/{needy.pk}/answer/", {"outcome": "safe"}, format="json"
        ).status_code
        == 403
    )
    api.force_authenticate(users["other_county"])
    assert api.get(f"/api/v1/rollcall-entries/{needy.pk}/").status_code == 404
    assert api.get("/api/v1/rollcalls/").json()["count"] == 0


def test_not_reached_becomes_a_visit_request_for_the_township_that_closes_when_reached(
    as_user, users, regions, at_risk
):
    _yellow(users, regions)
    rollcall_tick()
    gone = RollCallEntry.objects.get(person=at_risk["unsafe"])
    late = RollCallEntry.objects.get(person=at_risk["tekun"])
    RollCallEntry.objects.filter(pk=late.pk).update(due_at=timezone.now() - datetime.timedelta(minutes=1))
    as_user(users["village"]).post(reverse("coldwaves:answer", args=[gone.pk]), {"outcome": "not_reached"})
    before = timezone.now()
    counts = rollcall_tick()
    assert counts["visit_requests"] == 2
    requests = Task.objects.filter(source="rollcall", kind="visit_request")
    assert {t.subject_id for t in requests} == {str(gone.pk), str(late.pk)}
    request = requests.get(subject_id=str(gone.pk))
    # the township goes, within rollcall_visit_hours (2 by default), one tap to the visit form
    assert request.assignee_region == "510121001" and request.urgent
    assert (
        before + datetime.timedelta(hours=2) <= request.due_at <= timezone.now() + datetime.timedelta(hours=2)
    )
    assert request.action_url == reverse("people:person-visit", args=[gone.person_id])
    assert rollcall_tick()["visit_requests"] == 0  # not twice
    # the township visits: the entry is answered and the request done
    visit_record(actor=users["township"], household=gone.household, person=gone.person, channel="home")
    as_user(users["village"]).post(reverse("coldwaves:answer", args=[late.pk]), {"outcome": "safe"})
    # reached on the page: done at once; visited from the household page: done at the next tick
    assert requests.get(subject_id=str(late.pk)).state == "done"
    assert requests.get(subject_id=str(gone.pk)).state == "open"
    rollcall_tick()
    assert not Task.objects.live().filter(source="rollcall").exists()
    gone.refresh_from_db()
    assert gone.outcome == "safe" and gone.answered_by == users["township"]


def test_a_county_has_one_roll_call_carried_over_while_any_warning_is_in_force(users, regions, at_risk):
    county_warning = cold_warning_issue(
        actor=users["county"],
        region=regions["county"],
        level=2,
        ends_at=timezone.now() + datetime.timedelta(hours=6),
    )
    rollcall_tick()
    city_warning = cold_warning_issue(actor=users["province"], region=regions["city"], level=3)
    rollcall_tick()
    home = RollCall.objects.get(region_id="510121")  # one list, raised, not a second one
    assert home.level == 3 and home.warning_id == county_warning.pk
    # the county's own warning ends; the city's goes on: the same list, now under the city's warning
    cold_warning_lift(actor=users["county"], warning=county_warning)
    rollcall_tick()
    home.refresh_from_db()
    assert home.closed_at is None and home.warning_id == city_warning.pk
    assert RollCall.objects.filter(region_id="510121").count() == 1
    assert RollCallEntry.objects.filter(roll_call=home).count() == 7
