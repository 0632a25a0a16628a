"""The dashboard's map and "who is behind" ranking (relief/dashboard/board.py): the map's data equals
the sub-region table and the direct counts for every figure with a target, sub-regions ranked worst
first against the target in force (a policy value), the change since last week from the weekly
snapshot, scoping, the boundaries, and the big screen."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from relief.dashboard import board, registry, selectors, services
from relief.models import FigureSnapshot, PolicyParameter, Region
from tests.relief.test_dashboard_data import HOME_TOWNSHIP, expected, make_data

SUMMARY = "/api/v1/dashboard/summary/"
MAP = "/api/v1/dashboard/map/"
RANKING = "/api/v1/dashboard/ranking/"
#: what the issue asks the map to offer
ISSUE_FIGURES = {
    "people.visit_coverage",
    "people.visits_overdue",
    "alerts.open",
    "coldwaves.reached_share",
    "hazards.overdue",
    "funds.paid_share",
}


@pytest.fixture
def data(users):
    return make_data(users)


def _dec(v):
    return None if v is None else Decimal(str(v))


def test_the_map_offers_the_figures_of_the_issue_each_in_the_table_with_a_known_target():
    figures = registry.target_figures()
    assert {f.key for f in figures} == ISSUE_FIGURES
    from relief.policy import PARAMETERS

    for f in figures:
        assert f.in_table, f.key  # the map shows a column of the table: the same number
        assert f.target in PARAMETERS, f.key
        assert f.kind in ("count", "ratio"), f.key


@pytest.mark.django_db
def test_map_data_equals_the_table_and_direct_counts(api, users, data):
    for rollup in (False, True):
        if rollup:
            services.figures_refresh()
        for who, code in (("province", "51"), ("city", "5101"), ("county", "510121")):
            api.force_authenticate(users[who])
            table = api.get(SUMMARY, {"region": code}).json()
            rows = {r["code"]: r["figures"] for r in table["subregions"] if not r["is_own_level"]}
            assert rows
            for fig in registry.target_figures():
                body = api.get(MAP, {"region": code, "figure": fig.key}).json()
                assert body["figure"]["key"] == fig.key
                assert body["source"] == ("rollup" if rollup else "live")
                got = {r["code"]: r["value"] for r in body["subregions"]}
                assert set(got) == set(rows), fig.key  # every sub-region, and only those
                for child, value in got.items():
                    assert _dec(value) == _dec(rows[child][fig.key]), (fig.key, child, rollup)
                    assert _dec(value) == _dec(expected(child)[fig.key]), (fig.key, child, rollup)


@pytest.mark.django_db
def test_ranking_is_worst_first_against_the_target_in_force(api, users, data):
    api.force_authenticate(users["city"])
    body = api.get(RANKING, {"region": "5101"}).json()
    boards = {b["figure"]["key"]: b for b in body["boards"]}
    assert set(boards) == ISSUE_FIGURES
    overdue = boards["people.visits_overdue"]
    assert overdue["figure"]["target"] == 0 and overdue["figure"]["lower_is_better"]
    values = {r["code"]: r["value"] for r in overdue["subregions"]}
    assert values["510121"] == expected("510121")["people.visits_overdue"] > 0
    assert values["510129"] == expected("510129")["people.visits_overdue"]
    gaps = [r["gap"] for r in overdue["subregions"] if r["gap"] is not None]
    assert gaps == sorted(gaps, reverse=True)
    assert [r["rank"] for r in overdue["subregions"]] == list(range(1, len(overdue["subregions"]) + 1))
    first = overdue["subregions"][0]
    assert first["value"] == max(values.values()) and first["behind"]
    assert first["gap"] == first["value"] - 0
    assert first["list_url"].startswith("/people/") and f"region={first['code']}" in first["list_url"]
    assert first["url"] == f"/dashboard/?region={first['code']}"

    # a share's target is a percentage: 100 % → 1; the coverage ranks lowest first
    coverage = boards["people.visit_coverage"]
    assert _dec(coverage["figure"]["target"]) == 1 and not coverage["figure"]["lower_is_better"]
    measured = [r for r in coverage["subregions"] if r["value"] is not None]
    assert [_dec(r["value"]) for r in measured] == sorted(_dec(r["value"]) for r in measured)
    for r in measured:
        assert _dec(r["gap"]) == 1 - _dec(r["value"])
    # a sub-region with nothing to measure (no monitored household) comes last, not "on target"
    unmeasured = [r for r in coverage["subregions"] if r["value"] is None]
    assert all(r["gap"] is None and not r["behind"] for r in unmeasured)
    if unmeasured:
        assert coverage["subregions"][-len(unmeasured) :] == unmeasured

    # the province sets a looser target: the gap and "behind" follow it
    PolicyParameter.objects.create(
        key="target_visits_overdue",
        region=Region.objects.get(code="51"),
        valid_from=datetime.date(2024, 1, 1),
        value=Decimal(1000),
    )
    body = api.get(MAP, {"region": "5101", "figure": "people.visits_overdue"}).json()
    assert body["figure"]["target"] == 1000
    assert all(not r["behind"] and r["gap"] <= 0 for r in body["subregions"])


@pytest.mark.django_db
def test_change_since_last_week_comes_from_last_weeks_snapshot(api, users, data):
    now = timezone.now()
    services.figures_refresh(now=now - datetime.timedelta(days=7))
    last_monday = board.last_week(now)
    before = FigureSnapshot.objects.get(region_code="510121", week=last_monday, key="people.visits_overdue")
    # a stored past snapshot value, as last week's last refresh found it
    FigureSnapshot.objects.filter(pk=before.pk).update(value=Decimal(1))
    services.figures_refresh(now=now)
    services.figures_refresh(now=now)  # the week's rows are overwritten, not added
    this_monday = timezone.localdate(now) - datetime.timedelta(days=timezone.localdate(now).weekday())
    rows = FigureSnapshot.objects.filter(week=this_monday)
    assert rows.filter(region_code="510121", key="people.visits_overdue").count() == 1
    assert not rows.filter(region_code__regex=r"^\d{12}$").exists()  # villages are not kept
    assert rows.filter(region_code="").exists() and rows.filter(region_code="510121001").exists()

    api.force_authenticate(users["city"])
    body = api.get(MAP, {"region": "5101", "figure": "people.visits_overdue"}).json()
    row = next(r for r in body["subregions"] if r["code"] == "510121")
    assert row["change"] == expected("510121")["people.visits_overdue"] - 1
    other = next(r for r in body["subregions"] if r["code"] == "510129")
    last_week_other = FigureSnapshot.objects.get(
        region_code="510129", week=last_monday, key="people.visits_overdue"
    )
    assert _dec(other["change"]) == _dec(other["value"]) - last_week_other.value
    # no snapshot of last week for a region: no change shown, never a made-up 0
    FigureSnapshot.objects.filter(week=last_monday, region_code="510129").delete()
    body = api.get(MAP, {"region": "5101", "figure": "people.visits_overdue"}).json()
    assert next(r for r in body["subregions"] if r["code"] == "510129")["change"] is None


@pytest.mark.django_db
@pytest.mark.parametrize("url", [MAP, RANKING])
@pytest.mark.parametrize(
    ("who", "region", "status"),
    [
        (None, "510121", 401),
        ("county", "510129", 404),  # a county official cannot ask for another county's map
        ("county", "5101", 404),
        ("other_county", "510121", 404),
        ("other_province", "51", 404),
        ("county", "510121", 200),
        ("city", "5101", 200),
        ("province", "51", 200),
        ("admin", "", 200),
    ],
)
def test_scoping(api, users, url, who, region, status):
    if who:
        api.force_authenticate(users[who])
    response = api.get(url, {"region": region} if region else {})
    assert response.status_code == status, response.content


@pytest.mark.django_db
def test_unknown_figure_is_refused(api, users):
    api.force_authenticate(users["county"])
    response = api.get(MAP, {"figure": "people.monitored"})  # a figure without a target
    assert response.status_code == 400 and "figure" in str(response.json())


@pytest.mark.django_db
def test_boundaries_draw_the_sub_regions_and_townships_fall_back(api, users, data):
    api.force_authenticate(users["city"])
    body = api.get(MAP, {"region": "5101"}).json()
    assert body["boundaries"].endswith("/vendor/china-boundaries/5101.json")
    path = Path(settings.STATICFILES_DIRS[0]) / board.boundary_name("5101")
    features = {f["properties"]["code"]: f for f in json.loads(path.read_text())["features"]}
    assert features["510121"]["properties"]["name"] == "金堂县"
    assert features["510129"]["properties"]["name"] == "大邑县"
    assert features["510121"]["geometry"]["type"] == "MultiPolygon"
    assert len(features) == 20  # 成都市's 12 districts, 3 counties and 5 county-level cities
    assert board.boundary_url("51") and board.boundary_url("") and board.boundary_url("14") is None
    api.force_authenticate(users["county"])
    assert api.get(MAP, {"region": "510121"}).json()["boundaries"] is None  # townships: none
    assert api.get(MAP, {"region": HOME_TOWNSHIP}).json()["boundaries"] is None


@pytest.mark.django_db
def test_queries_do_not_grow_with_the_data(api, users, data, django_assert_max_num_queries):
    services.figures_refresh()
    api.force_authenticate(users["province"])
    api.get(RANKING, {"region": "51"})  # warm caches
    with django_assert_max_num_queries(24):
        assert api.get(MAP, {"region": "51", "figure": "funds.paid_share"}).status_code == 200
    with django_assert_max_num_queries(24):
        assert api.get(RANKING, {"region": "51"}).status_code == 200


@pytest.mark.django_db
def test_documented_in_the_schema(api, users):
    api.force_authenticate(users["admin"])
    schema = api.get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    op = schema["paths"][MAP]["get"]
    assert {p["name"] for p in op["parameters"]} >= {"region", "figure", "live"}
    assert RANKING in schema["paths"]
    assert "change" in schema["components"]["schemas"]["BoardRow"]["properties"]


# --- pages -------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_dashboard_shows_the_map_and_the_ranking(as_user, users, data):
    html = as_user(users["city"]).get("/dashboard/?region=5101&figure=hazards.overdue").content.decode()
    assert 'id="dashboard-map"' in html and 'id="dashboard-map-config"' in html
    assert '<option value="hazards.overdue" selected>' in html
    assert 'data-testid="ranking"' in html and 'data-board="people.visits_overdue"' in html
    assert "/dashboard/screen/?region=5101" in html
    html = as_user(users["county"]).get("/dashboard/").content.decode()
    assert 'data-testid="map-fallback"' in html and 'id="dashboard-map"' not in html
    assert 'data-testid="ranking"' in html  # the townships are still ranked


@pytest.mark.django_db
def test_screen_shows_the_level_and_the_roll_call(as_user, users, data):
    client = as_user(users["county"])
    html = client.get("/dashboard/screen/").content.decode()
    assert 'class="screen-mode"' in html
    level = html.split('data-testid="screen-cold-wave"')[1].split("</div>\n    </div>")[0]
    assert "橙色" in level
    want = expected("510121")
    rollcall = html.split('data-testid="screen-rollcall"')[1]
    assert f"已联系 {want['coldwaves.reached']} / 应联系 {want['coldwaves.to_contact']} 人" in rollcall
    assert 'hx-trigger="every 60s"' in html and "part=1" in html
    part = client.get("/dashboard/screen/", {"part": "1"}).content.decode()
    assert 'id="screen-part"' in part and "<nav" not in part  # the part alone, for htmx
    # without a roll call open: said so
    html = as_user(users["other_county"]).get("/dashboard/screen/").content.decode()
    assert "未启动" in html.split('data-testid="screen-rollcall"')[1]
    # another county's screen does not exist for you
    client = as_user(users["county"])
    assert client.get("/dashboard/screen/", {"region": "510129"}).status_code == 404


@pytest.mark.django_db
def test_board_uses_the_tables_function(data):
    """The map, the ranking and the table read one function (selectors.subregion_value)."""
    summary = selectors.summary(Region.objects.get(code="5101"))
    table = {r["code"]: r["figures"] for r in selectors.table_rows(summary)}
    for b in board.boards(summary):
        for row in b.rows:
            assert row["value"] == table[row["code"]][b.figure.key]
