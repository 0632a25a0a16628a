"""The API of 慈善: a round trip (donor, donation, project, need, assign, deliver, trace), another
county answered 404 and left unchanged, officials reading but never writing, donors' phone and ID
numbers masked for officials, and Chinese messages for bad input."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from charity.models import CharityNeed, Donation, NeedState
from tests.charity import factories as f
from tests.funds.factories import dibao_household

pytestmark = pytest.mark.django_db


def test_round_trip(api, users):
    county = users["county"]
    household = dibao_household("510121001001", name="孙大爷")
    api.force_authenticate(county)
    today = timezone.localdate()
    r = api.post(
        "/api/v1/donors/",
        {
            "kind": "enterprise",
            "name": "暖源能源",
            "credit_code": "91510121MA6CXXXX1T",
            "phone": "13800000002",
        },
        format="json",
    )
    assert r.status_code == 201, r.content
    donor = r.json()["id"]
    assert r.json()["region"] == "510121"
    r = api.post(
        "/api/v1/charity-projects/",
        {
            "name": "爱心助暖",
            "need_kinds": ["heating"],
            "categories": ["dibao"],
            "budget": "5000.00",
            "starts_on": str(today - datetime.timedelta(days=1)),
            "ends_on": str(today + datetime.timedelta(days=60)),
        },
        format="json",
    )
    assert r.status_code == 201, r.content
    project = r.json()["id"]
    r = api.post(
        "/api/v1/donations/",
        {
            "donor": donor,
            "received_on": str(today),
            "receipt_number": "CS-API-1",
            "amount": "800.00",
            "items": [
                {
                    "name": "取暖煤",
                    "unit": "公斤",
                    "quantity": "500",
                    "unit_value": "1.20",
                    "serves": "heating",
                }
            ],
        },
        format="json",
    )
    assert r.status_code == 201, r.content
    donation = r.json()
    line = donation["items"][0]["id"]
    r = api.post(
        "/api/v1/charity-needs/",
        {"household": household.pk, "kind": "heating", "description": "缺取暖煤"},
        format="json",
    )
    assert r.status_code == 201, r.content
    need = r.json()["id"]
    # over-allocation: 400 in Chinese, nothing written
    r = api.post(
        f"/api/v1/charity-needs/{need}/assign/",
        {"project": project, "shares": [{"donation": donation["id"], "amount": "900.00"}]},
        format="json",
    )
    assert r.status_code == 400 and "捐赠余额不足" in r.content.decode()
    r = api.post(
        f"/api/v1/charity-needs/{need}/assign/",
        {
            "project": project,
            "shares": [
                {"donation": donation["id"], "amount": "200.00"},
                {"donation": donation["id"], "line": line, "quantity": "100"},
            ],
        },
        format="json",
    )
    assert r.status_code == 200, r.content
    assert r.json()["state"] == "assigned" and len(r.json()["allotments"]) == 2
    api.force_authenticate(users["township"])
    r = api.post(f"/api/v1/charity-needs/{need}/deliver/", {"received_by_name": "孙大爷"}, format="json")
    assert r.status_code == 200 and r.json()["state"] == "delivered"
    again = api.post(f"/api/v1/charity-needs/{need}/deliver/", {"received_by_name": "别人"}, format="json")
    assert again.status_code == 200 and again.json()["received_by_name"] == "孙大爷"
    api.force_authenticate(county)
    trace = api.get(f"/api/v1/donations/{donation['id']}/trace/").json()
    assert trace["totals"] == {
        "received": "800.00",
        "goods_value": "600.00",
        "allotted": "320.00",
        "delivered": "320.00",
        "balance": "600.00",
    }
    assert {(row["household"], row["amount"], row["item"]) for row in trace["households"]} == {
        (household.pk, "200.00", ""),
        (household.pk, "0.00", "取暖煤"),
    }
    summary = api.get(f"/api/v1/charity-projects/{project}/").json()["summary"]
    assert summary == {"allotted": "320.00", "spent": "320.00", "households_served": 1}
    listed = api.get("/api/v1/charity-projects/").json()["results"][0]["summary"]
    assert listed == summary


def test_another_county_sees_nothing_and_officials_cannot_write(api, users):
    county = users["county"]
    household = dibao_household("510121001001")
    giver = f.donor(
        county, kind="individual", name="王爱心", id_number="510121193112174250", phone="13912345678"
    )
    project = f.project(county)
    donation = f.money(county, giver, "500.00")
    need = f.need(county, household)
    urls = [
        f"/api/v1/donors/{giver.pk}/",
        f"/api/v1/donations/{donation.pk}/",
        f"/api/v1/donations/{donation.pk}/trace/",
        f"/api/v1/charity-projects/{project.pk}/",
        f"/api/v1/charity-needs/{need.pk}/",
    ]
    api.force_authenticate(users["other_county"])
    for url in urls:
        assert api.get(url).status_code == 404, url
    for prefix in ("donors", "donations", "charity-projects", "charity-needs"):
        assert api.get(f"/api/v1/{prefix}/").json()["count"] == 0
    r = api.post(
        f"/api/v1/charity-needs/{need.pk}/assign/",
        {"project": project.pk, "shares": [{"donation": donation.pk, "amount": "10.00"}]},
        format="json",
    )
    assert r.status_code == 404
    api.force_authenticate(users["province"])
    for url in urls:
        assert api.get(url).status_code == 200, url
    r = api.post(
        f"/api/v1/charity-needs/{need.pk}/assign/",
        {"project": project.pk, "shares": [{"donation": donation.pk, "amount": "10.00"}]},
        format="json",
    )
    assert r.status_code == 403
    r = api.post("/api/v1/charity-needs/", {"household": household.pk, "kind": "food", "description": "缺粮"})
    assert r.status_code == 403
    need.refresh_from_db()
    assert need.state == NeedState.OPEN and CharityNeed.objects.count() == 1
    assert Donation.objects.get().allotted_amount == 0


def test_donor_numbers_are_masked_for_officials(api, users, as_user):
    county = users["county"]
    giver = f.donor(
        county, kind="individual", name="王爱心", id_number="510121193112174250", phone="13912345678"
    )
    api.force_authenticate(users["province"])
    row = api.get(f"/api/v1/donors/{giver.pk}/").json()
    assert row["id_number"] == "510121********4250" and row["phone"] == "139****5678"
    api.force_authenticate(county)
    row = api.get(f"/api/v1/donors/{giver.pk}/").json()
    assert row["id_number"] == "510121193112174250" and row["phone"] == "13912345678"
    page = as_user(users["province"]).get(f"/charity/donors/{giver.pk}/").content.decode()
    assert "13912345678" not in page and "510121193112174250" not in page and "139****5678" in page
    listing = as_user(users["city"]).get("/charity/donors/").content.decode()
    assert "13912345678" not in listing


def test_bad_input_answers_in_chinese(api, users):
    api.force_authenticate(users["county"])
    r = api.post(
        "/api/v1/donors/", {"kind": "enterprise", "name": "某公司", "credit_code": "123"}, format="json"
    )
    assert r.status_code == 400 and "统一社会信用代码不正确" in r.content.decode()
    giver = f.donor(users["county"])
    r = api.post(
        "/api/v1/donations/",
        {"donor": giver.pk, "received_on": str(timezone.localdate()), "receipt_number": "X-1"},
        format="json",
    )
    assert r.status_code == 400 and "请填写捐赠资金或捐赠物资" in r.content.decode()
    f.money(users["county"], giver, "10.00", "X-2")
    r = api.post(
        "/api/v1/donations/",
        {"donor": giver.pk, "received_on": str(timezone.localdate()), "receipt_number": "X-2", "amount": "5"},
        format="json",
    )
    assert r.status_code == 400 and "该捐赠票据号已登记" in r.content.decode()


def test_list_endpoints_have_a_fixed_number_of_queries(api, users, django_assert_max_num_queries):
    county = users["county"]
    project = f.project(county)
    giver = f.donor(county)
    goods = f.goods(county, giver)
    for i in range(3):
        need = f.need(county, dibao_household("510121001001"))
        from charity.services import Share, need_assign

        need_assign(
            actor=county,
            need=need,
            project=project,
            shares=[Share(donation=goods, line=goods.items.first(), quantity="10")],
        )
        f.money(county, giver, "10.00", f"M-{i}")
    api.force_authenticate(county)
    for prefix in ("donors", "donations", "charity-projects", "charity-needs"):
        api.get(f"/api/v1/{prefix}/")
        with django_assert_max_num_queries(8):
            r = api.get(f"/api/v1/{prefix}/")
        assert r.status_code == 200 and r.json()["count"] >= 1


def test_an_http_trace_is_refused_not_answered_by_the_trace_action(api, users):
    """The donation's `trace/` route is a GET action; an HTTP TRACE request on the list or a record
    is 405 (a viewset method named `trace` would have answered it, and crashed on the list)."""
    donation = f.money(users["county"], f.donor(users["county"]), "10.00")
    api.force_authenticate(users["county"])
    assert api.generic("TRACE", "/api/v1/donations/").status_code == 405
    assert api.generic("TRACE", f"/api/v1/donations/{donation.pk}/").status_code == 405
    assert api.get(f"/api/v1/donations/{donation.pk}/trace/").status_code == 200
