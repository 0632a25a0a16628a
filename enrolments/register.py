"""What decisions and reviews do to the register (people/): a category starts with its amount and
payment month, its next review is scheduled, a category ends, a household stays in the monitored
cohort. Called inside the steps' transactions (enrolments/workflows.py) and by the nightly
scheduling of reviews."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from enrolments import clocks, rules
from enrolments.models import Enrolment, Kind, Review, ReviewStatus
from people.assistance_services import assistance_set
from people.models import Assistance, Household

#: the categories of the register whose end puts a household in the cohort (left 低保/特困)
LEAVING_WATCHED = ("dibao", "tekun")


def decision_apply(enrolment: Enrolment, *, actor: Any) -> Assistance:
    """An approval on the register: the category in force from today, paid from the start month;
    its first review scheduled. Called inside the approve step's transaction."""
    from people.services import assistance_grant

    assistance = assistance_grant(
        actor=actor,
        household=enrolment.household,
        reason=_("救助申请 %(pk)s 审核确认后更换") % {"pk": enrolment.pk},
        category=enrolment.kind,
        start_date=enrolment.decided_on,
        person=enrolment.applicant if enrolment.kind == Kind.TEKUN else None,
        dibao_class=enrolment.dibao_class,
        tekun_mode=enrolment.tekun_mode if enrolment.kind == Kind.TEKUN else "",
        note=_("救助申请 %(pk)s 审核确认") % {"pk": enrolment.pk},
        monthly_amount=enrolment.amount,
        payment_from=enrolment.start_month,
    )
    review_schedule(assistance, after=enrolment.decided_on, income_type=enrolment.income_type)
    return assistance


def review_due(assistance: Assistance, *, after: datetime.date, income_type: str = "") -> datetime.date:
    months = rules.review_months(
        assistance.category,
        dibao_class=assistance.dibao_class,
        income_type=income_type,
        region_code=assistance.region_id,
        on=after,
    )
    return clocks.add_months(after, months)


def review_schedule(assistance: Assistance, *, after: datetime.date, income_type: str = "") -> Review | None:
    """The next review of a category in force (none for a category that has ended)."""
    if assistance.end_date is not None and assistance.end_date <= after:
        return None
    if Review.objects.filter(assistance=assistance, status=ReviewStatus.SCHEDULED).exists():
        return None  # (the review being done is marked done before its step schedules the next)
    if not income_type:
        last = Enrolment.objects.filter(assistance=assistance).values_list("income_type", flat=True).first()
        income_type = last or ""
    return Review.objects.create(
        assistance=assistance,
        household_id=assistance.household_id,
        region_id=assistance.region_id,
        due_on=review_due(assistance, after=after, income_type=income_type),
    )


def reviews_schedule_missing(region_code: str | None = None, on: datetime.date | None = None) -> int:
    """Categories on the register with no review scheduled (imported rosters, older records) get
    one: the next anniversary of their start by the interval, never in the past. Nightly."""
    on = on or timezone.localdate()
    qs = (
        Assistance.objects.current(on)
        .filter(category__in=Kind.values)
        .exclude(reviews__status=ReviewStatus.SCHEDULED)
    )
    if region_code:
        qs = qs.filter(region_id__startswith=region_code)
    n = 0
    for assistance in qs.iterator(chunk_size=500):
        due = review_due(assistance, after=assistance.start_date)
        while due < on:
            due = review_due(assistance, after=due)
        with transaction.atomic():
            Review.objects.create(
                assistance=assistance,
                household_id=assistance.household_id,
                region_id=assistance.region_id,
                due_on=due,
            )
        n += 1
    return n


def assistance_change(assistance_id: int, *, amount: Decimal | None, dibao_class: str) -> Assistance:
    """A review changed the amount or the class (from the next payment). Inside the review step."""
    assistance = Assistance.objects.select_for_update().get(pk=assistance_id)
    changes: dict[str, Any] = {}
    if amount is not None:
        changes["monthly_amount"] = amount
    if dibao_class:
        if assistance.category != "dibao":
            raise ValidationError({"new_class": _("只有低保可以调整低保类别")})
        changes["dibao_class"] = dibao_class
    if not changes:
        return assistance
    return assistance_set(assistance_id, reason=_("复核调整"), **changes)


def assistance_end(assistance_id: int, *, on: datetime.date, reason: str) -> None:
    """退出: the category ends today; a household leaving 低保/特困 stays in the cohort."""
    assistance = assistance_set(
        assistance_id, reason=_("退出：%(r)s") % {"r": reason}, end_date=on, end_reason=reason[:255]
    )
    _refresh(assistance.household_id)
    if assistance.category in LEAVING_WATCHED:
        cohort_keep(
            assistance.household_id,
            since=on,
            reason=_("退出%(k)s") % {"k": assistance.get_category_display()},
        )


def _refresh(household_id: int) -> None:
    from people.services import _refresh_household

    _refresh_household(household_id)


def cohort_keep(household_id: int, *, since: datetime.date, reason: str) -> None:
    """Keep a household in the monitored cohort (2024 notice) for `enrol_cohort_months` from `since`;
    an earlier, shorter watch is extended, never shortened."""
    household = Household.objects.only("region_id", "cohort_until").get(pk=household_id)
    months = clocks.days("enrol_cohort_months", household.region_id, since)
    until = clocks.add_months(since, months)
    if household.cohort_until is None or household.cohort_until < until:
        Household.objects.filter(pk=household_id).update(cohort_until=until, cohort_reason=reason[:64])
        _refresh(household_id)  # the cohort's visit rule now applies to its members
