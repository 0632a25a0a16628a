"""Errors never answer 500: the API answers in its own format ({"error": {...}}), pages with a
Chinese page."""

from __future__ import annotations

import json

import pytest

from tests.relief.test_faults import DEAD_BROKER, broker

pytestmark = pytest.mark.django_db


def _household(**money):
    return {"region": "510121001001", "address": "滨河社区 1 号", **money}


@pytest.mark.parametrize(
    "field", ["monthly_income", "expense_medical", "expense_education", "expense_heating", "expense_disaster"]
)
def test_negative_household_amounts_answer_400_with_a_field_message(api, users, field):
    api.force_authenticate(users["county"])
    response = api.post("/api/v1/households/", _household(**{field: "-1.00"}))
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert "不能为负数" in error["fields"][field][0]


def test_negative_amount_on_update_answers_400(api, users):
    from tests.people.factories import household_with_head

    home_household = household_with_head("510121001001", name="张大山")
    api.force_authenticate(users["county"])
    response = api.patch(f"/api/v1/households/{home_household.pk}/", {"monthly_income": "-5"})
    assert response.status_code == 400
    assert "monthly_income" in response.json()["error"]["fields"]
    home_household.refresh_from_db()
    assert home_household.monthly_income >= 0


@pytest.mark.parametrize("depth", [1000, 100_000])
def test_deeply_nested_json_answers_400(api, users, depth):
    api.force_authenticate(users["county"])
    body = "[" * depth + "]" * depth
    response = api.generic("POST", "/api/v1/households/", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"


def test_a_body_over_the_upload_limit_answers_413_in_the_api_format(api, users, settings):
    api.force_authenticate(users["county"])
    body = json.dumps({"region": "510121001001", "address": "x", "note": "x" * (25 * 1024 * 1024)})
    response = api.generic("POST", "/api/v1/households/", body, content_type="application/json")
    assert response.status_code == 413
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["error"]["status"] == 413
    assert response.json()["error"]["code"] == "too_large"


def test_an_oversized_form_post_to_a_page_answers_a_chinese_page(as_user, users):
    client = as_user(users["county"])
    response = client.post("/dashboard/refresh/", {"region": "51", "note": "x" * (25 * 1024 * 1024)})
    assert response.status_code in (400, 413)
    assert "请求" in response.content.decode()


def test_dashboard_refresh_with_the_broker_down_says_it_is_delayed(
    as_user, users, django_capture_on_commit_callbacks
):
    client = as_user(users["county"])
    with broker(DEAD_BROKER), django_capture_on_commit_callbacks(execute=True):
        response = client.post("/dashboard/refresh/", {"region": "510121"}, follow=True)
    assert response.status_code == 200
    assert "刷新已延后" in response.content.decode()


def test_dashboard_refresh_with_the_broker_up_says_it_is_queued(
    as_user, users, django_capture_on_commit_callbacks
):
    client = as_user(users["county"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/dashboard/refresh/", {"region": "510121"}, follow=True)
    assert "已提交刷新" in response.content.decode()
