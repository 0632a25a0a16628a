"""Demo data of reports: the morning's daily reports of the demo regions, the demo county's sent up,
so the city sees one county reported and the others waiting."""

from __future__ import annotations

from relief.dashboard.services import figures_refresh
from relief.demo import DemoContext
from reports.models import Kind, Report
from reports.services import report_submit, reports_generate_all


def seed(ctx: DemoContext) -> None:
    province = ctx.users.get("province")
    county = ctx.users.get("county")
    if province is None or province.region_id is None:
        return
    figures_refresh()
    n = reports_generate_all(kind=Kind.DAILY, prefix=province.region_id)
    ctx.log(f"  {n} daily reports")
    if county is not None and county.region_id:
        report = (
            Report.objects.filter(region_id=county.region_id, kind=Kind.DAILY).order_by("-period").first()
        )
        if report is not None:
            report_submit(actor=county, report=report)
