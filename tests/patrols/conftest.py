from __future__ import annotations

import pytest

from tests.patrols.factories import PatrolTeamFactory


def make_team(regions, users):
    """A patrol team of the home county. Members must see the team's region, so county staff."""
    team = PatrolTeamFactory(name="金堂县街面巡查队", region=regions["county"])
    team.members.set([users["county"]])
    return team


@pytest.fixture
def team(regions, users):
    return make_team(regions, users)


@pytest.fixture
def other_team(regions, users):
    team = PatrolTeamFactory(name="大邑县街面巡查队", region=regions["other_county"])
    team.members.set([users["other_county"]])
    return team
