from __future__ import annotations

import random

import pytest
from stdnum.cn import ric

from people.demo import address_code, check_digit, seed_people
from people.models import AGE_FLAGS, PERSON_FLAGS, Assistance, Category, Household, Person, Visit
from relief.demo import DemoContext

pytestmark = pytest.mark.django_db


def test_check_digit_matches_stdnum():
    assert check_digit("11010519491231002") == "X"
    assert ric.is_valid("11010519491231002X")


def test_address_code_falls_back_for_years_before_the_county_existed():
    assert address_code("510121", 1950) == "510121"
    older = address_code("513201", 1950)  # 马尔康市 has its code since 2015
    assert older != "513201" and older.startswith("51")


def test_seed_people(regions, users):
    ctx = DemoContext(
        people=600,
        rng=random.Random(5),
        counties=[regions["county"], regions["other_county"]],
        villages=[regions["village"], regions["other_village"]],
        users=users,
        log=lambda _msg: None,
    )
    seed_people(ctx)
    assert Person.objects.count() == 600
    assert all(ric.is_valid(n) for n in Person.objects.values_list("id_number", flat=True))
    assert not Household.objects.filter(head__isnull=True).exists()
    assert set(Assistance.objects.values_list("category", flat=True)) == set(Category.values)
    for flag in [*PERSON_FLAGS, *AGE_FLAGS]:
        assert Person.objects.with_flag(flag).exists(), flag
    assert Visit.objects.exists()
    assert set(Person.objects.values_list("region_id", flat=True)) == {"510121001001", "510129001001"}
    # running it again adds more people without clashing ID numbers
    seed_people(ctx)
    assert Person.objects.count() == 1200
