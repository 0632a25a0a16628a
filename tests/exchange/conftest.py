"""Fixtures of the exchange tests: a province's 医保 source and the people its file names."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from exchange.models import DataSource, RecordKind
from people.models import Person
from tests.exchange import data
from tests.people.factories import AssistanceFactory, PersonFactory, household_with_head

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "exchange"


def fixture_file(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, (FIXTURES / name).read_bytes())


@pytest.fixture
def source(regions):
    return DataSource.objects.create(
        code="sc-medical",
        name="四川省医保结算",
        department="medical_insurance",
        record_kind=RecordKind.MEDICAL_COST,
        region=regions["province"],
        columns=data.COLUMNS,
        header_row=2,
    )


@pytest.fixture
def register(regions):
    """The people of the file on the register: number -> person."""
    home, other = "510121001001", "510129001001"
    people = {}
    for number, name, where in [
        (data.MONITORED, "王秀英", home),
        (data.PLAIN, "张建国", home),
        (data.RETIRED_CODE, "李桂兰", home),
        (data.OLD_15_AS_18, "赵国强", home),
        (data.OTHER_COUNTY, "孙立", other),
        (data.COHORT, "冯春", home),
        (data.INACTIVE, "陈老汉", home),
    ]:
        birth = datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
        people[number] = household_with_head(where, name=name, id_number=number, birth_date=birth).head
    AssistanceFactory(household=people[data.MONITORED].household, category="dibao")
    cohort = people[data.COHORT].household
    cohort.cohort_until = timezone.localdate() + datetime.timedelta(days=300)
    cohort.save(update_fields=["cohort_until"])
    inactive = people[data.INACTIVE]
    inactive.active = False
    inactive.save(update_fields=["active"])
    PersonFactory(household=people[data.PLAIN].household, relation="spouse")  # another member
    return people


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
