"""The campaigns' dashboard figures (集中慰问), computed when read over the open campaigns: the
households on their lists, delivered, declined, not found and still to visit, per sub-region. Each
links to the list of those households (campaigns:households)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from campaigns.models import CampaignHousehold, CampaignState, DeliveryState
from relief.dashboard.registry import (
    Figure,
    FigureQuery,
    Link,
    Row,
    Section,
    Source,
    counted_rows,
    register,
    state_params,
)

HOUSEHOLDS = "campaigns:households"


def completion(q: FigureQuery) -> Iterable[Row]:
    measures = {
        "campaigns.households": Count("pk"),
        **{f"campaigns.{s}": Count("pk", filter=Q(state=s)) for s in DeliveryState.values},
    }
    rows = CampaignHousehold.objects.exclude(campaign__state=CampaignState.CLOSED)
    return counted_rows(rows, q, measures)


register(
    section=Section("campaigns", _("集中慰问"), order=27),
    figures=[
        Figure(
            "campaigns.households",
            _("集中慰问应慰问"),
            "campaigns",
            _("户"),
            order=10,
            in_table=True,
            help=_("进行中的集中慰问名单上的家庭"),
            link=Link(HOUSEHOLDS),
        ),
        Figure(
            "campaigns.delivered",
            _("已送达"),
            "campaigns",
            _("户"),
            order=20,
            in_table=True,
            link=Link(HOUSEHOLDS, state_params(DeliveryState.DELIVERED)),
        ),
        Figure(
            "campaigns.pending",
            _("待慰问"),
            "campaigns",
            _("户"),
            order=30,
            in_table=True,
            link=Link(HOUSEHOLDS, state_params(DeliveryState.PENDING)),
        ),
        Figure(
            "campaigns.declined",
            _("拒收"),
            "campaigns",
            _("户"),
            order=40,
            link=Link(HOUSEHOLDS, state_params(DeliveryState.DECLINED)),
        ),
        Figure(
            "campaigns.not_found",
            _("未找到"),
            "campaigns",
            _("户"),
            order=50,
            link=Link(HOUSEHOLDS, state_params(DeliveryState.NOT_FOUND)),
        ),
    ],
    sources=[Source("campaigns.completion", completion, live=True)],
)
