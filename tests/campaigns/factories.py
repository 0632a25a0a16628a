"""Campaign helpers for tests: a county campaign made through the service."""

from __future__ import annotations

import datetime
from decimal import Decimal

from campaigns import services
from tests.funds.factories import item


def make_campaign(user, *, cash="300.00", goods=True, categories=("dibao", "tekun"), **kw):
    return services.campaign_create(
        actor=user,
        region=kw.pop("region", user.region),
        name=kw.pop("name", "两节慰问"),
        starts_on=datetime.date(2026, 12, 20),
        ends_on=datetime.date(2027, 2, 28),
        categories=list(categories),
        cash_amount=Decimal(cash),
        items=[(item("quilt"), Decimal("1"))] if goods else [],
        **kw,
    )
