"""Two county officers generating the same campaign's list at the same moment, and two taps on the
same household, each on its own connection: every household once, the goods drawn once."""

from __future__ import annotations

from decimal import Decimal

import pytest

from campaigns import services
from campaigns.models import CampaignHousehold
from funds import services as funds
from funds.models import MovementKind, Stock, StockMovement
from tests.campaigns.factories import make_campaign
from tests.factories import UserFactory
from tests.funds.factories import WarehouseFactory, dibao_household, item
from tests.funds.test_concurrency import race

pytestmark = pytest.mark.django_db(transaction=True)


def test_concurrent_generate_covers_each_household_once(users):
    households = [dibao_household("510121001001") for _ in range(5)]
    campaign = make_campaign(users["county"], goods=False)
    second = UserFactory(username="t-county-2")
    actors = iter([users["county"], second])
    results = race(lambda: services.campaign_generate_list(actor=next(actors), campaign=campaign))
    assert not [r for r in results if isinstance(r, Exception)]
    assert sorted(added for _c, added in results) == [0, 5]
    rows = CampaignHousehold.objects.filter(campaign=campaign)
    assert sorted(rows.values_list("household_id", flat=True)) == sorted(h.pk for h in households)


def test_concurrent_taps_draw_the_goods_once(regions, users):
    dibao_household("510121001001")
    wh = WarehouseFactory(region=regions["county"])
    funds.stock_receive(actor=users["county"], warehouse=wh, item=item("quilt"), quantity=Decimal("5"))
    campaign = make_campaign(users["county"])
    services.campaign_generate_list(actor=users["county"], campaign=campaign)
    entry = CampaignHousehold.objects.get(campaign=campaign)
    results = race(
        lambda: services.delivery_record(
            actor=users["village"], entry=entry, outcome="delivered", received_by_name="甲"
        )
    )
    assert all(r.state == "delivered" for r in results)
    assert StockMovement.objects.filter(kind=MovementKind.DISTRIBUTED).count() == 1
    assert Stock.objects.get(warehouse=wh).quantity == Decimal("4")
