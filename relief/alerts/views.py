"""The alert inbox: mine, my region, escalated to me (督办); an alert's page with its steps
(acknowledge, resolve with a note: relief/alerts/workflows.py); a monitoring sweep on demand."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from relief.alerts import services
from relief.alerts.sweeps import SWEEPS, kind_label, kind_labels
from relief.alerts.workflows import alert_workflow
from relief.models import Alert, AlertStatus
from relief.pages import (
    date_param,
    in_region_param,
    local_midnight,
    region_param,
    subject_url,
    workflow_buttons,
    workflow_post,
)
from relief.scoping import access

TABS = {
    "region": gettext_lazy("本辖区"),
    "mine": gettext_lazy("我的"),
    "escalated": gettext_lazy("督办"),
    "resolved": gettext_lazy("已解除"),
    "all": gettext_lazy("全部"),
}
NOTE_PLACEHOLDER = gettext_lazy("例如：已上门走访，送去棉被两床")


def _inbox(user, tab: str):
    qs = Alert.objects.visible_to(user)
    if tab == "mine":
        return qs.unresolved().filter(assignee=user)
    if tab == "escalated":
        return qs.escalated_to(user).unresolved()
    if tab == "resolved":
        return qs.filter(status=AlertStatus.RESOLVED)
    if tab == "all":
        return qs
    return qs.unresolved()


@login_required
def alert_list(request: HttpRequest) -> HttpResponse:
    tab = request.GET.get("tab") if request.GET.get("tab") in TABS else "region"
    kind = request.GET.get("kind", "")
    qs = _inbox(request.user, tab).select_related("region", "assignee").order_by("-severity", "due_at", "-id")
    if kind:
        qs = qs.filter(kind=kind)
    qs = in_region_param(request, qs)
    since = date_param(request, "since")
    if since:
        qs = qs.filter(created_at__gte=local_midnight(since))
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    for alert in page.object_list:
        alert.kind_label = kind_label(alert.kind)
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
            "filter_kinds": sorted(kind_labels().items()),
            "region": region_param(request),
            "since": since,
        },
    )


@login_required
def alert_detail(request: HttpRequest, pk: int, bound: dict | None = None) -> HttpResponse:
    alert = access(Alert.objects.all(), request.user, pk, related=("region", "assignee"))
    steps = workflow_buttons(alert_workflow, alert, request.user, bound)
    for _step, form in steps:
        if "note" in form.fields:
            form.fields["note"].widget.attrs.setdefault("placeholder", NOTE_PLACEHOLDER)
    task = alert.tasks.order_by("-id").first()
    return render(
        request,
        "relief/alert_detail.html",
        {
            "alert": alert,
            "task": task,
            "subject_url": subject_url(alert),
            "kind_label": kind_label(alert.kind),
            "events": alert.events.select_related("actor"),
            "steps": steps,
            "action_url": reverse("alert-detail", args=[alert.pk]),
        },
    )


@login_required
@require_POST
def alert_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    """A step posted from the alert's page: 404 outside the region, 403 for a read-only role; a
    refusal of the step shows the page again with what was typed."""
    declared = alert_workflow.steps.get(step)
    if declared is None or declared.system:
        raise Http404
    alert = access(Alert.objects.all(), request.user, pk, for_write=True)
    done, bound = workflow_post(request, alert_workflow, alert, declared.name, raise_denied=True)
    if done:
        return redirect("alert-detail", pk=alert.pk)
    return alert_detail(request, pk, bound=bound)


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
