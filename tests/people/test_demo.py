from __future__ import annotations

import datetime
import random

import pytest
from django.utils import timezone
from stdnum.cn import ric

from people import services
from people.demo import address_code, check_digit, refresh_next_visits, seed_people
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
    numbers = list(Person.objects.values_list("id_number", flat=True))
    assert all(services.validate_id_number(n) == n for n in numbers)
    # the demo does not hide real numbers: old people of 大邑县 (code 510129 since 1983) carry it
    assert any(n.startswith("510129") and int(n[6:10]) < 1983 for n in numbers)
    assert not Household.objects.filter(head__isnull=True).exists()
    assert set(Assistance.objects.values_list("category", flat=True)) == set(Category.values)
    for flag in [*PERSON_FLAGS, *AGE_FLAGS]:
        assert Person.objects.with_flag(flag).exists(), flag
    assert Visit.objects.exists()
    assert set(Person.objects.values_list("region_id", flat=True)) == {"510121001001", "510129001001"}
    # running it again adds more people without clashing ID numbers
    seed_people(ctx)
    assert Person.objects.count() == 1200


def test_demo_people_have_their_next_visit_due(regions, users):
    """After the demo is seeded every person under a visit rule has a next visit due, and there is
    work: some people are overdue, some due within the week."""
    ctx = DemoContext(
        people=600,
        rng=random.Random(7),
        counties=[regions["county"], regions["other_county"]],
        villages=[regions["village"], regions["other_village"]],
        users=users,
        log=lambda _msg: None,
    )
    seed_people(ctx)
    assert not Person.objects.filter(next_visit_due__isnull=False).exists()  # COPY leaves it empty
    refresh_next_visits(ctx)
    ruled = Person.objects.filter(active=True).exclude(visit_rule_name="")
    assert ruled.count() > 20
    assert not ruled.filter(next_visit_due__isnull=True).exists()
    assert not Person.objects.filter(visit_rule_name="", next_visit_due__isnull=False).exists()
    today = timezone.localdate()
    assert Person.objects.visit_overdue().exists()
    assert ruled.filter(
        next_visit_due__gte=today, next_visit_due__lte=today + datetime.timedelta(days=7)
    ).exists()
