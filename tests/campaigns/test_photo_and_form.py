"""The delivery's signature or photo (checked like every evidence file) and the create form."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from campaigns import services
from campaigns.models import Campaign, CampaignHousehold
from tests.campaigns.factories import make_campaign
from tests.funds.factories import dibao_household, item
from tests.institutions.test_uploads import PNG

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def entry(users, regions):
    dibao_household("510121001001")
    campaign = make_campaign(users["county"], goods=False)
    services.campaign_generate_list(actor=users["county"], campaign=campaign)
    return CampaignHousehold.objects.get(campaign=campaign)


def test_photo_is_checked_and_stored_under_a_random_name(users, entry):
    with pytest.raises(ValidationError, match="只能上传图片"):
        services.delivery_record(
            actor=users["village"],
            entry=entry,
            outcome="delivered",
            received_by_name="甲",
            photo=SimpleUploadedFile("a.png", b"<html>not a picture</html>", content_type="image/png"),
        )
    entry.refresh_from_db()
    assert entry.state == "pending" and not entry.photo
    done = services.delivery_record(
        actor=users["village"],
        entry=entry,
        outcome="delivered",
        received_by_name="甲",
        photo=SimpleUploadedFile("张三签字.png", PNG, content_type="image/png"),
    )
    done.refresh_from_db()
    assert done.photo.name.startswith("campaigns/deliveries/") and done.photo.name.endswith(".png")
    assert "张三" not in done.photo.name


def test_a_refused_delivery_keeps_what_was_typed(as_user, users, entry):
    """A photo that is no picture: the list is drawn again with the error and the name typed."""
    client = as_user(users["village"])
    r = client.post(
        f"/campaigns/households/{entry.pk}/deliver/",
        {
            "outcome": "delivered",
            "received_by_name": "王五（代签）",
            "next": f"/campaigns/households/?campaign={entry.campaign_id}",
            "photo": SimpleUploadedFile("a.png", b"<html>not a picture</html>", content_type="image/png"),
        },
    )
    page = r.content.decode()
    assert r.status_code == 200 and "只能上传图片" in page
    assert 'value="王五（代签）"' in page and f'data-testid="deliver-{entry.pk}"' in page
    entry.refresh_from_db()
    assert entry.state == "pending"


def test_county_creates_a_campaign_from_the_form(as_user, users, regions):
    quilt = item("quilt")
    form = {
        "name": "2027年两节慰问",
        "starts_on": "2026-12-20",
        "ends_on": "2027-02-28",
        "categories": ["dibao", "tekun"],
        "cash_amount": "500",
        "item_1": quilt.pk,
        "quantity_1": "1",
    }
    assert as_user(users["township"]).post("/campaigns/new/", form).status_code == 403
    assert not Campaign.objects.exists()
    response = as_user(users["county"]).post("/campaigns/new/", form)
    campaign = Campaign.objects.get()
    assert response.status_code == 302 and response["Location"] == campaign.get_absolute_url()
    assert campaign.region_id == "510121" and campaign.categories == ["dibao", "tekun"]
    assert [(line.item_id, int(line.quantity)) for line in campaign.items.all()] == [(quilt.pk, 1)]
    assert campaign.program.amount_fixed == 500
