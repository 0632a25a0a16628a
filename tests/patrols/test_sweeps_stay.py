"""Rescue-station stays over the limit (station_stay_limit_days, default 10 days)."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from patrols.models import StationCase
from patrols.sweeps import STATION_STAY
from relief.alerts.sweeps import sweep_county
from relief.models import Alert, AlertStatus, PolicyParameter
from tests.conftest import HOME_COUNTY, OTHER_COUNTY
from tests.patrols.factories import StationCaseFactory

pytestmark = pytest.mark.django_db


def days_ago(n: int) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=n)


def test_stay_over_the_limit_raises_once_and_resolves_when_the_person_leaves(regions):
    long_stay = StationCaseFactory(
        region=regions["county"], person_name="张某", status="in_station", intake_at=days_ago(12)
    )
    StationCaseFactory(region=regions["county"], status="in_station", intake_at=days_ago(5))  # within limit
    StationCaseFactory(
        region=regions["county"], status="in_station", intake_at=days_ago(20), suspected_mental_disorder=True
    )
    StationCaseFactory(
        region=regions["county"], status="in_station", intake_at=days_ago(20), approx_age=12
    )  # a child
    StationCaseFactory(region=regions["county"], status="long_term", intake_at=days_ago(60))  # long-term care
    StationCaseFactory(region=regions["county"], status="in_hospital", intake_at=days_ago(30))
    StationCaseFactory(region=regions["other_county"], status="in_station", intake_at=days_ago(30))
    unknown = StationCaseFactory(region=regions["county"], status="intake", intake_at=days_ago(15))

    result = sweep_county(STATION_STAY, HOME_COUNTY)
    assert result.raised == 2
    alerts = {a.subject_id: a for a in Alert.objects.filter(kind=STATION_STAY)}
    assert set(alerts) == {str(long_stay.pk), str(unknown.pk)}
    alert = alerts[str(long_stay.pk)]
    intake = timezone.localtime(long_stay.intake_at).date()
    assert alert.message == (
        f"金堂县救助管理站：张某自{intake:%Y-%m-%d}入站，已超过站内救助期限10天，请尽快安排离站或转介"
    )
    assert alert.subject == long_stay and alert.region_id == HOME_COUNTY
    assert "身份不明人员" in alerts[str(unknown.pk)].message

    assert sweep_county(STATION_STAY, HOME_COUNTY).raised == 0
    StationCase.objects.filter(pk=long_stay.pk).update(
        status="exited", exit_type="family_found", exited_at=timezone.now()
    )
    cleared = sweep_county(STATION_STAY, HOME_COUNTY)
    assert (cleared.raised, cleared.resolved) == (0, 1)
    alert.refresh_from_db()
    assert alert.status == AlertStatus.RESOLVED
    assert sweep_county(STATION_STAY, OTHER_COUNTY).raised == 1


def test_the_limit_is_the_countys_policy(regions):
    StationCaseFactory(region=regions["county"], status="in_station", intake_at=days_ago(12))
    PolicyParameter.objects.create(
        key="station_stay_limit_days", region_id=HOME_COUNTY, value=15, valid_from=datetime.date(2020, 1, 1)
    )
    assert sweep_county(STATION_STAY, HOME_COUNTY).raised == 0


def test_a_child_by_id_number_is_not_held_to_the_adult_limit(regions):
    from tests.people.factories import make_id_number

    child_id = make_id_number("510121", timezone.localdate().replace(year=timezone.localdate().year - 10))
    adult_id = make_id_number("510121", datetime.date(1970, 5, 1))
    StationCaseFactory(
        region=regions["county"], status="in_station", intake_at=days_ago(20), id_number=child_id
    )
    adult = StationCaseFactory(
        region=regions["county"],
        status="in_station",
        intake_at=days_ago(20),
        id_number=adult_id,
        approx_age=12,
    )
    assert sweep_county(STATION_STAY, HOME_COUNTY).raised == 1
    assert Alert.objects.get(kind=STATION_STAY).subject == adult  # the ID number wins over the estimate


def test_query_count_does_not_grow_with_cases(regions):
    StationCaseFactory(region=regions["county"], status="in_station", intake_at=days_ago(12))
    for i in range(20):
        StationCaseFactory(region=regions["other_county"], status="in_station", intake_at=days_ago(11 + i))
    sweep_county(STATION_STAY, "14")
    with CaptureQueriesContext(connection) as small:
        assert sweep_county(STATION_STAY, HOME_COUNTY).raised == 1
    with CaptureQueriesContext(connection) as large:
        assert sweep_county(STATION_STAY, OTHER_COUNTY).raised == 20
    assert len(small) == len(large)
