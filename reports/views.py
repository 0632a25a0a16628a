"""Pages of reports (/reports/, linked from the dashboard): the region's reports of the winter with
their Excel and PDF, the 上报 button, the sub-regions' reporting status for a day, and a "generate
now" for staff. Every page reads through the scoping door (relief/scoping.py)."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from relief.dashboard.selectors import region_for
from relief.scoping import access, require_in_scope
from reports import content, selectors, services
from reports.models import Kind, Report, State

CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


def _day(value: str | None) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value) if value else timezone.localdate()
    except ValueError:
        return timezone.localdate()


def may_generate(user) -> bool:
    """Staff who may make a report now: administrators and county (or higher) officials."""
    return user.is_region_admin or user.role in services.SUBMITTER_ROLES


@login_required
def index(request: HttpRequest) -> HttpResponse:
    region = region_for(request.user, request.GET.get("region"))
    kind = request.GET.get("kind") if request.GET.get("kind") in Kind.values else Kind.DAILY
    day = _day(request.GET.get("date"))
    reports = Report.objects.visible_to(request.user).select_related("region", "submitted_by")
    if region is not None:
        reports = reports.filter(region_id=region.code)
    page = Paginator(reports.filter(kind=kind), 30).get_page(request.GET.get("page"))
    for r in page.object_list:
        r.may_submit = services.may_submit(request.user, r)
    status = selectors.subregion_status(region, kind, day) if region is not None else []
    return render(
        request,
        "reports/index.html",
        {
            "region": region,
            "region_code": region.code if region else "",
            "kind": kind,
            "kinds": Kind.choices,
            "day": day,
            "page": page,
            "status": status,
            "labels": selectors.STATUS_LABELS,
            "counts": {k: sum(1 for s in status if s["status"] == k) for k in selectors.STATUS_LABELS},
            "may_generate": region is not None
            and len(region.code) in selectors.REPORT_LEVELS
            and may_generate(request.user),
        },
    )


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    report = access(Report.objects.select_related("region", "submitted_by"), request.user, pk)
    rows = [
        {
            "label": f["label"],
            "value": f["value_label"] if f["kind"] == "level" else content.shown(f["value"], f["kind"]),
            "unit": "" if f["kind"] in ("ratio", "level") else f["unit"],
            "target": "" if f["target"] is None else content.shown(f["target"], f["kind"]),
            "gap": "" if f["gap"] is None else content.shown(f["gap"], f["kind"]),
            "change": "" if f["change"] is None else content.signed(f["change"], f["kind"]),
        }
        for f in report.figures.get("figures", [])
    ]
    return render(
        request,
        "reports/detail.html",
        {
            "report": report,
            "data": report.figures,
            "rows": rows,
            "may_submit": services.may_submit(request.user, report),
        },
    )


@login_required
def download(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    report = access(Report, request.user, pk)
    return file_response(report, fmt)


def file_response(report: Report, fmt: str) -> FileResponse:
    field = getattr(report, fmt, None) if fmt in CONTENT_TYPES else None
    if not field:
        raise Http404(_("未找到该记录"))
    return FileResponse(
        field.open("rb"), as_attachment=True, filename=report.file_name(fmt), content_type=CONTENT_TYPES[fmt]
    )


@login_required
@require_POST
def submit(request: HttpRequest, pk: int) -> HttpResponse:
    report = access(Report, request.user, pk)
    was = report.state
    services.report_submit(actor=request.user, report=report)
    if was == State.SUBMITTED:
        messages.info(request, _("该报告已上报，无需重复上报"))
    else:
        messages.success(request, _("已上报：%(report)s") % {"report": report.file_name("pdf")[:-4]})
    return redirect("reports:detail", pk=report.pk)


@login_required
@require_POST
def generate(request: HttpRequest) -> HttpResponse:
    region = region_for(request.user, request.POST.get("region"))
    if region is None or len(region.code) not in selectors.REPORT_LEVELS or not may_generate(request.user):
        raise PermissionDenied(_("只有县级及以上工作人员可以生成本级报告"))
    require_in_scope(request.user, region.code)
    kind = request.POST.get("kind") if request.POST.get("kind") in Kind.values else Kind.DAILY
    report = services.report_generate(region=region, kind=kind)
    if report.state == State.SUBMITTED:
        messages.info(request, _("该报告已上报，不再重新生成"))
    else:
        messages.success(request, _("报告已生成"))
    return redirect("reports:detail", pk=report.pk)
