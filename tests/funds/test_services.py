"""Services of funds: eligibility, amounts, snapshots, only-once rules, allocation limits, the
临时救助 workflow (先行救助, 公示, 分级审批) and material stock."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from funds import selectors, services
from funds.models import (
    ApplicationTransition,
    ApprovalLevel,
    AppStatus,
    BatchStatus,
    DisbursementBatch,
    MovementKind,
    Payment,
    Stock,
)
from relief.models import Job, JobState
from relief.workdays import add_working_days
from tests.funds.factories import AllocationFactory, WarehouseFactory, item, make_id_number, program

pytestmark = pytest.mark.django_db

D = Decimal


def generate(users, allocation, period="2026", **kw):
    return services.batch_generate(
        actor=users["county"],
        program=allocation.program,
        allocation=allocation,
        period=period,
        run_in_background=False,
        **kw,
    )


def through(batch, user):
    batch = services.batch_review(actor=user, batch=batch)
    batch = services.batch_approve(actor=user, batch=batch)
    return services.batch_mark_paid(actor=user, batch=batch)


# --- eligibility, amounts, snapshots -------------------------------------------------------------


def test_one_time_subsidy_pays_every_dibao_and_tekun_person_of_the_county(users, county_people, allocation):
    batch = generate(users, allocation)
    assert batch.status == BatchStatus.DRAFT
    paid = {(p.household_id, p.person_id) for p in batch.payments.all()}
    dibao, tekun = county_people["dibao"], county_people["tekun"]
    expected = {(dibao.pk, m.pk) for m in dibao.members.all()} | {(tekun.pk, tekun.head_id)}
    assert paid == expected
    assert batch.payment_count == 3
    assert batch.total_amount == D("1500.00")
    assert all(isinstance(p.amount, Decimal) and p.amount == D("500.00") for p in batch.payments.all())
    assert set(batch.payments.values_list("region_id", flat=True)) == {"510121001001"}


def test_amount_by_dibao_class_per_household(users, county_people, regions):
    dibao_program = program("dibao")
    alloc = AllocationFactory(program=dibao_program, amount="50000")
    batch = generate(users, alloc, period="2026-01")
    payment = batch.payments.get()
    assert payment.household == county_people["dibao"]
    assert payment.person is None
    assert payment.persons == 2
    assert payment.amount == D("700.00")  # class A
    assert payment.recipient_name == "张大山"


def test_minimum_age_rule(users, county_people):
    alloc = AllocationFactory(program=program("elderly_allowance"), amount="5000")
    batch = generate(users, alloc)
    assert list(batch.payments.values_list("person_id", flat=True)) == [county_people["tekun"].head_id]


def test_flags_rule(users, county_people):
    elderly = program("elderly_allowance")
    elderly.flags = ["lives_alone"]
    elderly.save()
    alloc = AllocationFactory(program=elderly, amount="5000")
    with pytest.raises(ValidationError, match="没有符合"):
        generate(users, alloc)
    head = county_people["tekun"].head
    head.lives_alone = True
    head.save()
    assert generate(users, alloc, period="2026-b").payment_count == 1


def test_snapshot_keeps_what_the_payment_was_based_on(users, county_people, allocation):
    batch = generate(users, allocation)
    head = county_people["dibao"].head
    payment = batch.payments.get(person=head)
    snap = payment.snapshot
    assert {m["name"] for m in snap["members"]} == set(
        county_people["dibao"].members.values_list("name", flat=True)
    )
    assert snap["categories"][0]["category"] == "dibao"
    assert snap["categories"][0]["dibao_class"] == "A"
    assert snap["rule"]["amount_fixed"] == "500.00"
    assert snap["rule"]["one_off"] is True
    # Later edits of the register and the program do not rewrite the history.
    head.name = "张改名"
    head.save()
    allocation.program.amount_fixed = D("800")
    allocation.program.save()
    payment.refresh_from_db()
    assert payment.recipient_name == "张大山"
    assert "张大山" in {m["name"] for m in payment.snapshot["members"]}
    assert payment.snapshot["rule"]["amount_fixed"] == "500.00"
    assert payment.amount == D("500.00")


# --- only once, allocation limits --------------------------------------------------------------


def test_one_off_program_pays_a_person_once(users, county_people, allocation):
    first = generate(users, allocation)
    through(first, users["county"])
    with pytest.raises(ValidationError, match="没有符合"):
        generate(users, allocation, period="2026-补发")
    assert Payment.objects.count() == 3
    # The database refuses a second payment even if the service were bypassed.
    p = first.payments.first()
    second = DisbursementBatch.objects.create(
        region_id="510121", program=p.program, allocation=allocation, period="x", title="x"
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.create(
            batch=second,
            program=p.program,
            one_off=True,
            region_id=p.region_id,
            household=p.household,
            person=p.person,
            recipient_name="x",
            amount=D("1"),
        )


def test_a_new_person_is_paid_by_a_later_batch_of_a_one_off_program(users, county_people, allocation):
    generate(users, allocation)
    from tests.funds.factories import tekun_household

    newcomer = tekun_household("510121001001")
    batch = generate(users, allocation, period="2026-补发")
    assert list(batch.payments.values_list("person_id", flat=True)) == [newcomer.head_id]


def test_generating_twice_for_the_same_period_is_refused(users, county_people, allocation):
    generate(users, allocation)
    with pytest.raises(ValidationError, match="不能重复生成"):
        generate(users, allocation)
    assert DisbursementBatch.objects.count() == 1


def test_a_batch_cannot_exceed_what_is_left_of_its_allocation(users, county_people, subsidy, regions):
    small = AllocationFactory(program=subsidy, amount="1000.00")
    with pytest.raises(ValidationError) as exc:
        generate(users, small)
    assert "超出资金指标剩余额度 1000.00 元" in exc.value.messages[0]
    assert not Payment.objects.exists()


def test_background_generation_records_the_failure_reason(
    users, county_people, subsidy, django_capture_on_commit_callbacks
):
    small = AllocationFactory(program=subsidy, amount="1000.00")
    with django_capture_on_commit_callbacks(execute=True):
        batch = services.batch_generate(
            actor=users["county"], program=subsidy, allocation=small, period="2026"
        )
    batch.refresh_from_db()
    job = Job.objects.get(pk=batch.job_id)
    assert batch.status == BatchStatus.FAILED
    assert "超出资金指标剩余额度" in batch.error
    assert job.state == JobState.FAILED
    assert "超出资金指标剩余额度" in job.error
    # A failed batch holds nothing: once the allocation is enough, the period can be generated.
    AllocationFactory(program=subsidy, amount="1000.00")
    bigger = AllocationFactory(program=subsidy, amount="5000.00")
    with django_capture_on_commit_callbacks(execute=True):
        ok = services.batch_generate(actor=users["county"], program=subsidy, allocation=bigger, period="2026")
    ok.refresh_from_db()
    assert ok.status == BatchStatus.DRAFT
    assert Job.objects.get(pk=ok.job_id).result["payments"] == 3


def test_second_batch_on_the_same_allocation_sees_what_the_first_drew(users, county_people, regions):
    heating = program("heating_subsidy")
    alloc = AllocationFactory(program=heating, amount="900.00")
    generate(users, alloc, period="2026-01")  # 2 households × 300
    with pytest.raises(ValidationError, match=r"剩余额度 300\.00 元"):
        generate(users, alloc, period="2026-02")


@pytest.mark.usefixtures("no_temporary_funds")
def test_batch_workflow_and_ledger(users, county_people, allocation):
    batch = generate(users, allocation)
    with pytest.raises(ValidationError, match="已审核的批次"):
        services.batch_approve(actor=users["county"], batch=batch)
    batch = services.batch_review(actor=users["county"], batch=batch, comment="名单核对无误")
    batch = services.batch_approve(actor=users["county"], batch=batch)
    row = selectors.ledger(users["county"], 2026).rows[0]
    assert (row.allocated, row.committed, row.paid) == (D("100000.00"), D("1500.00"), D("0"))
    assert row.advance == D("100000.00")
    batch = services.batch_mark_paid(actor=users["county"], batch=batch)
    row = selectors.ledger(users["county"], 2026).rows[0]
    assert (row.committed, row.paid, row.available) == (D("0"), D("1500.00"), D("98500.00"))
    assert list(batch.transitions.values_list("to_state", flat=True)) == [
        "generating",
        "draft",
        "reviewed",
        "approved",
        "paid",
    ]
    assert batch.transitions.get(to_state="reviewed").comment == "名单核对无误"
    # The other county sees none of it.
    assert selectors.ledger(users["other_county"], 2026).rows == []


def test_cancelled_batch_frees_its_people(users, county_people, allocation):
    batch = generate(users, allocation)
    with pytest.raises(ValidationError):
        services.batch_cancel(actor=users["county"], batch=batch, comment="")
    services.batch_cancel(actor=users["county"], batch=batch, comment="名单有误")
    assert not Payment.objects.exists()
    assert generate(users, allocation).payment_count == 3


@pytest.mark.parametrize("who", ["township", "city", "other_county"])
def test_only_the_county_generates_and_approves(users, county_people, allocation, who):
    with pytest.raises(PermissionDenied):
        generate({"county": users[who]}, allocation)
    assert not DisbursementBatch.objects.exists()


def test_allocation_create_checks_scope_and_level(users, regions, subsidy):
    a = services.allocation_create(
        actor=users["county"],
        region=regions["county"],
        year=2026,
        program=subsidy,
        source="central",
        amount=D("1"),
    )
    assert a.amount == D("1.00")
    with pytest.raises(PermissionDenied):
        services.allocation_create(
            actor=users["county"],
            region=regions["other_county"],
            year=2026,
            program=subsidy,
            source="central",
            amount=D("1"),
        )
    with pytest.raises(ValidationError, match="县"):
        services.allocation_create(
            actor=users["county"],
            region=regions["township"],
            year=2026,
            program=subsidy,
            source="central",
            amount=D("1"),
        )
    with pytest.raises(TypeError):
        services.allocation_create(
            actor=users["county"],
            region=regions["county"],
            year=2026,
            program=subsidy,
            source="central",
            amount=1.5,
        )


# --- temporary assistance ------------------------------------------------------------------------


def submit(users, regions, who="township", **kw):
    data = {
        "region": regions["township"],
        "kind": "urgent",
        "cause": "fire",
        "place": "赵镇某村民房",
        "applicant_name": "外地务工人员",
        "id_number": make_id_number("110101"),  # registered in 北京: aid where it happened
        "phone": "13900001111",
    }
    data.update(kw)
    return services.application_submit(actor=users[who], **data)


def test_applicant_outside_the_register_with_a_validated_id(users, regions):
    app = submit(users, regions)
    assert app.person is None and app.household is None
    assert app.region_id == "510121001"
    assert app.year == app.submitted_at.year
    with pytest.raises(ValidationError) as exc:
        submit(users, regions, id_number="510121198501010000", cause="illness")
    assert "校验位" in str(exc.value.message_dict["id_number"])


def test_registered_applicant_links_to_the_household(users, regions, county_people):
    head = county_people["dibao"].head
    app = submit(users, regions, person=head, applicant_name="", id_number="")
    assert app.household == county_people["dibao"]
    assert app.applicant_name == head.name
    assert list(county_people["dibao"].assistance_applications.all()) == [app]


def test_one_application_per_person_per_cause_per_year(users, regions):
    number = make_id_number()
    app = submit(users, regions, id_number=number)
    with pytest.raises(ValidationError, match="同一事由每人每年只能救助一次"):
        submit(users, regions, id_number=number)
    assert submit(users, regions, id_number=number, cause="illness")  # another cause is fine
    services.application_reject(actor=users["township"], application=app, reason="经核查不符合条件")
    assert submit(users, regions, id_number=number)  # a rejected application does not count


def test_emergency_payment_then_review_then_township_approval(users, regions):
    app = submit(users, regions)
    with pytest.raises(PermissionDenied):
        services.application_emergency_pay(actor=users["village"], application=app, amount=D("500"))
    with pytest.raises(ValidationError, match=r"乡镇审批权限 3000\.00 元"):
        services.application_emergency_pay(actor=users["township"], application=app, amount=D("3500"))
    app = services.application_emergency_pay(actor=users["township"], application=app, amount=D("800"))
    assert app.status == AppStatus.EMERGENCY_PAID
    steps = {s.label: s for s in selectors.application_deadlines(app)}
    assert steps["先行救助时限"].done
    assert "补办审核手续时限" in steps
    row = selectors.ledger(users["county"], app.year).rows[0]
    assert row.paid == D("800.00")
    app = services.application_review(
        actor=users["township"], application=app, amount=D("1000"), comment="入户核查"
    )
    # 1000 + 800 already paid = 1800 ≤ 3000: the township approves.
    app = services.application_approve(actor=users["township"], application=app, amount=D("1000"))
    assert app.approval_level == ApprovalLevel.TOWNSHIP
    assert app.township_limit == D("3000.00")
    app = services.application_pay(actor=users["township"], application=app)
    assert app.status == AppStatus.PAID
    assert list(app.transitions.values_list("action", flat=True)) == [
        "submit",
        "emergency_pay",
        "review",
        "approve",
        "pay",
    ]
    assert all(t.actor_id for t in app.transitions.all())
    row = selectors.ledger(users["county"], app.year).rows[0]
    assert row.paid == D("1800.00")


def test_emergency_payment_only_for_urgent_cases(users, regions):
    app = submit(users, regions, kind="expense", cause="medical", months=3)
    with pytest.raises(ValidationError, match="急难型"):
        services.application_emergency_pay(actor=users["township"], application=app, amount=D("100"))


def test_amount_above_the_township_limit_needs_the_county(users, regions):
    app = submit(users, regions)
    app = services.application_review(actor=users["township"], application=app, amount=D("5000"))
    with pytest.raises(PermissionDenied, match="须报县级"):
        services.application_approve(actor=users["township"], application=app, amount=D("5000"))
    app.refresh_from_db()
    assert app.status == AppStatus.REVIEWED
    app = services.application_approve(actor=users["county"], application=app, amount=D("5000"))
    assert app.approval_level == ApprovalLevel.COUNTY


def test_township_limit_is_the_smaller_of_amount_and_multiple_of_the_standard(regions):
    # Rural 镇 (code 100+): 4 × 600 = 2400 < 3000. 街道 (urban): min(3000, 4 × 800) = 3000.
    from tests.factories import region

    town = region("510121101", "某镇")
    assert services.township_limit(town.code, is_urban=False) == D("2400.00")
    assert services.township_limit(regions["township"].code, is_urban=True) == D("3000.00")


def test_expense_case_needs_public_notice_with_objections_recorded(users, regions):
    app = submit(users, regions, kind="expense", cause="medical", months=3, household_size=2)
    assert services.expense_amount(app) == D("4800.00")  # 800 × 2 × 3 (街道: urban standard)
    app = services.application_review(actor=users["township"], application=app, amount=D("2000"))
    with pytest.raises(ValidationError, match="公示期满"):
        services.application_approve(actor=users["township"], application=app, amount=D("2000"))
    start = datetime.date(2026, 1, 5)
    app = services.application_notice_start(actor=users["township"], application=app, start=start)
    assert app.notice_end == add_working_days(start, 5).date
    services.application_objection(actor=users["township"], application=app, comment="群众反映家中有车辆")
    with pytest.raises(ValidationError, match="尚未届满"):
        services.application_notice_close(actor=users["township"], application=app, on=app.notice_end)
    app = services.application_notice_close(
        actor=users["township"], application=app, on=app.notice_end + datetime.timedelta(days=1)
    )
    app = services.application_approve(actor=users["township"], application=app, amount=D("2000"))
    assert app.status == AppStatus.APPROVED
    assert (
        ApplicationTransition.objects.filter(application=app, action="objection")
        .get()
        .comment.startswith("群众")
    )
    steps = [s.label for s in selectors.application_deadlines(app)]
    assert "办结时限" in steps and "公示截止" in steps


def test_rejection_needs_a_reason_and_shows_the_notice_deadline(users, regions):
    app = submit(users, regions)
    with pytest.raises(ValidationError):
        services.application_reject(actor=users["township"], application=app, reason=" ")
    app = services.application_reject(actor=users["township"], application=app, reason="不符合条件")
    assert app.status == AppStatus.REJECTED
    assert "告知申请人不予救助时限" in [s.label for s in selectors.application_deadlines(app)]
    with pytest.raises(ValidationError, match="不能审核"):
        services.application_review(actor=users["township"], application=app, amount=D("1"))


def test_deadline_in_a_year_without_a_published_calendar_is_marked_inexact(users, regions):
    import zoneinfo

    when = datetime.datetime(2031, 3, 3, 9, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai"))
    app = submit(users, regions, kind="expense", cause="education", months=2, submitted_at=when)
    step = selectors.application_deadlines(app)[0]
    assert step.label == "办结时限"
    assert step.exact is False


# --- materials -----------------------------------------------------------------------------------


def test_stock_is_the_sum_of_movements_and_never_negative(users, regions, county_people):
    wh = WarehouseFactory(region=regions["county"])
    services.stock_receive(
        actor=users["county"], warehouse=wh, item=item("quilt"), quantity=D("10"), source="省厅调拨"
    )
    stock = Stock.objects.get()
    services.stock_distribute(
        actor=users["county"], stock=stock, quantity=D("4"), household=county_people["dibao"]
    )
    services.stock_distribute(
        actor=users["county"], stock=stock, quantity=D("1"), recipient_description="桥下流浪人员（巡查发现）"
    )
    with pytest.raises(ValidationError, match="库存不足"):
        services.stock_distribute(
            actor=users["county"], stock=stock, quantity=D("6"), household=county_people["dibao"]
        )
    stock.refresh_from_db()
    assert stock.quantity == D("5.00") == services.stock_balance_from_movements(stock)
    assert county_people["dibao"].material_distributions.get().kind == MovementKind.DISTRIBUTED
    with pytest.raises(IntegrityError), transaction.atomic():
        Stock.objects.filter(pk=stock.pk).update(quantity=D("-1"))
    with pytest.raises(PermissionDenied):
        services.stock_distribute(
            actor=users["county"], stock=stock, quantity=D("1"), household=county_people["other"]
        )
    with pytest.raises(ValidationError, match="领取"):
        services.stock_distribute(actor=users["county"], stock=stock, quantity=D("1"))
