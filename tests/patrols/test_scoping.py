"""Every page and endpoint of the patrols app, for each kind of caller: anonymous, a user of the
other county (404 on records, nothing changed), a read-only official (city: 403 on writes, except
setting cold-wave levels, which officials may do), and an allowed county user."""

from __future__ import annotations

import copy

import pytest
from django.urls import reverse

from patrols.models import (
    Clue,
    ClueEvent,
    ClueStatus,
    ColdWaveWarning,
    Encounter,
    PatrolShift,
    StationCase,
    StationCaseEvent,
)
from tests.conftest import make_regions, make_users
from tests.patrols.conftest import make_team
from tests.patrols.factories import (
    ClueFactory,
    ColdWaveWarningFactory,
    EncounterFactory,
    PatrolShiftFactory,
    StationCaseFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def shared_objs(module_db, django_db_blocker):
    """Built once for the module's tests (each runs in its own savepoint: none keeps a change)."""
    with django_db_blocker.unblock():
        regions = make_regions()
        return build_objs(regions, make_team(regions, make_users(regions)))


@pytest.fixture
def objs(shared_objs, db):
    return copy.deepcopy(shared_objs)


def build_objs(regions, team):
    shift = PatrolShiftFactory(team=team)
    return {
        "team": team,
        "shift": shift,
        "encounter": EncounterFactory(shift=shift),
        "clue": ClueFactory(region=regions["county"], team=team, status=ClueStatus.DISPATCHED),
        "case": StationCaseFactory(region=regions["county"]),
        "warning": ColdWaveWarningFactory(region=regions["county"]),
        "regions": regions,
    }


def snapshot() -> tuple:
    return (
        list(PatrolShift.objects.order_by("pk").values_list("pk", "ended_at")),
        Encounter.objects.count(),
        list(Clue.objects.order_by("pk").values_list("pk", "status", "team_id")),
        list(StationCase.objects.order_by("pk").values_list("pk", "status", "search_notice_at")),
        list(ColdWaveWarning.objects.order_by("pk").values_list("pk", "ends_at")),
        ClueEvent.objects.count(),
        StationCaseEvent.objects.count(),
    )


# name, method, url(objs), data(objs), expected status for (other county, read-only city, county)
PAGES = [
    ("index", "get", lambda o: reverse("patrols:index"), None, (200, 200, 200)),
    ("shift-list", "get", lambda o: reverse("patrols:shift-list"), None, (200, 200, 200)),
    (
        "shift-detail",
        "get",
        lambda o: reverse("patrols:shift-detail", args=[o["shift"].pk]),
        None,
        (404, 200, 200),
    ),
    ("shift-create-get", "get", lambda o: reverse("patrols:shift-create"), None, (200, 403, 200)),
    (
        "shift-create",
        "post",
        lambda o: reverse("patrols:shift-create"),
        lambda o: {"team": o["team"].pk, "area": "广场", "started_at": "2025-01-10T21:00"},
        (200, 403, 302),
    ),
    ("shift-end", "post", lambda o: reverse("patrols:shift-end", args=[o["shift"].pk]), {}, (404, 403, 302)),
    (
        "encounter-create-get",
        "get",
        lambda o: reverse("patrols:encounter-create", args=[o["shift"].pk]),
        None,
        (404, 403, 200),
    ),
    (
        "encounter-create",
        "post",
        lambda o: reverse("patrols:encounter-create", args=[o["shift"].pk]),
        lambda o: {
            "place": "桥洞",
            "description": "老人",
            "conditions": ["cold_exposure"],
            "actions": ["food_given"],
        },
        (404, 403, 302),
    ),
    (
        "encounter-detail",
        "get",
        lambda o: reverse("patrols:encounter-detail", args=[o["encounter"].pk]),
        None,
        (404, 200, 200),
    ),
    ("clue-list", "get", lambda o: reverse("patrols:clue-list"), None, (200, 200, 200)),
    (
        "clue-detail",
        "get",
        lambda o: reverse("patrols:clue-detail", args=[o["clue"].pk]),
        None,
        (404, 200, 200),
    ),
    (
        "clue-create",
        "post",
        lambda o: reverse("patrols:clue-create"),
        lambda o: {"region": o["regions"]["county"].code, "channel": "hotline", "place": "南门"},
        (200, 403, 302),
    ),
    (
        "clue-dispatch",
        "post",
        lambda o: reverse("patrols:clue-action", args=[o["clue"].pk, "dispatch"]),
        lambda o: {"team": o["team"].pk},
        (404, 403, 302),
    ),
    (
        "clue-respond",
        "post",
        lambda o: reverse("patrols:clue-action", args=[o["clue"].pk, "respond"]),
        {},
        (404, 403, 302),
    ),
    (
        "clue-close",
        "post",
        lambda o: reverse("patrols:clue-action", args=[o["clue"].pk, "close"]),
        {"outcome": "duplicate"},
        (404, 403, 302),
    ),
    ("case-list", "get", lambda o: reverse("patrols:case-list"), None, (200, 200, 200)),
    (
        "case-detail",
        "get",
        lambda o: reverse("patrols:case-detail", args=[o["case"].pk]),
        None,
        (404, 200, 200),
    ),
    (
        "case-create",
        "post",
        lambda o: reverse("patrols:case-create"),
        lambda o: {
            "region": o["regions"]["county"].code,
            "station_name": "站",
            "description": "男",
            "sex": "male",
        },
        (200, 403, 302),
    ),
    (
        "case-admit",
        "post",
        lambda o: reverse("patrols:case-action", args=[o["case"].pk, "admit"]),
        {},
        (404, 403, 302),
    ),
    (
        "case-milestone",
        "post",
        lambda o: reverse("patrols:case-action", args=[o["case"].pk, "milestone"]),
        {"milestone": "search_notice"},
        (404, 403, 302),
    ),
    (
        "case-exit",
        "post",
        lambda o: reverse("patrols:case-action", args=[o["case"].pk, "exit"]),
        {"exit_type": "escorted_home"},
        (404, 403, 302),
    ),
    ("coldwave", "get", lambda o: reverse("patrols:coldwave"), None, (200, 200, 200)),
    (
        "coldwave-issue",
        "post",
        lambda o: reverse("patrols:coldwave"),
        lambda o: {"region": o["regions"]["county"].code, "level": "4"},
        (200, 302, 302),
    ),
    (
        "coldwave-lift",
        "post",
        lambda o: reverse("patrols:coldwave-lift", args=[o["warning"].pk]),
        {},
        (404, 302, 302),
    ),
]

CALLERS = ["anonymous", "other_county", "city", "county"]


def _resolve(value, objs):
    return value(objs) if callable(value) else value


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize(("name", "method", "url", "data", "expected"), PAGES, ids=[p[0] for p in PAGES])
def test_page_scoping(client, as_user, users, objs, caller, name, method, url, data, expected):
    url, data = url(objs), _resolve(data, objs)
    c = client if caller == "anonymous" else as_user(users[caller])
    before = snapshot()
    response = c.post(url, data) if method == "post" else c.get(url)
    if caller == "anonymous":
        assert response.status_code == 302 and "/login/" in response["Location"]
        assert snapshot() == before
        return
    want = dict(zip(CALLERS[1:], expected, strict=True))[caller]
    assert response.status_code == want, (name, caller, response.status_code)
    if method == "post" and caller != "county" and want != 302:
        assert snapshot() == before
    if method == "post" and want == 302:
        assert snapshot() != before, "an allowed write changed nothing"
        assert not [m for m in response.wsgi_request._messages if m.level_tag == "error"]


@pytest.mark.parametrize("name", ["shift-list", "clue-list", "case-list", "index"])
def test_other_county_lists_do_not_show_records(as_user, users, objs, name):
    response = as_user(users["other_county"]).get(reverse(f"patrols:{name}"))
    content = response.content.decode()
    assert objs["clue"].place not in content
    assert reverse("patrols:case-detail", args=[objs["case"].pk]) not in content
    assert reverse("patrols:shift-detail", args=[objs["shift"].pk]) not in content


# --- API ----------------------------------------------------------------------------------------

API = [
    ("patrols-list", "get", lambda o: "/api/v1/patrols/", None, (200, 200, 200)),
    ("patrols-detail", "get", lambda o: f"/api/v1/patrols/{o['shift'].pk}/", None, (404, 200, 200)),
    (
        "patrols-create",
        "post",
        lambda o: "/api/v1/patrols/",
        lambda o: {"team": o["team"].pk, "area": "广场"},
        (400, 403, 201),
    ),
    ("patrols-end", "post", lambda o: f"/api/v1/patrols/{o['shift'].pk}/end/", {}, (404, 403, 200)),
    ("teams-list", "get", lambda o: "/api/v1/patrol-teams/", None, (200, 200, 200)),
    ("teams-detail", "get", lambda o: f"/api/v1/patrol-teams/{o['team'].pk}/", None, (404, 200, 200)),
    ("encounters-list", "get", lambda o: "/api/v1/encounters/", None, (200, 200, 200)),
    ("encounters-detail", "get", lambda o: f"/api/v1/encounters/{o['encounter'].pk}/", None, (404, 200, 200)),
    (
        "encounters-create",
        "post",
        lambda o: "/api/v1/encounters/",
        lambda o: {"shift": o["shift"].pk, "place": "桥洞", "description": "老人"},
        (400, 403, 201),
    ),
    ("clues-list", "get", lambda o: "/api/v1/clues/", None, (200, 200, 200)),
    ("clues-detail", "get", lambda o: f"/api/v1/clues/{o['clue'].pk}/", None, (404, 200, 200)),
    (
        "clues-create",
        "post",
        lambda o: "/api/v1/clues/",
        lambda o: {"region": o["regions"]["county"].code, "channel": "hotline", "place": "南门"},
        (403, 403, 201),
    ),
    (
        "clues-dispatch",
        "post",
        lambda o: f"/api/v1/clues/{o['clue'].pk}/dispatch/",
        lambda o: {"team": o["team"].pk},
        (404, 403, 200),
    ),
    ("clues-respond", "post", lambda o: f"/api/v1/clues/{o['clue'].pk}/respond/", {}, (404, 403, 200)),
    (
        "clues-close",
        "post",
        lambda o: f"/api/v1/clues/{o['clue'].pk}/close/",
        {"outcome": "duplicate"},
        (404, 403, 200),
    ),
    ("cases-list", "get", lambda o: "/api/v1/station-cases/", None, (200, 200, 200)),
    ("cases-detail", "get", lambda o: f"/api/v1/station-cases/{o['case'].pk}/", None, (404, 200, 200)),
    (
        "cases-create",
        "post",
        lambda o: "/api/v1/station-cases/",
        lambda o: {"region": o["regions"]["county"].code, "station_name": "站", "description": "男"},
        (403, 403, 201),
    ),
    ("cases-admit", "post", lambda o: f"/api/v1/station-cases/{o['case'].pk}/admit/", {}, (404, 403, 200)),
    (
        "cases-hospitalize",
        "post",
        lambda o: f"/api/v1/station-cases/{o['case'].pk}/hospitalize/",
        {},
        (404, 403, 200),
    ),
    (
        "cases-milestone",
        "post",
        lambda o: f"/api/v1/station-cases/{o['case'].pk}/milestone/",
        {"milestone": "search_notice"},
        (404, 403, 200),
    ),
    (
        "cases-identify",
        "post",
        lambda o: f"/api/v1/station-cases/{o['case'].pk}/identify/",
        {"person_name": "王五"},
        (404, 403, 200),
    ),
    (
        "cases-exit",
        "post",
        lambda o: f"/api/v1/station-cases/{o['case'].pk}/exit/",
        {"exit_type": "family_found"},
        (404, 403, 200),
    ),
    ("cold-list", "get", lambda o: "/api/v1/cold-alerts/", None, (200, 200, 200)),
    ("cold-detail", "get", lambda o: f"/api/v1/cold-alerts/{o['warning'].pk}/", None, (404, 200, 200)),
    ("cold-in-force", "get", lambda o: "/api/v1/cold-alerts/in-force/?region=510121", None, (404, 200, 200)),
    (
        "cold-create",
        "post",
        lambda o: "/api/v1/cold-alerts/",
        lambda o: {"region": o["regions"]["county"].code, "level": 2},
        (403, 201, 201),
    ),
    ("cold-lift", "post", lambda o: f"/api/v1/cold-alerts/{o['warning'].pk}/lift/", {}, (404, 200, 200)),
]


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize(("name", "method", "url", "data", "expected"), API, ids=[a[0] for a in API])
def test_api_scoping(api, users, objs, caller, name, method, url, data, expected):
    url, data = url(objs), _resolve(data, objs)
    if caller != "anonymous":
        api.force_authenticate(users[caller])
    before = snapshot()
    response = api.post(url, data or {}) if method == "post" else api.get(url)
    if caller == "anonymous":
        assert response.status_code in (401, 403)
        assert snapshot() == before
        return
    want = dict(zip(CALLERS[1:], expected, strict=True))[caller]
    assert response.status_code == want, (name, caller, response.status_code, response.content[:300])
    if method == "post":
        if want >= 400:
            assert snapshot() == before
        else:
            assert snapshot() != before
    if method == "get" and name.endswith("-list") and caller == "other_county":
        assert response.json()["count"] == 0


def test_village_user_may_not_set_cold_wave_level(api, users, objs):
    api.force_authenticate(users["village"])
    before = snapshot()
    r = api.post("/api/v1/cold-alerts/", {"region": objs["regions"]["county"].code, "level": 2})
    assert r.status_code == 403
    assert snapshot() == before
