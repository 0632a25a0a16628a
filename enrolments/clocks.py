"""The clocks of an enrolment, on the Chinese holiday calendar (relief/workdays.py), from the policy
values of the household's region (relief/policy.py).

- The total limit: `enrol_total_working_days` working days after 受理, once extendable by
  `enrol_extension_working_days` with a reason.
- Each waiting state has its own limit, counted from the day the state began (`stage_since`); the
  task of a state is due at the earlier of its own limit and the total one.
- 公示 lasts `enrol_notice_days` calendar days from the day after it starts; when the last day is not
  a working day (a holiday or a weekend), it ends on the next working day (the civil-law rule for
  periods, 民法典第二百零三条), and a make-up workday (调休上班) counts as a working day.
- A refusal is told in writing within `enrol_refusal_notice_working_days` working days.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from relief.policy import policy_value
from relief.workdays import Deadline, add_working_days, is_working_day

#: state -> (policy key of its own limit, what is awaited, who acts: 9 township, 6 county)
STAGES: dict[str, tuple[str, Any, int]] = {
    "submitted": ("enrol_accept_working_days", _("受理"), 9),
    "checking": ("enrol_check_working_days", _("家庭经济状况核对报告"), 9),
    "investigating": ("enrol_investigate_working_days", _("入户调查"), 9),
    "evaluating": ("enrol_township_working_days", _("民主评议"), 9),
    "township": ("enrol_township_working_days", _("乡镇审核意见"), 9),
    "notice": ("", _("公示期满"), 9),
    "county": ("enrol_county_decision_working_days", _("县级审核确认"), 6),
    "refused": ("enrol_refusal_notice_working_days", _("书面告知不予确认"), 6),
}


def days(key: str, region_code: str | None, on: datetime.date | None = None) -> int:
    return int(policy_value(key, region_code, on))


def total_deadline(accepted_on: datetime.date, region_code: str, *, extended: bool = False) -> Deadline:
    n = days("enrol_total_working_days", region_code, accepted_on)
    if extended:
        n += days("enrol_extension_working_days", region_code, accepted_on)
    return add_working_days(accepted_on, n)


def next_working_day_from(day: datetime.date) -> tuple[datetime.date, bool]:
    """`day` itself when it is a working day, else the first working day after it."""
    exact = True
    while True:
        working, known = is_working_day(day)
        exact = exact and known
        if working:
            return day, exact
        day += datetime.timedelta(days=1)


def notice_end(start: datetime.date, region_code: str) -> Deadline:
    """The last day of a 公示 that starts on `start`."""
    last = start + datetime.timedelta(days=days("enrol_notice_days", region_code, start))
    end, exact = next_working_day_from(last)
    return Deadline(end, exact)


@dataclass(frozen=True)
class StageDue:
    label: str
    due: datetime.date
    exact: bool
    level: int


def stage_due(enrolment: Any, *, days: Callable[..., int] = days) -> StageDue | None:
    """When the step the application waits for is due (None: it waits for nothing). `days` reads
    the policy values (a page of many applications passes one that remembers them)."""
    stage = STAGES.get(enrolment.status)
    if stage is None:
        return None
    key, label, level = stage
    region = enrolment.region_id
    since = enrolment.stage_since or enrolment.accepted_on or enrolment.submitted_at.date()
    if enrolment.status == "notice" and enrolment.notice_end:
        own = Deadline(enrolment.notice_end, True)
    elif enrolment.status == "refused" and enrolment.decided_on:
        own = add_working_days(enrolment.decided_on, days(key, region, enrolment.decided_on))
    else:
        own = add_working_days(since, days(key, region, since))
    due, exact = own.date, own.exact
    # the refusal letter has its own clock after the decision; every other stage ends by the total
    if enrolment.deadline and enrolment.status != "refused" and enrolment.deadline < due:
        due, exact = enrolment.deadline, enrolment.deadline_exact
    return StageDue(str(label), due, exact, level)


def add_months(day: datetime.date, months: int) -> datetime.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return datetime.date(year, month, d)
        except ValueError:
            continue
    raise ValueError(day)


def first_of_next_month(day: datetime.date) -> datetime.date:
    return add_months(day.replace(day=1), 1)
