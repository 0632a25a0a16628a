"""Factories of the funds app. Households and people come from tests/people/factories.py."""

from __future__ import annotations

import datetime
import importlib
from decimal import Decimal

import factory
from django.utils import timezone

from funds.models import (
    Allocation,
    ApplicationKind,
    AppStatus,
    AssistanceApplication,
    BatchStatus,
    DisbursementBatch,
    MaterialItem,
    Program,
    Warehouse,
)
from tests.factories import region
from tests.people.factories import AssistanceFactory, PersonFactory, household_with_head, make_id_number

_defaults = importlib.import_module("funds.migrations.0002_default_programs_and_material_items")


def program(code: str) -> Program:
    """A default program (created by the data migration; recreated after a flushing test)."""
    for c, name, kind, cats, flags, min_age, basis, mode, fixed, classes, one_off in _defaults.PROGRAMS:
        if c == code:
            a, b, cc = (Decimal(x) for x in classes) if classes else (None, None, None)
            obj, _created = Program.objects.get_or_create(
                code=code,
                defaults={
                    "name": name,
                    "kind": kind,
                    "categories": cats,
                    "flags": flags,
                    "min_age": min_age,
                    "amount_basis": basis,
                    "amount_mode": mode,
                    "amount_fixed": Decimal(fixed),
                    "amount_class_a": a,
                    "amount_class_b": b,
                    "amount_class_c": cc,
                    "one_off": one_off,
                },
            )
            return obj
    raise KeyError(code)


def item(code: str = "quilt") -> MaterialItem:
    for c, name, unit in _defaults.ITEMS:
        if c == code:
            return MaterialItem.objects.get_or_create(code=c, defaults={"name": name, "unit": unit})[0]
    raise KeyError(code)


class AllocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Allocation

    region = factory.LazyFunction(lambda: region("510121"))
    year = 2026
    program = factory.LazyFunction(lambda: program("one_time_subsidy"))
    source = "central"
    amount = Decimal("100000.00")
    is_advance = True
    document_number = factory.Sequence(lambda n: f"财社〔2026〕{n}号")


class BatchFactory(factory.django.DjangoModelFactory):
    """A batch built directly in any state (`status=...`), drawing 1500 yuan on its allocation."""

    class Meta:
        model = DisbursementBatch

    allocation = factory.SubFactory(AllocationFactory)
    region = factory.LazyAttribute(lambda o: o.allocation.region)
    program = factory.LazyAttribute(lambda o: o.allocation.program)
    period = factory.Sequence(lambda n: f"2026-{n:03d}")
    title = factory.LazyAttribute(lambda o: f"{o.program.name} {o.period}")
    status = BatchStatus.DRAFT
    total_amount = Decimal("1500.00")
    payment_count = 3


class ApplicationFactory(factory.django.DjangoModelFactory):
    """A 临时救助 application built directly in any state (`status=...`), in the home 街道 by
    default; 支出型 ones (`kind="expense"`) get 3 months."""

    class Meta:
        model = AssistanceApplication

    region = factory.LazyFunction(lambda: region("510121001"))
    kind = ApplicationKind.URGENT
    cause = "fire"
    year = factory.LazyFunction(lambda: timezone.localdate().year)
    applicant_name = factory.Sequence(lambda n: f"申请人{n}")
    id_number = factory.LazyFunction(make_id_number)
    place = "赵镇滨河路"
    months = factory.LazyAttribute(lambda o: 3 if o.kind == ApplicationKind.EXPENSE else None)
    amount_requested = Decimal("1000.00")
    status = AppStatus.SUBMITTED


class WarehouseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Warehouse

    region = factory.LazyFunction(lambda: region("510121"))
    name = factory.Sequence(lambda n: f"县救灾物资仓库{n}")


def dibao_household(region_code: str = "510121001001", dibao_class: str = "A", **head):
    """A 低保 household (class `dibao_class`) with a head and one child."""
    household = household_with_head(region_code, **head)
    PersonFactory(household=household, relation="child", male=False, birth=datetime.date(2012, 5, 1))
    AssistanceFactory(household=household, category="dibao", dibao_class=dibao_class)
    return household


def tekun_household(region_code: str = "510121001001", birth=datetime.date(1940, 2, 2)):
    """A household of one 特困 person (分散供养), aged over 80 by default."""
    household = household_with_head(region_code, birth=birth)
    AssistanceFactory(household=household, person=household.head, category="tekun", tekun_mode="dispersed")
    return household


__all__ = [
    "AllocationFactory",
    "ApplicationFactory",
    "BatchFactory",
    "WarehouseFactory",
    "dibao_household",
    "item",
    "make_id_number",
    "program",
    "tekun_household",
]
