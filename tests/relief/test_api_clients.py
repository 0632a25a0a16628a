"""The API for other systems: token-authenticated client accounts (role api_client) limited to
their region, reading always and writing only with `api_can_write`, rate limited per account,
versioned under /api/v1/ — and a real HTTP client talking to a running server."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from django.core.cache import cache
from rest_framework.authtoken.models import Token

from relief.api.throttling import ApiClientRateThrottle
from relief.models import Alert, AlertStatus
from tests.factories import AlertFactory
from tests.people.factories import HouseholdFactory


@pytest.fixture
def tokens(users):
    return {who: Token.objects.create(user=users[who]).key for who in ("api_read", "api_write", "province")}


def _auth(key: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Token {key}"}


# --- read and write scopes -----------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(("who", "status"), [("api_read", 403), ("api_write", 200)])
def test_acknowledging_an_alert_needs_the_write_scope(api, regions, tokens, who, status):
    alert = AlertFactory(region=regions["village"])
    response = api.post(f"/api/v1/alerts/{alert.pk}/acknowledge/", {"note": "已核实"}, **_auth(tokens[who]))
    assert response.status_code == status, response.content
    alert.refresh_from_db()
    assert alert.status == (AlertStatus.ACKNOWLEDGED if status == 200 else AlertStatus.OPEN)
    if status == 403:
        assert response.json()["error"]["code"] == "permission_denied"
        assert not alert.events.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(("who", "status"), [("api_read", 403), ("api_write", 201)])
def test_creating_a_household_needs_the_write_scope(api, regions, tokens, who, status):
    from people.models import Household

    body = {"region": "510121001001", "address": "滨河路1号", "heating_type": "coal"}
    response = api.post("/api/v1/households/", body, **_auth(tokens[who]))
    assert response.status_code == status, response.content
    assert Household.objects.filter(address="滨河路1号").count() == (1 if status == 201 else 0)


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["api_read", "api_write"])
def test_reads_are_allowed_within_the_region_only(api, regions, tokens, who):
    inside = HouseholdFactory(region=regions["village"])
    outside = HouseholdFactory(region=regions["other_village"])
    auth = _auth(tokens[who])
    assert api.get(f"/api/v1/households/{inside.pk}/", **auth).status_code == 200
    assert api.get(f"/api/v1/households/{outside.pk}/", **auth).status_code == 404
    ids = [h["id"] for h in api.get("/api/v1/households/", **auth).json()["results"]]
    assert ids == [inside.pk]
    assert api.get("/api/v1/dashboard/summary/", {"region": "510121"}, **auth).status_code == 200
    assert api.get("/api/v1/dashboard/summary/", {"region": "510129"}, **auth).status_code == 404


@pytest.mark.django_db
def test_a_write_outside_the_region_is_refused_even_with_the_write_scope(api, regions, tokens):
    alert = AlertFactory(region=regions["other_village"])
    response = api.post(f"/api/v1/alerts/{alert.pk}/acknowledge/", {}, **_auth(tokens["api_write"]))
    assert response.status_code == 404
    assert Alert.objects.get(pk=alert.pk).status == AlertStatus.OPEN


@pytest.mark.django_db
def test_a_bad_token_is_401(api, regions):
    response = api.get("/api/v1/me/", HTTP_AUTHORIZATION="Token not-a-real-token")
    assert response.status_code == 401
    assert response.json()["error"]["status"] == 401


# --- rate limiting ---------------------------------------------------------------------------------


@pytest.fixture
def low_rate(monkeypatch):
    monkeypatch.setattr(ApiClientRateThrottle, "THROTTLE_RATES", {"api_client": "3/minute"})
    cache.clear()
    yield
    cache.clear()


@pytest.mark.django_db
def test_api_clients_are_rate_limited_per_account(api, tokens, low_rate):
    for _ in range(3):
        assert api.get("/api/v1/me/", **_auth(tokens["api_read"])).status_code == 200
    response = api.get("/api/v1/me/", **_auth(tokens["api_read"]))
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert response.json()["error"]["code"] == "throttled"
    # another client account has its own allowance; staff are not limited by it
    assert api.get("/api/v1/me/", **_auth(tokens["api_write"])).status_code == 200
    for _ in range(5):
        assert api.get("/api/v1/me/", **_auth(tokens["province"])).status_code == 200


def test_the_rate_comes_from_settings():
    from django.conf import settings

    assert (
        "relief.api.throttling.ApiClientRateThrottle" in settings.REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"]
    )
    assert settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["api_client"]


# --- a real HTTP client against a running server -----------------------------------------------------


def _http(url: str, token: str | None = None, data: dict | None = None) -> tuple[int, dict]:
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Token {token}"
    body = None
    if data is not None:
        body = json.dumps(data).encode()
        headers["Content-Type"] = "application/json"
    method = "POST" if data is not None else "GET"
    request = urllib.request.Request(url, data=body, headers=headers, method=method)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - the test server
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


@pytest.mark.django_db(transaction=True)
def test_a_real_http_client_talks_to_a_running_server(live_server, regions, users):
    token = Token.objects.create(user=users["api_read"]).key
    writer = Token.objects.create(user=users["api_write"]).key
    HouseholdFactory(region=regions["village"], address="滨河路8号")
    HouseholdFactory(region=regions["other_village"], address="东街9号")
    base = f"{live_server.url}/api/v1"

    status, body = _http(f"{base}/me/", token)
    assert status == 200 and body["role"] == "api_client" and body["can_write"] is False

    status, body = _http(f"{base}/households/", token)
    assert status == 200 and [h["address"] for h in body["results"]] == ["滨河路8号"]

    status, body = _http(f"{base}/dashboard/summary/?region=510121", token)
    assert status == 200 and body["region"]["code"] == "510121" and body["source"] == "live"
    assert {f["key"]: f["value"] for f in body["figures"]}["people.households"] == 0

    status, body = _http(f"{base}/dashboard/summary/?region=510129", token)
    assert status == 404 and body["error"]["code"] == "not_found"

    status, body = _http(f"{base}/households/", token, {"region": "510121001001", "address": "新址"})
    assert status == 403
    status, body = _http(f"{base}/households/", writer, {"region": "510121001001", "address": "新址"})
    assert status == 201 and body["address"] == "新址"

    status, body = _http(f"{base}/me/")
    assert status == 401
