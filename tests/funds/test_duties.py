"""Separation of duties (a dated policy value per county, on by default): who generated a batch may
not approve it, who approved it may not register it paid; who accepted a 临时救助 application may not
approve it, who approved it may not pay it. Every money step asks first with the amount and the
number of people. And allocations: corrected or cancelled with a reason kept in the history, never
below what is drawn; 临时救助 never beyond its allocations."""

from __future__ import annotations

import datetime
from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from funds import selectors, services
from funds.models import Allocation, AppStatus, BatchStatus
from relief.models import PolicyParameter, Role, User
from tests.funds.factories import AllocationFactory, make_id_number, program

pytestmark = [pytest.mark.django_db, pytest.mark.separation_of_duties]


@pytest.fixture
def second(regions):
    return {
        "county": User.objects.create(username="t-county-b", role=Role.COUNTY, region=regions["county"]),
        "township": User.objects.create(
            username="t-township-b", role=Role.TOWNSHIP, region=regions["township"]
        ),
    }


def _generated(users, allocation):
    batch = services.batch_generate(
        actor=users["county"],
        program=allocation.program,
        allocation=allocation,
        period="2026",
        run_in_background=False,
    )
    return services.batch_review(actor=users["county"], batch=batch)


def test_who_generated_a_batch_cannot_approve_it_and_the_approver_cannot_pay(
    users, county_people, allocation, second, api, as_user
):
    batch = _generated(users, allocation)
    with pytest.raises(PermissionDenied, match="岗位分离"):
        services.batch_approve(actor=users["county"], batch=batch)
    api.force_authenticate(users["county"])
    assert api.post(f"/api/v1/batches/{batch.pk}/approve/", {}).status_code == 403
    assert "approve" not in api.get(f"/api/v1/batches/{batch.pk}/").json()["available_actions"]
    batch.refresh_from_db()
    assert batch.status == BatchStatus.REVIEWED

    page = as_user(second["county"]).get(f"/funds/batches/{batch.pk}/").content.decode()
    assert f"共 {batch.payment_count} 笔，合计 {batch.total_amount} 元" in page  # data-confirm of 审批
    batch = services.batch_approve(actor=second["county"], batch=batch)
    with pytest.raises(PermissionDenied, match="岗位分离"):
        services.batch_mark_paid(actor=second["county"], batch=batch)
    batch = services.batch_mark_paid(actor=users["county"], batch=batch)  # generated it, did not approve
    assert batch.status == BatchStatus.PAID


def test_a_county_may_turn_it_off_from_a_date(users, county_people, allocation, regions):
    today = timezone.localdate()
    PolicyParameter.objects.create(
        key="funds_separation_of_duties",
        region=regions["county"],
        valid_from=today + datetime.timedelta(days=1),
        value=0,
    )
    batch = _generated(users, allocation)
    with pytest.raises(PermissionDenied):  # not in force yet
        services.batch_approve(actor=users["county"], batch=batch)
    PolicyParameter.objects.create(
        key="funds_separation_of_duties", region=regions["county"], valid_from=today, value=0
    )
    assert services.batch_approve(actor=users["county"], batch=batch).status == BatchStatus.APPROVED


def _application(users, regions, who="township"):
    return services.application_submit(
        actor=users[who],
        region=regions["township"],
        kind="urgent",
        cause="fire",
        place="赵镇某村民房",
        applicant_name="外地务工人员",
        id_number=make_id_number("110101"),
    )


def test_temporary_assistance_accepted_approved_and_paid_by_different_people(users, regions, second, as_user):
    app = _application(users, regions)
    app = services.application_review(actor=users["township"], application=app, amount=D("1000"))
    with pytest.raises(PermissionDenied, match="岗位分离"):
        services.application_approve(actor=users["township"], application=app, amount=D("1000"))
    app = services.application_approve(actor=second["township"], application=app, amount=D("1000"))
    assert app.approved_by == second["township"]
    with pytest.raises(PermissionDenied, match="岗位分离"):
        services.application_pay(actor=second["township"], application=app)
    page = as_user(users["township"]).get(f"/funds/applications/{app.pk}/").content.decode()
    assert "确定登记发放？救助 1 户，金额 1000.00 元。" in page
    assert services.application_pay(actor=users["township"], application=app).status == AppStatus.PAID


def test_emergency_payment_asks_with_the_amount_typed(users, regions, as_user):
    app = _application(users, regions)
    page = as_user(users["township"]).get(f"/funds/applications/{app.pk}/").content.decode()
    assert 'data-confirm="确定先行救助？救助 1 户，金额 {amount} 元。"' in page


# --- allocations ---------------------------------------------------------------------------------


def test_an_allocation_is_corrected_with_a_reason_but_never_below_what_is_drawn(
    users, county_people, allocation, second
):
    batch = _generated(users, allocation)  # draws on it
    with pytest.raises(ValidationError, match="台账不能为负"):
        services.allocation_correct(
            actor=users["county"], allocation=allocation, amount=D("100"), reason="文件更正"
        )
    with pytest.raises(ValidationError):
        services.allocation_correct(
            actor=users["county"], allocation=allocation, amount=D("90000"), reason=""
        )
    with pytest.raises(ValidationError, match="不能撤销"):
        services.allocation_cancel(actor=users["county"], allocation=allocation, reason="重复登记")
    corrected = services.allocation_correct(
        actor=users["county"], allocation=allocation, amount=batch.total_amount, reason="财社〔2026〕12号更正"
    )
    assert corrected.amount == batch.total_amount
    assert services.allocation_remaining(corrected) == 0
    history = list(corrected.history.order_by("history_date"))
    assert history[-1].history_change_reason == "更正：财社〔2026〕12号更正"
    assert history[-1].history_user == users["county"] and history[-2].amount == D("100000.00")
    with pytest.raises(PermissionDenied):
        services.allocation_correct(actor=users["city"], allocation=allocation, amount=D("1"), reason="x")


def test_an_allocation_nothing_draws_on_is_cancelled_and_leaves_the_ledger(users, regions, subsidy, as_user):
    allocation = AllocationFactory(region=regions["county"], program=subsidy, amount="5000.00", year=2026)
    response = as_user(users["county"]).post(
        f"/funds/allocations/{allocation.pk}/cancel/", {"reason": "重复登记"}
    )
    assert response.status_code == 302
    allocation.refresh_from_db()
    assert allocation.cancelled_at is not None
    assert allocation.history.first().history_change_reason == "撤销：重复登记"
    assert all(r.program_id != subsidy.pk for r in selectors.ledger(users["county"], 2026).rows)
    with pytest.raises(ValidationError):
        services.batch_generate(actor=users["county"], program=subsidy, allocation=allocation, period="2026")


def test_api_corrects_and_answers_404_in_another_county(api, users, regions, subsidy):
    allocation = AllocationFactory(region=regions["county"], program=subsidy, amount="5000.00")
    api.force_authenticate(users["other_county"])
    assert (
        api.post(f"/api/v1/allocations/{allocation.pk}/correct/", {"amount": "1", "reason": "x"}).status_code
        == 404
    )
    api.force_authenticate(users["county"])
    r = api.post(f"/api/v1/allocations/{allocation.pk}/correct/", {"amount": "6000.00", "reason": "追加"})
    assert r.status_code == 200 and r.json()["amount"] == "6000.00"
    assert Allocation.objects.get(pk=allocation.pk).amount == D("6000.00")


def test_temporary_assistance_never_beyond_its_allocations(users, regions, second, no_temporary_funds):
    app = _application(users, regions)
    with pytest.raises(ValidationError, match="临时救助资金指标剩余 0"):
        services.application_emergency_pay(actor=users["township"], application=app, amount=D("500"))
    AllocationFactory(
        region=regions["county"], program=program("temporary_assistance"), amount="1500.00", year=app.year
    )
    app = services.application_emergency_pay(actor=users["township"], application=app, amount=D("500"))
    app = services.application_review(actor=users["township"], application=app, amount=D("1200"))
    with pytest.raises(ValidationError, match=r"剩余 1000\.00 元"):
        services.application_approve(actor=second["township"], application=app, amount=D("1200"))
    app = services.application_approve(actor=second["township"], application=app, amount=D("1000"))
    row = next(r for r in selectors.ledger(users["county"], app.year).rows if r.program_name == "临时救助")
    assert row.available == 0
