"""Reads with rules in them: station case milestones, the cold-wave level in force, and whether a
region patrolled as often as the level requires."""

from __future__ import annotations

import calendar
import datetime
from dataclasses import dataclass

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import CharField, Count, OuterRef, Q
from django.db.models.functions import Cast, JSONObject
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from funds.models import MovementKind, Stock, StockMovement
from patrols.models import (
    CaseStatus,
    ColdWaveLevel,
    ColdWaveWarning,
    IdentityStatus,
    PatrolFrequencyRule,
    PatrolShift,
    StationCase,
)
from relief.models import Region
from relief.policy import policy_value
from relief.regions import ancestor_codes
from relief.workdays import add_working_days


def add_months(day: datetime.date, months: int) -> datetime.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


# --- Station case milestones --------------------------------------------------------------------

MET, LATE, OVERDUE, PENDING, NOT_APPLICABLE = "met", "late", "overdue", "pending", "not_applicable"
MILESTONE_STATE_LABELS = {
    MET: _("按时完成"),
    LATE: _("逾期完成"),
    OVERDUE: _("已逾期"),
    PENDING: _("未到期"),
    NOT_APPLICABLE: _("不适用"),
}


@dataclass(frozen=True)
class Milestone:
    key: str
    label: str
    due: datetime.datetime
    done_at: datetime.datetime | None
    state: str
    exact: bool = True  # False when a working-day count used an unpublished holiday calendar

    @property
    def state_label(self) -> str:
        return str(MILESTONE_STATE_LABELS[self.state])

    @property
    def is_overdue(self) -> bool:
        return self.state == OVERDUE


def _end_of_day(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(23, 59, 59)))


def _state(
    *, applies: bool, due: datetime.datetime, done_at: datetime.datetime | None, closed_at, now
) -> str:
    if done_at is not None:
        return MET if done_at <= due else LATE
    if not applies or (closed_at is not None and closed_at <= due):
        return NOT_APPLICABLE
    return OVERDUE if (closed_at or now) > due else PENDING


def case_milestones(case: StationCase, now: datetime.datetime | None = None) -> list[Milestone]:
    """The milestones of ../shared/DOMAIN.md for one case, with due dates from policy parameters of
    the case's region in force on the intake date."""
    now = now or timezone.now()
    code, intake = case.region_id, case.intake_at
    intake_day = timezone.localtime(intake).date()
    unknown = case.identity_status == IdentityStatus.UNKNOWN
    closed_at = case.exited_at or case.settled_at

    notice_hours = int(policy_value("station_search_notice_hours", code, intake_day))
    dna_days = int(policy_value("station_dna_working_days", code, intake_day))
    stay_days = int(policy_value("station_stay_limit_days", code, intake_day))
    settle_months = int(policy_value("station_settlement_months", code, intake_day))

    dna_deadline = add_working_days(intake_day, dna_days)
    rows = [
        (
            "search_notice",
            _("发布寻亲公告"),
            intake + datetime.timedelta(hours=notice_hours),
            case.search_notice_at,
            unknown,
            True,
        ),
        (
            "dna_sample",
            _("采集DNA样本"),
            _end_of_day(dna_deadline.date),
            case.dna_sampled_at,
            unknown,
            dna_deadline.exact,
        ),
        (
            "stay_limit",
            _("站内救助期限"),
            _end_of_day(intake_day + datetime.timedelta(days=stay_days)),
            case.exited_at if case.status == CaseStatus.EXITED else None,
            # The limit is for adults without mental or intellectual disability.
            not (case.suspected_mental_disorder or case.intellectual_disability or case.is_child),
            True,
        ),
        (
            "records_update",
            _("一个月档案更新"),
            _end_of_day(add_months(intake_day, 1)),
            case.records_updated_at,
            unknown,
            True,
        ),
        (
            "settlement",
            _("启动落户安置"),
            _end_of_day(add_months(intake_day, settle_months)),
            case.settlement_started_at,
            unknown,
            True,
        ),
    ]
    result = []
    for key, label, due, done_at, applies, exact in rows:
        # Leaving the station ends every milestone still open.
        closed = closed_at if key != "stay_limit" else None
        if key == "stay_limit" and case.status == CaseStatus.SETTLED:
            closed = case.settled_at
        state = _state(applies=applies, due=due, done_at=done_at, closed_at=closed, now=now)
        if key == "stay_limit" and not applies and done_at is not None:
            state = NOT_APPLICABLE
        result.append(Milestone(key, str(label), due, done_at, state, exact))
    return result


# --- The station an escorted person goes to ------------------------------------------------------

#: an open case without an ID number is the same person as an encounter of the same name and sex
#: whose ages (from the ID number, else estimated) differ by at most this many years
SAME_PERSON_AGE_TOLERANCE = 5


def station_region_code(region_code: str) -> str:
    """The region of the station serving `region_code`: its county (a city or province team's own
    region when it has no county)."""
    return region_code[:6]


def county_station_name(region_code: str) -> str:
    """The name of the station of a county: the one its latest case names, else "<county>救助管理站"."""
    latest = (
        StationCase.objects.filter(region_id=region_code)
        .exclude(station_name="")
        .order_by("-intake_at")
        .values_list("station_name", flat=True)
        .first()
    )
    if latest:
        return latest
    region = Region.objects.filter(code=region_code).values_list("name", flat=True).first()
    return _("%(county)s救助管理站") % {"county": region or region_code}


def open_case_of_same_person(
    region_code: str, *, id_number: str, person_name: str, sex: str, age: int | None
) -> StationCase | None:
    """The open case, in the station's region, of the person an encounter describes: the same ID
    number; or, without one, the same name and sex and an age within SAME_PERSON_AGE_TOLERANCE (both
    ages unknown counts as the same). A person with neither ID number nor name matches nothing."""
    cases = StationCase.objects.filter(region_id=region_code).open().order_by("-intake_at")
    if id_number:
        return cases.filter(id_number=id_number).first()
    if not person_name:
        return None
    for case in cases.filter(person_name=person_name, sex=sex):
        case_age = case.age_years()
        if (case_age is None and age is None) or (
            case_age is not None and age is not None and abs(case_age - age) <= SAME_PERSON_AGE_TOLERANCE
        ):
            return case
    return None


# --- Cold-wave warnings -------------------------------------------------------------------------


def _day_bounds(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    start = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
    return start, start + datetime.timedelta(days=1)


def warning_in_force(
    region_code: str, *, at: datetime.datetime | None = None, day: datetime.date | None = None
) -> ColdWaveWarning | None:
    """The warning that applies to a region at a moment (or at any time on a day): the nearest
    enclosing region's active warning; the highest level where that region has several."""
    qs = ColdWaveWarning.objects.filter(region_id__in=ancestor_codes(region_code))
    qs = qs.active_during(*_day_bounds(day)) if day is not None else qs.active_at(at or timezone.now())
    rows = sorted(qs, key=lambda w: (len(w.region_id), w.level, w.starts_at), reverse=True)
    return rows[0] if rows else None


@dataclass(frozen=True)
class FrequencyCheck:
    region_code: str
    day: datetime.date
    warning: ColdWaveWarning | None
    rule: PatrolFrequencyRule | None
    shifts: int
    night_shifts: int

    @property
    def level(self) -> int | None:
        return self.warning.level if self.warning else None

    @property
    def level_label(self) -> str:
        return str(ColdWaveLevel(self.level).label) if self.level else str(_("无预警"))

    @property
    def required_shifts(self) -> int:
        return self.rule.min_shifts_per_day if self.rule else 0

    @property
    def night_required(self) -> bool:
        return bool(self.rule and self.rule.night_shift_required)

    @property
    def met(self) -> bool:
        if self.shifts < self.required_shifts:
            return False
        return not (self.night_required and self.night_shifts < 1)


def patrol_frequency(region_code: str, day: datetime.date) -> FrequencyCheck:
    """Did the region (shifts anywhere inside it) patrol as often on `day` as the cold-wave level in
    force that day requires? Without a warning nothing is required."""
    warning = warning_in_force(region_code, day=day)
    rule = PatrolFrequencyRule.objects.filter(level=warning.level).first() if warning else None
    shifts = PatrolShift.objects.in_region(region_code).on_day(day)
    counts = shifts.aggregate(total=Count("id"), night=Count("id", filter=Q(is_night=True)))
    return FrequencyCheck(region_code, day, warning, rule, counts["total"], counts["night"])


# --- Materials given from stock -----------------------------------------------------------------


def encounter_stock_choices(user, shift: PatrolShift):
    """Stock a patrol member may hand out during `shift`: rows of the shift's county warehouse(s)
    that the user can see and that are not empty."""
    return (
        Stock.objects.visible_to(user)
        .filter(region__code__startswith=shift.region_id[:6], quantity__gt=0, item__active=True)
        .select_related("warehouse", "item")
        .order_by("warehouse__name", "item_id")
    )


def with_stock_materials(queryset):
    """Annotate each encounter with `stock_materials`: the goods distributed to it from stock, as a
    list of {"movement", "stock", "item", "unit", "warehouse", "quantity"} (quantity a decimal
    string), in one subquery (no query per encounter)."""
    movements = (
        StockMovement.objects.filter(
            kind=MovementKind.DISTRIBUTED,
            recipient_type__app_label="patrols",
            recipient_type__model="encounter",
            recipient_id=Cast(OuterRef("pk"), output_field=CharField()),
        )
        .order_by("id")
        .values(
            json=JSONObject(
                movement="id",
                stock="stock_id",
                item="stock__item__name",
                unit="stock__item__unit",
                warehouse="stock__warehouse__name",
                quantity=Cast("quantity", output_field=CharField()),
            )
        )
    )
    return queryset.annotate(stock_materials=ArraySubquery(movements))
