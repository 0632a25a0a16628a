"""The funds app's dashboard figures (registered with relief's dashboard from FundsConfig.ready()):
funds allocated and paid by program, temporary assistance (临时救助) counts and the median hours
from application to payment, and weekly payments.

- Allocated: allocations (资金指标) of this year, by program.
- Paid: payments of batches marked paid, drawn on this year's allocations (by the recipient's
  region, so a county's payments break down to villages), plus temporary assistance paid this year
  (先行救助 and the approved amount once paid) under the temporary-assistance program — the same
  rule as the funds ledger (funds/selectors.py).
- Temporary assistance this winter (since 1 October): applications and those paid, by kind;
  hours from application to the first payment (先行救助 or payment), median (computed when read).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.db import connection
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncWeek
from django.utils.translation import gettext_lazy as _

from funds.models import (
    Allocation,
    ApplicationKind,
    AppStatus,
    AssistanceApplication,
    BatchStatus,
    DisbursementBatch,
    Payment,
    Program,
    ProgramKind,
)
from relief.dashboard.registry import (
    Figure,
    FigureQuery,
    Link,
    Row,
    Section,
    Source,
    Trend,
    grouped,
    register,
    winter_year,
)

TEMPORARY_DIM = "temporary"


def _this_year(q: FigureQuery) -> dict[str, str]:
    return {"year": str(winter_year(q.today))}


def _this_winter(q: FigureQuery) -> dict[str, str]:
    return {"since": q.winter_start.date().isoformat()}


def _paid_this_winter(q: FigureQuery) -> dict[str, str]:
    return {"since": q.winter_start.date().isoformat(), "paid": "1"}


def _temporary_dim() -> str:
    pk = (
        Program.objects.filter(kind=ProgramKind.TEMPORARY).order_by("id").values_list("pk", flat=True).first()
    )
    return str(pk) if pk else TEMPORARY_DIM


def allocated(q: FigureQuery) -> Iterable[Row]:
    rows = (
        grouped(Allocation.objects.live().filter(year=winter_year(q.today)), q)
        .values("g", "program_id")
        .annotate(total=Sum("amount"))
    )
    for r in rows:
        yield r["g"], "funds.allocated", str(r["program_id"]), r["total"]


def _paid_batches(year: int):
    return DisbursementBatch.objects.filter(status=BatchStatus.PAID, allocation__year=year).values("pk")


def paid(q: FigureQuery) -> Iterable[Row]:
    year = winter_year(q.today)
    rows = (
        # the batches as a subquery: joined, the planner (guessing one allocation) scanned the paid
        # batches' payments once per allocation of the year
        grouped(Payment.objects.filter(batch_id__in=_paid_batches(year)), q)
        .values("g", "program_id")
        .annotate(total=Sum("amount"))
    )
    for r in rows:
        yield r["g"], "funds.paid", str(r["program_id"]), r["total"]
    temporary = _temporary_dim()
    ta_rows = (
        grouped(AssistanceApplication.objects.filter(year=year), q)
        .values("g")
        .annotate(
            approved=Sum("approved_amount", filter=Q(status=AppStatus.PAID)),
            emergency=Sum("emergency_amount", filter=Q(emergency_paid_at__isnull=False)),
        )
    )
    for r in ta_rows:
        total = (r["approved"] or Decimal(0)) + (r["emergency"] or Decimal(0))
        if total:
            yield r["g"], "funds.paid", temporary, total


def _paid_at_all() -> Q:
    return Q(emergency_paid_at__isnull=False) | Q(paid_at__isnull=False)


def temporary_assistance(q: FigureQuery) -> Iterable[Row]:
    rows = (
        grouped(AssistanceApplication.objects.filter(submitted_at__gte=q.winter_start), q)
        .values("g", "kind")
        .annotate(n=Count("pk"), paid_n=Count("pk", filter=_paid_at_all()))
    )
    for r in rows:
        yield r["g"], "funds.ta_applications", r["kind"], r["n"]
        if r["paid_n"]:
            yield r["g"], "funds.ta_paid", r["kind"], r["paid_n"]


def ta_median_hours(q: FigureQuery) -> Iterable[Row]:
    """Median hours per sub-region and for the whole region (group None), in one statement."""
    sql = """
        SELECT substring(region_code, 1, %(length)s) AS g,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM
                   COALESCE(emergency_paid_at, paid_at) - submitted_at) / 3600.0)
        FROM funds_assistanceapplication
        WHERE region_code LIKE %(prefix)s AND submitted_at >= %(since)s
          AND COALESCE(emergency_paid_at, paid_at) IS NOT NULL
        GROUP BY GROUPING SETS ((1), ())
    """
    with connection.cursor() as cur:
        cur.execute(sql, {"length": q.length, "prefix": q.prefix + "%", "since": q.winter_start})
        for g, hours in cur.fetchall():
            if hours is not None:
                yield g, "funds.ta_median_hours", "", Decimal(str(round(hours, 1)))


def weekly_payments(q: FigureQuery) -> Iterable[Row]:
    """Money paid per week this winter: paid batches (on the day marked paid) and temporary
    assistance (先行救助 when paid first, the approved amount when paid)."""
    since, until = q.winter_start, q.now
    sums: dict[tuple[str, str], Decimal] = {}

    def add(rows, week_field: str) -> None:
        for r in rows:
            key = (r["g"], r[week_field].date().isoformat())
            sums[key] = sums.get(key, Decimal(0)) + (r["total"] or Decimal(0))

    add(
        grouped(
            Payment.objects.filter(
                batch__status=BatchStatus.PAID, batch__paid_at__gte=since, batch__paid_at__lte=until
            ),
            q,
        )
        .annotate(week=TruncWeek("batch__paid_at"))
        .values("g", "week")
        .annotate(total=Sum("amount")),
        "week",
    )
    add(
        grouped(
            AssistanceApplication.objects.filter(emergency_paid_at__gte=since, emergency_paid_at__lte=until),
            q,
        )
        .annotate(week=TruncWeek("emergency_paid_at"))
        .values("g", "week")
        .annotate(total=Sum("emergency_amount")),
        "week",
    )
    add(
        grouped(
            AssistanceApplication.objects.filter(
                status=AppStatus.PAID, paid_at__gte=since, paid_at__lte=until
            ),
            q,
        )
        .annotate(week=TruncWeek("paid_at"))
        .values("g", "week")
        .annotate(total=Sum("approved_amount")),
        "week",
    )
    for (g, week), total in sums.items():
        if total:
            yield g, "trend.payments", week, total


def program_labels() -> dict[str, str]:
    labels = {str(pk): name for pk, name in Program.objects.values_list("pk", "name")}
    labels.setdefault(TEMPORARY_DIM, str(_("临时救助")))
    return labels


def kind_labels() -> dict[str, str]:
    return dict(ApplicationKind.choices)


register(
    section=Section("funds", _("资金与临时救助"), order=20),
    figures=[
        Figure(
            "funds.allocated",
            _("本年下达资金"),
            "funds",
            _("元"),
            kind="money",
            order=10,
            dims=program_labels,
            in_table=True,
            link=Link("funds:allocation-list", _this_year, dim_param="program", measure="amount"),
        ),
        Figure(
            "funds.paid",
            _("本年已发放资金"),
            "funds",
            _("元"),
            kind="money",
            order=20,
            dims=program_labels,
            in_table=True,
            link=Link(
                "funds:index",
                _this_year,
                measure="paid",
                note=_("按领取人所在区划统计；资金台账按县（区）汇总，乡镇、村只列临时救助"),
            ),
        ),
        Figure(
            "funds.paid_share",
            _("本年资金发放进度"),
            "funds",
            kind="ratio",
            order=25,
            ratio=("funds.paid", "funds.allocated"),
            in_table=True,
            target="target_funds_paid_pct",
            help=_("本年已发放资金占本年下达资金的比例（下达到本级及下级的资金）"),
            link=Link(
                "funds:index",
                _this_year,
                measure="",
                note=_("比例；点击查看资金台账"),
            ),
        ),
        Figure(
            "funds.ta_applications",
            _("本冬临时救助申请"),
            "funds",
            _("件"),
            order=30,
            dims=kind_labels,
            in_table=True,
            link=Link("funds:application-list", _this_winter, dim_param="kind"),
        ),
        Figure(
            "funds.ta_paid",
            _("本冬临时救助已发放"),
            "funds",
            _("件"),
            order=40,
            dims=kind_labels,
            link=Link("funds:application-list", _paid_this_winter, dim_param="kind"),
        ),
        Figure(
            "funds.ta_median_hours",
            _("临时救助从受理到发放（中位数）"),
            "funds",
            _("小时"),
            kind="hours",
            order=50,
            in_table=True,
            help=_("受理至首次发放（先行救助或审批后发放）的小时数中位数，本冬已发放的申请"),
            link=Link(
                "funds:application-list",
                _paid_this_winter,
                same_as="funds.ta_paid",
                note=_("中位数；点击查看据以计算的本冬已发放申请"),
            ),
        ),
    ],
    trends=[Trend("trend.payments", _("每周发放金额"), _("元"), order=20)],
    sources=[
        Source("funds.allocated", allocated),
        Source("funds.paid", paid),
        Source("funds.temporary_assistance", temporary_assistance),
        Source("funds.ta_median_hours", ta_median_hours, live=True),
        Source("funds.trend_payments", weekly_payments),
    ],
)
