from __future__ import annotations

import random

import pytest

from funds.demo import seed_funds
from funds.models import (
    Allocation,
    AppStatus,
    AssistanceApplication,
    BatchStatus,
    DisbursementBatch,
    Payment,
    Stock,
    StockMovement,
)
from people.demo import seed_people
from relief.demo import DemoContext

pytestmark = pytest.mark.django_db


def test_seed_funds(regions, users):
    ctx = DemoContext(
        people=300,
        rng=random.Random(7),
        counties=[regions["county"], regions["other_county"]],
        villages=[regions["village"], regions["other_village"]],
        users=users,
        log=lambda _msg: None,
    )
    seed_people(ctx)
    seed_funds(ctx)
    batch = DisbursementBatch.objects.get()
    assert batch.status == BatchStatus.PAID and batch.payment_count > 0
    assert set(AssistanceApplication.objects.values_list("status", flat=True)) == set(AppStatus.values)
    # the paid application was typed in with an ID number and linked itself to the register
    paid = AssistanceApplication.objects.get(status=AppStatus.PAID)
    assert paid.household is not None and paid.person.id_number == paid.id_number
    assert Stock.objects.filter(quantity__gt=0).count() == 8
    assert all(s.quantity >= 0 for s in Stock.objects.all())
    # again: nothing paid twice
    counts = (
        Allocation.objects.count(),
        AssistanceApplication.objects.count(),
        StockMovement.objects.count(),
    )
    seed_funds(ctx)
    assert (
        Allocation.objects.count(),
        AssistanceApplication.objects.count(),
        StockMovement.objects.count(),
    ) == counts
    assert DisbursementBatch.objects.filter(status=BatchStatus.PAID).count() == 1
    assert Payment.objects.count() == batch.payment_count
