"""Pages of recovery (追回): the list (open first, with deadlines), a recovery's page with its returns
and the forms to record money back, write it off (county) or cancel it, and the registration form,
opened pre-filled from a payment line or an application (`?payment=` / `?application=`, and the alert
it answers, `&alert=`). Every money step asks first (data-confirm) with the amount."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Case, IntegerField, Value, When
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from funds import services
from funds.models import AssistanceApplication, DisbursementBatch, Payment
from funds.recovery_models import OPEN_STATES, Recovery, RecoveryReason, RecoveryState
from relief.forms import kept_input
from relief.idempotency import page_once
from relief.scoping import access, require_writer


def _errors(request: HttpRequest, exc: ValidationError) -> None:
    for message in exc.messages[:20]:
        messages.error(request, message)


@login_required
def recovery_list(request: HttpRequest) -> HttpResponse:
    rows = (
        Recovery.objects.visible_to(request.user)
        .select_related("region", "program")
        .annotate(
            open_first=Case(
                When(state__in=OPEN_STATES, then=Value(0)), default=Value(1), output_field=IntegerField()
            )
        )
        .order_by("open_first", "due_on", "-id")
    )
    state = request.GET.get("state", "")
    if state in RecoveryState.values:
        rows = rows.filter(state=state)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "funds/recovery_list.html",
        {"page": page, "states": RecoveryState.choices, "state": state, "today": datetime.date.today()},
    )


@login_required
def recovery_detail(request: HttpRequest, pk: int, kept: dict | None = None) -> HttpResponse:
    """`kept`: what a step's form posted when it answered an error (the page drawn again with it)."""
    recovery = access(
        Recovery.objects.select_related("region", "program", "payment__batch", "application", "household"),
        request.user,
        pk,
    )
    return render(
        request,
        "funds/recovery_detail.html",
        {
            "r": recovery,
            "returns": list(recovery.returns.order_by("returned_on", "id")),
            "may_write": request.user.can_write,
            "kept": kept,
            # the batch or application paid: linked when the reader may open it (a village sees
            # its household's recovery, not the county's batch)
            "source_visible": (
                DisbursementBatch.objects.visible_to(request.user).filter(pk=recovery.payment.batch_id)
                if recovery.payment_id
                else AssistanceApplication.objects.visible_to(request.user).filter(pk=recovery.application_id)
            ).exists(),
        },
    )


@login_required
def recovery_create(request: HttpRequest) -> HttpResponse:
    require_writer(request.user)
    source = request.POST if request.method == "POST" else request.GET
    payment = application = None
    if source.get("payment", "").isdigit():
        payment = access(
            Payment.objects.select_related("batch", "person"), request.user, int(source["payment"])
        )
    elif source.get("application", "").isdigit():
        application = access(AssistanceApplication.objects.all(), request.user, int(source["application"]))
    else:
        messages.error(request, _("请从发放明细或临时救助申请登记追回"))
        return redirect("funds:recovery-list")
    if request.method == "POST":

        def run() -> HttpResponse | None:
            try:
                recovery = services.recovery_open(
                    actor=request.user,
                    payment=payment,
                    application=application,
                    reason=request.POST.get("reason", ""),
                    amount=request.POST.get("amount", ""),
                    detail=request.POST.get("detail", ""),
                )
            except ValidationError as exc:
                _errors(request, exc)
                return None
            messages.success(request, _("已登记追回"))
            return redirect("funds:recovery-detail", pk=recovery.pk)

        done = page_once(request, run)
        if done is not None:
            return done
    paid = (
        payment.amount
        if payment
        else (application.total_amount if application.status == "paid" else application.emergency_amount)
    )
    return render(
        request,
        "funds/recovery_form.html",
        {
            "payment": payment,
            "application": application,
            "paid": paid,
            "reasons": RecoveryReason.choices,
            "reason": source.get("reason", ""),
            "kept": kept_input(request, "create") if request.method == "POST" else None,
            "alert": source.get("alert", "") if source.get("alert", "").isdigit() else "",
        },
    )


@login_required
@require_POST
def recovery_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    recovery = access(Recovery.objects.all(), request.user, pk, for_write=True)
    try:
        if action == "return":
            day = request.POST.get("returned_on", "")
            try:
                returned_on = datetime.date.fromisoformat(day) if day else None
            except ValueError:
                raise ValidationError(_("退回日期格式不正确")) from None
            services.recovery_return(
                actor=request.user,
                recovery=recovery,
                amount=request.POST.get("amount", ""),
                returned_on=returned_on,
                receipt=request.POST.get("receipt", ""),
                note=request.POST.get("note", ""),
            )
            messages.success(request, _("已登记退回"))
        elif action == "waive":
            services.recovery_waive(
                actor=request.user, recovery=recovery, reason=request.POST.get("reason", "")
            )
            messages.success(request, _("已核销"))
        elif action == "cancel":
            services.recovery_cancel(
                actor=request.user, recovery=recovery, reason=request.POST.get("reason", "")
            )
            messages.success(request, _("已撤销"))
        else:
            raise PermissionDenied
    except ValidationError as exc:
        _errors(request, exc)
        return recovery_detail(request, pk, kept=kept_input(request, action))
    return redirect("funds:recovery-detail", pk=recovery.pk)
