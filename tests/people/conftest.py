from __future__ import annotations

import pytest

from tests.people.factories import AssistanceFactory, PersonFactory, VisitFactory, household_with_head


@pytest.fixture
def home_household(regions):
    """A household in the home county's village, with a head and a child, on 低保, visited once."""
    household = household_with_head("510121001001", name="张大山")
    PersonFactory(household=household, name="张小花", relation="child", male=False)
    AssistanceFactory(household=household, category="dibao", dibao_class="A")
    VisitFactory(household=household)
    return household


@pytest.fixture
def other_household(regions):
    """A household in the other county."""
    household = household_with_head("510129001001", name="李四海")
    VisitFactory(household=household)
    return household
