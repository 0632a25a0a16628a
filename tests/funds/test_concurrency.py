"""Two people pressing the same button at the same moment, each on their own database connection
(real threads against PostgreSQL): exactly one state change, no duplicate payments, stock never
below zero."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from rest_framework.test import APIClient

from funds import services
from funds.models import (
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
    assert BatchTransition.objects.filter(batch=batch, to_status=BatchStatus.APPROVED).count() == 1
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
    assert BatchTransition.objects.filter(batch=batch, to_status=BatchStatus.APPROVED).count() == 1


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
    assert ApplicationTransition.objects.filter(application=app, to_status=AppStatus.PAID).count() == 1


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
