"""Reads of enrolment for pages, the API and the dashboard: the queue's counts, the alert an
application answers, a household's applications, the dashboard figures."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Count, F, Q
from django.utils import timezone

from enrolments.models import OPEN_STATES, Enrolment, Status


def queue_counts(user: Any) -> dict[str, int]:
    """Open applications of the user's region by state, and how many are due within 3 days."""
    qs = Enrolment.objects.visible_to(user).open()
    counts = dict(qs.values_list("status").annotate(n=Count("pk")).order_by())
    counts["due_soon"] = qs.due_within(3).count()
    return counts


def alert_for(user: Any, alert_id: str | None):
    """The alert a 主动发现 application answers (?alert=), when the user can see it; else None."""
    from relief.models import Alert

    if not alert_id or not str(alert_id).isdigit():
        return None
    return Alert.objects.visible_to(user).filter(pk=int(alert_id)).first()


def winter_start(on: datetime.date | None = None) -> datetime.date:
    """The start of this winter's campaign (1 October), for "this winter" figures."""
    on = on or timezone.localdate()
    year = on.year if on.month >= 10 else on.year - 1
    return datetime.date(year, 10, 1)


def figures(qs, on: datetime.date | None = None) -> dict[str, Any]:
    """The dashboard's enrolment figures of an already scoped queryset of applications."""
    on = on or timezone.localdate()
    since = winter_start(on)
    agg = qs.aggregate(
        in_progress=Count("pk", filter=Q(status__in=OPEN_STATES)),
        due_soon=Count("pk", filter=Q(status__in=OPEN_STATES, deadline__lte=on + datetime.timedelta(days=3))),
        overdue=Count("pk", filter=Q(status__in=OPEN_STATES, deadline__lt=on)),
        decided=Count("pk", filter=Q(decided_on__gte=since)),
        decided_in_time=Count("pk", filter=Q(decided_on__gte=since, decided_on__lte=F("deadline"))),
        refused=Count(
            "pk", filter=Q(decided_on__gte=since, status__in=[Status.REFUSED, Status.REFUSAL_SENT])
        ),
        approved=Count("pk", filter=Q(decided_on__gte=since, status=Status.APPROVED)),
    )
    agg["in_time_rate"] = round(100 * agg["decided_in_time"] / agg["decided"], 1) if agg["decided"] else None
    return agg
