from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from people.models import Person
from tests.people.factories import PersonFactory, household_with_head


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def family(regions):
    """A household in the home village: a working-age head and a child."""
    household = household_with_head("510121001001", birth=datetime.date(1985, 3, 7))
    household.monthly_income = 1000
    household.save(update_fields=["monthly_income"])
    head = household.head
    child = PersonFactory(household=household, relation="child", birth=datetime.date(2015, 5, 5))
    return {"household": household, "head": head, "child": child}


def active(person: Person) -> Person:
    return Person.objects.get(pk=person.pk)
