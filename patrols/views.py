"""Pages of the patrols app. Every record is fetched through `access` / `visible_to` (outside the
region: 404); every write needs a writer role (403) and goes through one service or workflow step.
Clue and case pages draw their buttons from the workflows (patrols/workflows.py) alone."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from patrols import forms, selectors, services
from patrols.models import (
    CapMessage,
    CaseStatus,
    Clue,
    ClueChannel,
    ClueStatus,
    ColdWaveWarning,
    Encounter,
    PatrolFrequencyRule,
    PatrolShift,
    StationCase,
)
from patrols.services import cap_messages
from patrols.workflows import MILESTONE_FIELDS, case_workflow, clue_workflow
from relief.forms import apply_service_errors
from relief.idempotency import page_once
from relief.models import Region
from relief.pages import date_param, in_region_param, local_midnight
from relief.scoping import access, get_visible_or_404, require_writer
from relief.workflow import Step, Workflow


def writer_required(view: Callable) -> Callable:
    """Logged in, and a role that may write (for every method: the page only offers a write)."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        require_writer(request.user)
        return view(request, *args, **kwargs)

    return wrapped


def _page(request: HttpRequest, queryset, per_page: int = 50):
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))


def _error_message(request: HttpRequest, exc: ValidationError) -> None:
    messages.error(request, "；".join(exc.messages))


# --- Workflow steps (patrols/workflows.py) ------------------------------------------------------


def _step_buttons(workflow: Workflow, obj, user, bound: dict | None = None) -> list[tuple[Step, Any]]:
    """(step, form) for exactly the steps `user` may take on `obj` now; `bound`: the form of a step
    that answered an error, with what was typed."""
    bound = bound or {}
    return [
        (step, bound.get(step.name) or forms.step_form(step, user, obj=obj))
        for step in workflow.available(obj, user)
    ]


def _step_for(workflow: Workflow, slug: str) -> Step:
    """The step a page URL names (its API path, e.g. "long-term")."""
    for step in workflow.steps.values():
        if slug in (step.api_path, step.name) and not step.system:
            return step
    raise PermissionDenied


def _take_step(request: HttpRequest, workflow: Workflow, obj, step: Step) -> dict | None:
    """Run a step posted from a page: None when done (a message for the page redirected to), else
    the bound form, with the errors and what was typed, for the page drawn again."""
    form = forms.step_form(step, request.user, request.POST, obj=obj)
    if not form.is_valid():
        messages.error(request, "；".join(e for errors in form.errors.values() for e in errors))
        return {step.name: form}
    try:
        workflow.run(step.name, actor=request.user, obj=obj, **form.cleaned_data)
    except ValidationError as exc:
        _error_message(request, exc)
        apply_service_errors(form, exc)
        return {step.name: form}
    messages.success(request, _("已保存"))
    return None


# --- Overview -----------------------------------------------------------------------------------


@login_required
def index(request: HttpRequest) -> HttpResponse:
    user = request.user
    code = user.scope_code
    today = timezone.localdate()
    context = {
        "frequency": selectors.patrol_frequency(code, today) if code else None,
        "open_clues": Clue.objects.visible_to(user)
        .exclude(status=ClueStatus.CLOSED)
        .select_related("team")
        .order_by("due_at")[:10],
        "shifts": PatrolShift.objects.visible_to(user)
        .select_related("team")
        .annotate(encounter_count=Count("encounters"))
        .order_by("-started_at", "-pk")[:10],
        "open_cases": StationCase.objects.visible_to(user).open().count(),
        "warnings": ColdWaveWarning.objects.visible_to(user).active_at(timezone.now())[:10],
    }
    return render(request, "patrols/index.html", context)


# --- Shifts -------------------------------------------------------------------------------------


@login_required
def shift_list(request: HttpRequest) -> HttpResponse:
    shifts = (
        PatrolShift.objects.visible_to(request.user)
        .select_related("team")
        .annotate(encounter_count=Count("encounters"))
        .order_by("-started_at", "-pk")
    )
    shifts = in_region_param(request, shifts)
    encounters = in_region_param(request, Encounter.objects.visible_to(request.user))
    since = date_param(request, "since")
    if since:
        now = timezone.now()
        shifts = shifts.filter(started_at__gte=local_midnight(since), started_at__lte=now)
        encounters = encounters.filter(occurred_at__gte=local_midnight(since), occurred_at__lte=now)
    if request.GET.get("night") == "1":
        shifts = shifts.filter(is_night=True)
    # The people met in the same region and period (by where they were met, like the dashboard)
    met = encounters.aggregate(
        n=Count("pk"), placed=Count("pk", filter=Q(escorted_to_station=True) | Q(medical_referral=True))
    )
    return render(
        request, "patrols/shift_list.html", {"page": _page(request, shifts), "since": since, "met": met}
    )


@writer_required
def shift_create(request: HttpRequest) -> HttpResponse:
    form = forms.ShiftForm(
        request.POST or None, user=request.user, initial={"started_at": timezone.localtime()}
    )
    if request.method == "POST" and form.is_valid():
        try:
            shift = services.shift_start(actor=request.user, **form.service_kwargs())
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("巡查班次已登记"))
            return redirect("patrols:shift-detail", pk=shift.pk)
    return render(request, "patrols/form.html", {"form": form, "title": _("登记巡查班次")})


@login_required
def shift_detail(request: HttpRequest, pk: int) -> HttpResponse:
    shift = access(PatrolShift.objects.select_related("team"), request.user, pk)
    encounters = Encounter.objects.visible_to(request.user).filter(shift=shift).order_by("-occurred_at")
    members = shift.members_present.all()
    return render(
        request,
        "patrols/shift_detail.html",
        {"shift": shift, "encounters": encounters, "members": members},
    )


@require_POST
@writer_required
def shift_end(request: HttpRequest, pk: int) -> HttpResponse:
    shift = access(PatrolShift.objects.all(), request.user, pk, for_write=True)
    try:
        services.shift_end(actor=request.user, shift=shift)
        messages.success(request, _("班次已结束"))
    except ValidationError as exc:
        _error_message(request, exc)
    return redirect("patrols:shift-detail", pk=shift.pk)


@writer_required
def encounter_create(request: HttpRequest, pk: int) -> HttpResponse:
    """The phone form: a patrol member records a person met during the shift."""
    shift = access(PatrolShift.objects.select_related("team"), request.user, pk)
    stocks = selectors.encounter_stock_choices(request.user, shift)
    form = forms.EncounterForm(request.POST or None, stocks=stocks)
    if request.method == "POST" and form.is_valid():

        def save() -> HttpResponse | None:
            try:
                services.encounter_record(actor=request.user, shift=shift, **form.service_kwargs())
            except ValidationError as exc:
                form.add_service_error(exc)
                return None
            messages.success(request, _("救助记录已保存"))
            if "another" in request.POST:
                return redirect("patrols:encounter-create", pk=shift.pk)
            return redirect("patrols:shift-detail", pk=shift.pk)

        # a resubmitted form (the same idempotency_key) records one encounter
        if (response := page_once(request, save)) is not None:
            return response
    return render(request, "patrols/encounter_form.html", {"form": form, "shift": shift})


@login_required
def encounter_detail(request: HttpRequest, pk: int) -> HttpResponse:
    encounter = access(
        selectors.with_stock_materials(Encounter.objects.select_related("shift__team")), request.user, pk
    )
    # The station case it opened or joined; a township patrol member may not see the county's case.
    station_case = (
        StationCase.objects.visible_to(request.user).filter(pk=encounter.station_case_id).first()
        if encounter.station_case_id
        else None
    )
    return render(
        request, "patrols/encounter_detail.html", {"encounter": encounter, "station_case": station_case}
    )


# --- Clues --------------------------------------------------------------------------------------


@login_required
def clue_list(request: HttpRequest) -> HttpResponse:
    clues = Clue.objects.visible_to(request.user).select_related("team")
    status = request.GET.get("status")
    if status in ClueStatus.values:
        clues = clues.filter(status=status)
    elif status == "open":
        clues = clues.exclude(status=ClueStatus.CLOSED)
    return render(
        request,
        "patrols/clue_list.html",
        {"page": _page(request, clues), "statuses": ClueStatus.choices, "status": status or ""},
    )


@writer_required
def clue_create(request: HttpRequest) -> HttpResponse:
    form = forms.ClueForm(request.POST or None, user=request.user, initial={"channel": ClueChannel.HOTLINE})
    if request.method == "POST" and form.is_valid():

        def save() -> HttpResponse | None:
            try:
                clue = services.clue_report(actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                form.add_service_error(exc)
                return None
            messages.success(request, _("线索已登记"))
            return redirect("patrols:clue-detail", pk=clue.pk)

        # a resubmitted form (the same idempotency_key) registers one clue
        if (response := page_once(request, save)) is not None:
            return response
    return render(request, "patrols/form.html", {"form": form, "title": _("登记救助线索")})


@login_required
def clue_detail(request: HttpRequest, pk: int, bound: dict | None = None) -> HttpResponse:
    clue = access(Clue.objects.select_related("team"), request.user, pk)
    context = {
        "clue": clue,
        "steps": _step_buttons(clue_workflow, clue, request.user, bound),
        "events": clue.events.select_related("actor"),
    }
    return render(request, "patrols/clue_detail.html", context)


@require_POST
@login_required
def clue_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    clue = access(Clue.objects.all(), request.user, pk, for_write=True)
    if bound := _take_step(request, clue_workflow, clue, _step_for(clue_workflow, action)):
        return clue_detail(request, pk, bound=bound)
    return redirect("patrols:clue-detail", pk=clue.pk)


# --- Station cases ------------------------------------------------------------------------------


@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    cases = StationCase.objects.visible_to(request.user)
    status = request.GET.get("status")
    if status in CaseStatus.values:
        cases = cases.filter(status=status)
    elif status != "all":
        cases = cases.open()
    return render(
        request,
        "patrols/case_list.html",
        {"page": _page(request, cases), "statuses": CaseStatus.choices, "status": status or ""},
    )


@writer_required
def case_create(request: HttpRequest) -> HttpResponse:
    form = forms.StationCaseForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            case = services.station_case_intake(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("已接收登记"))
            return redirect("patrols:case-detail", pk=case.pk)
    return render(request, "patrols/form.html", {"form": form, "title": _("救助站接收登记")})


@login_required
def case_detail(request: HttpRequest, pk: int, bound: dict | None = None) -> HttpResponse:
    case = access(StationCase.objects.all(), request.user, pk)
    context = {
        "case": case,
        "milestones": selectors.case_milestones(case),
        "steps": _step_buttons(case_workflow, case, request.user, bound),
        "events": case.events.select_related("actor"),
        "encounters": Encounter.objects.visible_to(request.user)
        .filter(station_case=case)
        .select_related("shift__team")
        .order_by("-occurred_at"),
    }
    return render(request, "patrols/case_detail.html", context)


@require_POST
@login_required
def case_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    case = access(StationCase.objects.all(), request.user, pk, for_write=True)
    if action == "milestone":  # the one form of earlier pages: {"milestone": <its step>}
        action = request.POST.get("milestone", "")
        if action not in MILESTONE_FIELDS:
            messages.error(request, _("未知的节点"))
            return redirect("patrols:case-detail", pk=case.pk)
    if bound := _take_step(request, case_workflow, case, _step_for(case_workflow, action)):
        return case_detail(request, pk, bound=bound)
    return redirect("patrols:case-detail", pk=case.pk)


# --- Cold-wave warnings -------------------------------------------------------------------------


@login_required
def coldwave(request: HttpRequest) -> HttpResponse:
    """Warnings that bear on the user's region, the frequency rules, today's check, and the form to
    set a level (county officials and above)."""
    user = request.user
    can_issue = services.can_issue_cold_warning(user)
    form = forms.ColdWaveForm(request.POST or None, user=user) if can_issue else None
    if request.method == "POST":
        if not can_issue:
            raise PermissionDenied(_("只有县级及以上民政官员可以发布寒潮预警"))
        if form.is_valid():
            try:
                services.cold_warning_issue(actor=user, **form.cleaned_data)
            except ValidationError as exc:
                form.add_service_error(exc)
            else:
                messages.success(request, _("寒潮预警已发布"))
                return redirect("patrols:coldwave")
    warnings = list(ColdWaveWarning.objects.visible_to(user).select_related("region")[:100])
    for warning in warnings:  # 解除 only where the service would let this user lift it
        warning.can_lift = services.can_lift_cold_warning(user, warning)
    code = request.GET.get("region") or user.scope_code
    region = get_visible_or_404(Region.objects.all(), user, code=code) if code else None
    context = {
        "form": form,
        "cap_form": forms.CapUploadForm() if can_issue else None,
        "cap_messages": CapMessage.objects.visible_to(user).select_related("received_by")[:20],
        "region": region,
        "frequency": selectors.patrol_frequency(region.code, timezone.localdate()) if region else None,
        "warnings": warnings,
        "rules": PatrolFrequencyRule.objects.all(),
    }
    return render(request, "patrols/coldwave.html", context)


@require_POST
@login_required
def coldwave_cap(request: HttpRequest) -> HttpResponse:
    """Upload an official CAP 1.2 warning file: applied like one posted to the API
    (cap_messages.cap_receive); what it did per area is shown in the received messages."""
    user = request.user
    if not services.can_issue_cold_warning(user):
        raise PermissionDenied(_("只有县级及以上民政官员可以发布寒潮预警"))
    form = forms.CapUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "；".join(m for errors in form.errors.values() for m in errors))
        return redirect("patrols:coldwave")
    try:
        receipt = cap_messages.cap_receive(actor=user, data=form.cleaned_data["cap_file"].read())
    except (ValidationError, PermissionDenied) as exc:
        text = "；".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        messages.error(request, _("CAP 消息未处理：%(error)s") % {"error": text})
        return redirect("patrols:coldwave")
    summary = receipt.message.outcome_summary
    if not receipt.created:
        summary = _("该消息此前已接收，未重复处理。") + summary
    messages.success(request, summary)
    return redirect("patrols:coldwave")


@require_POST
@login_required
def coldwave_lift(request: HttpRequest, pk: int) -> HttpResponse:
    warning = access(ColdWaveWarning.objects.all(), request.user, pk)
    try:
        services.cold_warning_lift(actor=request.user, warning=warning)
        messages.success(request, _("寒潮预警已解除"))
    except ValidationError as exc:
        _error_message(request, exc)
    return redirect("patrols:coldwave")
