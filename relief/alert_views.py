"""The alert inbox: mine, my region, escalated to me (督办); acknowledge or resolve with a note."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from relief import services
from relief.models import Alert, AlertStatus
from relief.scoping import get_visible_or_404
from relief.sweeps import SWEEPS

TABS = {
    "region": gettext_lazy("本辖区"),
    "mine": gettext_lazy("我的"),
    "escalated": gettext_lazy("督办"),
    "resolved": gettext_lazy("已解除"),
}


def _inbox(user, tab: str):
    qs = Alert.objects.visible_to(user)
    if tab == "mine":
        return qs.unresolved().filter(assignee=user)
    if tab == "escalated":
        return Alert.objects.escalated_to(user).unresolved()
    if tab == "resolved":
        return qs.filter(status=AlertStatus.RESOLVED)
    return qs.unresolved()


@login_required
def alert_list(request: HttpRequest) -> HttpResponse:
    tab = request.GET.get("tab") if request.GET.get("tab") in TABS else "region"
    kind = request.GET.get("kind", "")
    qs = _inbox(request.user, tab).select_related("region", "assignee").order_by("-severity", "due_at", "-id")
    if kind:
        qs = qs.filter(kind=kind)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    counts = {t: _inbox(request.user, t).count() for t in ("region", "mine", "escalated")}
    return render(
        request,
        "relief/alert_list.html",
        {
            "page": page,
            "tab": tab,
            "tabs": TABS,
            "counts": counts,
            "kind": kind,
            "kinds": sorted((k, s.label) for k, s in SWEEPS.items()),
        },
    )


@login_required
def alert_detail(request: HttpRequest, pk: int) -> HttpResponse:
    alert = get_visible_or_404(Alert.objects.select_related("region", "assignee"), request.user, pk=pk)
    return render(
        request,
        "relief/alert_detail.html",
        {
            "alert": alert,
            "events": alert.events.select_related("actor"),
        },
    )


@login_required
@require_POST
def alert_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    alert = get_visible_or_404(Alert.objects.all(), request.user, pk=pk)
    services_call = {"acknowledge": services.alert_acknowledge, "resolve": services.alert_resolve}[action]
    from relief.scoping import require_writer

    require_writer(request.user)
    try:
        services_call(actor=request.user, alert=alert, note=request.POST.get("note", ""))
        messages.success(request, _("已签收") if action == "acknowledge" else _("已解除"))
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    return redirect("alert-detail", pk=alert.pk)


@login_required
@require_POST
def sweep_run(request: HttpRequest) -> HttpResponse:
    kinds = [k for k in request.POST.getlist("kind") if k]
    try:
        job = services.sweep_start(actor=request.user, kinds=kinds or None)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
        return redirect("alert-list")
    return redirect("job-detail", pk=job.pk)
