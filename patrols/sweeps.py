"""Monitoring sweeps of the patrols app (see relief/alerts/sweeps.py): a clue from the public that no team
has reached within its response time raises an alert, which resolves itself once someone responds;
a rescue-station stay over the limit raises an alert, which resolves itself once the person leaves;
a person of unknown identity without a search notice (寻亲公告) published within
station_search_notice_hours of intake, or without a DNA sample within station_dna_working_days, raises
an alert, which resolves itself once the notice is published / the sample taken (or the identity is
established, or the case ends). The deadlines are those of patrols.selectors.case_milestones.

Patrols also tells other apps' sweeps where a cold-wave warning is in force (the "cold_wave"
condition of relief.alerts.sweeps), so the visit sweep of people shortens its intervals without importing
patrols."""

from __future__ import annotations

import datetime

from django.db.models import Case, CharField, F, Q, QuerySet, Value, When
from django.db.models.functions import Cast, Concat, Substr, TruncDate
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from patrols.models import CaseStatus, Clue, ClueStatus, ColdWaveWarning, IdentityStatus, StationCase
from relief.models import Severity
from relief.policy import policy_value
from relief.regions import ancestor_codes
from relief.workdays import add_working_days

CLUE_OVERDUE = "patrols.clue_overdue"
STATION_STAY = "patrols.station_stay_over_limit"
SEARCH_NOTICE_OVERDUE = "patrols.search_notice_overdue"
DNA_SAMPLE_OVERDUE = "patrols.dna_sample_overdue"

# A stay in these states counts towards the limit (in hospital or long-term care by decision do not).
STAY_STATES = (CaseStatus.INTAKE, CaseStatus.IN_STATION)
# Under this estimated age a case is a child: escorted home, not held to the adult stay limit.
CHILD_AGE = 16


def overdue_clues(county_code: str, today: datetime.date) -> QuerySet:
    return (
        Clue.objects.in_region(county_code)
        .filter(responded_at__isnull=True, due_at__lt=timezone.now())
        .exclude(status=ClueStatus.CLOSED)
        .annotate(
            dedup_key=Concat(Value(f"{CLUE_OVERDUE}:"), Cast("pk", CharField())),
            region_code=F("region_id"),
            message=Concat(Value(gettext("救助线索超时未响应：")), F("place"), output_field=CharField()),
            subject_id=F("pk"),
            subject_label=F("place"),
        )
    )


def station_stays_over_limit(county_code: str, today: datetime.date) -> QuerySet:
    """Cases still in the station (intake or in station) past the stay limit (station_stay_limit_days
    of the county): adults without suspected mental disorder or intellectual disability, as the limit
    is for them; a child (estimated under 16) is escorted home and watched by its own milestones."""
    from relief.alerts.sweeps import sql_message

    limit = int(policy_value("station_stay_limit_days", county_code, today))
    # The limit runs to the end of the intake day + limit days (as patrols.selectors.case_milestones).
    latest_intake = timezone.make_aware(
        datetime.datetime.combine(today, datetime.time.min)
    ) - datetime.timedelta(days=limit)
    label = Concat(F("station_name"), Value(" · "), _person_label(), output_field=CharField())
    return (
        StationCase.objects.in_region(county_code)
        .annotate(birth_digits=Substr("id_number", 7, 8))
        .filter(status__in=STAY_STATES, intake_at__lt=latest_intake)
        .filter(suspected_mental_disorder=False, intellectual_disability=False)
        .exclude(_child(today))
        .annotate(
            dedup_key=Concat(Value(f"{STATION_STAY}:"), Cast("pk", CharField())),
            region_code=F("region_id"),
            message=sql_message(
                gettext(
                    "%(station)s：%(person)s自%(intake)s入站，已超过站内救助期限%(limit)s天，请尽快安排离站或转介"
                ),
                station=F("station_name"),
                person=_person_label(),
                intake=TruncDate("intake_at"),
                limit=Value(limit),
            ),
            subject_id=F("pk"),
            subject_label=label,
        )
    )


def _unknown_identity_open(county_code: str) -> QuerySet:
    return StationCase.objects.in_region(county_code).open().filter(identity_status=IdentityStatus.UNKNOWN)


def search_notices_overdue(county_code: str, today: datetime.date) -> QuerySet:
    """Open cases of unknown identity whose search notice (寻亲公告) was not published within
    station_search_notice_hours (of the county, today) of intake."""
    from relief.alerts.sweeps import sql_message

    hours = int(policy_value("station_search_notice_hours", county_code, today))
    return (
        _unknown_identity_open(county_code)
        .filter(search_notice_at__isnull=True, intake_at__lt=timezone.now() - datetime.timedelta(hours=hours))
        .annotate(
            dedup_key=Concat(Value(f"{SEARCH_NOTICE_OVERDUE}:"), Cast("pk", CharField())),
            region_code=F("region_id"),
            message=sql_message(
                gettext("%(station)s：%(person)s自%(intake)s入站，身份不明，未在%(hours)s小时内发布寻亲公告"),
                station=F("station_name"),
                person=_person_label(),
                intake=TruncDate("intake_at"),
                hours=Value(hours),
            ),
            subject_id=F("pk"),
            subject_label=Concat(F("station_name"), Value(" · "), _person_label(), output_field=CharField()),
        )
    )


def _latest_intake_day_past_dna_deadline(today: datetime.date, working_days: int) -> datetime.date:
    """The latest intake day whose DNA deadline (add_working_days(intake day, n), to the end of that
    day) is before today: deadlines only move later with the intake day, so walk back from today."""
    day = today - datetime.timedelta(days=1)
    while add_working_days(day, working_days).date >= today:
        day -= datetime.timedelta(days=1)
    return day


def dna_samples_overdue(county_code: str, today: datetime.date) -> QuerySet:
    """Open cases of unknown identity without a DNA sample within station_dna_working_days (of the
    county, today) working days of the intake day."""
    from relief.alerts.sweeps import sql_message

    days = int(policy_value("station_dna_working_days", county_code, today))
    last_day = _latest_intake_day_past_dna_deadline(today, days)
    before = timezone.make_aware(
        datetime.datetime.combine(last_day + datetime.timedelta(days=1), datetime.time.min)
    )
    return (
        _unknown_identity_open(county_code)
        .filter(dna_sampled_at__isnull=True, intake_at__lt=before)
        .annotate(
            dedup_key=Concat(Value(f"{DNA_SAMPLE_OVERDUE}:"), Cast("pk", CharField())),
            region_code=F("region_id"),
            message=sql_message(
                gettext(
                    "%(station)s：%(person)s自%(intake)s入站，身份不明，未在%(days)s个工作日内采集DNA样本"
                ),
                station=F("station_name"),
                person=_person_label(),
                intake=TruncDate("intake_at"),
                days=Value(days),
            ),
            subject_id=F("pk"),
            subject_label=Concat(F("station_name"), Value(" · "), _person_label(), output_field=CharField()),
        )
    )


def _child(today: datetime.date) -> Q:
    """Under 16 by the ID number's birth date when there is one, else by the estimated age."""
    born_after = f"{today.year - CHILD_AGE:04d}{today.month:02d}{today.day:02d}"
    return Q(id_number="", approx_age__lt=CHILD_AGE) | Q(~Q(id_number=""), birth_digits__gt=born_after)


def _person_label():
    return Case(
        When(~Q(person_name=""), then=F("person_name")),
        default=Value(gettext("身份不明人员")),
        output_field=CharField(),
    )


def cold_wave_in_force(county_code: str, region_ref, at: datetime.datetime) -> QuerySet:
    """The cold-wave warnings in force at `at` for the region `region_ref` (an OuterRef to a region
    code of `county_code`): a warning covers its region and every region inside it."""
    return (
        ColdWaveWarning.objects.active_at(at)
        .filter(Q(region_id__in=ancestor_codes(county_code)) | Q(region__code__startswith=county_code))
        .annotate(subject_region=Cast(region_ref, CharField()))
        .filter(subject_region__startswith=F("region_id"))
    )


def register() -> None:
    from relief.alerts.delta import Inputs
    from relief.alerts.sweeps import Sweep, register_condition
    from relief.alerts.sweeps import register as register_sweep

    register_sweep(
        Sweep(
            kind=CLUE_OVERDUE,
            label=_("线索超时未响应"),
            findings=overdue_clues,
            severity=Severity.URGENT,
            subject_model="patrols.Clue",
            inputs=Inputs(subject="patrols.Clue"),
            action="patrols:clue-detail",
            action_label=_("响应线索"),
        )
    )
    register_sweep(
        Sweep(
            kind=STATION_STAY,
            label=_("救助站滞留超期"),
            findings=station_stays_over_limit,
            severity=Severity.WARNING,
            subject_model="patrols.StationCase",
            inputs=Inputs(subject="patrols.StationCase"),
            action="patrols:case-detail",
            action_label=_("办理离站"),
        )
    )
    register_sweep(
        Sweep(
            kind=SEARCH_NOTICE_OVERDUE,
            label=_("寻亲公告逾期未发布"),
            findings=search_notices_overdue,
            severity=Severity.URGENT,
            subject_model="patrols.StationCase",
            inputs=Inputs(subject="patrols.StationCase"),
            action="patrols:case-detail",
            action_label=_("发布寻亲公告"),
        )
    )
    register_sweep(
        Sweep(
            kind=DNA_SAMPLE_OVERDUE,
            label=_("DNA采样逾期"),
            findings=dna_samples_overdue,
            severity=Severity.WARNING,
            subject_model="patrols.StationCase",
            inputs=Inputs(subject="patrols.StationCase"),
            action="patrols:case-detail",
            action_label=_("登记DNA采样"),
        )
    )
    register_condition("cold_wave", cold_wave_in_force)
