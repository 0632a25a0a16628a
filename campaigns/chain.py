"""The campaigns' part of the household's 救助链 (funds/chain.py): one entry per campaign the
household is on, with its delivery state. No amount or quantity: the cash is a payment line and the
goods a material distribution of the chain already, so the totals count nothing twice."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.models import CampaignHousehold, DeliveryState
from funds.chain import Entry
from people.models import Household

KIND = "campaign"
STATES = {f"campaign_{value}": label for value, label in DeliveryState.choices}


def campaign_entries(household: Household, user) -> Iterable[Entry]:
    """The household's campaign entries the user may see (one query)."""
    rows = (
        CampaignHousehold.objects.visible_to(user)
        .filter(household=household)
        .select_related("campaign")
        .order_by("id")
    )
    for row in rows:
        at = row.delivered_at or row.added_at
        lines = [_("慰问金 %(a)s 元") % {"a": row.campaign.cash_amount}] if row.campaign.cash_amount else []
        note = row.note or (_("签收：%(n)s") % {"n": row.received_by_name} if row.received_by_name else "")
        yield Entry(
            date=timezone.localdate(at),
            kind=KIND,
            label=row.campaign.name,
            source=" · ".join(lines),
            state=f"campaign_{row.state}",
            note=note,
            url=row.campaign.get_absolute_url(),
            at=at,
        )
