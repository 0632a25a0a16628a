"""The REST API shell: token auth for other systems, uniform JSON errors, pagination, schema."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token

from tests.factories import AlertFactory

pytestmark = pytest.mark.django_db


def test_token_auth_for_client_systems(api, users):
    token = Token.objects.create(user=users["api_read"])
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    r = api.get("/api/v1/me/")
    assert r.status_code == 200
    assert r.json()["role"] == "api_client"
    assert r.json()["can_write"] is False
    assert r.json()["region"]["code"] == "510121"


def test_bad_token_is_a_json_error(api, regions):
    api.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    r = api.get("/api/v1/me/")
    assert r.status_code == 401
    err = r.json()["error"]
    assert err["status"] == 401
    assert err["message"]


def test_validation_errors_name_the_field(api, users):
    api.force_authenticate(users["county"])
    r = api.get("/api/v1/policy-parameters/effective/", {"on": "not-a-date"})
    assert r.status_code == 400
    err = r.json()["error"]
    assert err["code"] == "invalid"
    assert err["fields"]["on"] == ["日期格式应为 YYYY-MM-DD"]


def test_errors_in_english_on_request(api, users):
    api.force_authenticate(users["county"])
    r = api.get("/api/v1/alerts/999999/", HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 404
    assert r.json()["error"]["message"] == "Record not found"


def test_pagination(api, users, regions):
    for _ in range(7):
        AlertFactory(region=regions["village"])
    api.force_authenticate(users["county"])
    r = api.get("/api/v1/alerts/", {"page_size": 3})
    body = r.json()
    assert body["count"] == 7
    assert len(body["results"]) == 3
    assert body["next"]


def test_alert_list_query_count_does_not_grow(api, users, regions, django_assert_max_num_queries):
    for _ in range(30):
        AlertFactory(region=regions["village"])
    api.force_authenticate(users["county"])
    with django_assert_max_num_queries(3):
        r = api.get("/api/v1/alerts/")
    assert r.json()["count"] == 30


def test_schema_documents_every_endpoint(api, users):
    api.force_authenticate(users["county"])
    r = api.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert r.status_code == 200
    paths = r.json()["paths"]
    for p in ("/api/v1/regions/", "/api/v1/alerts/{id}/resolve/", "/api/v1/jobs/{id}/retry/", "/api/v1/me/"):
        assert p in paths


def test_swagger_ui_is_served_from_vendored_assets(client, users):
    client.force_login(users["county"], backend="django.contrib.auth.backends.ModelBackend")
    body = client.get("/api/v1/docs/").content.decode()
    assert "swagger-ui" in body
    assert "cdn" not in body.lower()
    assert "/static/drf_spectacular_sidecar/" in body


@pytest.mark.parametrize(
    "who, expected",
    [
        ("village", ["acknowledge", "resolve"]),
        ("admin", ["acknowledge", "resolve"]),
        ("city", []),
        ("api_read", []),
    ],
)
def test_alerts_show_the_steps_the_caller_may_take(api, users, regions, who, expected):
    alert = AlertFactory(region=regions["village"])
    api.force_authenticate(users[who])
    listed = api.get("/api/v1/alerts/").json()["results"]
    assert [a["name"] for a in listed[0]["available_actions"]] == expected
    detail = api.get(f"/api/v1/alerts/{alert.pk}/").json()
    assert [a["name"] for a in detail["available_actions"]] == expected
    assert all(a["label"] for a in detail["available_actions"])


def test_alert_actions_follow_the_workflow(api, users, regions):
    alert = AlertFactory(region=regions["village"])
    api.force_authenticate(users["township"])
    r = api.post(f"/api/v1/alerts/{alert.pk}/acknowledge/", {"note": "已安排走访"}, format="json")
    assert r.status_code == 200
    assert (r.json()["status"], r.json()["assignee"]) == ("acknowledged", users["township"].pk)
    assert [a["name"] for a in r.json()["available_actions"]] == ["resolve"]
    r = api.post(f"/api/v1/alerts/{alert.pk}/acknowledge/", {}, format="json")
    assert r.status_code == 400
    assert r.json()["error"]["message"] == "只有待处理的预警可以签收"
    r = api.post(f"/api/v1/alerts/{alert.pk}/resolve/", {"note": "已送去棉被"}, format="json")
    assert r.status_code == 200 and r.json()["available_actions"] == []
    assert list(alert.events.values_list("action", "from_state", "to_state", "comment")) == [
        ("acknowledged", "open", "acknowledged", "已安排走访"),
        ("resolved", "acknowledged", "resolved", "已送去棉被"),
    ]
    r = api.post(f"/api/v1/alerts/{alert.pk}/resolve/", {"note": "再次"}, format="json")
    assert r.status_code == 400  # resolved already: nothing changes
    assert alert.events.count() == 2


def test_job_list_shows_available_actions_without_extra_queries(api, users, django_assert_max_num_queries):
    from relief.models import Job, JobState

    for state in (JobState.FAILED, JobState.SUCCEEDED, JobState.LOST) * 5:
        Job.objects.create(
            kind="relief.regions_export", title="导出", started_by=users["county"], state=state
        )
    api.force_authenticate(users["county"])
    with django_assert_max_num_queries(3):
        rows = api.get("/api/v1/jobs/").json()["results"]
    assert {tuple(a["name"] for a in row["available_actions"]) for row in rows} == {("retry",), ()}
