"""Pages of funds: overview with the ledger, allocations, batches, 临时救助 applications, materials.

Every page reads through `visible_to(user)` / `access()` (out of region: 404) and every write needs a
writer role (403); the writes themselves are services. The buttons of a batch or an application are
exactly the steps its workflow (funds/workflows.py) offers the user now, and they all post to one
handler (`_step_post`).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import models, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from funds import forms, selectors, services
from funds.bank_views import allocation_page, bank_context, year_param
from funds.exports import batch_workbook
from funds.models import (
    ApplicationKind,
    ApplicationTransition,
    AppStatus,
    AssistanceApplication,
    BatchStatus,
    DisbursementBatch,
    Stock,
)
from funds.workflows import application_workflow, batch_workflow
from people.models import Household
from relief.idempotency import page_once
from relief.pages import (
    date_param,
    in_region_param,
    local_midnight,
    region_param,
    step_post,
    workflow_buttons,
    xlsx_response,
)
from relief.privacy import id_for, phone_for
from relief.scoping import access, require_writer
from relief.todo.services import answer_from_request

PAGE_SIZE = 50


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """Overview: the ledger of allocated, committed and paid per county and program."""
    year = year_param(request)
    region = region_param(request)
    return render(
        request,
        "funds/index.html",
        {
            "ledger": selectors.ledger(request.user, year, county=region or None),
            "year": year,
            "years": range(year - 2, year + 2),
            "region": region,
        },
    )


# --- allocations ---------------------------------------------------------------------------------


@login_required
def allocation_list(request: HttpRequest) -> HttpResponse:
    form = None
    if request.method == "POST":
        require_writer(request.user)
        form = forms.AllocationForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                services.allocation_create(actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                forms.apply_service_errors(form, exc)
            else:
                messages.success(request, _("资金指标已登记"))
                return redirect("funds:allocation-list")
    return allocation_page(request, form)


# --- batches -------------------------------------------------------------------------------------


@login_required
def batch_list(request: HttpRequest) -> HttpResponse:
    batches = DisbursementBatch.objects.visible_to(request.user).select_related("program", "region")
    status = request.GET.get("status")
    if status in BatchStatus.values:
        batches = batches.filter(status=status)
    page = Paginator(batches, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "funds/batch_list.html", {"page": page, "statuses": BatchStatus.choices})


@login_required
def batch_create(request: HttpRequest) -> HttpResponse:
    require_writer(request.user)
    form = forms.BatchForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        allocation = form.cleaned_data["allocation"]
        try:
            batch = services.batch_generate(
                actor=request.user,
                program=allocation.program,
                allocation=allocation,
                period=form.cleaned_data["period"],
                title=form.cleaned_data["title"],
                pay_by=form.cleaned_data["pay_by"],
            )
        except ValidationError as exc:
            forms.apply_service_errors(form, exc)
        else:
            messages.success(request, _("批次已创建，正在后台生成发放名单"))
            return redirect("funds:batch-detail", pk=batch.pk)
    return render(request, "funds/batch_form.html", {"form": form})


@login_required
def batch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    if request.method == "POST":
        return batch_action(request, pk, request.POST.get("step", ""))
    return _batch_page(request, pk)


def _batch_page(request: HttpRequest, pk: int, bound: dict | None = None) -> HttpResponse:
    batch = access(
        DisbursementBatch.objects.select_related("program", "allocation", "region", "job"), request.user, pk
    )
    payments = batch.payments.visible_to(request.user).order_by("region_id", "id")
    page = Paginator(payments, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [
        {"p": p, "id_number": id_for(request.user, p.id_number), "phone": phone_for(request.user, p.phone)}
        for p in page
    ]
    context = {
        "batch": batch,
        "page": page,
        "rows": rows,
        "transitions": batch.transitions.select_related("actor"),
        "remaining": services.allocation_remaining(batch.allocation),
        "steps": workflow_buttons(batch_workflow, batch, request.user, bound),
    }
    if request.headers.get("HX-Request"):
        if batch.status == BatchStatus.GENERATING:
            return render(request, "funds/_batch_status.html", context)
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"  # generation finished: reload the whole page with its buttons
        return response
    context["history"] = selectors.batch_payment_history(batch, request.user)
    context["bank"] = bank_context(batch, request.user)
    return render(request, "funds/batch_detail.html", context)


@login_required
@require_POST
def batch_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    return step_post(
        request,
        batch_workflow,
        DisbursementBatch,
        pk,
        action,
        page=_batch_page,
        url_name="funds:batch-detail",
    )


@login_required
def batch_export(request: HttpRequest, pk: int) -> HttpResponse:
    batch = access(DisbursementBatch.objects.all(), request.user, pk)
    return xlsx_response(batch_workbook(batch, request.user), f"batch-{batch.pk}.xlsx")


# --- temporary assistance ------------------------------------------------------------------------


@login_required
def application_list(request: HttpRequest) -> HttpResponse:
    apps = in_region_param(
        request, AssistanceApplication.objects.visible_to(request.user).select_related("region")
    )
    status = request.GET.get("status")
    if status in AppStatus.values:
        apps = apps.filter(status=status)
    kind = request.GET.get("kind")
    if kind in ApplicationKind.values:
        apps = apps.filter(kind=kind)
    since = date_param(request, "since")
    if since:
        apps = apps.filter(submitted_at__gte=local_midnight(since))
    if request.GET.get("paid") == "1":  # paid at all: 先行救助 or after approval
        apps = apps.filter(models.Q(emergency_paid_at__isnull=False) | models.Q(paid_at__isnull=False))
    page = Paginator(apps, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "funds/application_list.html",
        {"page": page, "statuses": AppStatus.choices, "since": since, "paid": request.GET.get("paid") == "1"},
    )


@login_required
def application_create(request: HttpRequest) -> HttpResponse:
    """Phone-friendly: one column, numeric keyboards, the essentials first."""
    require_writer(request.user)
    initial = {"kind": ApplicationKind.URGENT, **_applicant_from_register(request)}
    form = forms.ApplicationForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data["amount_requested"] = data.get("amount_requested") or 0

        def save() -> HttpResponse | None:
            try:
                with transaction.atomic():
                    app = services.application_submit(actor=request.user, **data)
                    # filed from a visit need's task (?task=): that task is answered by this filing
                    answer_from_request(
                        actor=request.user,
                        task_id=request.GET.get("task"),
                        note=_("已受理临时救助申请（编号 %(pk)s）") % {"pk": app.pk},
                        kinds={"temp_assistance"},
                        household_id=app.household_id,
                    )
            except ValidationError as exc:
                forms.apply_service_errors(form, exc)
                return None
            messages.success(request, _("申请已受理"))
            return redirect("funds:application-detail", pk=app.pk)

        # a resubmitted form (the same idempotency_key) registers one application
        if (response := page_once(request, save)) is not None:
            return response
    return render(request, "funds/application_form.html", {"form": form})


def _applicant_from_register(request: HttpRequest) -> dict:
    """Initial values of an application for a person on the register (?person=, from a visit
    need's one tap): who, where, how many, and what the visit found."""
    from people.models import Person

    pk = request.GET.get("person", "")
    if not pk.isdigit():
        return {}
    person = Person.objects.visible_to(request.user).select_related("household").filter(pk=int(pk)).first()
    if person is None:
        return {}
    household = person.household
    initial = {
        "applicant_name": person.name,
        # the full number only for a role that sees it (writers do today): never a mask in a form
        "id_number": person.id_number if request.user.sees_personal_data else "",
        "phone": person.phone or household.contact_phone,
        "region": household.region_id,
        "place": household.address,
        "household_size": household.members.filter(active=True).count() or 1,
    }
    task_id = request.GET.get("task", "")
    if task_id.isdigit():
        from relief.models import Task

        task = Task.objects.visible_to(request.user).filter(pk=int(task_id)).first()
        if task is not None and task.detail:
            initial["description"] = task.detail
    return initial


@login_required
def application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    if request.method == "POST":
        return application_action(request, pk, request.POST.get("step", ""))
    return _application_page(request, pk)


def _application_page(request: HttpRequest, pk: int, bound: dict | None = None) -> HttpResponse:
    app = access(
        AssistanceApplication.objects.select_related("region", "household", "person"), request.user, pk
    )
    transitions = ApplicationTransition.objects.filter(application=app).select_related("actor")
    steps = workflow_buttons(application_workflow, app, request.user, bound)
    for step, form in steps:
        if "amount" in form.fields:  # a phone shows its number pad; filled in: asked for, or proposed
            form.fields["amount"].widget.attrs["inputmode"] = "decimal"
            if not form.is_bound:
                form.initial["amount"] = (
                    app.proposed_amount if step.name == "approve" else app.amount_requested or None
                )
    context = {
        "app": app,
        "id_number": id_for(request.user, app.id_number),
        "phone": phone_for(request.user, app.phone),
        "transitions": transitions,
        "deadlines": selectors.application_deadlines(app),
        "steps": steps,
        "history": selectors.application_history(app),
        # the register's household, linked when the reader may open it (the emergency may have
        # happened outside the household's region)
        "household_visible": app.household_id is not None
        and Household.objects.visible_to(request.user).filter(pk=app.household_id).exists(),
    }
    try:
        level_limit = services.township_limit(
            app.region_id, is_urban=services.is_urban_place(app.region_id, app.household)
        )
        context["township_limit"] = level_limit
        context["expense_amount"] = services.expense_amount(app)
    except ValidationError:
        pass
    return render(request, "funds/application_detail.html", context)


@login_required
@require_POST
def application_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    return step_post(
        request,
        application_workflow,
        AssistanceApplication,
        pk,
        action,
        page=_application_page,
        url_name="funds:application-detail",
    )


# --- materials -----------------------------------------------------------------------------------


@login_required
def material_list(request: HttpRequest) -> HttpResponse:
    form = None
    if request.method == "POST":
        require_writer(request.user)
        form = forms.ReceiveForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                services.stock_receive(actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                forms.apply_service_errors(form, exc)
            else:
                messages.success(request, _("已入库"))
                return redirect("funds:material-list")
    if form is None and request.user.can_write:
        form = forms.ReceiveForm(user=request.user)
    stocks = Stock.objects.visible_to(request.user).select_related("warehouse", "item")
    # from a visit need's one tap (?household=&task=): each stock's page opens with them
    carry = urlencode({k: request.GET[k] for k in ("household", "task") if request.GET.get(k, "").isdigit()})
    if carry:
        messages.info(request, _("请选择发放的物资和仓库"))
    return render(request, "funds/material_list.html", {"stocks": stocks, "form": form, "carry": carry})


@login_required
def material_detail(request: HttpRequest, pk: int) -> HttpResponse:
    stock = access(Stock.objects.select_related("warehouse", "item"), request.user, pk)
    form = None
    if request.method == "POST":
        require_writer(request.user)
        form = forms.DistributeForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                with transaction.atomic():
                    services.stock_distribute(actor=request.user, stock=stock, **form.cleaned_data)
                    household = form.cleaned_data.get("household")
                    answer_from_request(
                        actor=request.user,
                        task_id=request.GET.get("task"),
                        note=_("已从库存发放：%(item)s %(qty)s")
                        % {"item": stock.item, "qty": form.cleaned_data["quantity"]},
                        kinds={"material"},
                        household_id=household.pk if household is not None else None,
                    )
            except ValidationError as exc:
                forms.apply_service_errors(form, exc)
            else:
                messages.success(request, _("已发放"))
                return redirect("funds:material-detail", pk=stock.pk)
    if form is None and request.user.can_write:
        pk = request.GET.get("household", "")
        household = Household.objects.visible_to(request.user).filter(pk=pk).first() if pk.isdigit() else None
        form = forms.DistributeForm(user=request.user, household=household)
    movements = stock.movements.select_related("household", "actor")[:200]
    return render(
        request, "funds/material_detail.html", {"stock": stock, "form": form, "movements": movements}
    )
