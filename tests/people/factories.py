"""Factories of the people app: households, members with valid ID numbers, categories, visits."""

from __future__ import annotations

import datetime
import itertools

import factory

from people.demo import check_digit
from people.models import Assistance, Household, Person, Visit
from tests.factories import fake, region

_serial = itertools.count(1)


def make_id_number(
    county: str = "510121", birth: datetime.date = datetime.date(1985, 3, 7), male: bool = True
) -> str:
    """A valid, unused-in-this-run 18-digit ID number."""
    n = next(_serial)
    seq = (n * 2 + (1 if male else 0)) % 1000 or (1 if male else 2)
    birth = birth + datetime.timedelta(days=n // 400)
    body = f"{county}{birth:%Y%m%d}{seq:03d}"
    return body + check_digit(body)


def household_form(**extra: str) -> dict[str, str]:
    """What the new-household page posts: a village household with its head."""
    return {
        "region": "510121001001",
        "address": "滨河社区2组8号",
        "household_number": "",
        "contact_phone": "13800001111",
        "heating_type": "coal",
        "housing_condition": "grade_c",
        "monthly_income": "1200.00",
        "expense_medical": "0",
        "expense_education": "0",
        "expense_heating": "800",
        "expense_disaster": "0",
        "head-name": "孙德福",
        "head-id_number": make_id_number(),
        "head-phone": "13900002222",
        **extra,
    }


class HouseholdFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Household

    region = factory.LazyFunction(lambda: region("510121001001"))
    address = factory.LazyFunction(lambda: fake.street_address())
    contact_phone = factory.Sequence(lambda n: f"138{n:08d}")


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    class Params:
        birth = datetime.date(1985, 3, 7)
        male = True

    household = factory.SubFactory(HouseholdFactory)
    region = factory.LazyAttribute(lambda o: o.household.region)
    name = factory.LazyFunction(lambda: fake.name())
    id_number = factory.LazyAttribute(lambda o: make_id_number(o.household.region_id[:6], o.birth, o.male))
    sex = factory.LazyAttribute(lambda o: "M" if o.male else "F")
    birth_date = factory.LazyAttribute(
        lambda o: datetime.date(int(o.id_number[6:10]), int(o.id_number[10:12]), int(o.id_number[12:14]))
    )
    relation = "head"
    phone = factory.Sequence(lambda n: f"139{n:08d}")


class AssistanceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Assistance

    household = factory.SubFactory(HouseholdFactory)
    region = factory.LazyAttribute(lambda o: o.household.region)
    category = "dibao"
    start_date = datetime.date(2025, 1, 1)


class VisitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Visit

    household = factory.SubFactory(HouseholdFactory)
    region = factory.LazyAttribute(lambda o: o.household.region)
    heating_ok = True
    food_ok = True


def household_with_head(region_code: str = "510121001001", **head) -> Household:
    """A household and its head (set as head)."""
    household = HouseholdFactory(region=region(region_code))
    person = PersonFactory(household=household, **head)
    household.head = person
    household.save(update_fields=["head"])
    return household
