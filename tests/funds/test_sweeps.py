"""Payments due and not paid: an approved batch past its pay-by date, and 先行救助 not made within
ta_emergency_hours of an urgent application. Set-based, idempotent, self-resolving."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from funds import services
from funds.models import AssistanceApplication, BatchStatus, DisbursementBatch
from funds.sweeps import BATCH_OVERDUE, EMERGENCY_LATE
from relief.alerts.sweeps import SWEEPS, sweep_county
from relief.models import Alert, AlertStatus, Severity
from tests.conftest import HOME_COUNTY, OTHER_COUNTY
from tests.funds.factories import AllocationFactory, make_id_number

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def approved_batch(users, allocation, *, pay_by, who="county", period="2026"):
    actor = users[who]
    batch = services.batch_generate(
        actor=actor,
        program=allocation.program,
        allocation=allocation,
        period=period,
        pay_by=pay_by,
        run_in_background=False,
    )
    batch = services.batch_review(actor=actor, batch=batch)
    return services.batch_approve(actor=actor, batch=batch)


def test_sweeps_are_registered():
    assert SWEEPS[BATCH_OVERDUE].severity == Severity.URGENT
    assert SWEEPS[EMERGENCY_LATE].subject_model == "funds.AssistanceApplication"


def test_pay_by_is_set_at_generation_by_the_api(users, api, county_people, allocation):
    api.force_authenticate(users["county"])
    r = api.post("/api/v1/batches/", {"allocation": allocation.pk, "period": "2026", "pay_by": "2026-12-31"})
    assert r.status_code == 202, r.content
    assert r.json()["pay_by"] == "2026-12-31"
    assert DisbursementBatch.objects.get().pay_by == datetime.date(2026, 12, 31)


def test_pay_by_is_set_at_generation_by_the_form(users, as_user, county_people, allocation):
    r = as_user(users["county"]).post(
        "/funds/batches/new/", {"allocation": allocation.pk, "period": "2026", "pay_by": "2026-12-31"}
    )
    assert r.status_code == 302
    assert DisbursementBatch.objects.get().pay_by == datetime.date(2026, 12, 31)


def test_approved_batch_past_its_date_raises_one_alert_and_resolves_when_paid(
    users, county_people, allocation
):
    late = approved_batch(users, allocation, pay_by=TODAY)
    assert sweep_county(BATCH_OVERDUE, HOME_COUNTY).raised == 0  # due today: not yet late
    DisbursementBatch.objects.filter(pk=late.pk).update(pay_by=TODAY - datetime.timedelta(days=1))
    late.refresh_from_db()
    result = sweep_county(BATCH_OVERDUE, HOME_COUNTY)
    assert result.raised == 1
    alert = Alert.objects.get(kind=BATCH_OVERDUE)
    assert alert.subject == late
    assert alert.severity == Severity.URGENT
    assert alert.region_id == HOME_COUNTY
    assert alert.message == (
        f"金堂县{late.program.name}发放批次“{late.title}”已审批，"
        f"发放截止日期{late.pay_by:%Y-%m-%d}已过，仍有3笔未发放"
    )
    assert sweep_county(BATCH_OVERDUE, HOME_COUNTY).raised == 0  # idempotent
    assert Alert.objects.filter(kind=BATCH_OVERDUE).count() == 1

    services.batch_mark_paid(actor=users["county"], batch=late)
    cleared = sweep_county(BATCH_OVERDUE, HOME_COUNTY)
    assert (cleared.raised, cleared.resolved) == (0, 1)
    alert.refresh_from_db()
    assert alert.status == AlertStatus.RESOLVED


def test_batches_not_approved_or_without_a_date_or_elsewhere_are_not_found(users, county_people, allocation):
    past = TODAY - datetime.timedelta(days=3)
    batch = services.batch_generate(  # a draft is not yet due to be paid
        actor=users["county"],
        program=allocation.program,
        allocation=allocation,
        period="2026",
        pay_by=past,
        run_in_background=False,
    )
    assert sweep_county(BATCH_OVERDUE, HOME_COUNTY).raised == 0
    batch = services.batch_review(actor=users["county"], batch=batch)
    batch = services.batch_approve(actor=users["county"], batch=batch)
    DisbursementBatch.objects.filter(pk=batch.pk).update(pay_by=None)  # no date: never late
    assert sweep_county(BATCH_OVERDUE, HOME_COUNTY).raised == 0
    other = AllocationFactory(region_id=OTHER_COUNTY, program=allocation.program)
    approved_batch(users, other, pay_by=past, who="other_county")
    assert sweep_county(BATCH_OVERDUE, HOME_COUNTY).raised == 0
    assert sweep_county(BATCH_OVERDUE, OTHER_COUNTY).raised == 1


def test_batch_sweep_query_count_does_not_grow(users, county_people, allocation):
    past = TODAY - datetime.timedelta(days=3)
    approved_batch(users, allocation, pay_by=past)
    other = AllocationFactory(region_id=OTHER_COUNTY, program=allocation.program, amount="900000.00")
    for i in range(5):  # approved batches of the other county (their payments do not matter here)
        DisbursementBatch.objects.create(
            region_id=OTHER_COUNTY,
            program=other.program,
            allocation=other,
            period=f"2026-{i + 1:02d}",
            title=f"批次{i}",
            status=BatchStatus.APPROVED,
            payment_count=10 + i,
            pay_by=past,
        )
    sweep_county(BATCH_OVERDUE, "14")  # warm the content-type cache
    with CaptureQueriesContext(connection) as few:
        assert sweep_county(BATCH_OVERDUE, HOME_COUNTY).raised == 1
    with CaptureQueriesContext(connection) as many:
        assert sweep_county(BATCH_OVERDUE, OTHER_COUNTY).raised == 5
    assert len(few) == len(many)


def urgent(users, region, *, hours_ago: int, who="township", kind="urgent", name="外地务工人员"):
    return services.application_submit(
        actor=users[who],
        region=region,
        kind=kind,
        cause="fire" if kind == "urgent" else "medical",
        place="某村民房",
        applicant_name=name,
        id_number=make_id_number("110101"),
        months=None if kind == "urgent" else 3,
        submitted_at=timezone.now() - datetime.timedelta(hours=hours_ago),
    )


def test_emergency_not_paid_within_the_hours_raises_and_resolves(users, regions):
    late = urgent(users, regions["township"], hours_ago=30)  # policy default: 24 hours
    urgent(users, regions["village"], hours_ago=2, name="刚受理")
    urgent(users, regions["township"], hours_ago=30, kind="expense", name="支出型")
    urgent(users, regions["other_township"], hours_ago=30, who="other_county", name="外县")
    assert sweep_county(EMERGENCY_LATE, HOME_COUNTY).raised == 1
    alert = Alert.objects.get(kind=EMERGENCY_LATE)
    assert alert.subject == late
    assert alert.region_id == "510121001"
    assert alert.message == "外地务工人员的急难型临时救助申请（火灾）受理已超过24小时，尚未先行救助"
    assert sweep_county(EMERGENCY_LATE, HOME_COUNTY).raised == 0

    services.application_emergency_pay(actor=users["township"], application=late, amount="500")
    assert sweep_county(EMERGENCY_LATE, HOME_COUNTY).resolved == 1
    alert.refresh_from_db()
    assert alert.status == AlertStatus.RESOLVED


def test_emergency_sweep_query_count_does_not_grow(users, regions):
    urgent(users, regions["township"], hours_ago=30)
    for i in range(8):
        urgent(users, regions["other_township"], hours_ago=30 + i, who="other_county", name=f"外县{i}")
    sweep_county(EMERGENCY_LATE, "14")
    with CaptureQueriesContext(connection) as few:
        assert sweep_county(EMERGENCY_LATE, HOME_COUNTY).raised == 1
    with CaptureQueriesContext(connection) as many:
        assert sweep_county(EMERGENCY_LATE, OTHER_COUNTY).raised == 8
    assert len(few) == len(many)
    assert AssistanceApplication.objects.count() == 9
