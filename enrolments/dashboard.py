"""The enrolment app's dashboard figures (registered with relief's dashboard from
EnrolmentsConfig.ready()): applications in progress, those about to miss their limit, what was
decided this winter and how much of it in time, refusals, and exits from a category at review.

- In progress: applications in an open state (待受理 … 待县级审核确认), by kind.
- Due within 3 days: in progress, with the total limit (办结时限) at most 3 days away or past.
- Decided this winter (since 1 October): approved or refused; in time when decided on or before
  the total limit (extended once where it was). The share is decided in time over decided.
- Refused this winter: 不予确认, told in writing or not yet.
- Exits this winter: reviews (定期复核) done with the outcome 退出.

Every figure links to the list that shows its number (the queue or the review list, filtered the
same way: enrolments/selectors.py). Two GROUP BYs whatever the number of applications, additive,
so they are rolled up every 10 minutes like the others.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db.models import Count, F, Q
from django.utils.translation import gettext_lazy as _

from enrolments.models import (
    DECIDED_STATES,
    OPEN_STATES,
    Enrolment,
    Kind,
    Review,
    ReviewOutcome,
    ReviewStatus,
    Status,
)
from enrolments.selectors import DUE_SOON_DAYS
from relief.dashboard.registry import Figure, FigureQuery, Link, Row, Section, Source, grouped, register

QUEUE = "enrolments:queue"


def _since(q: FigureQuery) -> datetime.date:
    return q.winter_start.date()


def _due_soon(q: FigureQuery) -> dict[str, str]:
    return {"due_within": str(DUE_SOON_DAYS)}


def _decided(q: FigureQuery) -> dict[str, str]:
    return {"decided_since": _since(q).isoformat()}


def _refused(q: FigureQuery) -> dict[str, str]:
    return {"decided_since": _since(q).isoformat(), "outcome": "refused"}


def _exits(q: FigureQuery) -> dict[str, str]:
    return {"outcome": ReviewOutcome.END, "since": _since(q).isoformat()}


def applications(q: FigureQuery) -> Iterable[Row]:
    """One GROUP BY over the applications of the region: by sub-region and kind."""
    since = _since(q)
    decided = Q(decided_on__gte=since, status__in=DECIDED_STATES)
    open_ = Q(status__in=OPEN_STATES)
    rows = (
        grouped(Enrolment.objects.filter(open_ | decided), q)
        .values("g", "kind")
        .annotate(
            in_progress=Count("pk", filter=open_),
            due_soon=Count(
                "pk", filter=open_ & Q(deadline__lte=q.today + datetime.timedelta(days=DUE_SOON_DAYS))
            ),
            decided=Count("pk", filter=decided),
            in_time=Count("pk", filter=decided & Q(decided_on__lte=F("deadline"))),
            refused=Count("pk", filter=decided & Q(status__in=[Status.REFUSED, Status.REFUSAL_SENT])),
        )
    )
    for r in rows:
        for key, dim in (
            ("in_progress", r["kind"]),
            ("due_soon", ""),
            ("decided", ""),
            ("in_time", ""),
            ("refused", ""),
        ):
            if r[key]:
                yield r["g"], f"enrolments.{key}", dim, r[key]


def exits(q: FigureQuery) -> Iterable[Row]:
    rows = (
        grouped(
            Review.objects.filter(
                status=ReviewStatus.DONE, outcome=ReviewOutcome.END, done_on__gte=_since(q)
            ),
            q,
        )
        .values("g")
        .annotate(n=Count("pk"))
    )
    for r in rows:
        yield r["g"], "enrolments.exits", "", r["n"]


def kind_labels() -> dict[str, str]:
    return {k: str(v) for k, v in Kind.choices}


register(
    section=Section("enrolments", _("低保特困审核确认"), order=15),
    figures=[
        Figure(
            "enrolments.in_progress",
            _("办理中的救助申请"),
            "enrolments",
            _("件"),
            order=10,
            dims=kind_labels,
            in_table=True,
            help=_("已登记、尚未作出决定的低保、特困、低保边缘、刚性支出困难申请"),
            link=Link(QUEUE, dim_param="kind"),
        ),
        Figure(
            "enrolments.due_soon",
            _("3日内到期或已超期"),
            "enrolments",
            _("件"),
            order=20,
            in_table=True,
            help=_("办理中、办结时限在3日内或已过的申请"),
            link=Link(QUEUE, _due_soon),
        ),
        Figure(
            "enrolments.decided",
            _("本冬已作出决定"),
            "enrolments",
            _("件"),
            order=30,
            help=_("10月1日以来确认纳入或不予确认的申请"),
            link=Link(QUEUE, _decided),
        ),
        Figure(
            "enrolments.in_time_share",
            _("本冬按时办结率"),
            "enrolments",
            kind="ratio",
            order=40,
            ratio=("enrolments.in_time", "enrolments.decided"),
            in_table=True,
            help=_("本冬作出决定的申请中，在办结时限（含延期）内作出决定的比例"),
            link=Link(
                QUEUE,
                _decided,
                same_as="enrolments.decided",
                note=_("比例；点击查看本冬已作出决定的申请"),
            ),
        ),
        Figure(
            "enrolments.refused",
            _("本冬不予确认"),
            "enrolments",
            _("件"),
            order=50,
            link=Link(QUEUE, _refused),
        ),
        Figure(
            "enrolments.exits",
            _("本冬复核退出"),
            "enrolments",
            _("户"),
            order=60,
            help=_("10月1日以来定期复核结果为退出的低保、特困等救助类别"),
            link=Link("enrolments:review-list", _exits),
        ),
    ],
    sources=[
        Source("enrolments.applications", applications),
        Source("enrolments.exits", exits),
    ],
)
