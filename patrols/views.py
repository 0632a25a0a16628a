"""Pages of the patrols app. Every record is fetched through `visible_to` (outside the region: 404);
every write needs a writer role (403) and goes through one service."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from patrols import forms, selectors, services
from patrols.models import (
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
from relief.models import Region
from relief.scoping import get_visible_or_404, require_writer


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
    if request.GET.get("night") == "1":
        shifts = shifts.filter(is_night=True)
    return render(request, "patrols/shift_list.html", {"page": _page(request, shifts)})


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
    shift = get_visible_or_404(PatrolShift.objects.select_related("team"), request.user, pk=pk)
    encounters = Encounter.objects.filter(shift=shift).order_by("-occurred_at")
    members = shift.members_present.all()
    return render(
        request,
        "patrols/shift_detail.html",
        {"shift": shift, "encounters": encounters, "members": members},
    )


@require_POST
@writer_required
def shift_end(request: HttpRequest, pk: int) -> HttpResponse:
    shift = get_visible_or_404(PatrolShift.objects.all(), request.user, pk=pk)
    try:
        services.shift_end(actor=request.user, shift=shift)
        messages.success(request, _("班次已结束"))
    except ValidationError as exc:
        _error_message(request, exc)
    return redirect("patrols:shift-detail", pk=shift.pk)


@writer_required
def encounter_create(request: HttpRequest, pk: int) -> HttpResponse:
    """The phone form: a patrol member records a person met during the shift."""
    shift = get_visible_or_404(PatrolShift.objects.select_related("team"), request.user, pk=pk)
    stocks = selectors.encounter_stock_choices(request.user, shift)
    form = forms.EncounterForm(request.POST or None, stocks=stocks)
    if request.method == "POST" and form.is_valid():
        try:
            services.encounter_record(actor=request.user, shift=shift, **form.service_kwargs())
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("救助记录已保存"))
            if "another" in request.POST:
                return redirect("patrols:encounter-create", pk=shift.pk)
            return redirect("patrols:shift-detail", pk=shift.pk)
    return render(request, "patrols/encounter_form.html", {"form": form, "shift": shift})


@login_required
def encounter_detail(request: HttpRequest, pk: int) -> HttpResponse:
    encounter = get_visible_or_404(
        selectors.with_stock_materials(Encounter.objects.select_related("shift__team")), request.user, pk=pk
    )
    return render(request, "patrols/encounter_detail.html", {"encounter": encounter})


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
        try:
            clue = services.clue_report(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("线索已登记"))
            return redirect("patrols:clue-detail", pk=clue.pk)
    return render(request, "patrols/form.html", {"form": form, "title": _("登记救助线索")})


@login_required
def clue_detail(request: HttpRequest, pk: int) -> HttpResponse:
    clue = get_visible_or_404(Clue.objects.select_related("team"), request.user, pk=pk)
    context = {"clue": clue, "events": clue.events.select_related("actor")}
    if request.user.can_write:
        context |= {
            "dispatch_form": forms.DispatchForm(user=request.user, initial={"team": clue.team_id}),
            "respond_form": forms.RespondForm(),
            "close_form": forms.CloseForm(),
        }
    return render(request, "patrols/clue_detail.html", context)


CLUE_ACTIONS = {
    "dispatch": (forms.DispatchForm, services.clue_dispatch, True),
    "respond": (forms.RespondForm, services.clue_respond, False),
    "close": (forms.CloseForm, services.clue_close, False),
}


@require_POST
@writer_required
def clue_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    clue = get_visible_or_404(Clue.objects.all(), request.user, pk=pk)
    if action not in CLUE_ACTIONS:
        raise PermissionDenied
    form_class, service, needs_user = CLUE_ACTIONS[action]
    form = form_class(request.POST, user=request.user) if needs_user else form_class(request.POST)
    if not form.is_valid():
        messages.error(request, "；".join(e for errors in form.errors.values() for e in errors))
        return redirect("patrols:clue-detail", pk=clue.pk)
    data = {k: v for k, v in form.cleaned_data.items() if v is not None}
    try:
        service(actor=request.user, clue=clue, **data)
        messages.success(request, _("已保存"))
    except ValidationError as exc:
        _error_message(request, exc)
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
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_visible_or_404(StationCase.objects.all(), request.user, pk=pk)
    context = {
        "case": case,
        "milestones": selectors.case_milestones(case),
        "events": case.events.select_related("actor"),
    }
    if request.user.can_write and case.is_open:
        context |= {
            "identify_form": forms.IdentifyForm(initial={"person_name": case.person_name}),
            "milestone_form": forms.MilestoneForm(),
            "exit_form": forms.ExitForm(),
            "settle_form": forms.SettleForm(),
        }
    return render(request, "patrols/case_detail.html", context)


CASE_ACTIONS = {
    "hospitalize": (forms.CommentForm, services.station_case_hospitalize),
    "admit": (forms.CommentForm, services.station_case_admit),
    "long-term": (forms.CommentForm, services.station_case_long_term),
    "identify": (forms.IdentifyForm, services.station_case_identify),
    "milestone": (forms.MilestoneForm, services.station_case_record_milestone),
    "exit": (forms.ExitForm, services.station_case_exit),
    "settle": (forms.SettleForm, services.station_case_settle),
}


@require_POST
@writer_required
def case_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    case = get_visible_or_404(StationCase.objects.all(), request.user, pk=pk)
    if action not in CASE_ACTIONS:
        raise PermissionDenied
    form_class, service = CASE_ACTIONS[action]
    form = form_class(request.POST)
    if not form.is_valid():
        messages.error(request, "；".join(e for errors in form.errors.values() for e in errors))
        return redirect("patrols:case-detail", pk=case.pk)
    data = {k: v for k, v in form.cleaned_data.items() if v is not None}
    try:
        service(actor=request.user, case=case, **data)
        messages.success(request, _("已保存"))
    except ValidationError as exc:
        _error_message(request, exc)
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
    code = request.GET.get("region") or user.scope_code
    region = get_visible_or_404(Region.objects.all(), user, code=code) if code else None
    context = {
        "form": form,
        "region": region,
        "frequency": selectors.patrol_frequency(region.code, timezone.localdate()) if region else None,
        "warnings": ColdWaveWarning.objects.visible_to(user).select_related("region")[:100],
        "rules": PatrolFrequencyRule.objects.all(),
    }
    return render(request, "patrols/coldwave.html", context)


@require_POST
@login_required
def coldwave_lift(request: HttpRequest, pk: int) -> HttpResponse:
    warning = get_visible_or_404(ColdWaveWarning.objects.all(), request.user, pk=pk)
    try:
        services.cold_warning_lift(actor=request.user, warning=warning)
        messages.success(request, _("寒潮预警已解除"))
    except ValidationError as exc:
        _error_message(request, exc)
    return redirect("patrols:coldwave")
