"""Two people pressing the same button at the same moment, each on their own database connection
(real threads against PostgreSQL): exactly one state change, no duplicate payments, stock never
below zero."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import OperationalError, connection, transaction
from rest_framework.test import APIClient

from funds import services
from funds.models import (
    Allocation,
    ApplicationTransition,
    AppStatus,
    BatchStatus,
    BatchTransition,
    DisbursementBatch,
    Payment,
    Stock,
    StockMovement,
)
from tests.funds.factories import WarehouseFactory, item, make_id_number

pytestmark = pytest.mark.django_db(transaction=True)


def race(fn, n: int = 2) -> list:
    """Run `fn` in `n` threads released together; each thread uses (and closes) its own connection."""
    barrier = threading.Barrier(n)
    results: list = []
    lock = threading.Lock()

    def run():
        try:
            barrier.wait()
            out = fn()
        except (ValidationError, PermissionDenied) as exc:
            out = exc
        finally:
            connection.close()
        with lock:
            results.append(out)

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def errors(results) -> int:
    return sum(isinstance(r, ValidationError) for r in results)


def test_generating_twice_at_once_creates_one_batch(users, county_people, allocation):
    results = race(
        lambda: services.batch_generate(
            actor=users["county"],
            program=allocation.program,
            allocation=allocation,
            period="2026",
            run_in_background=False,
        ),
        n=3,
    )
    assert errors(results) == 2
    assert DisbursementBatch.objects.count() == 1
    assert Payment.objects.count() == 3


def test_two_batches_of_a_one_off_program_at_once_pay_nobody_twice(users, county_people, allocation):
    periods = iter(["2026-a", "2026-b"])
    lock = threading.Lock()

    def go():
        with lock:
            period = next(periods)
        return services.batch_generate(
            actor=users["county"],
            program=allocation.program,
            allocation=allocation,
            period=period,
            run_in_background=False,
        )

    results = race(go)
    assert errors(results) == 1  # the second finds nobody left to pay
    assert Payment.objects.count() == 3
    assert Payment.objects.values("person_id").distinct().count() == 3


def test_approving_twice_at_once_approves_once(users, county_people, allocation):
    batch = services.batch_generate(
        actor=users["county"],
        program=allocation.program,
        allocation=allocation,
        period="2026",
        run_in_background=False,
    )
    batch = services.batch_review(actor=users["county"], batch=batch)
    results = race(lambda: services.batch_approve(actor=users["county"], batch=batch))
    assert errors(results) == 1
    assert BatchTransition.objects.filter(batch=batch, to_state=BatchStatus.APPROVED).count() == 1
    batch.refresh_from_db()
    assert batch.status == BatchStatus.APPROVED


def test_approve_clicked_twice_through_the_api(users, county_people, allocation):
    batch = services.batch_generate(
        actor=users["county"],
        program=allocation.program,
        allocation=allocation,
        period="2026",
        run_in_background=False,
    )
    services.batch_review(actor=users["county"], batch=batch)

    def click():
        client = APIClient()
        client.force_authenticate(users["county"])
        return client.post(f"/api/v1/batches/{batch.pk}/approve/", {}, format="json").status_code

    codes = sorted(race(click))
    assert codes == [200, 400]
    assert BatchTransition.objects.filter(batch=batch, to_state=BatchStatus.APPROVED).count() == 1


def test_approving_a_batch_still_being_generated_does_not_wait_for_its_allocation(
    users, county_people, allocation
):
    """Bug: generation locked the batch, then the allocation; approval the allocation, then the
    batch: approving a batch while its payments were still being generated could deadlock. One lock
    order now (the batch first): approval of a generating batch is refused at once, while another
    transaction (a generation in progress) holds the allocation."""
    batch = DisbursementBatch.objects.create(
        region_id=allocation.region_id,
        program=allocation.program,
        allocation=allocation,
        period="2026",
        title="生成中的批次",
        created_by=users["county"],
    )
    held, release = threading.Event(), threading.Event()

    def generation_in_progress():
        try:
            with transaction.atomic():
                Allocation.objects.select_for_update().get(pk=allocation.pk)
                held.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=generation_in_progress)
    thread.start()
    try:
        assert held.wait(5)
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '2s'")
            try:
                services.batch_approve(actor=users["county"], batch=batch)
            except OperationalError as exc:  # the old lock order: waited for the allocation
                pytest.fail(f"approval waited for the allocation lock: {exc}")
            except ValidationError as exc:
                assert "只有已审核的批次可以审批（当前：生成中）" in exc.messages[0]
            else:
                pytest.fail("a batch being generated was approved")
    finally:
        release.set()
        thread.join()
    batch.refresh_from_db()
    assert batch.status == BatchStatus.GENERATING and not batch.transitions.exists()


def test_generating_and_approving_the_same_batch_at_once(users, county_people):
    """The deadlock itself, on two connections: the job fills a batch while someone presses 审批 on
    it. With one lock order the approval waits for the batch (or finds it still generating) and is
    refused; the generation completes. Repeated, since the timing varies."""
    from tests.funds.factories import AllocationFactory, program

    heating = AllocationFactory(program=program("heating_subsidy"), amount="100000")
    for month in range(1, 6):
        batch = DisbursementBatch.objects.create(
            region_id=heating.region_id,
            program=heating.program,
            allocation=heating,
            period=f"2026-{month:02d}",
            title=f"取暖补贴 {month} 月",
            created_by=users["county"],
        )
        steps = iter(
            [
                lambda batch=batch: services.batch_fill(batch_id=batch.pk),
                lambda batch=batch: services.batch_approve(actor=users["county"], batch=batch),
            ]
        )
        lock = threading.Lock()

        def go(steps=steps, lock=lock):
            with lock:
                step = next(steps)
            return step()

        results = race(go)
        assert len(results) == 2, "a thread died (deadlock?)"
        assert errors(results) == 1  # the approval
        batch.refresh_from_db()
        assert batch.status == BatchStatus.DRAFT and batch.payment_count == 2
        assert list(batch.transitions.values_list("action", flat=True)) == ["fill"]


def test_paying_an_application_twice_at_once_pays_once(users, regions):
    app = services.application_submit(
        actor=users["township"],
        region=regions["township"],
        kind="urgent",
        cause="fire",
        place="赵镇",
        applicant_name="甲",
        id_number=make_id_number(),
    )
    app = services.application_review(actor=users["township"], application=app, amount=Decimal("1000"))
    app = services.application_approve(actor=users["township"], application=app, amount=Decimal("1000"))
    results = race(lambda: services.application_pay(actor=users["township"], application=app))
    assert errors(results) == 1
    assert ApplicationTransition.objects.filter(application=app, to_state=AppStatus.PAID).count() == 1


def test_submitting_the_same_case_twice_at_once_keeps_one(users, regions):
    number = make_id_number()
    results = race(
        lambda: services.application_submit(
            actor=users["township"],
            region=regions["township"],
            kind="urgent",
            cause="fire",
            place="赵镇",
            applicant_name="甲",
            id_number=number,
        )
    )
    assert errors(results) == 1
    assert ApplicationTransition.objects.filter(action="submit").count() == 1


def test_distributing_the_last_stock_twice_at_once(users, regions, county_people):
    wh = WarehouseFactory(region=regions["county"])
    services.stock_receive(actor=users["county"], warehouse=wh, item=item("coal"), quantity=Decimal("10"))
    stock = Stock.objects.get()
    results = race(
        lambda: services.stock_distribute(
            actor=users["county"], stock=stock, quantity=Decimal("6"), household=county_people["dibao"]
        )
    )
    assert errors(results) == 1
    stock.refresh_from_db()
    assert stock.quantity == Decimal("4.00")
    assert StockMovement.objects.filter(kind="distributed").count() == 1
