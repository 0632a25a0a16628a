from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from patrols import services
from patrols.models import CaseStatus, ExitType, IdentityStatus
from patrols.selectors import case_milestones
from patrols.sweeps import DNA_SAMPLE_OVERDUE, SEARCH_NOTICE_OVERDUE
from relief.models import Alert, AlertStatus, PolicyParameter
from relief.workdays import add_working_days
from tests.patrols.factories import ClueFactory, StationCaseFactory

sweeps = pytest.importorskip("relief.alerts.sweeps")
pytestmark = pytest.mark.django_db


def test_overdue_clue_raises_alert_and_resolves_when_responded(regions, users, team):
    late = ClueFactory(
        region=regions["county"],
        team=team,
        status="dispatched",
        reported_at=timezone.now() - datetime.timedelta(hours=2),
        due_at=timezone.now() - datetime.timedelta(hours=1, minutes=30),
        place="北门桥洞",
    )
    ClueFactory(region=regions["county"])  # not yet due
    ClueFactory(
        region=regions["other_county"],
        reported_at=timezone.now() - datetime.timedelta(hours=2),
        due_at=timezone.now() - datetime.timedelta(hours=1),
    )
    result = sweeps.sweep_county("patrols.clue_overdue", regions["county"].code)
    assert result.raised == 1
    alert = Alert.objects.get(kind="patrols.clue_overdue")
    assert alert.region_id == regions["county"].code and "北门桥洞" in alert.message
    assert sweeps.sweep_county("patrols.clue_overdue", regions["county"].code).raised == 0
    services.clue_respond(actor=users["county"], clue=late)
    assert sweeps.sweep_county("patrols.clue_overdue", regions["county"].code).resolved == 1
    alert.refresh_from_db()
    assert alert.status == AlertStatus.RESOLVED


# --- 寻亲公告 and DNA sample of a person without identity ---------------------------------------------


def _case(region, hours_ago: float, **kwargs):
    kwargs.setdefault("status", CaseStatus.IN_STATION)
    return StationCaseFactory(
        region=region, intake_at=timezone.now() - datetime.timedelta(hours=hours_ago), **kwargs
    )


def test_search_notice_overdue_raises_and_resolves_when_published(regions, users):
    late = _case(regions["county"], 30, description="灰色棉衣")
    _case(regions["county"], 20)  # within 24 hours
    _case(regions["county"], 30, identity_status=IdentityStatus.KNOWN, person_name="张建国")
    _case(regions["county"], 30, search_notice_at=timezone.now() - datetime.timedelta(hours=10))
    _case(
        regions["county"],
        30,
        status=CaseStatus.EXITED,
        exit_type=ExitType.FAMILY_FOUND,
        exited_at=timezone.now(),
    )
    other = _case(regions["other_county"], 30)
    county = regions["county"].code
    assert sweeps.sweep_county(SEARCH_NOTICE_OVERDUE, county).raised == 1
    alert = Alert.objects.get(kind=SEARCH_NOTICE_OVERDUE)
    assert alert.subject == late and alert.region_id == county
    assert "寻亲公告" in alert.message and "24小时" in alert.message
    # the page says the same: the milestone is overdue
    assert next(m for m in case_milestones(late) if m.key == "search_notice").is_overdue
    assert sweeps.sweep_county(SEARCH_NOTICE_OVERDUE, county).raised == 0  # idempotent
    services.station_case_record_milestone(actor=users["county"], case=late, milestone="search_notice")
    assert sweeps.sweep_county(SEARCH_NOTICE_OVERDUE, county).resolved == 1
    alert.refresh_from_db()
    assert alert.status == AlertStatus.RESOLVED
    assert sweeps.sweep_county(SEARCH_NOTICE_OVERDUE, regions["other_county"].code).raised == 1
    assert Alert.objects.get(kind=SEARCH_NOTICE_OVERDUE, status=AlertStatus.OPEN).subject == other


def test_search_notice_hours_are_the_county_policy(regions):
    PolicyParameter.objects.create(
        key="station_search_notice_hours",
        region=regions["county"],
        value=48,
        valid_from=datetime.date(2020, 1, 1),
    )
    _case(regions["county"], 30)
    _case(regions["other_county"], 30)
    assert sweeps.sweep_county(SEARCH_NOTICE_OVERDUE, regions["county"].code).raised == 0
    assert sweeps.sweep_county(SEARCH_NOTICE_OVERDUE, regions["other_county"].code).raised == 1
    _case(regions["county"], 50)
    assert sweeps.sweep_county(SEARCH_NOTICE_OVERDUE, regions["county"].code).raised == 1


def test_identity_found_resolves_the_search_notice_alert(regions, users):
    case = _case(regions["county"], 30)
    assert sweeps.sweep_county(SEARCH_NOTICE_OVERDUE, regions["county"].code).raised == 1
    services.station_case_identify(actor=users["county"], case=case, person_name="刘秀英")
    assert sweeps.sweep_county(SEARCH_NOTICE_OVERDUE, regions["county"].code).resolved == 1


def _intake_on(region, day: datetime.date, **kwargs):
    at = timezone.make_aware(datetime.datetime.combine(day, datetime.time(10, 0)))
    return StationCaseFactory(region=region, intake_at=at, status=CaseStatus.IN_STATION, **kwargs)


def test_dna_sample_overdue_after_seven_working_days_and_resolves_when_sampled(regions, users):
    today = timezone.localdate()
    # the latest intake day whose deadline (7 working days, to the end of that day) is already past
    day = today - datetime.timedelta(days=1)
    while add_working_days(day, 7).date >= today:
        day -= datetime.timedelta(days=1)
    late = _intake_on(regions["county"], day)
    not_yet = _intake_on(regions["county"], day + datetime.timedelta(days=1))
    _intake_on(regions["county"], day - datetime.timedelta(days=3), dna_sampled_at=timezone.now())
    county = regions["county"].code
    assert sweeps.sweep_county(DNA_SAMPLE_OVERDUE, county).raised == 1
    alert = Alert.objects.get(kind=DNA_SAMPLE_OVERDUE)
    assert alert.subject == late and "DNA" in alert.message and "7个工作日" in alert.message
    # the sweep and the case page agree on the deadline, on both sides of it
    assert next(m for m in case_milestones(late) if m.key == "dna_sample").is_overdue
    assert not next(m for m in case_milestones(not_yet) if m.key == "dna_sample").is_overdue
    services.station_case_record_milestone(actor=users["county"], case=late, milestone="dna_sample")
    result = sweeps.sweep_county(DNA_SAMPLE_OVERDUE, county)
    assert (result.raised, result.resolved) == (0, 1)
    assert Alert.objects.get(kind=DNA_SAMPLE_OVERDUE).status == AlertStatus.RESOLVED


def test_dna_sample_alert_resolves_when_the_person_leaves(regions, users):
    case = _intake_on(regions["county"], timezone.localdate() - datetime.timedelta(days=30))
    assert sweeps.sweep_county(DNA_SAMPLE_OVERDUE, regions["county"].code).raised == 1
    services.station_case_exit(actor=users["county"], case=case, exit_type=ExitType.ESCORTED_HOME)
    assert sweeps.sweep_county(DNA_SAMPLE_OVERDUE, regions["county"].code).resolved == 1


def test_search_notice_and_dna_sweeps_are_registered():
    assert {SEARCH_NOTICE_OVERDUE, DNA_SAMPLE_OVERDUE} <= set(sweeps.SWEEPS)
    assert sweeps.SWEEPS[SEARCH_NOTICE_OVERDUE].subject_model == "patrols.StationCase"
