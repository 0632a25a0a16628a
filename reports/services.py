"""The writes of reports: generating a region's report (its figures frozen, its Excel and PDF
written), the morning run over every region with people, and 上报 (sending it up).

Generation is idempotent: a re-run for the same region, kind and period replaces a report not yet
submitted (figures and files) and never touches a submitted one. Submitting is one transaction on
the locked row; a second click changes nothing. Each step brings the report's today-page task in
step (reports/deadlines.py: a generated report is a task for its region's staff, answered by
submitting it)."""

from __future__ import annotations

import datetime
import logging
import time

from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from relief.dashboard.selectors import last_run
from relief.dashboard.services import figures_refresh
from relief.models import Region, Role, User
from relief.scoping import require_in_scope
from relief.todo.deadlines import follow
from reports import content, pdf, selectors, xlsx
from reports.models import Kind, Report, State

logger = logging.getLogger(__name__)

#: who may send a region's report up: the staff or officials of that region itself
SUBMITTER_ROLES = {Role.COUNTY, Role.CITY, Role.PROVINCE, Role.ADMIN}


def _frozen(region: Region, kind: str, period: datetime.date, now: datetime.datetime) -> dict:
    data = content.build(region, kind, period, now=now)
    data["subregions"] = [
        {"code": s["code"], "name": s["name"], "status": s["status"]}
        for s in selectors.subregion_status(region, kind, period)
    ]
    return data


def _replace_files(report: Report, data: dict) -> None:
    """Write the new files; the old ones are removed once the new report is committed (a rolled
    back generation leaves the report with the files it had)."""
    old = [(f.storage, f.name) for f in (report.xlsx, report.pdf) if f]
    transaction.on_commit(lambda: [storage.delete(name) for storage, name in old])
    report.xlsx.save(report.file_name("xlsx"), ContentFile(xlsx.workbook(data)), save=False)
    report.pdf.save(report.file_name("pdf"), ContentFile(pdf.document(data)), save=False)


@transaction.atomic
def report_generate(
    *, region: Region, kind: str, day: datetime.date | None = None, now: datetime.datetime | None = None
) -> Report:
    """Make (or remake, while unsubmitted) the report of `region` for `day` (a weekly report: the
    week of `day`). A submitted report is returned as it is."""
    now = now or timezone.now()
    period = selectors.period_of(kind, day or timezone.localdate(now))
    report = Report.objects.select_for_update().filter(region=region, kind=kind, period=period).first()
    if report is not None and report.state == State.SUBMITTED:
        return report
    if report is None:
        report = Report(region=region, kind=kind, period=period)
    data = _frozen(region, kind, period, now)
    report.figures = data
    report.generated_at = now
    _replace_files(report, data)
    report.full_clean(exclude=["xlsx", "pdf", "submitted_by"])
    report.save()
    follow(report)
    previous = (
        Report.objects.filter(region=region, kind=kind, period__lt=period, state=State.GENERATED)
        .order_by("-period")
        .first()
    )
    if previous is not None:
        follow(previous)  # its task lapses: the new report is the one to send up
    return report


def reports_generate_all(*, kind: str, day: datetime.date | None = None, prefix: str = "") -> int:
    """The morning run: one report for every province, city and county with people (from the
    roll-ups), counties first so a city's report already sees its counties' reports. One
    transaction per report: a failure in one region leaves the others done."""
    started = time.monotonic()
    if last_run() is None:
        figures_refresh()
    codes = selectors.regions_with_people(prefix)
    regions = {r.code: r for r in Region.objects.filter(code__in=codes)}
    now = timezone.now()
    n = 0
    for code in sorted(codes, key=lambda c: (-len(c), c)):
        if code in regions:
            report_generate(region=regions[code], kind=kind, day=day, now=now)
            n += 1
    logger.info("reports: %s %s reports in %.1fs", n, kind, time.monotonic() - started)
    return n


def _require_submitter(actor: User, report: Report) -> None:
    if not getattr(actor, "is_active", False):
        raise PermissionDenied(_("您不能上报该报告"))
    require_in_scope(actor, report.region_id)
    if actor.is_region_admin:
        return
    allowed = actor.role in SUBMITTER_ROLES or (actor.role == Role.API_CLIENT and actor.api_can_write)
    if not allowed or actor.region_id != report.region_id:
        raise PermissionDenied(_("只有本级工作人员可以上报本级报告"))


@transaction.atomic
def report_submit(*, actor: User, report: Report) -> Report:
    """Send the report up (上报). Once: a submitted report stays as it was first submitted."""
    report = Report.objects.select_for_update().get(pk=report.pk)
    _require_submitter(actor, report)
    if report.state == State.SUBMITTED:
        return report
    report.state = State.SUBMITTED
    report.submitted_at = timezone.now()
    report.submitted_by = actor
    report.save(update_fields=["state", "submitted_at", "submitted_by"])
    follow(report)
    return report


def may_submit(actor: User, report: Report) -> bool:
    try:
        _require_submitter(actor, report)
    except PermissionDenied:
        return False
    return report.state == State.GENERATED


__all__ = ["Kind", "may_submit", "report_generate", "report_submit", "reports_generate_all"]
