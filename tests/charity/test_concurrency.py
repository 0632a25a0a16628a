"""Two coordinators assigning the same donation's last money to two needs at the same moment, each
on its own connection: one gets it, the other is told the balance is short; the balance never goes
below zero. And two taps assigning the same need: it is assigned once."""

from __future__ import annotations

from decimal import Decimal

import pytest

from charity import services
from charity.models import Allotment, Donation, NeedState
from tests.charity import factories as f
from tests.factories import UserFactory
from tests.funds.factories import dibao_household
from tests.funds.test_concurrency import race

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_concurrent_assignments_never_overdraw_a_donation(users, regions):
    county = users["county"]
    second = UserFactory(username="t-county-2")
    project = f.project(county)
    money = f.money(county, f.donor(county), "1000.00")
    needs = iter(
        [f.need(county, dibao_household("510121001001")), f.need(county, dibao_household("510121001001"))]
    )
    actors = iter([county, second])

    def assign():
        return services.need_assign(
            actor=next(actors),
            need=next(needs),
            project=project,
            shares=[services.Share(donation=money, amount="600.00")],
        )

    results = race(assign)
    failed = [r for r in results if isinstance(r, Exception)]
    assert len(failed) == 1 and "捐赠余额不足" in failed[0].messages[0]
    money.refresh_from_db()
    assert money.allotted_amount == Decimal("600.00") and money.balance == Decimal("400.00")
    assert Allotment.objects.count() == 1


def test_two_taps_on_the_same_need_assign_it_once(users, regions):
    county = users["county"]
    project = f.project(county)
    money = f.money(county, f.donor(county), "1000.00")
    need = f.need(county, dibao_household("510121001001"))
    results = race(
        lambda: services.need_assign(
            actor=county, need=need, project=project, shares=[services.Share(donation=money, amount="100.00")]
        )
    )
    assert sum(1 for r in results if isinstance(r, Exception)) == 1
    need.refresh_from_db()
    assert need.state == NeedState.ASSIGNED
    assert Donation.objects.get().allotted_amount == Decimal("100.00")
