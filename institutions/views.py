"""Pages: institution registry, inspection form, hazard ledger and hazard detail. Every lookup goes
through `access` / `visible_to` (out of region: 404); every write needs a writer role (403) and goes
through institutions/services.py or the hazard workflow (institutions/workflows.py), whose
declaration alone decides which step buttons a hazard shows."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from institutions import services
from institutions.exports import hazard_ledger_xlsx
from institutions.filters import HazardFilter, InstitutionFilter
from institutions.forms import QUICK_STEPS, InspectionForm, InstitutionForm, hazard_step_form
from institutions.models import (
    PENDING_STATES,
    ChecklistTemplate,
    Hazard,
    HazardSeverity,
    HazardState,
    Inspection,
    Institution,
)
from institutions.workflows import hazard_workflow
from relief.pages import xlsx_response
from relief.scoping import access, require_writer

PAGE_SIZE = 50


def _errors(request: HttpRequest, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


def _query(request: HttpRequest) -> str:
    """The current filters without the page number, for pager and export links."""
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def _apply_to_form(form, exc: ValidationError) -> None:
    """Show a service's ValidationError on the form (by field where the field exists)."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


# --- Institutions ----------------------------------------------------------------------------------


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """The institution registry (list)."""
    today = timezone.localdate()
    qs = (
        Institution.objects.visible_to(request.user)
        .select_related("region")
        .annotate(
            open_hazards=Count("hazards", filter=~Q(hazards__state=HazardState.CLOSED)),
            overdue_hazards=Count(
                "hazards", filter=Q(hazards__state__in=PENDING_STATES, hazards__deadline__lt=today)
            ),
        )
        .order_by("region_id", "name")
    )
    filterset = InstitutionFilter(request.GET, queryset=qs)
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "institutions/institution_list.html",
        {"filter": filterset, "page": page, "query": _query(request), "tab": "institutions"},
    )


@login_required
def institution_create(request: HttpRequest) -> HttpResponse:
    require_writer(request.user)
    form = InstitutionForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            institution = services.institution_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _apply_to_form(form, exc)
        else:
            messages.success(request, _("已登记机构“%(name)s”") % {"name": institution.name})
            return redirect("institutions:institution-detail", pk=institution.pk)
    return render(
        request,
        "institutions/institution_form.html",
        {"form": form, "institution": None, "tab": "institutions"},
    )


@login_required
def institution_edit(request: HttpRequest, pk: int) -> HttpResponse:
    institution = access(Institution.objects.all(), request.user, pk, for_write=True)
    form = InstitutionForm(request.POST or None, instance=institution, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.institution_update(actor=request.user, institution=institution, **form.cleaned_data)
        except ValidationError as exc:
            _apply_to_form(form, exc)
        else:
            messages.success(request, _("已保存"))
            return redirect("institutions:institution-detail", pk=institution.pk)
    return render(
        request,
        "institutions/institution_form.html",
        {"form": form, "institution": institution, "tab": "institutions"},
    )


@login_required
def institution_detail(request: HttpRequest, pk: int) -> HttpResponse:
    institution = access(Institution.objects.select_related("region"), request.user, pk)
    inspections = (
        institution.inspections.select_related("inspector", "template")
        .annotate(failed=Count("results", filter=Q(results__result="fail")))
        .order_by("-date", "-id")[:20]
    )
    hazards = institution.hazards.select_related("owner").order_by("state", "deadline")
    hazards = [h for h in hazards if h.state != HazardState.CLOSED] + [
        h for h in hazards if h.state == HazardState.CLOSED
    ][:10]
    return render(
        request,
        "institutions/institution_detail.html",
        {"institution": institution, "inspections": inspections, "hazards": hazards, "tab": "institutions"},
    )


# --- Inspections ---------------------------------------------------------------------------------


def _template_for(request: HttpRequest) -> ChecklistTemplate:
    active = ChecklistTemplate.objects.filter(is_active=True)
    pk = request.POST.get("template") or request.GET.get("template")
    if pk:
        try:
            return get_object_or_404(active, pk=int(pk))
        except ValueError:
            raise Http404 from None
    template = active.order_by("-created_at", "-id").first()
    if template is None:
        raise Http404(_("没有启用中的检查清单，请管理员在系统管理中设置"))
    return template


@login_required
def inspection_create(request: HttpRequest, pk: int) -> HttpResponse:
    institution = access(Institution.objects.select_related("region"), request.user, pk, for_write=True)
    template = _template_for(request)
    form = InspectionForm(request.POST or None, request.FILES or None, items=list(template.items.all()))
    if request.method == "POST" and form.is_valid():
        try:
            inspection = services.inspection_record(
                actor=request.user,
                institution=institution,
                template=template,
                date=form.cleaned_data["date"],
                note=form.cleaned_data["note"],
                results=form.result_inputs(),
            )
        except ValidationError as exc:
            _apply_to_form(form, exc)
        else:
            raised = inspection.hazards.count()
            messages.success(
                request,
                _("检查已保存，登记隐患 %(n)d 条") % {"n": raised} if raised else _("检查已保存，未发现隐患"),
            )
            return redirect("institutions:inspection-detail", pk=inspection.pk)
    return render(
        request,
        "institutions/inspection_form.html",
        {
            "institution": institution,
            "template": template,
            "templates": ChecklistTemplate.objects.filter(is_active=True),
            "form": form,
            "tab": "institutions",
        },
    )


@login_required
def inspection_detail(request: HttpRequest, pk: int) -> HttpResponse:
    inspection = access(
        Inspection.objects.select_related("institution__region", "inspector", "template"), request.user, pk
    )
    results = inspection.results.select_related("item", "hazard")
    return render(
        request,
        "institutions/inspection_detail.html",
        {"inspection": inspection, "results": results, "tab": "institutions"},
    )


# --- Hazards -----------------------------------------------------------------------------------


def _ledger(request: HttpRequest) -> HazardFilter:
    qs = Hazard.objects.visible_to(request.user).for_ledger()
    return HazardFilter(request.GET, queryset=qs, request=request)


@login_required
def hazard_list(request: HttpRequest) -> HttpResponse:
    """The hazard ledger (隐患台账), overdue rows first within the chosen filter. Each row offers the
    one-click steps the user may take now (the others link to the detail page)."""
    filterset = _ledger(request)
    qs = filterset.qs.order_by("deadline", "id")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    for hazard in page.object_list:
        hazard.steps = hazard_workflow.available(hazard, request.user)
    base = Hazard.objects.visible_to(request.user)
    counts = {
        "open": base.exclude(state=HazardState.CLOSED).count(),
        "overdue": base.overdue().count(),
        "major_open": base.exclude(state=HazardState.CLOSED).filter(severity=HazardSeverity.MAJOR).count(),
    }
    return render(
        request,
        "institutions/hazard_list.html",
        {
            "filter": filterset,
            "page": page,
            "counts": counts,
            "quick_steps": QUICK_STEPS,
            "query": _query(request),
            "tab": "hazards",
        },
    )


@login_required
def hazard_export(request: HttpRequest) -> HttpResponse:
    """The ledger as an Excel file, same filters as the page, only what the user can see."""
    filterset = _ledger(request)
    content = hazard_ledger_xlsx(filterset.qs.order_by("institution__region_id", "deadline", "id"))
    return xlsx_response(content, f"hazard-ledger-{timezone.localdate():%Y%m%d}.xlsx")


def _hazard_for_page(user, pk: int) -> Hazard:
    related = (
        "institution__region",
        "owner",
        "verified_by",
        "closed_by",
        "inspection",
        "extension_requested_by",
    )
    return access(Hazard.objects.prefetch_related("criteria"), user, pk, related=related)


@login_required
def hazard_detail(request: HttpRequest, pk: int) -> HttpResponse:
    hazard = _hazard_for_page(request.user, pk)
    return _render_hazard(request, hazard)


def _render_hazard(request: HttpRequest, hazard: Hazard, bound: dict | None = None) -> HttpResponse:
    """The buttons are exactly the steps the user may take now (hazard_workflow.available)."""
    bound = bound or {}
    steps = [
        (step, bound.get(step.name) or hazard_step_form(step, hazard, request.user))
        for step in hazard_workflow.available(hazard, request.user)
    ]
    transitions = hazard.transitions.select_related("actor")
    return render(
        request,
        "institutions/hazard_detail.html",
        {"hazard": hazard, "steps": steps, "transitions": transitions, "tab": "hazards"},
        status=400 if bound else 200,
    )


@login_required
@require_POST
def hazard_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Take one step from the detail page (or a one-click button of the ledger)."""
    hazard = access(Hazard.objects.select_related("institution"), request.user, pk, for_write=True)
    if action not in hazard_workflow.steps:
        raise Http404
    step = hazard_workflow.step(action)
    form = hazard_step_form(step, hazard, request.user, request.POST, request.FILES)
    if not form.is_valid():
        return _render_hazard(request, _hazard_for_page(request.user, pk), bound={action: form})
    try:
        hazard_workflow.run(action, actor=request.user, obj=hazard, **form.cleaned_data)
    except ValidationError as exc:
        _errors(request, exc)
        _apply_to_form(form, exc)
        return _render_hazard(request, _hazard_for_page(request.user, pk), bound={action: form})
    messages.success(request, _("已办理：%(action)s") % {"action": step.label})
    nxt = request.POST.get("next", "")
    if nxt and url_has_allowed_host_and_scheme(nxt, {request.get_host()}, request.is_secure()):
        return redirect(nxt)
    return redirect("institutions:hazard-detail", pk=hazard.pk)
