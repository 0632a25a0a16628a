"""Two people pressing the same money button at once, each on their own connection (real threads
against PostgreSQL, as tests/funds/test_concurrency.py): a failed line re-issued exactly once, and
no ledger below zero (temporary assistance from its allocation, an allocation corrected while a batch
draws on it)."""

from __future__ import annotations

import io
import threading
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError

from funds import selectors, services
from funds.models import Allocation, AppStatus, AssistanceApplication, DisbursementBatch, Payment
from people.models import Person
from people.payment_accounts import payment_account_set
from relief.models import Role, User
from tests.funds.factories import AllocationFactory, make_id_number, program
from tests.funds.test_concurrency import errors, race

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.separation_of_duties]


@pytest.fixture
def second_county(regions):
    return User.objects.create(username="t-county-b", role=Role.COUNTY, region=regions["county"])


def test_reissuing_the_failed_lines_twice_at_once_makes_one_follow_up(
    users, county_people, allocation, second_county
):
    county = users["county"]
    for i, person in enumerate(
        Person.objects.filter(household__in=[county_people["dibao"], county_people["tekun"]])
    ):
        payment_account_set(
            actor=county, person=person, bank="ABC", account_number=f"62284800000000000{i:02d}"
        )
    batch = services.batch_generate(
        actor=county,
        program=allocation.program,
        allocation=allocation,
        period="2026",
        run_in_background=False,
    )
    batch = services.batch_approve(
        actor=second_county, batch=services.batch_review(actor=county, batch=batch)
    )
    lines = "\n".join(f"{p.id_number},{p.amount},失败,户名不符" for p in batch.payments.all())
    upload = io.BytesIO(f"身份证号,金额,处理结果,失败原因\n{lines}\n".encode())
    services.bank_return_import(actor=county, batch=batch, file=upload)

    results = race(lambda: services.batch_reissue(actor=county, batch=batch), n=3)
    assert errors(results) == 2
    assert DisbursementBatch.objects.filter(follows=batch).count() == 1
    assert Payment.objects.filter(reissue_of__batch=batch).count() == 3


def test_two_approvals_at_once_never_take_more_than_the_allocation(users, regions, no_temporary_funds):
    township = User.objects.create(username="t-township-b", role=Role.TOWNSHIP, region=regions["township"])
    apps = []
    for cause in ("fire", "accident"):
        app = services.application_submit(
            actor=users["township"],
            region=regions["township"],
            kind="urgent",
            cause=cause,
            place="赵镇",
            applicant_name="申请人",
            id_number=make_id_number("110101"),
        )
        apps.append(services.application_review(actor=users["township"], application=app, amount=D("600")))
    AllocationFactory(
        region=regions["county"], program=program("temporary_assistance"), amount="1000.00", year=apps[0].year
    )
    queue, lock = iter(apps), threading.Lock()

    def approve():
        with lock:
            app = next(queue)
        return services.application_approve(actor=township, application=app, amount=D("600"))

    results = race(approve)
    assert errors(results) == 1
    assert AssistanceApplication.objects.filter(status=AppStatus.APPROVED).count() == 1
    row = next(
        r for r in selectors.ledger(users["county"], apps[0].year).rows if r.program_name == "临时救助"
    )
    assert row.available == D("400.00")


def test_correcting_an_allocation_while_a_batch_draws_on_it_never_goes_below_zero(
    users, county_people, allocation
):
    county = users["county"]
    steps, lock = iter(["generate", "correct"]), threading.Lock()

    def go():
        with lock:
            step = next(steps)
        if step == "generate":
            return services.batch_generate(
                actor=county,
                program=allocation.program,
                allocation=allocation,
                period="2026",
                run_in_background=False,
            )
        return services.allocation_correct(
            actor=county, allocation=allocation, amount=D("100"), reason="更正"
        )

    results = race(go)
    assert errors(results) == 1
    fresh = Allocation.objects.get(pk=allocation.pk)
    assert services.allocation_remaining(fresh) >= 0
    assert isinstance(
        next(r for r in results if not isinstance(r, ValidationError)), (Allocation, DisbursementBatch)
    )
