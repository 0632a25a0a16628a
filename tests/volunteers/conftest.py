"""Fixtures of the volunteers tests: a volunteer of the home village, a patrol shift of the county,
a household of the village, and a listed campaign with stock for its deliveries."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from campaigns import services as campaigns
from funds import services as funds
from tests.campaigns.factories import make_campaign
from tests.funds.factories import WarehouseFactory, dibao_household, item
from tests.patrols.factories import PatrolShiftFactory
from tests.people.factories import make_id_number
from volunteers import services

ID_NUMBER = make_id_number("510121", datetime.date(1980, 1, 1))


@pytest.fixture
def volunteer(users, regions):
    return services.volunteer_register(
        actor=users["township"],
        region=regions["village"],
        name="王秀英",
        phone="13908121234",
        id_number=ID_NUMBER,
        kind="volunteer",
        organisation="爱心志愿者协会",
        skills=["companion", "patrol"],
        weekdays=["6", "7"],
        day_parts=["day"],
    )


@pytest.fixture
def shift(regions):
    return PatrolShiftFactory(team__region=regions["county"], region=regions["county"])


@pytest.fixture
def household(regions):
    return dibao_household("510121001001", name="张大山")


@pytest.fixture
def campaign(users, household, regions):
    wh = WarehouseFactory(region=regions["county"])
    funds.stock_receive(actor=users["county"], warehouse=wh, item=item("quilt"), quantity=Decimal("10"))
    c = make_campaign(users["county"])
    c, _added = campaigns.campaign_generate_list(actor=users["county"], campaign=c)
    return c
