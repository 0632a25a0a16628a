"""Reads of enrolment for pages and the API: the queue's filters and counts, the clocks of a page
of applications, the alert an application answers, the 复查 window of a decision, and what the
household page shows of a household's applications, reviews and appeals."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from typing import Any

from django.db.models import Count, F, Prefetch, QuerySet

from enrolments import clocks
from enrolments.models import (
    DECIDED_STATES,
    Appeal,
    Enrolment,
    EnrolmentQuerySet,
    Kind,
    Review,
    ReviewOutcome,
    ReviewStatus,
    Status,
)

#: ?outcome= of the queue: decided applications by what was decided
OUTCOMES = {
    "approved": (Status.APPROVED,),
    "refused": (Status.REFUSED, Status.REFUSAL_SENT),
}
DUE_SOON_DAYS = 3


def _date(value: str | None) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(value or "")
    except ValueError:
        return None


def _int(value: str | None) -> int | None:
    return int(value) if (value or "").isdigit() and len(value) < 4 else None


def queue_filter(qs: EnrolmentQuerySet, params: Mapping[str, str]) -> EnrolmentQuerySet:
    """The queue's filters (what the dashboard's figures link to):

    - `status`: one state, "all", or nothing (the applications in progress);
    - `kind`: 低保 / 特困 / 低保边缘 / 刚性支出困难;
    - `due_within=<days>`: in progress and due (total limit) within that many days, or past it;
    - `decided_since=<date>`: decided since that day (any state, unless `status` says one);
    - `outcome=approved|refused`: decided that way; `in_time=1`: decided by the total limit.
    """
    status = params.get("status", "")
    decided_since = _date(params.get("decided_since"))
    outcome = params.get("outcome", "")
    if status in Status.values:
        qs = qs.filter(status=status)
    elif status != "all" and decided_since is None and outcome not in OUTCOMES:
        qs = qs.open()
    if (kind := params.get("kind", "")) in Kind.values:
        qs = qs.filter(kind=kind)
    if (days := _int(params.get("due_within"))) is not None:
        qs = qs.due_within(days)
    if decided_since is not None:
        qs = qs.filter(decided_on__gte=decided_since)
    if outcome in OUTCOMES:
        qs = qs.filter(status__in=OUTCOMES[outcome], decided_on__isnull=False)
    if params.get("in_time") == "1":
        qs = qs.filter(decided_on__isnull=False, decided_on__lte=F("deadline"))
    return qs


def review_filter(qs: QuerySet, params: Mapping[str, str]) -> QuerySet:
    """The review list's filters: `status` (default: scheduled; "all"), `outcome` of a done review,
    `since=<date>`: done since that day."""
    status = params.get("status", "")
    outcome = params.get("outcome", "")
    if status in ReviewStatus.values:
        qs = qs.filter(status=status)
    elif status != "all" and outcome not in ReviewOutcome.values:
        qs = qs.filter(status=ReviewStatus.SCHEDULED)
    if outcome in ReviewOutcome.values:
        qs = qs.filter(status=ReviewStatus.DONE, outcome=outcome)
    if (since := _date(params.get("since"))) is not None:
        qs = qs.filter(done_on__gte=since)
    return qs


def queue_counts(user: Any) -> dict[str, int]:
    """Open applications of the user's region by state, and how many are due within 3 days (or
    past their limit). Two queries."""
    qs = Enrolment.objects.visible_to(user).open()
    counts = dict(qs.values_list("status").annotate(n=Count("pk")).order_by())
    counts["due_soon"] = qs.due_within(DUE_SOON_DAYS).count()
    counts["open"] = sum(v for k, v in counts.items() if k != "due_soon")
    return counts


class _Days:
    """`clocks.days` remembered for one page: a page of 50 applications in a handful of villages
    asks the policy table a few times, not once per row."""

    def __init__(self) -> None:
        self.seen: dict[tuple, int] = {}

    def __call__(self, key: str, region_code: str | None, on: datetime.date | None = None) -> int:
        k = (key, region_code, on)
        if k not in self.seen:
            self.seen[k] = clocks.days(key, region_code, on)
        return self.seen[k]


def with_stage_due(enrolments: Iterable[Enrolment]) -> list[tuple[Enrolment, clocks.StageDue | None]]:
    days = _Days()
    return [(e, clocks.stage_due(e, days=days)) for e in enrolments]


def alert_for(user: Any, alert_id: str | None, household: Any):
    """The alert a 主动发现 application answers (?alert=): one the user can see, about this household
    or one of its members; else None (a stale or forged id answers nothing)."""
    from django.contrib.contenttypes.models import ContentType

    from relief.models import Alert

    if not alert_id or not str(alert_id).isdigit():
        return None
    alert = Alert.objects.visible_to(user).filter(pk=int(alert_id)).select_related("subject_type").first()
    if alert is None or alert.subject_type_id is None:
        return None
    household_type = ContentType.objects.get_for_model(type(household))
    if alert.subject_type_id == household_type.pk:
        return alert if alert.subject_id == str(household.pk) else None
    member_ids = {str(pk) for pk in household.members.values_list("pk", flat=True)}
    if alert.subject_type.model == "person" and alert.subject_id in member_ids:
        return alert
    return None


def appeal_last_day(enrolment: Enrolment) -> datetime.date | None:
    """The last day a 复查 of this decision may be asked for (None: nothing decided yet)."""
    if enrolment.decided_on is None or enrolment.status not in DECIDED_STATES:
        return None
    window = clocks.days("appeal_window_days", enrolment.region_id, enrolment.decided_on)
    return enrolment.decided_on + datetime.timedelta(days=window)


# --- the household page (people.panels) -----------------------------------------------------------


def household_prefetch(user: Any) -> list[Prefetch]:
    """The household's applications, scheduled reviews and appeals the user may see, as
    `household.visible_enrolments`, `.visible_reviews` and `.visible_appeals`: one query each."""
    return [
        Prefetch(
            "enrolments",
            queryset=Enrolment.objects.visible_to(user)
            .select_related("applicant", "decided_by")
            .order_by("-submitted_at", "-id"),
            to_attr="visible_enrolments",
        ),
        Prefetch(
            "reviews",
            queryset=Review.objects.visible_to(user)
            .filter(status=ReviewStatus.SCHEDULED)
            .select_related("assistance")
            .order_by("due_on", "id"),
            to_attr="visible_reviews",
        ),
        Prefetch(
            "appeals",
            queryset=Appeal.objects.visible_to(user).order_by("-received_on", "-id"),
            to_attr="visible_appeals",
        ),
    ]
