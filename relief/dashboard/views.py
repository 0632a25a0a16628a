"""Dashboard pages: /dashboard/ (cards, the map of a target figure, the "who is behind" ranking,
sub-region table with drill-down, trend charts), /dashboard/screen/ (the duty room's big screen),
the Excel export of the table, and an on-demand refresh of the roll-ups. Every page goes through
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

from relief.dashboard import board, exports, live_cache, registry, selectors
from relief.models import Region
from relief.regions import ancestor_codes

logger = logging.getLogger(__name__)


_drill_url = board.drill_url

#: the big screen reloads its figures this often
SCREEN_REFRESH_SECONDS = 60
#: how many sub-regions the big screen lists per figure
SCREEN_TOP = 5


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
            for f in items:
                f["live"] = _is_live(f["key"], summary.live_keys)
            shown = [f for f in items if f["kind"] != "level"]
            # a section all of whose cards are live says its time once; a mixed one on each card
            live = bool(shown) and all(f["live"] for f in shown)
            by_section.append({"section": section, "figures": items, "live": live})
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
    boards = board.boards(summary)
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
            "live_seconds": live_cache.seconds(),
            "child_level_is_village": len(summary.code) == 9,
            "boards": boards,
            "map": _map_context(request, summary, boards),
        },
    )


def _is_live(key: str, live_keys: frozenset[str]) -> bool:
    """Whether a figure comes from the live sources (a share: both its parts)."""
    fig = registry.FIGURES.get(key)
    if fig is not None and fig.ratio:
        return all(k in live_keys for k in fig.ratio)
    return key in live_keys


def _map_context(request: HttpRequest, summary: selectors.Summary, boards: list[board.Board]) -> dict:
    """What the map script needs: the figures to pick from, the chosen one, where its data and the
    boundaries are (None at township level: the page shows the ranking only)."""
    figures = [b.figure for b in boards]
    chosen = request.GET.get("figure")
    if chosen not in {f.key for f in figures}:
        chosen = figures[0].key if figures else ""
    return {
        "figures": [{"key": f.key, "label": str(f.label)} for f in figures],
        "figure": chosen,
        "boundaries": board.boundary_url(summary.code),
        "api": reverse("api:dashboard-map"),
        "region": summary.code,
        "has_children": bool(summary.child_length),
    }


@login_required
def screen(request: HttpRequest) -> HttpResponse:
    """The duty room's big screen: the map, the five sub-regions furthest behind per figure, the
    cold-wave level in force and the roll call's progress while one is open; it reloads its
    figures every SCREEN_REFRESH_SECONDS (the part `?part=1` is what it fetches)."""
    region = selectors.region_for(request.user, request.GET.get("region"))
    summary = selectors.summary(region)
    figures = {f["key"]: f for f in selectors.figure_rows(summary.totals, summary.code)}
    boards = board.boards(summary)
    level = figures.get("patrols.cold_wave")
    rollcall = {
        key.split(".", 1)[1]: figures[key]["value"]
        for key in (
            "coldwaves.to_contact",
            "coldwaves.reached",
            "coldwaves.overdue",
            "coldwaves.reached_share",
        )
        if key in figures
    }
    context = {
        "region": region,
        "region_code": summary.code,
        "summary": summary,
        "boards": boards,
        "cold_wave": level,
        "rollcall": rollcall if rollcall.get("to_contact") else None,
        "rollcall_url": figures["coldwaves.to_contact"]["url"] if "coldwaves.to_contact" in figures else "",
        "map": _map_context(request, summary, boards) | {"refresh": SCREEN_REFRESH_SECONDS},
        "refresh_seconds": SCREEN_REFRESH_SECONDS,
        "top": f":{SCREEN_TOP}",
        "now": timezone.now(),
    }
    template = (
        "relief/_dashboard_screen_part.html" if request.GET.get("part") else "relief/dashboard_screen.html"
    )
    return render(request, template, context)


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
