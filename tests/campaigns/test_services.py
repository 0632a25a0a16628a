"""Services of 集中慰问: the list from the criteria, no household twice, deliveries drawing the
goods from the county's stock, the cash through a disbursement batch, closing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from campaigns import services
from campaigns.models import CampaignHousehold, CampaignState
from funds import services as funds
from funds.chain import assistance_chain
from funds.models import BatchStatus, MovementKind, Payment, Stock, StockMovement
from tests.campaigns.factories import make_campaign
from tests.factories import UserFactory
from tests.funds.factories import AllocationFactory, WarehouseFactory, dibao_household, item, tekun_household
from tests.people.factories import household_with_head

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def people(regions):
    return {
        "dibao": dibao_household("510121001001", "A", name="张大山"),
        "tekun": tekun_household("510121001001"),
        "none": household_with_head("510121001001", name="王无类"),
        "other": dibao_household("510129001001", "B", name="李四海"),
    }


def listed(campaign) -> set[int]:
    return set(CampaignHousehold.objects.filter(campaign=campaign).values_list("household_id", flat=True))


def stock(regions, users, quantity="10"):
    wh = WarehouseFactory(region=regions["county"])
    funds.stock_receive(actor=users["county"], warehouse=wh, item=item("quilt"), quantity=D(quantity))
    return Stock.objects.get(warehouse=wh, item=item("quilt"))


def test_list_from_criteria(users, people):
    campaign = make_campaign(users["county"])
    campaign, added = services.campaign_generate_list(actor=users["county"], campaign=campaign)
    assert listed(campaign) == {people["dibao"].pk, people["tekun"].pk}  # not the one with no category,
    assert added == 2  # nor the other county's 低保 household
    assert campaign.state == CampaignState.LISTED
    row = CampaignHousehold.objects.get(campaign=campaign, household=people["dibao"])
    assert row.region_id == "510121001001" and row.cash_amount == D("300.00")


def test_flags_and_min_age_narrow_the_list(users, people):
    campaign = make_campaign(users["county"], categories=(), min_age=80)
    services.campaign_generate_list(actor=users["county"], campaign=campaign)
    assert listed(campaign) == {people["tekun"].pk}  # the 特困 head born 1940; the others are younger


def test_generate_twice_adds_only_the_newly_covered(users, people):
    campaign = make_campaign(users["county"])
    services.campaign_generate_list(actor=users["county"], campaign=campaign)
    newcomer = dibao_household("510121001001", "B")
    campaign, added = services.campaign_generate_list(actor=users["county"], campaign=campaign)
    assert added == 1
    assert listed(campaign) == {people["dibao"].pk, people["tekun"].pk, newcomer.pk}
    assert CampaignHousehold.objects.filter(campaign=campaign).count() == 3


def test_a_township_cannot_create_or_generate(users, people):
    with pytest.raises(PermissionDenied):
        make_campaign(users["township"])
    campaign = make_campaign(users["county"])
    with pytest.raises(PermissionDenied):
        services.campaign_generate_list(actor=users["township"], campaign=campaign)
    with pytest.raises(PermissionDenied):
        services.campaign_generate_list(actor=users["other_county"], campaign=campaign)


def test_delivery_draws_the_goods_from_stock(regions, users, people):
    s = stock(regions, users, "10")
    campaign = make_campaign(users["county"])
    services.campaign_generate_list(actor=users["county"], campaign=campaign)
    entry = CampaignHousehold.objects.get(campaign=campaign, household=people["dibao"])
    done = services.delivery_record(
        actor=users["village"], entry=entry, outcome="delivered", received_by_name="张大山"
    )
    assert (
        done.state == "delivered"
        and done.delivered_by == users["village"]
        and done.received_by_name == "张大山"
    )
    s.refresh_from_db()
    assert s.quantity == D("9")
    movement = StockMovement.objects.get(kind=MovementKind.DISTRIBUTED)
    assert movement.household_id == people["dibao"].pk and movement.recipient == done
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.IN_PROGRESS
    # the household's chain shows the delivery and the quilt (once: the campaign entry has no quantity)
    chain = assistance_chain(people["dibao"], users["county"])
    kinds = sorted(e.kind for e in chain.entries)
    assert kinds == ["campaign", "material"]
    assert [(t.item, t.quantity) for t in chain.totals.items] == [("棉被", D("1"))]
    assert next(e for e in chain.entries if e.kind == "campaign").state_display == "已送达"


def test_delivery_refused_when_stock_is_short(regions, users, people):
    s = stock(regions, users, "1")
    campaign = make_campaign(users["county"])
    services.campaign_generate_list(actor=users["county"], campaign=campaign)
    first, second = CampaignHousehold.objects.filter(campaign=campaign).order_by("id")
    services.delivery_record(actor=users["village"], entry=first, outcome="delivered", received_by_name="甲")
    with pytest.raises(ValidationError, match="库存不足"):
        services.delivery_record(
            actor=users["village"], entry=second, outcome="delivered", received_by_name="乙"
        )
    second.refresh_from_db()
    s.refresh_from_db()
    assert second.state == "pending" and s.quantity == 0
    assert StockMovement.objects.filter(kind=MovementKind.DISTRIBUTED).count() == 1


def test_the_other_county_stock_is_not_used(regions, users, people):
    wh = WarehouseFactory(region=regions["other_county"])
    funds.stock_receive(actor=users["other_county"], warehouse=wh, item=item("quilt"), quantity=D("5"))
    campaign = make_campaign(users["county"])
    services.campaign_generate_list(actor=users["county"], campaign=campaign)
    entry = CampaignHousehold.objects.filter(campaign=campaign).first()
    with pytest.raises(ValidationError, match="库存不足"):
        services.delivery_record(
            actor=users["village"], entry=entry, outcome="delivered", received_by_name="甲"
        )


def test_double_tap_records_once(regions, users, people):
    s = stock(regions, users, "10")
    campaign = make_campaign(users["county"])
    services.campaign_generate_list(actor=users["county"], campaign=campaign)
    entry = CampaignHousehold.objects.get(campaign=campaign, household=people["dibao"])
    for _ in range(2):
        services.delivery_record(
            actor=users["village"], entry=entry, outcome="delivered", received_by_name="张大山"
        )
    s.refresh_from_db()
    assert s.quantity == D("9")
    assert StockMovement.objects.filter(kind=MovementKind.DISTRIBUTED).count() == 1


def test_declined_and_not_found_need_a_reason(users, people):
    campaign = make_campaign(users["county"], goods=False)
    services.campaign_generate_list(actor=users["county"], campaign=campaign)
    entry = CampaignHousehold.objects.filter(campaign=campaign).first()
    with pytest.raises(ValidationError):
        services.delivery_record(actor=users["village"], entry=entry, outcome="not_found")
    done = services.delivery_record(actor=users["village"], entry=entry, outcome="not_found", note="外出务工")
    assert done.state == "not_found" and done.note == "外出务工"
    # found later: delivered after all
    done = services.delivery_record(
        actor=users["village"], entry=entry, outcome="delivered", received_by_name="甲"
    )
    assert done.state == "delivered" and done.note == ""


def test_read_only_and_other_county_cannot_record(users, people):
    campaign = make_campaign(users["county"], goods=False)
    services.campaign_generate_list(actor=users["county"], campaign=campaign)
    entry = CampaignHousehold.objects.filter(campaign=campaign).first()
    for user in (users["province"], users["other_county"], users["api_read"]):
        with pytest.raises(PermissionDenied):
            services.delivery_record(actor=user, entry=entry, outcome="delivered", received_by_name="甲")
    entry.refresh_from_db()
    assert entry.state == "pending"


def test_cash_goes_through_a_disbursement_batch(users, people):
    campaign = make_campaign(users["county"], goods=False, cash="300.00")
    program = campaign.program
    assert program.kind == "cash" and program.amount_basis == "household" and program.one_off
    assert program.amount_fixed == D("300.00") and program.categories == ["dibao", "tekun"]
    allocation = AllocationFactory(region=users["county"].region, program=program, amount=D("10000"))
    batch = services.campaign_cash_batch(
        actor=users["county"], campaign=campaign, allocation=allocation, run_in_background=False
    )
    assert batch.status == BatchStatus.DRAFT
    lines = Payment.objects.filter(batch=batch)
    assert {p.household_id for p in lines} == {people["dibao"].pk, people["tekun"].pk} == listed(campaign)
    assert all(p.amount == D("300.00") and p.person_id is None for p in lines)
    head = UserFactory(username="t-county-head")  # another county officer: duties separated
    batch = funds.batch_review(actor=head, batch=batch)
    batch = funds.batch_approve(actor=head, batch=batch)
    batch = funds.batch_mark_paid(actor=users["county"], batch=batch)
    assert batch.status == BatchStatus.PAID
    # one-off: a second batch of another period pays nobody twice
    with pytest.raises(ValidationError):
        services.campaign_cash_batch(
            actor=users["county"],
            campaign=campaign,
            allocation=allocation,
            period="2027",
            run_in_background=False,
        )


def _entry(campaign, household):
    return CampaignHousehold.objects.get(campaign=campaign, household=household)


def test_declined_and_not_found_households_are_held_in_the_cash_batch(users, people):
    """A household that refused the campaign, or that no one could find, is not paid its cash:
    declined before the batch is generated, its line is written held; declined after, its line is
    held then; found and delivered later, the line is released while the batch is not approved."""
    county = users["county"]
    campaign = make_campaign(county, goods=False, cash="300.00")
    services.campaign_generate_list(actor=county, campaign=campaign)
    services.delivery_record(
        actor=county, entry=_entry(campaign, people["dibao"]), outcome="declined", note="本人表示不需要"
    )
    allocation = AllocationFactory(region=county.region, program=campaign.program, amount=D("10000"))
    batch = services.campaign_cash_batch(
        actor=county, campaign=campaign, allocation=allocation, run_in_background=False
    )
    held = Payment.objects.get(batch=batch, household=people["dibao"])
    assert held.held_at is not None and "拒收" in held.held_reason and "本人表示不需要" in held.held_reason
    assert (batch.payment_count, batch.total_amount) == (1, D("300.00"))

    services.delivery_record(
        actor=county, entry=_entry(campaign, people["tekun"]), outcome="not_found", note="房屋无人居住"
    )
    batch.refresh_from_db()
    assert (batch.payment_count, batch.total_amount) == (0, D("0.00"))
    assert Payment.objects.get(batch=batch, household=people["tekun"]).held_at is not None

    services.delivery_record(
        actor=county, entry=_entry(campaign, people["tekun"]), outcome="delivered", received_by_name="王某"
    )
    batch.refresh_from_db()
    assert (batch.payment_count, batch.total_amount) == (1, D("300.00"))
    line = Payment.objects.get(batch=batch, household=people["tekun"])
    assert line.held_at is None and line.held_reason == ""
    # the chain of the declined household shows its line held, not pending
    chain = assistance_chain(people["dibao"], county)
    assert [e.state for e in chain.entries if e.kind == "payment"] == ["held"]


def test_a_delivery_releases_only_the_campaign_own_hold(users, people):
    from funds.services.holds import payments_hold

    county = users["county"]
    campaign = make_campaign(county, goods=False, cash="300.00")
    allocation = AllocationFactory(region=county.region, program=campaign.program, amount=D("10000"))
    batch = services.campaign_cash_batch(
        actor=county, campaign=campaign, allocation=allocation, run_in_background=False
    )
    lines = Payment.objects.filter(batch=batch, household=people["tekun"])
    with transaction.atomic():
        assert payments_hold(lines, "户主死亡（部门数据比对核实）") == 1
    services.delivery_record(
        actor=county, entry=_entry(campaign, people["tekun"]), outcome="not_found", note="无人"
    )
    services.delivery_record(
        actor=county, entry=_entry(campaign, people["tekun"]), outcome="delivered", received_by_name="邻居"
    )
    assert lines.get().held_reason == "户主死亡（部门数据比对核实）"
    batch.refresh_from_db()
    assert (batch.payment_count, batch.total_amount) == (1, D("300.00"))


def test_cash_batch_needs_the_campaign_program(users, people):
    campaign = make_campaign(users["county"], goods=False)
    from tests.funds.factories import program

    other = AllocationFactory(region=users["county"].region, program=program("dibao"))
    with pytest.raises(ValidationError):
        services.campaign_cash_batch(actor=users["county"], campaign=campaign, allocation=other)


def test_close_stops_deliveries(users, people):
    campaign = make_campaign(users["county"], goods=False)
    services.campaign_generate_list(actor=users["county"], campaign=campaign)
    campaign = services.campaign_close(actor=users["county"], campaign=campaign)
    assert campaign.state == CampaignState.CLOSED
    entry = CampaignHousehold.objects.filter(campaign=campaign).first()
    with pytest.raises(ValidationError):
        services.delivery_record(
            actor=users["village"], entry=entry, outcome="delivered", received_by_name="甲"
        )
    with pytest.raises(ValidationError):
        services.campaign_generate_list(actor=users["county"], campaign=campaign)


def test_goods_or_cash_required(users):
    with pytest.raises(ValidationError):
        make_campaign(users["county"], cash="0", goods=False)
    with pytest.raises(ValidationError):
        make_campaign(users["county"], categories=("nonsense",))
