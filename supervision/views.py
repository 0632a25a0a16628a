"""Pages of 督查, made for a phone: the trips, a trip with its findings and their state, the forms
that make a trip and record a finding (the supervising side), the answer form of the region
visited (the one tap of its task) and the acceptance or sending back (the supervisor)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from relief.forms import apply_service_errors
from relief.idempotency import page_once
from relief.models import Task
from relief.pages import in_region_param, workflow_buttons, workflow_post
from relief.scoping import access
from relief.todo.today import Line
from supervision import rectification, services
from supervision.forms import FindingForm, TripForm
from supervision.models import Finding, FindingState, SupervisionTrip, TripState
from supervision.selectors import open_finding_lines
from supervision.workflows import finding_workflow, supervisor_refusal, trip_workflow

EVENT_LABELS = {
    "created": gettext_lazy("记录"),
    "issued": gettext_lazy("交办整改"),
    "closed_by_trip": gettext_lazy("随督查结束"),
    "closed": gettext_lazy("结束督查"),
}


def _events(workflow, events) -> list:
    """The log rows with the name of their step."""
    rows = list(events.select_related("actor"))
    for e in rows:
        step = workflow.steps.get(e.action)
        e.label = step.label if step else EVENT_LABELS.get(e.action, e.action)
    return rows


@login_required
def index(request: HttpRequest) -> HttpResponse:
    trips = in_region_param(request, SupervisionTrip.objects.visible_to(request.user))
    state = request.GET.get("state", "")
    if state in TripState.values:
        trips = trips.filter(state=state)
    page = Paginator(trips.select_related("region").prefetch_related("visits__region"), 30).get_page(
        request.GET.get("page")
    )
    counts = Finding.objects.visible_to(request.user).filter(trip__in=list(page.object_list)).counts_by_trip()
    for trip in page.object_list:
        trip.counts = counts.get(trip.pk, {"total": 0, "open": 0, "answered": 0, "closed": 0})
    return render(
        request,
        "supervision/index.html",
        {
            "page": page,
            "state": state,
            "states": TripState.choices,
            "may_create": services.may_organise(request.user),
        },
    )


@login_required
def finding_list(request: HttpRequest) -> HttpResponse:
    """The findings under `?region=` (default: all the user may see) by `?state=` (default: open)."""
    rows = in_region_param(request, Finding.objects.visible_to(request.user))
    state = request.GET.get("state", "live")
    if state in FindingState.values:
        rows = rows.filter(state=state)
    elif state == "live":
        rows = rows.filter(state__in=(FindingState.OPEN, FindingState.ANSWERED))
    rows = rows.select_related("trip", "region").order_by("due_at", "id")
    page = Paginator(rows, 30).get_page(request.GET.get("page"))
    return render(
        request,
        "supervision/findings.html",
        {
            "page": page,
            "state": state,
            "states": FindingState.choices,
            "region": request.GET.get("region", ""),
        },
    )


@login_required
def trip_new(request: HttpRequest) -> HttpResponse:
    if not services.may_organise(request.user):
        raise PermissionDenied(_("督查须由县级及以上民政部门组织"))
    form = TripForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data

        def run() -> HttpResponse | None:
            try:
                trip = services.trip_create(
                    actor=request.user,
                    region=data.get("region"),
                    title=data["title"],
                    leader=data["leader"],
                    members=data["members"],
                    planned_start=data["planned_start"],
                    planned_end=data["planned_end"],
                    regions=list(data["regions"]),
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
                return None
            messages.success(request, _("已创建督查，开始后可记录发现的问题"))
            return redirect(trip.get_absolute_url())

        done = page_once(request, run)
        if done is not None:
            return done
    return render(request, "supervision/form.html", {"form": form, "heading": _("新建督查")})


@login_required
def trip_detail(request: HttpRequest, pk: int, bound: dict | None = None) -> HttpResponse:
    trip = access(SupervisionTrip.objects.select_related("region", "created_by"), request.user, pk)
    findings = (
        Finding.objects.visible_to(request.user)
        .filter(trip=trip)
        .select_related("region", "household", "institution", "hazard")
        .order_by("region_id", "id")
    )
    may_record = supervisor_refusal(request.user, trip) is None and trip.state in (
        TripState.IN_PROGRESS,
        TripState.ISSUED,
    )
    return render(
        request,
        "supervision/trip.html",
        {
            "trip": trip,
            "visits": trip.visits.select_related("region"),
            "findings": findings,
            "steps": workflow_buttons(trip_workflow, trip, request.user, bound),
            "action_url": reverse("supervision:trip", args=[trip.pk]),
            "may_record": may_record,
            "events": _events(trip_workflow, trip.events),
        },
    )


@login_required
@require_POST
def trip_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    declared = trip_workflow.steps.get(step)
    if declared is None or declared.system:
        raise Http404
    trip = access(SupervisionTrip.objects.all(), request.user, pk)
    done, bound = workflow_post(request, trip_workflow, trip, declared.name, raise_denied=True)
    if done:
        return redirect("supervision:trip", pk=pk)
    return trip_detail(request, pk, bound=bound)


@login_required
def finding_new(request: HttpRequest, pk: int) -> HttpResponse:
    trip = access(SupervisionTrip.objects.all(), request.user, pk)
    if message := supervisor_refusal(request.user, trip):
        raise PermissionDenied(message)
    form = FindingForm(request.POST or None, request.FILES or None, user=request.user, trip=trip)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data

        def run() -> HttpResponse | None:
            try:
                services.finding_add(
                    actor=request.user,
                    trip=trip,
                    region=data["region"],
                    area=data["area"],
                    severity=data["severity"],
                    text=data["text"],
                    requirement=data["requirement"],
                    working_days=data["working_days"],
                    household=data["household"],
                    institution=data["institution"],
                    hazard=data["hazard"],
                    figure_name=data["figure_name"],
                    figure_value=data["figure_value"],
                    photo=data["photo"],
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
                return None
            messages.success(request, _("已记录问题"))
            return redirect(trip.get_absolute_url())

        done = page_once(request, run)
        if done is not None:
            return done
    return render(
        request, "supervision/form.html", {"form": form, "heading": _("记录发现的问题"), "trip": trip}
    )


def _finding(request: HttpRequest, pk: int) -> Finding:
    return access(
        Finding.objects.select_related("trip__region", "region", "household", "institution", "hazard"),
        request.user,
        pk,
    )


@login_required
def finding_detail(request: HttpRequest, pk: int, bound: dict | None = None) -> HttpResponse:
    finding = _finding(request, pk)
    tasks = Task.objects.visible_to(request.user).filter(
        cause_key__in=[rectification.rectify_key(finding), rectification.review_key(finding)]
    )
    return render(
        request,
        "supervision/finding.html",
        {
            "f": finding,
            "steps": workflow_buttons(finding_workflow, finding, request.user, bound),
            "action_url": reverse("supervision:finding", args=[finding.pk]),
            "events": _events(finding_workflow, finding.events),
            "tasks": tasks.order_by("id"),
            "now": timezone.now(),
        },
    )


@login_required
def finding_answer(request: HttpRequest, pk: int) -> HttpResponse:
    """The answer form alone (the one tap of the region's rectification task)."""
    finding = _finding(request, pk)
    step = finding_workflow.step("answer")
    refusal = finding_workflow.refusal(step, finding, request.user)
    form = None
    if request.method == "POST":
        done, bound = workflow_post(request, finding_workflow, finding, "answer", raise_denied=True)
        if done:
            return redirect("supervision:finding", pk=pk)
        form = bound.get("answer")
    if refusal is None and form is None:
        form = finding_workflow.form_for(step, user=request.user)
    return render(request, "supervision/answer.html", {"f": finding, "form": form, "refusal": refusal})


@login_required
@require_POST
def finding_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    declared = finding_workflow.steps.get(step)
    if declared is None or declared.system:
        raise Http404
    finding = _finding(request, pk)
    done, bound = workflow_post(request, finding_workflow, finding, declared.name, raise_denied=True)
    if done:
        return redirect("supervision:finding", pk=pk)
    return finding_detail(request, pk, bound=bound)


def region_finding_lines(user, region_code: str, limit: int) -> tuple[list[Line], int]:
    """The region page's section: its open findings, most urgent first."""
    findings, total = open_finding_lines(user, region_code, limit)
    lines = [
        Line(
            title=f"{f.get_area_display()}：{f.text[:60]}",
            url=f.get_absolute_url(),
            detail=f"{f.trip.title} · {f.region.name} · {f.get_state_display()}",
            due=f.due_at,
            overdue=f.is_overdue,
        )
        for f in findings
    ]
    return lines, total
