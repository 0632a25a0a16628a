"""Dashboard pages: /dashboard/ (cards, sub-region table with drill-down, trend charts), the Excel
export of the table, and an on-demand refresh of the roll-ups. Every page goes through
`selectors.region_for` (outside the user's region: 404)."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from relief.dashboard import exports, registry, selectors
from relief.models import Region
from relief.regions import ancestor_codes

logger = logging.getLogger(__name__)


def _drill_url(code: str) -> str:
    """A village opens the household search of that village; any other region its dashboard."""
    if len(code) == 12:
        return f"{reverse('people:index')}?{urlencode({'region': code})}"
    return f"{reverse('dashboard:index')}?{urlencode({'region': code})}"


def _breadcrumbs(user, region: Region | None) -> list[dict]:
    if region is None:
        return []
    scope = user.scope_code or ""
    codes = [c for c in ancestor_codes(region.code) if c.startswith(scope) or user.is_region_admin]
    names = dict(Region.objects.visible_to(user).filter(code__in=codes).values_list("code", "name"))
    crumbs = [
        {"code": c, "name": names.get(c, c), "url": _drill_url(c) if c != region.code else ""} for c in codes
    ]
    if user.is_region_admin:
        crumbs.insert(0, {"code": "", "name": _("全国"), "url": reverse("dashboard:index") + "?region="})
    return crumbs


@login_required
def index(request: HttpRequest) -> HttpResponse:
    region = selectors.region_for(request.user, request.GET.get("region"))
    summary = selectors.summary(region)
    figures = selectors.figure_rows(summary.totals, summary.code)
    by_section = []
    for section in registry.sections():
        items = [f for f in figures if f["section"] == section.key]
        if items:
            by_section.append({"section": section, "figures": items})
    cold_wave = next((f for f in figures if f["kind"] == "level"), None)
    rows = selectors.table_rows(summary)
    for row in rows:
        row["url"] = _drill_url(row["code"]) if row["has_region"] else ""
        row["cells"] = [
            {
                "figure": f,
                "value": row["figures"][f.key],
                "label": row["labels"].get(f.key, ""),
                "url": selectors.figure_link(f, row["code"]) if row["has_region"] else "",
            }
            for f in selectors.table_figures()
        ]
    trends = selectors.trends(region)
    chart = {
        "weeks": [w.isoformat() for w in trends["weeks"]],
        "series": [
            {
                "key": s["key"],
                "label": s["label"],
                "unit": s["unit"],
                "values": [float(v) for v in s["values"]],
            }
            for s in trends["series"]
        ],
    }
    age = timezone.now() - summary.computed_at
    return render(
        request,
        "relief/dashboard.html",
        {
            "region": region,
            "region_code": summary.code,
            "summary": summary,
            "sections": by_section,
            "cold_wave": cold_wave,
            "columns": selectors.table_figures(),
            "rows": rows,
            "chart": chart,
            "breadcrumbs": _breadcrumbs(request.user, region),
            "stale": summary.source == "rollup" and age.total_seconds() > 30 * 60,
            "child_level_is_village": len(summary.code) == 9,
        },
    )


@login_required
def export(request: HttpRequest) -> HttpResponse:
    """The sub-region table as an Excel workbook."""
    region = selectors.region_for(request.user, request.GET.get("region"))
    summary = selectors.summary(region)
    content = exports.table_workbook(summary)
    name = f"dashboard-{summary.code or 'all'}-{timezone.localdate():%Y%m%d}.xlsx"
    response = HttpResponse(
        content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
@require_POST
def refresh(request: HttpRequest) -> HttpResponse:
    """Queue a refresh of the roll-ups now (they are also refreshed every 10 minutes)."""
    from relief.dashboard.tasks import dashboard_refresh

    region = selectors.region_for(request.user, request.POST.get("region"))

    # Nothing is written here, so there is no commit to wait for: queue now and say how it went.
    try:
        dashboard_refresh.delay()
    except Exception:  # the broker is down: say so; the scheduled refresh catches up later
        logger.warning("could not queue the dashboard refresh", exc_info=True)
        messages.warning(
            request, _("后台服务暂时不可用，刷新已延后：服务恢复后汇总数据将按计划（每 10 分钟）自动刷新。")
        )
    else:
        messages.info(request, _("已提交刷新，稍后刷新页面即可看到最新数据。"))
    url = reverse("dashboard:index")
    return redirect(f"{url}?{urlencode({'region': region.code if region else ''})}")
