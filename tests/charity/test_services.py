"""A donation traced to households: every yuan and item allotted goes to a named household, the
donation's totals add up, its balance never goes below zero (the service refuses in Chinese, the
database refuses too), restricted donations serve only their project, a project's budget holds,
a closed need gives back what it held, a second delivery changes nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from charity import selectors, services
from charity.models import Allotment, Donation, DonationItem, NeedKind, NeedState
from funds.chain import assistance_chain
from tests.charity import factories as f
from tests.funds.factories import dibao_household

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(users):
    county = users["county"]
    giver = f.donor(county)
    company = f.donor(county, kind="enterprise", name="暖源能源", credit_code="91510121MA6CXXXX1T")
    return {
        "county": county,
        "project": f.project(county),
        "money": f.money(county, giver, "1000.00"),
        "goods": f.goods(county, company),
        "a": dibao_household("510121001001", name="张大爷"),
        "b": dibao_household("510121001001", name="李奶奶"),
    }


def test_a_donation_is_traced_to_each_household_and_its_totals_add_up(setup, users):
    county, project, money, goods = setup["county"], setup["project"], setup["money"], setup["goods"]
    coal = goods.items.get(name="取暖煤")
    first = f.need(county, setup["a"])
    second = f.need(county, setup["b"], NeedKind.CLOTHING, "棉被破旧")
    quilt = goods.items.get(name="棉被")
    services.need_assign(
        actor=county,
        need=first,
        project=project,
        shares=[
            services.Share(donation=money, amount="300.00"),
            services.Share(donation=goods, line=coal, quantity="200"),
        ],
    )
    services.need_assign(
        actor=county,
        need=second,
        project=project,
        shares=[
            services.Share(donation=money, amount="200.00"),
            services.Share(donation=goods, line=quilt, quantity="2"),
        ],
    )
    services.need_deliver(actor=users["township"], need=first, received_by_name="张大爷")

    money.refresh_from_db()
    totals = selectors.donation_totals(money)
    assert (totals.received, totals.allotted, totals.delivered, totals.balance) == (
        Decimal("1000.00"),
        Decimal("500.00"),
        Decimal("300.00"),
        Decimal("500.00"),
    )
    trace = {a.need.household_id: a.amount for a in selectors.donation_trace(money, county)}
    assert trace == {setup["a"].pk: Decimal("300.00"), setup["b"].pk: Decimal("200.00")}
    assert sum(trace.values()) == totals.allotted  # every allotted yuan has a household

    goods_totals = selectors.donation_totals(goods)
    assert goods_totals.goods_value == Decimal("2400.00")  # 1000 kg × 1.20 + 10 × 120
    assert goods_totals.allotted == Decimal("480.00")  # 200 × 1.20 + 2 × 120
    assert goods_totals.delivered == Decimal("240.00")
    coal.refresh_from_db()
    assert coal.remaining == Decimal("800")

    summary = selectors.project_summary(project, county)
    assert (summary.allotted, summary.spent, summary.households_served) == (
        Decimal("980.00"),
        Decimal("540.00"),
        1,
    )

    # the household's assistance chain shows the delivery with donor and project
    chain = assistance_chain(setup["a"], county)
    entries = [e for e in chain.entries if e.kind == "charity"]
    assert {(e.label, e.state) for e in entries} == {("慈善救助金（取暖）", "paid"), ("取暖煤", "paid")}
    assert all("金堂县慈善会" in e.source or "暖源能源" in e.source for e in entries)
    assert all(project.name in e.source for e in entries)
    assert chain.totals.received == Decimal("300.00")
    assert [(t.item, t.quantity) for t in chain.totals.items] == [("取暖煤", Decimal("200"))]
    pending = assistance_chain(setup["b"], county)
    assert pending.totals.pending == Decimal("200.00") and not pending.totals.items


def test_over_allocation_is_refused_in_chinese_and_nothing_changes(setup):
    county, project, money = setup["county"], setup["project"], setup["money"]
    need = f.need(county, setup["a"])
    with pytest.raises(ValidationError) as exc:
        services.need_assign(
            actor=county,
            need=need,
            project=project,
            shares=[services.Share(donation=money, amount="1000.01")],
        )
    assert "捐赠余额不足" in exc.value.messages[0] and "1000.00" in exc.value.messages[0]
    coal = setup["goods"].items.get(name="取暖煤")
    with pytest.raises(ValidationError) as exc:
        services.need_assign(
            actor=county,
            need=need,
            project=project,
            shares=[
                services.Share(donation=setup["goods"], line=coal, quantity="600"),
                services.Share(
                    donation=setup["goods"], line=coal, quantity="600"
                ),  # 1,200 > 1,000 in two lines
            ],
        )
    assert "捐赠物资不足" in exc.value.messages[0]
    need.refresh_from_db()
    money.refresh_from_db()
    assert need.state == NeedState.OPEN and money.allotted_amount == 0
    assert not Allotment.objects.exists()


def test_the_database_refuses_a_balance_below_zero(setup):
    money = setup["money"]
    with pytest.raises(IntegrityError), transaction.atomic():
        Donation.objects.filter(pk=money.pk).update(allotted_amount=Decimal("1000.01"))
    line = setup["goods"].items.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        DonationItem.objects.filter(pk=line.pk).update(allotted_quantity=line.quantity + 1)


def test_a_restricted_donation_serves_only_its_project(setup, users):
    county = setup["county"]
    other = f.project(county, name="助医", kinds=[NeedKind.HEATING])
    restricted = f.money(
        county, f.donor(county, kind="individual", name="王爱心"), "500.00", "CS-9", project=other
    )
    need = f.need(county, setup["a"])
    with pytest.raises(ValidationError) as exc:
        services.need_assign(
            actor=county,
            need=need,
            project=setup["project"],
            shares=[services.Share(donation=restricted, amount="100.00")],
        )
    assert "定向捐赠" in exc.value.messages[0]
    services.need_assign(
        actor=county, need=need, project=other, shares=[services.Share(donation=restricted, amount="100.00")]
    )


def test_the_project_budget_and_target_group_hold(setup, users):
    county = setup["county"]
    small = f.project(county, name="小项目", budget="250.00")
    need = f.need(county, setup["a"])
    with pytest.raises(ValidationError) as exc:
        services.need_assign(
            actor=county,
            need=need,
            project=small,
            shares=[services.Share(donation=setup["money"], amount="300.00")],
        )
    assert "超出项目预算" in exc.value.messages[0]
    medical = f.need(county, setup["b"], NeedKind.MEDICAL, "需要药费")
    with pytest.raises(ValidationError) as exc:
        services.need_assign(
            actor=county,
            need=medical,
            project=setup["project"],
            shares=[services.Share(donation=setup["money"], amount="100.00")],
        )
    assert "项目不覆盖此类需求" in exc.value.messages[0]


def test_closing_an_assigned_need_gives_the_money_back_and_delivering_twice_changes_nothing(setup, users):
    county, money = setup["county"], setup["money"]
    need = f.need(county, setup["a"])
    services.need_assign(
        actor=county,
        need=need,
        project=setup["project"],
        shares=[services.Share(donation=money, amount="400.00")],
    )
    with pytest.raises(PermissionDenied):
        services.need_close(actor=users["township"], need=need, reason="已迁出")
    services.need_close(actor=county, need=need, reason="已迁出")
    money.refresh_from_db()
    assert money.balance == Decimal("1000.00")
    assert need.allotments.get().released
    with pytest.raises(ValidationError) as exc:
        services.need_deliver(actor=users["township"], need=need, received_by_name="甲")
    assert "不能登记送达" in exc.value.messages[0]

    other = f.need(county, setup["b"])
    services.need_assign(
        actor=county,
        need=other,
        project=setup["project"],
        shares=[services.Share(donation=money, amount="100.00")],
    )
    first = services.need_deliver(actor=users["township"], need=other, received_by_name="李奶奶")
    again = services.need_deliver(actor=users["township"], need=other, received_by_name="别人")
    assert again.received_by_name == "李奶奶" and again.delivered_at == first.delivered_at
    with pytest.raises(ValidationError):
        services.need_close(actor=county, need=other, reason="误登")


def test_writes_are_refused_outside_the_region_and_to_read_only_roles(setup, users):
    with pytest.raises(PermissionDenied):
        f.donor(users["city"], name="市慈善总会")
    with pytest.raises(PermissionDenied):
        services.need_add(actor=users["other_county"], household=setup["a"], kind="food", description="缺粮")
    need = f.need(setup["county"], setup["a"])
    with pytest.raises(PermissionDenied):
        services.need_assign(
            actor=users["township"],
            need=need,
            project=setup["project"],
            shares=[services.Share(donation=setup["money"], amount="1.00")],
        )


def test_bad_donor_input_answers_in_chinese(users):
    county = users["county"]
    with pytest.raises(ValidationError) as exc:
        f.donor(county, credit_code="91510121MA6CXXXX1A")
    assert exc.value.message_dict["credit_code"] == ["统一社会信用代码不正确"]
    f.donor(county)
    with pytest.raises(ValidationError) as exc:
        f.donor(county, name="同一家")
    assert exc.value.message_dict["credit_code"] == ["该统一社会信用代码已登记"]
    with pytest.raises(ValidationError):
        f.donor(county, kind="individual", name="某人", id_number="510121199001010000")
