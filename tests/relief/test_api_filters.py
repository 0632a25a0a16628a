"""The rule every API query parameter follows (relief/api/filters.py): a parameter that is sent holds a
value of its documented type, or the request answers a JSON 400; leaving it out does not filter.
Pages that share a FilterSet keep accepting the empty fields a browser form sends."""

from __future__ import annotations

import pytest

from relief.api.filters import FilterBackend
from relief.api.urls import router
from tests.conftest import login
from tests.funds.factories import AllocationFactory
from tests.people.factories import VisitFactory, household_with_head

pytestmark = pytest.mark.django_db


@pytest.fixture
def visits():
    household = household_with_head()
    return VisitFactory(household=household), VisitFactory(household=household, heating_ok=False)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("true", 1), ("1", 1), ("TRUE", 1), ("false", 1), ("0", 1), ("False", 1)],
)
def test_boolean_filters_take_true_false_1_0(api, users, visits, value, expected):
    fine, problem = visits
    api.force_authenticate(users["county"])
    response = api.get("/api/v1/visits/", {"has_problem": value})
    assert response.status_code == 200
    wanted = problem if value.lower() in ("true", "1") else fine
    assert [row["id"] for row in response.json()["results"]] == [wanted.pk]


@pytest.mark.parametrize("value", ["null", "", "yes", "2", "unknown", "true,false"])
def test_boolean_filters_refuse_anything_else_with_a_json_400(api, users, visits, value):
    api.force_authenticate(users["county"])
    response = api.get("/api/v1/visits/", {"has_problem": value})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid" and "has_problem" in error["fields"]


def test_without_the_parameter_the_list_is_not_filtered(api, users, visits):
    api.force_authenticate(users["county"])
    assert api.get("/api/v1/visits/").json()["count"] == 2


@pytest.mark.parametrize("value", ["", " ", "2026-13-01", "yesterday"])
def test_an_empty_or_invalid_date_is_refused(api, users, value):
    api.force_authenticate(users["county"])
    response = api.get("/api/v1/inspections/", {"date_to": value})
    assert response.status_code == 400
    assert "date_to" in response.json()["error"]["fields"]
    assert api.get("/api/v1/inspections/", {"date_to": "2026-01-31"}).status_code == 200


def test_an_integer_column_filters_by_integers_only(api, users):
    AllocationFactory(year=2026)
    api.force_authenticate(users["county"])
    assert api.get("/api/v1/allocations/", {"year": "0.5"}).status_code == 400
    assert api.get("/api/v1/allocations/", {"year": ""}).status_code == 400
    assert api.get("/api/v1/allocations/", {"year": "2026"}).json()["count"] == 1
    assert api.get("/api/v1/allocations/", {"year": "2025"}).json()["count"] == 0


def test_an_empty_id_filter_is_refused_and_an_empty_text_filter_is_a_value(api, users):
    api.force_authenticate(users["county"])
    assert api.get("/api/v1/visits/", {"household": ""}).status_code == 400
    assert api.get("/api/v1/households/", {"household_number": ""}).status_code == 200


def test_the_page_sharing_a_filterset_still_takes_a_browser_forms_empty_fields(client, users):
    login(client, users["county"])
    response = client.get("/institutions/hazards/", {"state": "", "severity": "", "overdue": "", "q": ""})
    assert response.status_code == 200


def test_every_api_filterset_is_strict():
    from relief.api.filters import StrictParameters

    checked = 0
    for _prefix, viewset, _basename in router.registry:
        filterset = FilterBackend().get_filterset_class(viewset(), viewset.queryset)
        if filterset is not None:
            assert issubclass(filterset, StrictParameters), viewset
            checked += 1
    assert checked > 15


def test_the_schema_documents_boolean_and_date_parameters(api, users):
    api.force_authenticate(users["county"])
    schema = api.get("/api/v1/schema/?format=json").json()
    params = {p["name"]: p["schema"] for p in schema["paths"]["/api/v1/visits/"]["get"]["parameters"]}
    assert params["has_problem"]["type"] == "boolean"
    params = {p["name"]: p["schema"] for p in schema["paths"]["/api/v1/inspections/"]["get"]["parameters"]}
    assert params["date_to"] == {"type": "string", "format": "date"}


def test_an_empty_choice_is_a_value_where_the_choices_hold_it(api, users, visits):
    """Visits' `follow_up` has the choice "" (nothing to follow up): `?follow_up=` selects those;
    `kind` has no such choice, so `?kind=` is refused."""
    api.force_authenticate(users["county"])
    assert api.get("/api/v1/visits/", {"follow_up": ""}).status_code == 200
    assert api.get("/api/v1/visits/", {"kind": ""}).status_code == 400


@pytest.mark.parametrize(
    ("url", "name"),
    [("/api/v1/cold-alerts/in-force/", "date"), ("/api/v1/policy-parameters/effective/", "on")],
)
def test_date_parameters_of_actions_are_dates_and_never_empty(api, users, url, name):
    api.force_authenticate(users["county"])
    assert api.get(url, {name: ""}).status_code == 400
    assert api.get(url, {name: "soon"}).status_code == 400
    assert api.get(url, {name: "2026-01-15"}).status_code == 200
    schema = api.get("/api/v1/schema/?format=json").json()
    params = {p["name"]: p["schema"] for p in schema["paths"][url]["get"]["parameters"]}
    assert params[name] == {"type": "string", "format": "date"}


def test_an_empty_or_non_numeric_page_is_refused_not_read_as_page_one(api, users):
    api.force_authenticate(users["county"])
    for junk in ("", "x", "1.5", "-1"):
        response = api.get("/api/v1/households/", {"page": junk})
        assert response.status_code == 400, (junk, response.status_code)
    assert api.get("/api/v1/households/", {"page": "1"}).status_code == 200


def test_the_schema_says_pages_start_at_one(api, users):
    api.force_authenticate(users["county"])
    schema = api.get("/api/v1/schema/?format=json").json()
    params = schema["paths"]["/api/v1/households/"]["get"]["parameters"]
    page = next(p for p in params if p["name"] == "page")
    assert page["schema"]["minimum"] == 1
