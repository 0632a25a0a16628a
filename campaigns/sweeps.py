"""The campaigns' alert: a campaign whose period has ended with households of a village still
waiting (neither delivered, declined nor not found) is an alert for that village, raised by the
nightly sweep while they wait and resolved by itself when the last is recorded or the campaign is
closed. Its task (relief/todo) puts the village's list, filtered to those waiting, one tap away."""

from __future__ import annotations

import datetime

from django.db.models import CharField, Count, F, QuerySet, Value
from django.db.models.functions import Concat
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from campaigns.models import CampaignHousehold, CampaignState, DeliveryState
from relief.alerts.sweeps import sql_message

CAMPAIGN_PENDING = "campaigns.pending_after_end"


def pending_after_end(county_code: str, today: datetime.date) -> QuerySet:
    """One row per (campaign, village) of the county: a campaign not closed whose end date has
    passed, with the number of the village's households still waiting (in the message)."""
    return (
        CampaignHousehold.objects.in_region(county_code)
        .filter(
            state=DeliveryState.PENDING,
            campaign__ends_on__lt=today,
            campaign__state__in=(CampaignState.LISTED, CampaignState.IN_PROGRESS),
        )
        .values("campaign_id", "region_id")
        .annotate(
            dedup_key=Concat(
                Value(f"{CAMPAIGN_PENDING}:"),
                F("campaign_id"),
                Value(":"),
                F("region_id"),
                output_field=CharField(),
            ),
            region_code=F("region_id"),
            message=sql_message(
                gettext(
                    "集中慰问“%(name)s”已于%(end)s结束，本村（社区）尚有 %(n)s 户未慰问，请尽快送达或登记原因"
                ),
                name=F("campaign__name"),
                end=F("campaign__ends_on"),
                n=Count("pk"),
            ),
            subject_id=F("campaign_id"),
            subject_label=F("campaign__name"),
        )
    )


def register() -> None:
    from relief.alerts.delta import Inputs
    from relief.alerts.sweeps import Sweep
    from relief.alerts.sweeps import register as register_sweep

    register_sweep(
        Sweep(
            kind=CAMPAIGN_PENDING,
            label=_("集中慰问结束仍有家庭未慰问"),
            findings=pending_after_end,
            subject_model="campaigns.Campaign",
            inputs=Inputs(subject="campaigns.CampaignHousehold"),  # the rows the findings group
            action="campaigns:households",
            action_label=_("慰问名单"),
            action_query="campaign={id}&state=pending",
        )
    )
