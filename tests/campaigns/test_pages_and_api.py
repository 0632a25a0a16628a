"""Pages and API of 集中慰问: completion by village, one-tap delivery, another county 404, read-only
users cannot write, and the dashboard's figures."""

from __future__ import annotations

import re

import pytest

from campaigns import services
from campaigns.models import CampaignHousehold
from relief.dashboard import selectors
from relief.models import Region
from tests.campaigns.factories import make_campaign
from tests.factories import region
from tests.funds.factories import dibao_household, tekun_household

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(users, regions):
    region("510121001002", "新村")
    dibao_household("510121001001", "A")
    dibao_household("510121001001", "B")
    tekun_household("510121001002")
    dibao_household("510129001001", "A")  # the other county
    c = make_campaign(users["county"], goods=False)
    c, _added = services.campaign_generate_list(actor=users["county"], campaign=c)
    first = CampaignHousehold.objects.filter(campaign=c, region_id="510121001001").order_by("id").first()
    services.delivery_record(actor=users["village"], entry=first, outcome="delivered", received_by_name="甲")
    other = CampaignHousehold.objects.get(campaign=c, region_id="510121001002")
    services.delivery_record(actor=users["county"], entry=other, outcome="declined", note="婉拒")
    return c


def cells(html: str, code: str) -> dict[str, str]:
    row = re.search(rf'<tr data-region="{code}">(.*?)</tr>', html, re.S).group(1)
    return dict(re.findall(r'data-state="(\w+)">(\d+)<', row))


def test_campaign_page_shows_completion_by_village(as_user, users, campaign):
    html = as_user(users["township"]).get(f"/campaigns/{campaign.pk}/").content.decode()
    assert cells(html, "510121001001") == {
        "total": "2",
        "delivered": "1",
        "declined": "0",
        "not_found": "0",
        "pending": "1",
    }
    assert cells(html, "510121001002")["declined"] == "1"
    county = as_user(users["county"]).get(f"/campaigns/{campaign.pk}/").content.decode()
    assert cells(county, "510121001")["total"] == "3"  # by township for the county


def test_village_list_and_one_tap_delivery(as_user, users, campaign):
    client = as_user(users["village"])
    page = client.get(f"/campaigns/households/?campaign={campaign.pk}&state=pending")
    assert page.status_code == 200
    pending = CampaignHousehold.objects.get(campaign=campaign, region_id="510121001001", state="pending")
    assert f'data-testid="deliver-{pending.pk}"' in page.content.decode()
    assert 'data-count="1"' in page.content.decode()
    response = client.post(
        f"/campaigns/households/{pending.pk}/deliver/",
        {"outcome": "delivered", "received_by_name": "乙", "idempotency_key": "k1"},
    )
    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.state == "delivered" and pending.received_by_name == "乙"


def test_other_county_gets_404_on_page_and_api(as_user, api, users, campaign):
    entry = CampaignHousehold.objects.filter(campaign=campaign).first()
    client = as_user(users["other_county"])
    assert client.get(f"/campaigns/{campaign.pk}/").status_code == 404
    assert (
        client.post(f"/campaigns/households/{entry.pk}/deliver/", {"outcome": "delivered"}).status_code == 404
    )
    assert "两节慰问" not in client.get("/campaigns/").content.decode()
    api.force_authenticate(users["other_county"])
    assert api.get(f"/api/v1/campaigns/{campaign.pk}/").status_code == 404
    assert api.get(f"/api/v1/campaign-households/{entry.pk}/").status_code == 404
    r = api.post(
        f"/api/v1/campaign-households/{entry.pk}/deliver/", {"outcome": "delivered", "received_by_name": "x"}
    )
    assert r.status_code == 404
    assert api.get("/api/v1/campaign-households/").json()["count"] == 0
    entry.refresh_from_db()
    assert entry.state != "delivered" or entry.received_by_name != "x"


def test_read_only_users_cannot_write(as_user, api, users, campaign):
    pending = CampaignHousehold.objects.get(campaign=campaign, state="pending")
    client = as_user(users["province"])
    assert client.get(f"/campaigns/{campaign.pk}/").status_code == 200
    r = client.post(
        f"/campaigns/households/{pending.pk}/deliver/", {"outcome": "delivered", "received_by_name": "x"}
    )
    assert r.status_code == 403
    assert client.post(f"/campaigns/{campaign.pk}/close/").status_code == 403
    api.force_authenticate(users["api_read"])
    r = api.post(
        f"/api/v1/campaign-households/{pending.pk}/deliver/",
        {"outcome": "delivered", "received_by_name": "x"},
    )
    assert r.status_code == 403
    pending.refresh_from_db()
    assert pending.state == "pending"
    campaign.refresh_from_db()
    assert campaign.state != "closed"


def test_api_lists_with_completion_and_delivers(api, users, campaign, django_assert_num_queries):
    api.force_authenticate(users["county"])
    data = api.get("/api/v1/campaigns/").json()
    row = next(r for r in data["results"] if r["id"] == campaign.pk)
    assert row["completion"] == {"total": 3, "pending": 1, "delivered": 1, "declined": 1, "not_found": 0}
    listed = api.get(f"/api/v1/campaign-households/?campaign={campaign.pk}&state=pending").json()
    assert listed["count"] == 1
    pk = listed["results"][0]["id"]
    r = api.post(
        f"/api/v1/campaign-households/{pk}/deliver/", {"outcome": "not_found", "note": "搬走"}, format="json"
    )
    assert r.status_code == 200 and r.json()["state"] == "not_found"
    r = api.post(f"/api/v1/campaign-households/{pk}/deliver/", {"outcome": "declined"}, format="json")
    assert r.status_code == 400  # a reason is needed
    with django_assert_num_queries(2):  # the count and the page (household and head joined)
        api.get("/api/v1/campaign-households/")


def test_dashboard_counts_the_open_campaigns(as_user, users, campaign):
    result = selectors.summary(Region.objects.get(code="5101"))
    figures = {key: int(v) for (key, _dim), v in result.totals.items() if key.startswith("campaigns.")}
    assert figures == {
        "campaigns.households": 3,
        "campaigns.delivered": 1,
        "campaigns.pending": 1,
        "campaigns.declined": 1,
        "campaigns.not_found": 0,
    }
    assert int(result.children["510121"][("campaigns.households", "")]) == 3
    county = as_user(users["county"])
    # the village's list (the declined household lives in the other village)
    for state, expected in [("", 2), ("delivered", 1), ("pending", 1), ("declined", 0)]:
        html = county.get(
            "/campaigns/households/", {"region": "510121001001", "state": state}
        ).content.decode()
        assert f'data-count="{expected}"' in html, state
    services.campaign_close(actor=users["county"], campaign=campaign)
    result = selectors.summary(Region.objects.get(code="5101"))
    assert int(result.totals[("campaigns.households", "")]) == 0


def test_county_generates_the_cash_batch_from_the_campaign_page(
    as_user, users, campaign, django_capture_on_commit_callbacks
):
    """The campaign page offers the county the allocations of the campaign's money; the batch it
    generates holds the household that declined, and the offer goes once the batch exists."""
    from funds.models import DisbursementBatch, Payment
    from tests.funds.factories import AllocationFactory

    county = as_user(users["county"])
    assert 'data-testid="cash-needs-allocation"' in county.get(f"/campaigns/{campaign.pk}/").content.decode()
    allocation = AllocationFactory(region=users["county"].region, program=campaign.program)
    page = county.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert 'data-testid="cash-batch"' in page and f'value="{allocation.pk}"' in page
    # a township is not offered it (the county pays)
    assert (
        'data-testid="cash-batch"'
        not in as_user(users["township"]).get(f"/campaigns/{campaign.pk}/").content.decode()
    )
    county = as_user(users["county"])
    with django_capture_on_commit_callbacks(execute=True):  # the job that fills the batch
        response = county.post(f"/campaigns/{campaign.pk}/cash/", {"allocation": allocation.pk})
    batch = DisbursementBatch.objects.get(program=campaign.program)
    assert response.status_code == 302 and response["Location"] == batch.get_absolute_url()
    declined = CampaignHousehold.objects.get(campaign=campaign, state="declined")
    assert Payment.objects.get(batch=batch, household_id=declined.household_id).held_at is not None
    page = county.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert 'data-testid="cash-batch"' not in page and batch.title in page
    # another county's allocation id is a 404, and nothing is generated
    other = AllocationFactory(region=users["other_county"].region, program=campaign.program)
    assert county.post(f"/campaigns/{campaign.pk}/cash/", {"allocation": other.pk}).status_code == 404
    assert DisbursementBatch.objects.filter(program=campaign.program).count() == 1
