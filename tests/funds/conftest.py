from __future__ import annotations

import pytest

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
