"""The institutions app's dashboard figures (registered with relief's dashboard from
InstitutionsConfig.ready()): institutions inspected this winter, hazards open and overdue.

- Inspected: institutions in operation with at least one safety inspection since 1 October.
- Open hazards: not yet verified or closed; overdue: still pending past the rectification deadline.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Count, Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from institutions.models import PENDING_STATES, Hazard, HazardSeverity, HazardState, Inspection, Institution
from relief.dashboard.registry import Figure, FigureQuery, Link, Row, Section, Source, grouped, register


def _active(q: FigureQuery) -> dict[str, str]:
    return {"is_active": "true"}


def _inspected_this_winter(q: FigureQuery) -> dict[str, str]:
    return {"is_active": "true", "inspected_since": q.winter_start.date().isoformat()}


def _open(q: FigureQuery) -> dict[str, str]:
    return {"open": "true"}


def _overdue(q: FigureQuery) -> dict[str, str]:
    return {"overdue": "true"}


def institutions(q: FigureQuery) -> Iterable[Row]:
    inspected = Inspection.objects.filter(institution=OuterRef("pk"), date__gte=q.winter_start.date())
    rows = (
        grouped(Institution.objects.filter(is_active=True), q)
        .annotate(inspected=Exists(inspected))
        .values("g")
        .annotate(n=Count("pk"), inspected_n=Count("pk", filter=Q(inspected=True)))
    )
    for r in rows:
        yield r["g"], "institutions.active", "", r["n"]
        yield r["g"], "institutions.inspected", "", r["inspected_n"]


def hazards(q: FigureQuery) -> Iterable[Row]:
    rows = (
        # 未销号: every state but closed (a verified hazard still waits for its 销号), as the ledger
        grouped(Hazard.objects.exclude(state=HazardState.CLOSED), q, field="institution__region_id")
        .values("g", "severity")
        .annotate(
            n=Count("pk"),
            overdue=Count("pk", filter=Q(state__in=PENDING_STATES, deadline__lt=q.today)),
        )
    )
    for r in rows:
        yield r["g"], "hazards.open", r["severity"], r["n"]
        if r["overdue"]:
            yield r["g"], "hazards.overdue", r["severity"], r["overdue"]


def severity_labels() -> dict[str, str]:
    return dict(HazardSeverity.choices)


register(
    section=Section("institutions", _("服务机构安全"), order=40),
    figures=[
        Figure(
            "institutions.active",
            _("在运营机构"),
            "institutions",
            _("家"),
            order=10,
            link=Link("institutions:index", _active),
        ),
        Figure(
            "institutions.inspected",
            _("本冬已检查机构"),
            "institutions",
            _("家"),
            order=20,
            link=Link("institutions:index", _inspected_this_winter),
        ),
        Figure(
            "institutions.inspected_share",
            _("机构检查覆盖率"),
            "institutions",
            kind="ratio",
            order=30,
            ratio=("institutions.inspected", "institutions.active"),
            in_table=True,
            link=Link(
                "institutions:index",
                _inspected_this_winter,
                same_as="institutions.inspected",
                note=_("比例；点击查看本冬已检查的机构"),
            ),
        ),
        Figure(
            "hazards.open",
            _("未销号隐患"),
            "institutions",
            _("处"),
            order=40,
            dims=severity_labels,
            in_table=True,
            link=Link("institutions:hazard-list", _open, dim_param="severity"),
        ),
        Figure(
            "hazards.overdue",
            _("逾期未整改隐患"),
            "institutions",
            _("处"),
            order=50,
            dims=severity_labels,
            in_table=True,
            target="target_hazards_overdue",
            lower_is_better=True,
            link=Link("institutions:hazard-list", _overdue, dim_param="severity"),
        ),
    ],
    sources=[Source("institutions.institutions", institutions), Source("institutions.hazards", hazards)],
)
