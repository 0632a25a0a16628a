"""Pages of the emergency plans (应急预案): the plans the user may see, one plan with its document
(downloaded through the scoped, logged file door), its reserves checked against the county's stock
and its drills, and the forms to upload a plan, correct it, set its reserve list and record a drill."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from coldwaves.plan_forms import DrillForm, PlanForm
from coldwaves.plan_models import Drill, EmergencyPlan
from coldwaves.selectors import reserve_check, shortfalls_by_plan
from coldwaves.services import plans as plan_services
from funds.models import MaterialItem
from relief.pages import in_region_param
from relief.scoping import access, in_scope
from relief.uploads import download_url


def _may_edit(user, plan: EmergencyPlan) -> bool:
    """What the services allow, asked the same way for the page's buttons."""
    county_writer = user.is_region_admin or len(user.region_id or "") == 6
    return user.can_write and county_writer and plan.superseded_at is None and in_scope(user, plan.region_id)


def _may_drill(user, plan: EmergencyPlan) -> bool:
    code = plan.region_id if user.is_region_admin else user.region_id or ""
    return (
        user.can_write
        and plan.superseded_at is None
        and len(code) in (6, 9)
        and code.startswith(plan.region_id)
    )


@login_required
def plans(request: HttpRequest) -> HttpResponse:
    """The plans the user may see (current ones; `?all=1` with the superseded), with how many
    reserve lines fall short."""
    show_all = request.GET.get("all") == "1"
    qs = in_region_param(request, EmergencyPlan.objects.visible_to(request.user)).select_related("region")
    if not show_all:
        qs = qs.current()
    rows = list(qs.order_by("region_id", "-approved_on", "-id")[:200])
    short = shortfalls_by_plan([p.pk for p in rows])
    today = timezone.localdate()
    for plan in rows:
        plan.short_lines = short.get(plan.pk, 0)
        plan.in_force = plan.in_force_on(today)
    may_create = request.user.can_write and (
        request.user.is_region_admin or len(request.user.region_id or "") == 6
    )
    return render(
        request,
        "coldwaves/plans/list.html",
        {"plans": rows, "show_all": show_all, "may_create": may_create},
    )


@login_required
def plan(request: HttpRequest, pk: int) -> HttpResponse:
    p = access(EmergencyPlan.objects.all(), request.user, pk, related=("region", "created_by"))
    return _plan_page(request, p, DrillForm())


def _plan_page(
    request: HttpRequest, p: EmergencyPlan, drill_form: DrillForm, status: int = 200
) -> HttpResponse:
    reserves = reserve_check(p)
    drills = Drill.objects.visible_to(request.user).filter(plan=p).select_related("region", "created_by")
    return render(
        request,
        "coldwaves/plans/detail.html",
        {
            "plan": p,
            "document_url": download_url(p, "document"),
            "reserves": reserves,
            "short_lines": sum(1 for r in reserves if r.shortfall > 0),
            "drills": drills,
            "drill_form": drill_form,
            "in_force": p.in_force_on(),
            "may_edit": _may_edit(request.user, p),
            "may_drill": _may_drill(request.user, p),
        },
        status=status,
    )


@login_required
def plan_new(request: HttpRequest) -> HttpResponse:
    if not request.user.can_write:
        raise PermissionDenied(_("您的角色只能查看，不能修改记录"))
    form = PlanForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            p = plan_services.plan_create(
                actor=request.user,
                region=data["region"],
                title=data["title"],
                document=data["document"],
                approved_on=data["approved_on"],
                valid_until=data["valid_until"],
                note=data["note"],
            )
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("应急预案已上传：%(title)s") % {"title": p.title})
            return redirect(p)
    return render(
        request,
        "coldwaves/plans/form.html",
        {"form": form, "plan": None},
        status=400 if form.errors else 200,
    )


@login_required
def plan_edit(request: HttpRequest, pk: int) -> HttpResponse:
    p = access(EmergencyPlan.objects.all(), request.user, pk, for_write=True)
    initial = {"title": p.title, "approved_on": p.approved_on, "valid_until": p.valid_until, "note": p.note}
    form = PlanForm(
        request.POST or None, request.FILES or None, user=request.user, editing=True, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            plan_services.plan_update(
                actor=request.user,
                plan=p,
                title=data["title"],
                approved_on=data["approved_on"],
                valid_until=data["valid_until"],
                note=data["note"],
                document=data["document"] or None,
            )
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("应急预案已更新"))
            return redirect(p)
    return render(
        request, "coldwaves/plans/form.html", {"form": form, "plan": p}, status=400 if form.errors else 200
    )


@login_required
def plan_reserves(request: HttpRequest, pk: int) -> HttpResponse:
    """The reserve list: one quantity per material item (blank or 0: not required)."""
    p = access(EmergencyPlan.objects.all(), request.user, pk, for_write=True)
    items = list(MaterialItem.objects.visible_to(request.user).filter(active=True).order_by("id"))
    current = {r.item_id: r.required for r in p.reserves.all()}
    errors: list[str] = []
    if request.method == "POST":
        lines = {item.pk: request.POST.get(f"qty_{item.pk}", "") for item in items}
        try:
            plan_services.reserves_set(actor=request.user, plan=p, lines=lines)
        except ValidationError as exc:
            errors = exc.messages
            current = {item.pk: lines[item.pk] for item in items}
        else:
            messages.success(request, _("物资储备清单已保存"))
            return redirect(p)
    rows = [(item, current.get(item.pk, "")) for item in items]
    return render(
        request,
        "coldwaves/plans/reserves.html",
        {"plan": p, "rows": rows, "errors": errors},
        status=400 if errors else 200,
    )


@login_required
@require_POST
def plan_drill(request: HttpRequest, pk: int) -> HttpResponse:
    p = access(EmergencyPlan.objects.all(), request.user, pk, for_write=True, related=("region",))
    form = DrillForm(request.POST)
    if form.is_valid():
        try:
            plan_services.drill_record(actor=request.user, plan=p, **form.cleaned_data)
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("演练记录已保存"))
            return redirect(p)
    return _plan_page(request, p, form, status=400)
