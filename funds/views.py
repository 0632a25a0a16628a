"""Pages of funds: overview with the ledger, allocations, batches, 临时救助 applications, materials.

Every page reads through `visible_to(user)` / `get_visible_or_404` (out of region: 404) and every
write needs a writer role (`require_writer`: 403); the writes themselves are services.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from funds import forms, selectors, services
from funds.api import xlsx_response
from funds.exports import batch_workbook
from funds.models import (
    Allocation,
    ApplicationKind,
    ApplicationTransition,
    AppStatus,
    AssistanceApplication,
    BatchStatus,
    DisbursementBatch,
    Stock,
)
from people.privacy import id_for, phone_for
from relief.scoping import get_visible_or_404, require_writer

PAGE_SIZE = 50


def _year(request: HttpRequest) -> int:
    try:
        return int(request.GET.get("year") or timezone.localdate().year)
    except ValueError:
        return timezone.localdate().year


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """Overview: the ledger of allocated, committed and paid per county and program."""
    year = _year(request)
    return render(
        request,
        "funds/index.html",
        {"ledger": selectors.ledger(request.user, year), "year": year, "years": range(year - 2, year + 2)},
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
    if form is None and request.user.can_write:
        form = forms.AllocationForm(user=request.user)
    year = _year(request)
    allocations = (
        Allocation.objects.visible_to(request.user).filter(year=year).select_related("program", "region")
    )
    return render(
        request, "funds/allocation_list.html", {"allocations": allocations, "form": form, "year": year}
    )


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
    batch = get_visible_or_404(
        DisbursementBatch.objects.select_related("program", "allocation", "region", "job"),
        request.user,
        pk=pk,
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
        "comment_form": forms.CommentForm(),
    }
    if request.headers.get("HX-Request"):
        if batch.status == BatchStatus.GENERATING:
            return render(request, "funds/_batch_status.html", context)
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"  # generation finished: reload the whole page with its buttons
        return response
    context["history"] = selectors.batch_payment_history(batch, request.user)
    return render(request, "funds/batch_detail.html", context)


BATCH_ACTIONS = {
    "review": (services.batch_review, gettext_lazy("批次已审核")),
    "approve": (services.batch_approve, gettext_lazy("批次已审批")),
    "pay": (services.batch_mark_paid, gettext_lazy("已登记发放")),
    "cancel": (services.batch_cancel, gettext_lazy("批次已作废")),
}


@login_required
@require_POST
def batch_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    if action not in BATCH_ACTIONS:
        raise Http404
    require_writer(request.user)
    batch = get_visible_or_404(DisbursementBatch.objects.all(), request.user, pk=pk)
    service, done = BATCH_ACTIONS[action]
    form = forms.CommentForm(request.POST)
    form.is_valid()
    try:
        service(actor=request.user, batch=batch, comment=form.cleaned_data.get("comment", ""))
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, done)
    return redirect("funds:batch-detail", pk=batch.pk)


@login_required
def batch_export(request: HttpRequest, pk: int) -> HttpResponse:
    batch = get_visible_or_404(DisbursementBatch.objects.all(), request.user, pk=pk)
    return xlsx_response(batch_workbook(batch, request.user), f"batch-{batch.pk}.xlsx")


# --- temporary assistance ------------------------------------------------------------------------


@login_required
def application_list(request: HttpRequest) -> HttpResponse:
    apps = AssistanceApplication.objects.visible_to(request.user).select_related("region")
    status = request.GET.get("status")
    if status in AppStatus.values:
        apps = apps.filter(status=status)
    page = Paginator(apps, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "funds/application_list.html", {"page": page, "statuses": AppStatus.choices})


@login_required
def application_create(request: HttpRequest) -> HttpResponse:
    """Phone-friendly: one column, numeric keyboards, the essentials first."""
    require_writer(request.user)
    form = forms.ApplicationForm(
        request.POST or None, user=request.user, initial={"kind": ApplicationKind.URGENT}
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data["amount_requested"] = data.get("amount_requested") or 0
        try:
            app = services.application_submit(actor=request.user, **data)
        except ValidationError as exc:
            forms.apply_service_errors(form, exc)
        else:
            messages.success(request, _("申请已受理"))
            return redirect("funds:application-detail", pk=app.pk)
    return render(request, "funds/application_form.html", {"form": form})


@login_required
def application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    app = get_visible_or_404(
        AssistanceApplication.objects.select_related("region", "household", "person"), request.user, pk=pk
    )
    transitions = ApplicationTransition.objects.filter(application=app).select_related("actor")
    context = {
        "app": app,
        "id_number": id_for(request.user, app.id_number),
        "phone": phone_for(request.user, app.phone),
        "transitions": transitions,
        "deadlines": selectors.application_deadlines(app),
        "steps": _available_steps(app),
        "history": selectors.application_history(app),
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


APP_ACTIONS = {
    # action: (service, form class, label, statuses where it is offered)
    "emergency-pay": (
        services.application_emergency_pay,
        forms.AmountForm,
        gettext_lazy("先行救助"),
        [AppStatus.SUBMITTED],
    ),
    "review": (
        services.application_review,
        forms.AmountForm,
        gettext_lazy("乡镇审核"),
        [AppStatus.SUBMITTED, AppStatus.EMERGENCY_PAID],
    ),
    "notice-start": (
        services.application_notice_start,
        forms.CommentForm,
        gettext_lazy("开始公示"),
        [AppStatus.REVIEWED],
    ),
    "objection": (
        services.application_objection,
        forms.CommentForm,
        gettext_lazy("登记公示异议"),
        [AppStatus.NOTICE],
    ),
    "notice-close": (
        services.application_notice_close,
        forms.CommentForm,
        gettext_lazy("结束公示"),
        [AppStatus.NOTICE],
    ),
    "approve": (
        services.application_approve,
        forms.AmountForm,
        gettext_lazy("审批"),
        [AppStatus.REVIEWED, AppStatus.NOTICE_DONE],
    ),
    "pay": (services.application_pay, forms.CommentForm, gettext_lazy("登记发放"), [AppStatus.APPROVED]),
    "reject": (
        services.application_reject,
        forms.ReasonForm,
        gettext_lazy("不予救助"),
        [
            AppStatus.SUBMITTED,
            AppStatus.EMERGENCY_PAID,
            AppStatus.REVIEWED,
            AppStatus.NOTICE,
            AppStatus.NOTICE_DONE,
        ],
    ),
}


def _available_steps(app: AssistanceApplication) -> list[dict]:
    steps = []
    for name, (_service, form_class, label, statuses) in APP_ACTIONS.items():
        if app.status not in statuses:
            continue
        if name == "emergency-pay" and app.kind != ApplicationKind.URGENT:
            continue
        if name == "approve" and app.kind == ApplicationKind.EXPENSE and app.status != AppStatus.NOTICE_DONE:
            continue
        if name == "notice-start" and app.kind != ApplicationKind.EXPENSE:
            continue
        initial = {}
        if form_class is forms.AmountForm:
            initial["amount"] = app.proposed_amount if name == "approve" else app.amount_requested or None
        steps.append({"name": name, "label": label, "form": form_class(initial=initial, prefix=name)})
    return steps


@login_required
@require_POST
def application_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    if action not in APP_ACTIONS:
        raise Http404
    require_writer(request.user)
    app = get_visible_or_404(AssistanceApplication.objects.all(), request.user, pk=pk)
    service, form_class, label, _statuses = APP_ACTIONS[action]
    form = form_class(request.POST, prefix=action)
    if not form.is_valid():
        messages.error(request, _("%(step)s：请检查填写内容") % {"step": label})
        return redirect("funds:application-detail", pk=app.pk)
    try:
        service(actor=request.user, application=app, **form.cleaned_data)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, _("%(step)s：已办理") % {"step": label})
    return redirect("funds:application-detail", pk=app.pk)


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
    return render(request, "funds/material_list.html", {"stocks": stocks, "form": form})


@login_required
def material_detail(request: HttpRequest, pk: int) -> HttpResponse:
    stock = get_visible_or_404(Stock.objects.select_related("warehouse", "item"), request.user, pk=pk)
    form = None
    if request.method == "POST":
        require_writer(request.user)
        form = forms.DistributeForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                services.stock_distribute(actor=request.user, stock=stock, **form.cleaned_data)
            except ValidationError as exc:
                forms.apply_service_errors(form, exc)
            else:
                messages.success(request, _("已发放"))
                return redirect("funds:material-detail", pk=stock.pk)
    if form is None and request.user.can_write:
        form = forms.DistributeForm(user=request.user)
    movements = stock.movements.select_related("household", "actor")[:200]
    return render(
        request, "funds/material_detail.html", {"stock": stock, "form": form, "movements": movements}
    )
