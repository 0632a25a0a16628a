"""The campaigns' sweep: a campaign over with households still waiting is an alert (and a task) for
their village, with the list one tap away; it resolves itself when the last household is recorded."""

from __future__ import annotations

import datetime

import pytest

from campaigns import services
from campaigns.models import CampaignHousehold
from campaigns.sweeps import CAMPAIGN_PENDING
from relief.alerts.sweeps import sweep_county
from relief.models import Alert, Task
from tests.campaigns.factories import make_campaign
from tests.funds.factories import dibao_household, tekun_household

pytestmark = pytest.mark.django_db

AFTER_END = datetime.date(2027, 3, 1)  # make_campaign's period ends on 2027-02-28


@pytest.fixture
def campaign(users, regions):
    dibao_household("510121001001", "A")
    tekun_household("510121001001")
    dibao_household("510129001001", "B")  # the other county: not on this campaign
    c = make_campaign(users["county"], goods=False)
    c, _n = services.campaign_generate_list(actor=users["county"], campaign=c)
    return c


def test_households_waiting_after_the_end_alert_their_village(users, campaign, as_user):
    assert sweep_county(CAMPAIGN_PENDING, "510121", datetime.date(2027, 2, 28)).raised == 0  # not over yet
    assert sweep_county(CAMPAIGN_PENDING, "510121", AFTER_END).raised == 1
    alert = Alert.objects.get(kind=CAMPAIGN_PENDING)
    assert alert.region_id == "510121001001" and "尚有 2 户未慰问" in alert.message
    task = Task.objects.live().get(subject_label=campaign.name)
    assert task.assignee_region == "510121001001"
    page = as_user(users["village"]).get("/").content.decode()
    assert campaign.name in page
    link = f"/campaigns/households/?campaign={campaign.pk}&amp;state=pending"
    assert link in page
    # a second run raises nothing new
    assert sweep_county(CAMPAIGN_PENDING, "510121", AFTER_END).raised == 0

    first, second = CampaignHousehold.objects.filter(campaign=campaign).order_by("pk")
    services.delivery_record(actor=users["village"], entry=first, outcome="delivered", received_by_name="甲")
    sweep_county(CAMPAIGN_PENDING, "510121", AFTER_END)
    assert Alert.objects.unresolved().filter(kind=CAMPAIGN_PENDING).count() == 1
    services.delivery_record(actor=users["village"], entry=second, outcome="not_found", note="外出务工")
    assert sweep_county(CAMPAIGN_PENDING, "510121", AFTER_END).resolved == 1
    assert not Task.objects.live().filter(subject_label=campaign.name).exists()


def test_a_closed_campaign_raises_nothing(users, campaign):
    services.campaign_close(actor=users["county"], campaign=campaign)
    assert sweep_county(CAMPAIGN_PENDING, "510121", AFTER_END).raised == 0
