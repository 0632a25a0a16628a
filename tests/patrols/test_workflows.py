"""The clue and station-case workflows as tables: every state × every step × every role.

For each: when the step is among `workflow.available(obj, user)`, taking it (with valid inputs)
succeeds and writes exactly one event; otherwise it is refused (ValidationError or PermissionDenied)
and nothing changes. The detail page shows exactly the available steps' buttons. Objects are written
directly in each state; every attempt is rolled back to a savepoint.
"""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from patrols.models import (
    CaseStatus,
    ClueEvent,
    ClueOutcome,
    ClueStatus,
    ExitType,
    StationCase,
    StationCaseEvent,
)
from patrols.workflows import case_workflow, clue_workflow
from tests.patrols.factories import ClueFactory, ColdWaveWarningFactory, PatrolTeamFactory, StationCaseFactory
from tests.workflow_table import ROLES, buttons, undone

pytestmark = pytest.mark.django_db


def check_table(workflow, objects: dict, users, inputs, log) -> None:
    taken = refused = 0
    for label, obj in objects.items():
        state = workflow.state_of(obj)
        for role in ROLES:
            user = users[role]
            available = workflow.available_names(obj, user)
            for name, step in workflow.steps.items():
                where = (label, name, role)
                with undone():
                    before = log(obj)
                    if name in available:
                        workflow.run(name, actor=user, obj=obj, **inputs(name))
                        after = log(obj)
                        assert after[:-1] == before and after[-1] == (name, state, step.target or state), (
                            where
                        )
                        assert workflow.state_of(workflow.model.objects.get(pk=obj.pk)) == (
                            step.target or state
                        )
                        taken += 1
                    else:
                        with pytest.raises((ValidationError, PermissionDenied)):
                            workflow.run(name, actor=user, obj=obj, **inputs(name))
                        assert workflow.state_of(workflow.model.objects.get(pk=obj.pk)) == state, where
                        assert log(obj) == before, where
                        refused += 1
    assert taken and refused
    assert taken + refused == len(objects) * len(ROLES) * len(workflow.steps)


def check_pages(workflow, objects: dict, users, as_user, url_name: str) -> None:
    for role in ROLES:
        user, client = users[role], as_user(users[role])
        for label, obj in objects.items():
            resp = client.get(reverse(url_name, args=[obj.pk]))
            available = workflow.available_names(obj, user)
            if resp.status_code == 404:  # outside the user's region
                assert available == [], (label, role)
                continue
            assert resp.status_code == 200
            assert buttons(resp.content.decode()) == available, (label, role)


# --- Clues --------------------------------------------------------------------------------------


@pytest.fixture
def township_team(regions, users):
    team = PatrolTeamFactory(name="赵镇巡查队", region=regions["township"])
    team.members.set([users["township"]])
    return team


@pytest.fixture
def clues(regions, township_team):
    """A clue of the township in each status."""
    now, township = timezone.now(), regions["township"]
    reported = now - datetime.timedelta(minutes=40)
    sent = {"team": township_team, "dispatched_at": reported + datetime.timedelta(minutes=5)}
    there = {**sent, "responded_at": now - datetime.timedelta(minutes=10), "response_minutes": 30}
    return {
        "new": ClueFactory(region=township, reported_at=reported),
        "dispatched": ClueFactory(
            region=township, reported_at=reported, status=ClueStatus.DISPATCHED, **sent
        ),
        "responded": ClueFactory(region=township, reported_at=reported, status=ClueStatus.RESPONDED, **there),
        "closed": ClueFactory(
            region=township,
            reported_at=reported,
            status=ClueStatus.CLOSED,
            outcome=ClueOutcome.HELPED,
            closed_at=now,
            **there,
        ),
    }


def _clue_log(clue) -> list:
    return list(ClueEvent.objects.filter(clue=clue).values_list("action", "from_state", "to_state"))


def test_clue_every_state_step_and_role(users, clues, township_team):
    def inputs(step):
        return {
            "dispatch": {"team": township_team, "comment": ""},
            "respond": {},
            "close": {"outcome": ClueOutcome.DUPLICATE, "outcome_note": "与上一条线索相同"},
        }[step]

    check_table(clue_workflow, clues, users, inputs, _clue_log)


def test_clue_who_may_take_which_step(users, clues):
    def names(label, role):
        return clue_workflow.available_names(clues[label], users[role])

    assert names("new", "township") == ["dispatch", "close"]
    assert names("dispatched", "county") == ["dispatch", "respond", "close"]
    assert names("responded", "api_write") == ["close"]
    assert names("closed", "admin") == []
    for role in ("province", "city", "api_read", "village", "other_county"):
        assert names("new", role) == [], role


def test_clue_page_shows_exactly_the_available_buttons(users, clues, as_user):
    check_pages(clue_workflow, clues, users, as_user, "patrols:clue-detail")


# --- Station cases ------------------------------------------------------------------------------


@pytest.fixture
def cases(regions):
    """A county station case in each status, and two variants that a condition holds back: a person
    who must go to hospital first, and a case whose search notice is already out."""
    now, county = timezone.now(), regions["county"]
    intake = {"region": county, "intake_at": now - datetime.timedelta(days=3), "approx_age": 50}
    return {
        "intake": StationCaseFactory(**intake),
        "intake, injured": StationCaseFactory(**intake, injured=True),
        "in_hospital": StationCaseFactory(**intake, status=CaseStatus.IN_HOSPITAL, injured=True),
        "in_station": StationCaseFactory(**intake, status=CaseStatus.IN_STATION),
        "in_station, notice out": StationCaseFactory(
            **intake, status=CaseStatus.IN_STATION, search_notice_at=now - datetime.timedelta(days=2)
        ),
        "long_term": StationCaseFactory(**intake, status=CaseStatus.LONG_TERM),
        "long_term, 危重 not referred": StationCaseFactory(
            **intake, status=CaseStatus.LONG_TERM, critically_ill=True
        ),
        "exited": StationCaseFactory(
            **intake, status=CaseStatus.EXITED, exit_type=ExitType.FAMILY_FOUND, exited_at=now
        ),
        "settled": StationCaseFactory(
            **intake, status=CaseStatus.SETTLED, settled_at=now, settlement_institution="县福利院"
        ),
    }


def _case_log(case) -> list:
    return list(StationCaseEvent.objects.filter(case=case).values_list("action", "from_state", "to_state"))


def test_case_every_state_step_and_role(users, cases):
    def inputs(step):
        return {
            "identify": {"person_name": "王五", "id_number": "11010519491231002X"},
            "exit": {"exit_type": ExitType.FAMILY_FOUND, "comment": "亲属接回"},
            "settle": {"institution": "县社会福利院"},
        }.get(step, {})

    check_table(case_workflow, cases, users, inputs, _case_log)


def test_case_who_may_take_which_step(users, cases):
    def names(label, role="county"):
        return case_workflow.available_names(cases[label], users[role])

    milestones = ["search_notice", "dna_sample", "records_update", "settlement"]
    assert names("intake") == ["admit", "hospitalize", "identify", *milestones, "exit"]
    assert names("intake, injured") == ["hospitalize", "identify", *milestones, "exit"]  # hospital first
    assert names("in_hospital") == ["admit", "identify", *milestones, "exit"]
    assert names("in_station, notice out") == [
        "hospitalize",
        "long_term",
        "identify",
        *milestones[1:],
        "exit",
    ]
    assert names("long_term") == ["hospitalize", "identify", *milestones, "exit", "settle"]
    # 危重: neither exit nor settlement before a hospital referral
    assert names("long_term, 危重 not referred") == ["hospitalize", "identify", *milestones]
    assert names("exited") == names("settled") == []
    for role in ("province", "city", "api_read", "township", "village", "other_county"):
        assert names("intake", role) == [], role


def test_milestone_and_identify_record_without_moving(users, cases):
    case = cases["in_station"]
    case = case_workflow.run("dna_sample", actor=users["county"], obj=case)
    assert case.status == CaseStatus.IN_STATION and case.dna_sampled_at is not None
    assert _case_log(case) == [("dna_sample", "in_station", "in_station")]
    assert "dna_sample" not in case_workflow.available_names(
        StationCase.objects.get(pk=case.pk), users["county"]
    )


def test_case_page_shows_exactly_the_available_buttons(users, cases, as_user):
    check_pages(case_workflow, cases, users, as_user, "patrols:case-detail")


def test_api_shows_available_actions(api, users, cases, clues):
    api.force_authenticate(users["county"])
    body = api.get(f"/api/v1/station-cases/{cases['long_term'].pk}/").json()
    assert [a["name"] for a in body["available_actions"]][-2:] == ["exit", "settle"]
    body = api.get(f"/api/v1/clues/{clues['responded'].pk}/").json()
    assert body["available_actions"] == [{"name": "close", "label": "办结"}]
    api.force_authenticate(users["city"])
    assert api.get(f"/api/v1/clues/{clues['new'].pk}/").json()["available_actions"] == []
    r = api.post(f"/api/v1/station-cases/{cases['in_station'].pk}/dna-sample/", {})
    assert r.status_code == 403
    api.force_authenticate(users["county"])
    r = api.post(f"/api/v1/station-cases/{cases['in_station'].pk}/dna-sample/", {})
    assert r.status_code == 200 and r.json()["dna_sampled_at"]
    assert r.json()["events"][-1]["action"] == "dna_sample"


# --- Cold-wave warnings: 解除 only for who may lift -------------------------------------------


def test_lift_button_only_for_officials_who_may_lift(users, regions, as_user):
    city_warning = ColdWaveWarningFactory(region=regions["city"], level=4)
    county_warning = ColdWaveWarningFactory(region=regions["county"], level=2)
    ended = ColdWaveWarningFactory(
        region=regions["county"],
        starts_at=timezone.now() - datetime.timedelta(days=3),
        ends_at=timezone.now() - datetime.timedelta(days=2),
    )

    def lift_buttons(role) -> set[int]:
        html = as_user(users[role]).get(reverse("patrols:coldwave")).content.decode()
        return {
            w.pk
            for w in (city_warning, county_warning, ended)
            if reverse("patrols:coldwave-lift", args=[w.pk]) in html
        }

    # The county official sees the city's warning (it applies to the county) but may not lift it.
    assert lift_buttons("county") == {county_warning.pk}
    assert lift_buttons("city") == lift_buttons("admin") == {city_warning.pk, county_warning.pk}
    assert lift_buttons("township") == lift_buttons("api_write") == set()
    resp = as_user(users["county"]).post(reverse("patrols:coldwave-lift", args=[city_warning.pk]))
    assert resp.status_code == 403
    city_warning.refresh_from_db()
    assert city_warning.ends_at is None
