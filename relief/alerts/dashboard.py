"""relief's own dashboard figures: alerts by kind, and the share handled before their due time
(registered by ReliefConfig.ready(), as each app registers its dashboard.py).

An alert counts as handled at its first acknowledgement or resolution (by a person, or by itself
when its condition cleared). The share on time is over the alerts raised this winter with a due
time whose outcome is known: handled (in time or late), or still unhandled past the due time.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Count, F, OuterRef, Q, Subquery
from django.utils.translation import gettext_lazy as _

from relief.alerts.sweeps import kind_labels
from relief.alerts.workflows import log_action
from relief.dashboard.registry import Figure, FigureQuery, Link, Row, Section, Source, grouped, register
from relief.models import Alert, AlertEvent, AlertStatus

HANDLED_ACTIONS = tuple(log_action(step) for step in ("acknowledge", "resolve", "auto_resolve"))


def _raised_this_winter(q: FigureQuery) -> dict[str, str]:
    return {"tab": "all", "since": q.winter_start.date().isoformat()}


def _open(q: FigureQuery) -> dict[str, str]:
    return {"tab": "region"}


def alert_kind_labels() -> dict[str, str]:
    return kind_labels()


def handled_at_subquery() -> Subquery:
    first = AlertEvent.objects.filter(alert=OuterRef("pk"), action__in=HANDLED_ACTIONS).order_by("at", "id")
    return Subquery(first.values("at")[:1])


def alert_figures(q: FigureQuery) -> Iterable[Row]:
    this_winter = Q(created_at__gte=q.winter_start)
    with_due = this_winter & Q(due_at__isnull=False)
    rows = (
        grouped(Alert.objects.all(), q)
        .annotate(handled_at=handled_at_subquery())
        .values("g", "kind")
        .annotate(
            raised=Count("pk", filter=this_winter),
            open=Count("pk", filter=~Q(status=AlertStatus.RESOLVED)),
            on_time=Count("pk", filter=with_due & Q(handled_at__lte=F("due_at"))),
            decided=Count(
                "pk",
                filter=with_due
                & (Q(handled_at__isnull=False) | Q(handled_at__isnull=True, due_at__lt=q.now)),
            ),
        )
    )
    for r in rows:
        for key in ("raised", "open", "on_time", "decided"):
            if r[key]:
                yield r["g"], f"alerts.{key}", r["kind"], r[key]


register(
    section=Section("alerts", _("预警督办"), order=90),
    figures=[
        Figure(
            "alerts.raised",
            _("本冬产生预警"),
            "alerts",
            _("条"),
            order=10,
            dims=alert_kind_labels,
            link=Link("alert-list", _raised_this_winter, dim_param="kind"),
        ),
        Figure(
            "alerts.open",
            _("未解除预警"),
            "alerts",
            _("条"),
            order=20,
            dims=alert_kind_labels,
            in_table=True,
            target="target_alerts_open",
            lower_is_better=True,
            link=Link("alert-list", _open, dim_param="kind"),
        ),
        Figure(
            "alerts.on_time_share",
            _("预警按时处理率"),
            "alerts",
            kind="ratio",
            order=30,
            ratio=("alerts.on_time", "alerts.decided"),
            in_table=True,
            help=_("本冬有处理时限的预警中，在时限前签收或解除的比例（未到时限且未处理的不计）"),
            link=Link(
                "alert-list",
                _raised_this_winter,
                measure="",
                note=_("比例；点击查看本冬产生的预警及其处理记录"),
            ),
        ),
    ],
    sources=[Source("relief.alerts", alert_figures)],
)
