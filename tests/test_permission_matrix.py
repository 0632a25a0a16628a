"""The permission matrix, over the whole API at once, on the demo dataset.

For every list endpoint registered under /api/v1/: what a county user sees is answered 404 to the
neighbouring county's user (read and write) and refused to read-only officials (write), and nothing
changes; personal numbers in lists are masked for officials and in full for county staff. The routes
apps add outside the router (`api_urlpatterns()`) are each listed in APP_ROUTES and checked alike.
"""

from __future__ import annotations

import copy
import json
import re

import pytest
from django.core.management import call_command

from relief.api.urls import app_urlpatterns, router
from relief.models import User

pytestmark = pytest.mark.django_db

FULL_ID = re.compile(r'"(\d{17}[\dX])"')
FULL_PHONE = re.compile(r'"(1\d{10})"')
READ_ONLY_ENDPOINTS = {"regions", "policy-parameters", "programs"}  # reference data, not a county's records
#: endpoints whose records the demo may not hold: made below when it has none, and checked by name
ENROLMENT_ENDPOINTS = {"enrolments", "enrolment-reviews", "appeals"}
EXCHANGE_ENDPOINTS = {"exchange/batches", "exchange/records"}


@pytest.fixture(scope="module")
def shared_demo(module_db, django_db_blocker):
    """The demo dataset, seeded once for both tests (each runs in its own savepoint)."""
    with django_db_blocker.unblock():
        call_command("seed_demo", "--people", "400", stdout=open("/dev/null", "w"))  # noqa: SIM115
        users = {u.username: u for u in User.objects.all()}
        _enrolment_records(users["county"])
        _exchange_records(users["county"])
        return users


@pytest.fixture
def demo(shared_demo, db):
    return copy.deepcopy(shared_demo)


def _enrolment_records(county: User) -> None:
    """An application, a review and a complaint (with a phone number) in the county's region, unless
    the demo already has them."""
    from enrolments.models import Appeal, Enrolment, Review
    from enrolments.register import review_schedule
    from enrolments.services import appeal_create, enrolment_create
    from people.models import Assistance, Household

    households = Household.objects.in_region(county.region_id).order_by("pk")
    if not Enrolment.objects.in_region(county.region_id).exists():
        household = households.exclude(assistances__category="dibao_edge").first()
        enrolment_create(
            actor=county, household=household, kind="dibao_edge", origin="online", external_id="PM-1"
        )
    if not Review.objects.in_region(county.region_id).exists():
        assistance = Assistance.objects.current().in_region(county.region_id).first()
        review_schedule(assistance, after=assistance.start_date)
    if not Appeal.objects.in_region(county.region_id).exclude(phone="").exists():
        appeal_create(
            actor=county,
            kind="complaint",
            household=households.first(),
            phone="13912345678",
            content="该户有商铺出租",
        )


def _exchange_records(county: User) -> None:
    """A province's 医保 batch for the county (two of its people and a number of no one), unless
    the demo already has one."""
    from exchange.models import DataSource, ExchangeBatch
    from exchange.services import batch_receive
    from people.models import Person

    if ExchangeBatch.objects.in_region(county.region_id).exists():
        return
    province = county.region_id[:2]
    source = DataSource.objects.filter(region_id=province).first() or DataSource.objects.create(
        code="matrix-medical",
        name="医保结算",
        department="medical_insurance",
        record_kind="medical_cost",
        region_id=province,
    )
    people = Person.objects.in_region(county.region_id).filter(active=True).order_by("pk")[:2]
    records = [{"id_number": p.id_number, "amount": "1200.00"} for p in people]
    batch_receive(
        actor=county,
        source=source,
        region=county.region,
        records=[*records, {"id_number": "510121199001010000", "name": "某某"}],
    )


def _household_chain_url(county: User) -> str:
    """The assistance chain of a county household that was paid something (the demo pays a batch)."""
    from funds.models import Payment

    household_id = Payment.objects.visible_to(county).order_by("pk").values_list("household_id", flat=True)[0]
    return f"/api/v1/households/{household_id}/assistance-chain/"


#: every route of `api_urlpatterns()`, by name: how to reach one of the county's records, or None with
#: where it is checked instead
APP_ROUTES = {
    "household-assistance-chain": _household_chain_url,
    "exchange-feedback": None,  # per data source, not per region record: tests/exchange/test_feedback.py
}


def test_every_app_route_is_in_the_matrix():
    assert {p.name for p in app_urlpatterns} == set(APP_ROUTES)


def test_every_app_route_is_scoped_for_reads_and_writes(api, demo):
    county, neighbour, official = demo["county"], demo["county2"], demo["province"]
    for name, url_of in APP_ROUTES.items():
        if url_of is None:
            continue
        url = url_of(county)
        api.force_authenticate(None)
        assert api.get(url).status_code in (401, 403), url
        api.force_authenticate(county)
        before = api.get(url)
        assert before.status_code == 200, (url, before.status_code)
        assert before.json()["entries"], f"{name}: nothing to compare, pick a record with content"
        api.force_authenticate(neighbour)
        assert api.get(url).status_code == 404, url
        for method in ("post", "patch", "put", "delete"):
            r = getattr(api, method)(url, {}, format="json")
            assert r.status_code in (404, 405), (method, url, r.status_code)
        api.force_authenticate(official)
        assert api.get(url).status_code == 200, url  # the province sees it
        assert api.post(url, {}, format="json").status_code in (403, 405), url
        api.force_authenticate(county)
        assert api.get(url).json() == before.json(), f"{url} changed"


def list_endpoints():
    return sorted(prefix for prefix, viewset, basename in router.registry)


def _detail_ids(api, user, prefix: str) -> list:
    api.force_authenticate(user)
    r = api.get(f"/api/v1/{prefix}/", {"page_size": 5})
    assert r.status_code == 200, (prefix, r.status_code, r.content[:300])
    body = r.json()
    rows = body["results"] if isinstance(body, dict) and "results" in body else body
    return [row.get("id", row.get("code")) for row in rows if isinstance(row, dict)]


def test_every_list_endpoint_is_scoped_for_reads_and_writes(api, demo):
    county, neighbour, official = demo["county"], demo["county2"], demo["province"]
    checked = 0
    checked_endpoints = set()
    for prefix in list_endpoints():
        if prefix in READ_ONLY_ENDPOINTS or prefix == "jobs":
            continue
        ids = _detail_ids(api, county, prefix)
        for pk in ids[:2]:
            url = f"/api/v1/{prefix}/{pk}/"
            api.force_authenticate(county)
            before = api.get(url)
            if before.status_code == 405:
                continue
            assert before.status_code == 200, (url, before.status_code)
            region = before.json().get("region")
            region = region.get("code") if isinstance(region, dict) else region
            if region and neighbour.region_id.startswith(str(region)):
                continue  # e.g. a city-wide cold-wave warning: rightly visible in both counties
            api.force_authenticate(neighbour)
            assert api.get(url).status_code == 404, url
            for method in ("patch", "put", "delete"):
                r = getattr(api, method)(url, {}, format="json")
                assert r.status_code in (404, 405), (method, url, r.status_code)
            api.force_authenticate(official)
            assert api.get(url).status_code == 200, url  # the province sees it
            r = api.patch(url, {}, format="json")
            assert r.status_code in (403, 405), (url, r.status_code)
            api.force_authenticate(county)
            assert api.get(url).json() == before.json(), f"{url} changed"
            checked += 1
            checked_endpoints.add(prefix)
    assert checked >= 15, f"only {checked} records checked: the demo data should reach every app"
    assert checked_endpoints >= ENROLMENT_ENDPOINTS
    assert checked_endpoints >= EXCHANGE_ENDPOINTS


def test_personal_numbers_are_masked_for_officials_in_every_list(api, demo):
    full_seen, full_phones_seen = set(), set()
    for prefix in list_endpoints():
        api.force_authenticate(demo["province"])
        r = api.get(f"/api/v1/{prefix}/", {"page_size": 50})
        text = json.dumps(r.json(), ensure_ascii=False)
        assert not FULL_ID.search(text), f"{prefix}: full ID number shown to a province official"
        assert not FULL_PHONE.search(text), f"{prefix}: full phone number shown to a province official"
        api.force_authenticate(demo["county"])
        text = json.dumps(api.get(f"/api/v1/{prefix}/", {"page_size": 50}).json(), ensure_ascii=False)
        if FULL_ID.search(text):
            full_seen.add(prefix)
        if FULL_PHONE.search(text):
            full_phones_seen.add(prefix)
    assert {"persons"} <= full_seen  # county staff need the numbers for their work
    assert {"appeals"} <= full_phones_seen  # to call back the person who complained
