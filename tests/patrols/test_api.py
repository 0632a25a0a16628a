from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from patrols.models import CaseStatus, ClueStatus, ColdWaveWarning, Encounter
from tests.patrols.factories import (
    ClueFactory,
    ColdWaveWarningFactory,
    EncounterFactory,
    PatrolShiftFactory,
    StationCaseFactory,
)

pytestmark = pytest.mark.django_db


def test_create_shift_and_encounter(api, users, team):
    api.force_authenticate(users["county"])
    r = api.post(
        "/api/v1/patrols/",
        {
            "team": team.pk,
            "area": "火车站—汽车站",
            "started_at": "2025-01-10T21:30:00+08:00",
            "joint_partners": ["police", "community"],
            "members_present": [users["county"].pk],
            "temperature_c": "-5.0",
            "weather": "snow",
        },
    )
    assert r.status_code == 201, r.json()
    body = r.json()
    assert body["is_night"] is True and body["encounter_count"] == 0
    assert sorted(body["joint_partners"]) == ["community", "police"]
    r = api.post(
        "/api/v1/encounters/",
        {
            "shift": body["id"],
            "place": "站前广场",
            "description": "男，灰色棉袄",
            "sex": "male",
            "approx_age": 55,
            "conditions": ["cold_exposure"],
            "actions": ["food_given", "clothing_given"],
            "materials_given": "棉衣1件",
            "latitude": "30.123456",
            "longitude": "104.123456",
        },
    )
    assert r.status_code == 201, r.json()
    assert r.json()["actions"] == ["发放食物", "发放衣物"]
    assert api.get(f"/api/v1/patrols/{body['id']}/").json()["encounter_count"] == 1


def test_encounter_refusal_without_reason_is_400_in_chinese(api, users, team):
    shift = PatrolShiftFactory(team=team)
    api.force_authenticate(users["county"])
    r = api.post(
        "/api/v1/encounters/",
        {"shift": shift.pk, "place": "桥洞", "description": "老人", "actions": ["refused_help"]},
    )
    assert r.status_code == 400
    assert "拒绝原因" in r.json()["error"]["message"]
    assert Encounter.objects.count() == 0


def test_clue_workflow_api(api, users, team, regions):
    api.force_authenticate(users["county"])
    reported = (timezone.now() - datetime.timedelta(minutes=12)).isoformat()
    r = api.post(
        "/api/v1/clues/",
        {"region": regions["county"].code, "channel": "courier", "place": "南街口", "reported_at": reported},
    )
    assert r.status_code == 201, r.json()
    pk = r.json()["id"]
    assert api.post(f"/api/v1/clues/{pk}/dispatch/", {"team": team.pk}).status_code == 200
    r = api.post(f"/api/v1/clues/{pk}/respond/", {})
    assert r.status_code == 200
    assert r.json()["response_minutes"] == 12 and r.json()["response_met"] is True
    r = api.post(f"/api/v1/clues/{pk}/close/", {"outcome": "helped", "outcome_note": "送棉被"})
    assert r.status_code == 200 and r.json()["status"] == "closed"
    detail = api.get(f"/api/v1/clues/{pk}/").json()
    assert [e["to_state"] for e in detail["events"]] == ["new", "dispatched", "responded", "closed"]
    # Closed: no more steps.
    r = api.post(f"/api/v1/clues/{pk}/respond/", {})
    assert r.status_code == 400


def test_clue_filters(api, users, regions):
    ClueFactory(region=regions["county"], status=ClueStatus.NEW)
    ClueFactory(
        region=regions["county"],
        reported_at=timezone.now() - datetime.timedelta(hours=2),
        due_at=timezone.now() - datetime.timedelta(hours=1),
    )
    ClueFactory(region=regions["other_county"])
    api.force_authenticate(users["county"])
    assert api.get("/api/v1/clues/").json()["count"] == 2
    assert api.get("/api/v1/clues/?overdue=true").json()["count"] == 1
    assert api.get("/api/v1/clues/?status=closed").json()["count"] == 0


def test_station_case_api_milestones_and_actions(api, users, regions):
    api.force_authenticate(users["county"])
    r = api.post(
        "/api/v1/station-cases/",
        {"region": regions["county"].code, "station_name": "金堂县救助管理站", "description": "女，约70岁"},
    )
    assert r.status_code == 201, r.json()
    body = r.json()
    assert [m["key"] for m in body["milestones"]] == [
        "search_notice",
        "dna_sample",
        "stay_limit",
        "records_update",
        "settlement",
    ]
    pk = body["id"]
    assert api.post(f"/api/v1/station-cases/{pk}/admit/", {}).json()["status"] == "in_station"
    r = api.post(f"/api/v1/station-cases/{pk}/milestone/", {"milestone": "search_notice"})
    assert r.json()["milestones"][0]["state"] == "met"
    r = api.post(f"/api/v1/station-cases/{pk}/exit/", {"exit_type": "left_by_self"})
    assert r.status_code == 400
    r = api.post(f"/api/v1/station-cases/{pk}/exit/", {"exit_type": "left_by_self", "signed_statement": True})
    assert r.status_code == 200 and r.json()["status"] == "exited"
    assert [e["action"] for e in r.json()["events"]] == ["intake", "admit", "search_notice", "exit"]


def test_id_numbers_masked_for_officials(api, users, regions):
    StationCaseFactory(region=regions["county"], person_name="李四", id_number="11010519491231002X")
    api.force_authenticate(users["city"])
    assert api.get("/api/v1/station-cases/").json()["results"][0]["id_number"] == "110105********002X"
    api.force_authenticate(users["county"])
    assert api.get("/api/v1/station-cases/").json()["results"][0]["id_number"] == "11010519491231002X"


def test_cold_alert_api_and_in_force(api, users, regions, team):
    api.force_authenticate(users["city"])  # an official: may set a level though read-only for cases
    r = api.post("/api/v1/cold-alerts/", {"region": regions["city"].code, "level": 4})
    assert r.status_code == 201, r.json()
    api.force_authenticate(users["county"])
    r = api.get("/api/v1/cold-alerts/in-force/")
    assert r.status_code == 200
    assert r.json()["level"] == 4 and r.json()["required_shifts"] == 2 and r.json()["met"] is False
    assert api.get("/api/v1/cold-alerts/?active=true").json()["count"] == 1
    # A county official cannot lift the city's warning (it is visible: it applies to the county).
    pk = ColdWaveWarning.objects.get().pk
    assert api.post(f"/api/v1/cold-alerts/{pk}/lift/").status_code == 403
    api.force_authenticate(users["city"])
    assert api.post(f"/api/v1/cold-alerts/{pk}/lift/").json()["is_active"] is False


def test_in_force_other_region_is_404(api, users, regions):
    api.force_authenticate(users["county"])
    assert api.get(f"/api/v1/cold-alerts/in-force/?region={regions['other_county'].code}").status_code == 404
    assert api.get("/api/v1/cold-alerts/in-force/?date=2025-13-01").status_code == 400


# --- No N+1 -------------------------------------------------------------------------------------

# session + user are not queried with force_authenticate: count, page, and any prefetches.
LIST_QUERIES = {
    "/api/v1/patrols/": 3,  # count, page, members_present prefetch
    "/api/v1/encounters/": 2,
    "/api/v1/clues/": 2,
    "/api/v1/station-cases/": 2,
    "/api/v1/cold-alerts/": 2,
    "/api/v1/patrol-teams/": 3,
}


def _fill(regions, team, n):
    for _ in range(n):
        shift = PatrolShiftFactory(team=team)
        shift.members_present.add(*team.members.all())
        EncounterFactory(shift=shift)
        ClueFactory(region=regions["county"], team=team, status=ClueStatus.DISPATCHED)
        StationCaseFactory(region=regions["county"], status=CaseStatus.IN_STATION)
        ColdWaveWarningFactory(region=regions["county"])


@pytest.mark.parametrize("url", list(LIST_QUERIES))
def test_list_query_count_does_not_grow(api, users, regions, team, url, django_assert_num_queries):
    _fill(regions, team, 3)
    api.force_authenticate(users["county"])
    with django_assert_num_queries(LIST_QUERIES[url]):
        r = api.get(url)
    assert r.status_code == 200
    _fill(regions, team, 5)
    with django_assert_num_queries(LIST_QUERIES[url]):
        r = api.get(url)
    assert r.json()["count"] >= 1


def test_shift_members_outside_region_do_not_exist(api, users, team, other_team):
    api.force_authenticate(users["county"])
    r = api.post(
        "/api/v1/patrols/", {"team": team.pk, "area": "广场", "members_present": [users["other_county"].pk]}
    )
    assert r.status_code == 400
    assert str(users["other_county"]) not in r.content.decode()


def test_a_retired_region_is_refused_for_a_new_clue(api, users, regions):
    """A village that the statistical codes no longer list stays on its old records, but the API
    does not put new ones there (the pages' pickers do not offer it either)."""
    village = regions["village"]
    village.retired_on = datetime.date(2024, 6, 30)
    village.save(update_fields=["retired_on"])
    api.force_authenticate(users["county"])
    reported = timezone.now().isoformat()
    body = {"channel": "courier", "place": "南街口", "reported_at": reported}
    r = api.post("/api/v1/clues/", {**body, "region": village.code})
    assert r.status_code == 400
    assert "已撤销" in str(r.json())
    assert api.post("/api/v1/clues/", {**body, "region": regions["township"].code}).status_code == 201
