from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from patrols import selectors, services
from patrols.models import (
    CaseStatus,
    ClueEvent,
    ClueOutcome,
    ClueStatus,
    ColdWaveLevel,
    Encounter,
    ExitType,
    IdentityStatus,
    PatrolShift,
    StationCase,
    StationCaseEvent,
)
from relief.models import PolicyParameter
from tests.patrols.factories import (
    ClueFactory,
    ColdWaveWarningFactory,
    PatrolShiftFactory,
    StationCaseFactory,
)

pytestmark = pytest.mark.django_db

TZ = timezone.get_default_timezone()


def at(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=TZ)


# --- Shifts -------------------------------------------------------------------------------------


def test_shift_night_flag_derived_from_start(team, users):
    night = services.shift_start(
        actor=users["county"], team=team, area="火车站广场", started_at=at(2025, 1, 10, 22)
    )
    day = services.shift_start(actor=users["county"], team=team, area="桥洞", started_at=at(2025, 1, 10, 14))
    forced = services.shift_start(
        actor=users["county"], team=team, area="桥洞", started_at=at(2025, 1, 10, 14), night=True
    )
    assert (night.is_night, day.is_night, forced.is_night) == (True, False, True)
    assert night.region_id == team.region_id


def test_shift_records_members_partners_weather(team, users):
    team.members.add(users["admin"])
    shift = services.shift_start(
        actor=users["county"],
        team=team,
        area="东门桥下—汽车站",
        members_present=[users["county"], users["admin"]],
        joint_partners=["police", "chengguan"],
        temperature_c=Decimal("-3.5"),
        weather="snow",
    )
    shift.refresh_from_db()
    assert set(shift.members_present.all()) == {users["county"], users["admin"]}
    assert shift.joint_partners == ["chengguan", "police"]
    assert shift.temperature_c == Decimal("-3.5")


def test_shift_member_must_belong_to_team(team, users):
    with pytest.raises(ValidationError):
        services.shift_start(
            actor=users["county"], team=team, area="x", members_present=[users["other_county"]]
        )


def test_shift_refused_out_of_scope_and_read_only(team, users):
    with pytest.raises(PermissionDenied):
        services.shift_start(actor=users["other_county"], team=team, area="x")
    with pytest.raises(PermissionDenied):
        services.shift_start(actor=users["city"], team=team, area="x")
    assert PatrolShift.objects.count() == 0


def test_shift_end_once(team, users):
    shift = PatrolShiftFactory(team=team)
    services.shift_end(actor=users["county"], shift=shift)
    with pytest.raises(ValidationError):
        services.shift_end(actor=users["county"], shift=shift)


# --- Encounters ---------------------------------------------------------------------------------


def test_encounter_refusal_needs_a_reason(team, users):
    shift = PatrolShiftFactory(team=team)
    with pytest.raises(ValidationError) as exc:
        services.encounter_record(
            actor=users["county"], shift=shift, place="桥洞", description="老人", actions=["refused_help"]
        )
    assert "refusal_reason" in exc.value.message_dict
    assert Encounter.objects.count() == 0
    enc = services.encounter_record(
        actor=users["county"],
        shift=shift,
        place="桥洞",
        description="老人",
        actions=["refused_help", "food_given"],
        refusal_reason="不愿离开住处",
        refusal_signed=True,
    )
    assert enc.refused_help and enc.food_given and enc.refusal_signed


def test_encounter_hospital_first(team, users):
    shift = PatrolShiftFactory(team=team)
    with pytest.raises(ValidationError) as exc:
        services.encounter_record(
            actor=users["county"],
            shift=shift,
            place="广场",
            description="男子",
            conditions=["injured"],
            actions=["escorted_to_station"],
        )
    assert "先送医" in str(exc.value)
    enc = services.encounter_record(
        actor=users["county"],
        shift=shift,
        place="广场",
        description="男子",
        conditions=["suspected_mental_disorder"],
        actions=["medical_referral", "escorted_to_station"],
    )
    assert enc.needs_hospital_first


def test_encounter_identity_and_id_validation(team, users):
    shift = PatrolShiftFactory(team=team)
    with pytest.raises(ValidationError):
        services.encounter_record(actor=users["county"], shift=shift, place="广场")
    with pytest.raises(ValidationError) as exc:
        services.encounter_record(
            actor=users["county"], shift=shift, place="广场", id_number="510121199001011234"
        )
    assert "id_number" in exc.value.message_dict
    enc = services.encounter_record(
        actor=users["county"], shift=shift, place="广场", person_name="张三", id_number="11010519491231002x"
    )
    assert enc.id_number == "11010519491231002X"


def test_encounter_unknown_flag_refused(team, users):
    shift = PatrolShiftFactory(team=team)
    with pytest.raises(ValidationError):
        services.encounter_record(
            actor=users["county"], shift=shift, place="x", description="y", actions=["fly"]
        )


# --- Clues --------------------------------------------------------------------------------------


def test_clue_deadline_from_policy(regions, users):
    PolicyParameter.objects.create(
        key="clue_response_minutes", region=regions["county"], value=20, valid_from=datetime.date(2024, 1, 1)
    )
    reported = timezone.now() - datetime.timedelta(minutes=5)
    clue = services.clue_report(
        actor=users["county"], region=regions["county"], channel="taxi", place="南门", reported_at=reported
    )
    assert clue.due_at == reported + datetime.timedelta(minutes=20)
    other = services.clue_report(
        actor=users["other_county"], region=regions["other_county"], channel="hotline", place="x"
    )
    assert other.due_at - other.reported_at == datetime.timedelta(minutes=30)  # national default


def test_clue_workflow_and_response_time(regions, users, team):
    reported = timezone.now() - datetime.timedelta(minutes=50)
    clue = services.clue_report(
        actor=users["county"],
        region=regions["county"],
        channel="sanitation",
        place="南门桥",
        reported_at=reported,
    )
    clue = services.clue_dispatch(actor=users["county"], clue=clue, team=team)
    assert clue.status == ClueStatus.DISPATCHED and clue.dispatched_at
    clue = services.clue_respond(
        actor=users["county"], clue=clue, responded_at=reported + datetime.timedelta(minutes=42, seconds=30)
    )
    assert clue.response_minutes == 42
    assert clue.response_met is False  # 30-minute default
    clue = services.clue_close(actor=users["county"], clue=clue, outcome=ClueOutcome.ESCORTED)
    assert clue.status == ClueStatus.CLOSED and clue.closed_at
    steps = list(ClueEvent.objects.filter(clue=clue).values_list("from_state", "to_state"))
    assert steps == [("", "new"), ("new", "dispatched"), ("dispatched", "responded"), ("responded", "closed")]
    assert all(e.actor == users["county"] for e in ClueEvent.objects.filter(clue=clue))


def test_clue_state_machine_refuses_wrong_steps(regions, users, team):
    clue = ClueFactory(region=regions["county"])
    with pytest.raises(ValidationError):
        services.clue_respond(actor=users["county"], clue=clue)
    with pytest.raises(ValidationError):
        services.clue_close(actor=users["county"], clue=clue, outcome=ClueOutcome.HELPED)
    clue = services.clue_close(actor=users["county"], clue=clue, outcome=ClueOutcome.DUPLICATE)
    with pytest.raises(ValidationError):
        services.clue_dispatch(actor=users["county"], clue=clue, team=team)


def test_clue_refused_outcome_needs_note(regions, users, team):
    clue = ClueFactory(region=regions["county"], status="responded", responded_at=timezone.now())
    with pytest.raises(ValidationError):
        services.clue_close(actor=users["county"], clue=clue, outcome=ClueOutcome.REFUSED)


def test_clue_dispatch_to_other_county_team_refused(regions, users, other_team):
    clue = ClueFactory(region=regions["county"])
    with pytest.raises(PermissionDenied):
        services.clue_dispatch(actor=users["county"], clue=clue, team=other_team)


def test_clue_overdue(regions):
    clue = ClueFactory(
        region=regions["county"],
        reported_at=timezone.now() - datetime.timedelta(hours=1),
        due_at=timezone.now() - datetime.timedelta(minutes=30),
    )
    assert clue.is_overdue


# --- Station cases ------------------------------------------------------------------------------


def test_station_case_intake_known_identity(regions, users):
    case = services.station_case_intake(
        actor=users["county"],
        region=regions["county"],
        station_name="站",
        person_name="李四",
        id_number="11010519491231002X",
    )
    assert case.identity_status == IdentityStatus.KNOWN
    assert case.status == CaseStatus.INTAKE
    assert StationCaseEvent.objects.filter(case=case, action="intake").exists()


def test_station_case_hospital_first_then_admit(regions, users):
    case = services.station_case_intake(
        actor=users["county"], region=regions["county"], station_name="站", description="男", injured=True
    )
    with pytest.raises(ValidationError):
        services.station_case_admit(actor=users["county"], case=case)
    case = services.station_case_hospitalize(actor=users["county"], case=case, comment="送县医院")
    case = services.station_case_admit(actor=users["county"], case=case, comment="出院")
    assert case.status == CaseStatus.IN_STATION
    actions = list(case.events.values_list("action", "from_state", "to_state"))
    assert actions == [
        ("intake", "", "intake"),
        ("hospitalize", "intake", "in_hospital"),
        ("admit", "in_hospital", "in_station"),
    ]


def test_station_case_left_by_self_needs_signed_statement(regions, users):
    case = StationCaseFactory(region=regions["county"], status=CaseStatus.IN_STATION, approx_age=40)
    with pytest.raises(ValidationError):
        services.station_case_exit(actor=users["county"], case=case, exit_type=ExitType.LEFT_BY_SELF)
    case = services.station_case_exit(
        actor=users["county"], case=case, exit_type=ExitType.LEFT_BY_SELF, signed_statement=True
    )
    assert case.status == CaseStatus.EXITED
    with pytest.raises(ValidationError):
        services.station_case_exit(actor=users["county"], case=case, exit_type=ExitType.ESCORTED_HOME)


def test_minor_under_16_is_escorted_not_left_alone(regions, users):
    case = StationCaseFactory(region=regions["county"], status=CaseStatus.IN_STATION, approx_age=14)
    with pytest.raises(ValidationError) as exc:
        services.station_case_exit(
            actor=users["county"], case=case, exit_type=ExitType.LEFT_BY_SELF, signed_statement=True
        )
    assert "16" in str(exc.value)
    case = services.station_case_exit(actor=users["county"], case=case, exit_type=ExitType.ESCORTED_HOME)
    assert case.exit_type == ExitType.ESCORTED_HOME


def test_long_term_then_settlement(regions, users):
    case = StationCaseFactory(region=regions["county"], status=CaseStatus.IN_STATION)
    with pytest.raises(ValidationError):
        services.station_case_settle(actor=users["county"], case=case, institution="县福利院")
    case = services.station_case_long_term(actor=users["county"], case=case)
    case = services.station_case_settle(actor=users["county"], case=case, institution="县福利院")
    assert case.status == CaseStatus.SETTLED and case.settlement_started_at and case.settled_at


def test_station_case_writes_refused_out_of_scope(regions, users):
    case = StationCaseFactory(region=regions["county"], status=CaseStatus.IN_STATION)
    for user in (users["other_county"], users["city"]):
        with pytest.raises(PermissionDenied):
            services.station_case_long_term(actor=user, case=case)
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_STATION


def test_identify_and_record_milestone(regions, users):
    case = StationCaseFactory(region=regions["county"], status=CaseStatus.IN_STATION)
    case = services.station_case_record_milestone(actor=users["county"], case=case, milestone="search_notice")
    assert case.search_notice_at is not None
    with pytest.raises(ValidationError):
        services.station_case_record_milestone(actor=users["county"], case=case, milestone="search_notice")
    case = services.station_case_identify(actor=users["county"], case=case, person_name="王五")
    assert case.identity_status == IdentityStatus.KNOWN


# --- Milestones ---------------------------------------------------------------------------------


def _by_key(case, now):
    return {m.key: m for m in selectors.case_milestones(case, now=now)}


def test_milestone_due_dates_use_working_days(regions):
    # Intake Wednesday 2025-01-22: Spring Festival holiday 28 Jan - 4 Feb 2025, make-up workday Sun 26 Jan.
    case = StationCaseFactory(
        region=regions["county"], intake_at=at(2025, 1, 22, 10), status=CaseStatus.IN_STATION
    )
    ms = _by_key(case, now=at(2025, 1, 22, 12))
    assert ms["search_notice"].due == at(2025, 1, 23, 10)
    # working days after 22 Jan: 23, 24, 26 (make-up), 27, 5 Feb, 6, 7 -> 7 Feb
    assert timezone.localtime(ms["dna_sample"].due).date() == datetime.date(2025, 2, 7)
    assert timezone.localtime(ms["stay_limit"].due).date() == datetime.date(2025, 2, 1)
    assert timezone.localtime(ms["records_update"].due).date() == datetime.date(2025, 2, 22)
    assert timezone.localtime(ms["settlement"].due).date() == datetime.date(2025, 4, 22)
    assert all(m.state == selectors.PENDING for m in ms.values())


def test_milestone_states_met_late_overdue(regions):
    case = StationCaseFactory(
        region=regions["county"],
        intake_at=at(2025, 1, 6, 9),
        status=CaseStatus.IN_STATION,
        search_notice_at=at(2025, 1, 6, 20),
        dna_sampled_at=at(2025, 1, 20, 9),
    )
    ms = _by_key(case, now=at(2025, 2, 10, 9))
    assert ms["search_notice"].state == selectors.MET
    assert ms["dna_sample"].state == selectors.LATE  # due 15 Jan
    assert ms["stay_limit"].state == selectors.OVERDUE
    assert ms["records_update"].state == selectors.OVERDUE
    assert ms["settlement"].state == selectors.PENDING


def test_milestones_follow_regional_policy(regions):
    PolicyParameter.objects.create(
        key="station_stay_limit_days",
        region=regions["county"],
        value=15,
        valid_from=datetime.date(2024, 1, 1),
    )
    case = StationCaseFactory(region=regions["county"], intake_at=at(2025, 3, 3, 9))
    assert timezone.localtime(_by_key(case, at(2025, 3, 3, 10))["stay_limit"].due).date() == datetime.date(
        2025, 3, 18
    )


def test_milestones_not_applicable_for_known_identity_or_exited(regions):
    known = StationCaseFactory(
        region=regions["county"], intake_at=at(2025, 1, 6, 9), identity_status=IdentityStatus.KNOWN
    )
    ms = _by_key(known, now=at(2025, 6, 1))
    assert ms["search_notice"].state == ms["dna_sample"].state == selectors.NOT_APPLICABLE
    exited = StationCaseFactory(
        region=regions["county"],
        intake_at=at(2025, 1, 6, 9),
        status=CaseStatus.EXITED,
        exit_type=ExitType.FAMILY_FOUND,
        exited_at=at(2025, 1, 8, 9),
        search_notice_at=at(2025, 1, 6, 12),
    )
    ms = _by_key(exited, now=at(2025, 6, 1))
    assert ms["stay_limit"].state == selectors.MET
    assert ms["settlement"].state == selectors.NOT_APPLICABLE
    mental = StationCaseFactory(
        region=regions["county"], intake_at=at(2025, 1, 6, 9), suspected_mental_disorder=True
    )
    assert _by_key(mental, now=at(2025, 6, 1))["stay_limit"].state == selectors.NOT_APPLICABLE


# --- Cold wave ----------------------------------------------------------------------------------


def test_cold_warning_who_may_issue(regions, users):
    for who in ("county", "city", "province", "admin"):
        services.cold_warning_issue(actor=users[who], region=regions["county"], level=ColdWaveLevel.ORANGE)
    for who in ("village", "township", "api_write", "other_county"):
        with pytest.raises(PermissionDenied):
            services.cold_warning_issue(
                actor=users[who], region=regions["county"], level=ColdWaveLevel.ORANGE
            )
    with pytest.raises(ValidationError):
        services.cold_warning_issue(
            actor=users["county"], region=regions["township"], level=ColdWaveLevel.RED
        )


def test_nearest_enclosing_warning_wins(regions):
    now = timezone.now()
    ColdWaveWarningFactory(
        region=regions["city"], level=ColdWaveLevel.RED, starts_at=now - datetime.timedelta(hours=3)
    )
    ColdWaveWarningFactory(
        region=regions["county"], level=ColdWaveLevel.YELLOW, starts_at=now - datetime.timedelta(hours=2)
    )
    assert selectors.warning_in_force(regions["village"].code).level == ColdWaveLevel.YELLOW
    assert selectors.warning_in_force(regions["other_village"].code).level == ColdWaveLevel.RED
    assert selectors.warning_in_force(regions["other_province"].code) is None


def test_lifted_warning_no_longer_in_force(regions, users):
    warning = services.cold_warning_issue(
        actor=users["county"], region=regions["county"], level=ColdWaveLevel.RED
    )
    services.cold_warning_lift(actor=users["county"], warning=warning)
    assert selectors.warning_in_force(regions["county"].code) is None
    with pytest.raises(PermissionDenied):
        services.cold_warning_lift(actor=users["village"], warning=warning)


def test_patrol_frequency_by_level(regions, team):
    day = datetime.date(2025, 1, 10)
    ColdWaveWarningFactory(
        region=regions["county"],
        level=ColdWaveLevel.RED,
        starts_at=at(2025, 1, 9, 8),
        ends_at=at(2025, 1, 12, 8),
    )
    check = selectors.patrol_frequency(regions["county"].code, day)
    assert (check.level, check.required_shifts, check.night_required, check.met) == (4, 2, True, False)
    PatrolShiftFactory(team=team, started_at=at(2025, 1, 10, 9), is_night=False)
    assert not selectors.patrol_frequency(regions["county"].code, day).met
    PatrolShiftFactory(team=team, started_at=at(2025, 1, 10, 22), is_night=True)
    check = selectors.patrol_frequency(regions["county"].code, day)
    assert (check.shifts, check.night_shifts, check.met) == (2, 1, True)
    # Orange: nightly; a day shift alone does not do.
    orange_day = datetime.date(2025, 1, 20)
    ColdWaveWarningFactory(region=regions["county"], level=ColdWaveLevel.ORANGE, starts_at=at(2025, 1, 20, 0))
    PatrolShiftFactory(team=team, started_at=at(2025, 1, 20, 10), is_night=False)
    assert not selectors.patrol_frequency(regions["county"].code, orange_day).met
    # No warning: nothing required.
    assert selectors.patrol_frequency(regions["county"].code, datetime.date(2025, 1, 15)).met


def test_station_case_count_unchanged_after_refusals(regions, users):
    with pytest.raises(PermissionDenied):
        services.station_case_intake(
            actor=users["other_county"], region=regions["county"], station_name="站", description="x"
        )
    assert StationCase.objects.count() == 0
