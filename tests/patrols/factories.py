"""Factories of the patrols app. They write rows directly (test set-up); behaviour goes through
patrols.services in the tests themselves."""

from __future__ import annotations

import datetime

import factory
from django.utils import timezone

from patrols.models import (
    Clue,
    ClueChannel,
    ColdWaveWarning,
    Encounter,
    PatrolShift,
    PatrolTeam,
    StationCase,
)
from tests.factories import fake, region


class PatrolTeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PatrolTeam

    name = factory.Sequence(lambda n: f"巡查{n}队")
    region = factory.LazyFunction(lambda: region("510121"))


class PatrolShiftFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PatrolShift

    team = factory.SubFactory(PatrolTeamFactory)
    region = factory.LazyAttribute(lambda o: o.team.region)
    area = factory.LazyFunction(lambda: fake.street_name())
    started_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(hours=2))
    is_night = False


class EncounterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Encounter

    shift = factory.SubFactory(PatrolShiftFactory)
    region = factory.LazyAttribute(lambda o: o.shift.region)
    place = factory.LazyFunction(lambda: fake.street_address())
    description = "灰色棉衣，约五十岁"
    cold_exposure = True
    food_given = True


class ClueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Clue

    region = factory.LazyFunction(lambda: region("510121"))
    channel = ClueChannel.HOTLINE
    place = factory.LazyFunction(lambda: fake.street_address())
    reported_at = factory.LazyFunction(timezone.now)
    due_at = factory.LazyAttribute(lambda o: o.reported_at + datetime.timedelta(minutes=30))


class StationCaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StationCase

    region = factory.LazyFunction(lambda: region("510121"))
    station_name = "金堂县救助管理站"
    intake_at = factory.LazyFunction(timezone.now)
    description = "男，约六十岁，口音不详"


class ColdWaveWarningFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ColdWaveWarning

    region = factory.LazyFunction(lambda: region("510121"))
    level = 3
    starts_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(hours=1))
