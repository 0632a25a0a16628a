"""Demo data: the first county's 两节慰问 (New Year and Spring Festival condolence visits) to its
低保 and 特困 households, with money and a quilt each; its list generated and some households
visited (delivered from the county's stock, a few declined or not found)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone

from campaigns.models import CampaignHousehold
from campaigns.services import campaign_create, campaign_generate_list, delivery_record
from funds.models import MaterialItem
from relief.demo import DemoContext


def seed(ctx: DemoContext) -> None:
    county = ctx.users.get("county")
    if county is None or county.region is None:
        return
    today = timezone.localdate()
    year = today.year if today.month >= 10 else today.year - 1
    quilt = MaterialItem.objects.filter(code="quilt").first()
    campaign = campaign_create(
        actor=county,
        region=county.region,
        name=f"{county.region.name}{year + 1}年两节慰问",
        starts_on=datetime.date(year, 12, 20),
        ends_on=datetime.date(year + 1, 2, 28),
        categories=["dibao", "tekun"],
        cash_amount=Decimal("500.00"),
        items=[(quilt, Decimal("1"))] if quilt else [],
    )
    campaign, added = campaign_generate_list(actor=county, campaign=campaign)
    done = 0
    for entry in CampaignHousehold.objects.filter(campaign=campaign).order_by("id")[:40]:
        roll = ctx.rng.random()
        try:
            if roll < 0.7:
                head = entry.household.head
                delivery_record(
                    actor=county,
                    entry=entry,
                    outcome="delivered",
                    received_by_name=head.name if head else "户主",
                )
            elif roll < 0.8:
                delivery_record(actor=county, entry=entry, outcome="declined", note="家中已有，婉拒")
            elif roll < 0.85:
                delivery_record(actor=county, entry=entry, outcome="not_found", note="外出务工，家中无人")
            else:
                continue
        except ValidationError:
            break  # the county's stock ran out: the rest stay to visit
        done += 1
    ctx.log(f"campaigns: {campaign.name}, {added} households, {done} visited")
