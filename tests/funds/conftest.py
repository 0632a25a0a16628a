from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.funds.factories import AllocationFactory, dibao_household, program, tekun_household
from tests.people.factories import household_with_head


def make_county_people() -> dict:
    """In the home county: a 低保 household (A class, 2 people), a 特困 person aged 80+ and a
    household in no category; in the other county: a 低保 household."""
    return {
        "dibao": dibao_household("510121001001", "A", name="张大山"),
        "tekun": tekun_household("510121001001"),
        "none": household_with_head("510121001001", name="王无类"),
        "other": dibao_household("510129001001", "B", name="李四海"),
    }


@pytest.fixture
def county_people(regions):
    return make_county_people()


@pytest.fixture
def subsidy(regions):
    return program("one_time_subsidy")


def make_allocation(regions, subsidy):
    return AllocationFactory(region=regions["county"], program=subsidy, amount="100000.00")


@pytest.fixture
def allocation(regions, subsidy):
    return make_allocation(regions, subsidy)


@pytest.fixture(autouse=True)
def one_person_county_with_temporary_funds(request):
    """Most tests here walk a batch or an application through every step as one user, and approve
    临时救助 without caring where the money comes from: they run in counties that turned separation
    of duties off (a dated policy value, as a county may) and hold a 临时救助 allocation for the
    years around now. Tests marked `separation_of_duties` run on the national default instead, and
    tests of the money itself make their own allocations (`no_temporary_funds`)."""
    if "regions" not in request.fixturenames and "users" not in request.fixturenames:
        return
    from relief.models import PolicyParameter

    regions = request.getfixturevalue("regions")
    counties = (regions["county"], regions["other_county"])
    if not request.node.get_closest_marker("separation_of_duties"):
        for county in counties:
            PolicyParameter.objects.create(
                key="funds_separation_of_duties",
                region=county,
                valid_from=datetime.date(2020, 1, 1),
                value=Decimal("0"),
                note="tests: one person may take every step",
            )
    if "no_temporary_funds" not in request.fixturenames:
        temporary = program("temporary_assistance")
        year = timezone.localdate().year
        for county in counties:
            for y in (year - 1, year, year + 1):
                AllocationFactory(region=county, program=temporary, amount="1000000.00", year=y)


@pytest.fixture
def no_temporary_funds():
    """A test that makes its own 临时救助 allocations (or none)."""
