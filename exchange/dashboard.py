"""Dashboard figures of department data (relief/dashboard registry): warnings raised this winter (by
rule kind), the share verified before their deadline, outcomes by kind, and the records that matched
no one on the register (kept for the county to search). One GROUP BY per table."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Count, F, Q
from django.db.models.functions import TruncDate
from django.utils.translation import gettext_lazy as _

from exchange.models import Disposition, ExchangeRecord, Outcome, RecordStatus, RuleKind
from relief.dashboard.registry import Figure, FigureQuery, Link, Row, Section, Source, grouped, register


def _this_winter(q: FigureQuery) -> dict[str, str]:
    return {"since": q.winter_start.date().isoformat()}


def _kinds() -> dict[str, str]:
    return {k: str(v) for k, v in RuleKind.choices}


def _outcomes() -> dict[str, str]:
    return {k: str(v) for k, v in Outcome.choices}


def disposition_figures(q: FigureQuery) -> Iterable[Row]:
    winter = Q(created_at__gte=q.winter_start)
    rows = (
        grouped(Disposition.objects.all(), q)
        .annotate(due=TruncDate("alert__due_at"))
        .values("g", "rule__kind", "outcome")
        .annotate(
            raised=Count("pk", filter=winter),
            in_time=Count("pk", filter=winter & Q(verified_on__isnull=False, verified_on__lte=F("due"))),
            decided=Count("pk", filter=winter & (Q(verified_on__isnull=False) | Q(alert__due_at__lt=q.now))),
        )
    )
    for r in rows:
        kind = r["rule__kind"]
        if r["raised"]:
            yield r["g"], "exchange.warnings", kind, r["raised"]
            if r["outcome"]:
                yield r["g"], "exchange.outcomes", r["outcome"], r["raised"]
        if r["in_time"]:
            yield r["g"], "exchange.verified_in_time", "", r["in_time"]
        if r["decided"]:
            yield r["g"], "exchange.verified_decided", "", r["decided"]


def unmatched_figures(q: FigureQuery) -> Iterable[Row]:
    rows = (
        grouped(ExchangeRecord.objects.filter(status=RecordStatus.UNMATCHED), q)
        .values("g")
        .annotate(n=Count("pk"))
    )
    for r in rows:
        yield r["g"], "exchange.unmatched", "", r["n"]


register(
    section=Section("exchange", _("部门数据比对"), order=95),
    figures=[
        Figure(
            "exchange.warnings",
            _("本冬部门数据预警"),
            "exchange",
            _("条"),
            order=10,
            dims=_kinds,
            in_table=True,
            link=Link("exchange_dispositions:list", _this_winter, dim_param="kind"),
        ),
        Figure(
            "exchange.verified_in_time_share",
            _("预警按时核实率"),
            "exchange",
            kind="ratio",
            order=20,
            ratio=("exchange.verified_in_time", "exchange.verified_decided"),
            help=_("本冬部门数据预警中，在核实时限前完成核实的比例（未到时限且未核实的不计）"),
            link=Link(
                "exchange_dispositions:list", _this_winter, measure="", note=_("比例；点击查看本冬的预警")
            ),
        ),
        Figure(
            "exchange.outcomes",
            _("预警处置结果"),
            "exchange",
            _("条"),
            order=30,
            dims=_outcomes,
            link=Link("exchange_dispositions:list", _this_winter, dim_param="outcome"),
        ),
        Figure(
            "exchange.unmatched",
            _("未比中记录"),
            "exchange",
            _("条"),
            order=40,
            link=Link(
                "exchange_dispositions:list",
                None,
                measure="",
                note=_("未比中记录由县级在比对记录中查询；此处链接到预警列表"),
            ),
        ),
    ],
    sources=[
        Source("exchange.dispositions", disposition_figures),
        Source("exchange.unmatched", unmatched_figures),
    ],
)
