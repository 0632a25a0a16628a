"""/api/v1/dashboard/: scoping (anonymous, other region, allowed), every figure equal to a direct
count, the schema, and a fixed number of queries whatever the data."""

from __future__ import annotations

from decimal import Decimal

import pytest

from relief.dashboard import registry, services
from tests.relief.test_dashboard_data import HOME_TOWNSHIP, expected, expected_trends, make_data

SUMMARY = "/api/v1/dashboard/summary/"
TRENDS = "/api/v1/dashboard/trends/"


@pytest.fixture
def data(users):
    return make_data(users)


def _dec(v):
    return None if v is None else Decimal(str(v))


@pytest.mark.django_db
@pytest.mark.parametrize("url", [SUMMARY, TRENDS])
@pytest.mark.parametrize(
    ("who", "region", "status"),
    [
        (None, "510121", 401),
        ("other_county", "510121", 404),  # a neighbour county's figures do not exist for you
        ("other_province", "51", 404),
        ("county", "51", 404),  # nor do the province's, seen from a county
        ("county", "5101", 404),
        ("county", "99", 404),  # no such region: the same answer
        ("village", "", 200),  # everyone sees their own region's figures
        ("county", "510121", 200),
        ("county", HOME_TOWNSHIP, 200),
        ("province", "51", 200),
        ("admin", "", 200),
        ("api_read", "510121", 200),
    ],
)
def test_scoping(api, users, url, who, region, status):
    if who:
        api.force_authenticate(users[who])
    response = api.get(url, {"region": region} if region else {})
    assert response.status_code == status, response.content
    if status == 404:
        assert response.json()["error"]["code"] == "not_found"


@pytest.mark.django_db
@pytest.mark.parametrize("rollup", [False, True], ids=["live", "rollup"])
def test_summary_figures_equal_direct_counts(api, users, data, rollup):
    if rollup:
        services.figures_refresh()
    api.force_authenticate(users["province"])
    body = api.get(SUMMARY, {"region": "51"}).json()
    assert body["region"]["code"] == "51" and body["region"]["gb_code"] == "510000"
    assert body["source"] == ("rollup" if rollup else "live")
    assert body["computed_at"]
    want = expected("51")
    got = {f["key"]: f for f in body["figures"]}
    assert set(got) == set(registry.FIGURES)
    for key, f in got.items():
        assert _dec(f["value"]) == _dec(want[key]), key
        for d in f["dims"]:
            assert _dec(d["value"]) == _dec(want[(key, d["dim"])]), (key, d["dim"])
    assert got["patrols.cold_wave"]["value_label"] == "橙色"
    subregions = {r["code"]: r for r in body["subregions"]}
    columns = [c["key"] for c in body["columns"]]
    for code in ("5101",):
        child = expected(code)
        for key in columns:
            assert _dec(subregions[code]["figures"][key]) == _dec(child[key]), (code, key)


@pytest.mark.django_db
def test_live_parameter_bypasses_the_rollups(api, users, data):
    services.figures_refresh()
    api.force_authenticate(users["county"])
    assert api.get(SUMMARY, {"region": "510121"}).json()["source"] == "rollup"
    assert api.get(SUMMARY, {"region": "510121", "live": "true"}).json()["source"] == "live"
    assert api.get(SUMMARY, {"region": "510121", "live": "0"}).json()["source"] == "rollup"
    # as strict as every boolean of the API: no "yes", no empty value
    for junk in ("yes", "", "null"):
        response = api.get(SUMMARY, {"region": "510121", "live": junk})
        assert response.status_code == 400 and "live" in str(response.json()), junk


@pytest.mark.django_db
def test_trends(api, users, data):
    api.force_authenticate(users["county"])
    body = api.get(TRENDS).json()
    assert body["region"]["code"] == "510121"
    want = expected_trends("510121")
    for s in body["series"]:
        got = {w: _dec(v) for w, v in zip(body["weeks"], s["values"], strict=True) if v}
        assert got == want[s["key"]], s["key"]


@pytest.mark.django_db
def test_queries_do_not_grow_with_the_data(api, users, data, django_assert_max_num_queries):
    services.figures_refresh()
    api.force_authenticate(users["province"])
    api.get(SUMMARY, {"region": "51"})  # warm caches (content types, programs)
    with django_assert_max_num_queries(12):
        assert api.get(SUMMARY, {"region": "51"}).status_code == 200
    with django_assert_max_num_queries(6):
        assert api.get(TRENDS, {"region": "51"}).status_code == 200


@pytest.mark.django_db
def test_documented_in_the_schema(api, users):
    api.force_authenticate(users["admin"])
    schema = api.get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    assert "/api/v1/dashboard/summary/" in schema["paths"]
    assert "/api/v1/dashboard/trends/" in schema["paths"]
    op = schema["paths"]["/api/v1/dashboard/summary/"]["get"]
    assert {p["name"] for p in op["parameters"]} >= {"region", "live"}
    assert "Summary" in schema["components"]["schemas"]
    assert "computed_at" in schema["components"]["schemas"]["Summary"]["properties"]
