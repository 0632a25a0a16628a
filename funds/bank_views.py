"""Pages of the bank's part of a batch (the bank file, the return file, the follow-up batch) and of
an allocation's correction and cancellation. Each posts from the batch or allocation page, calls
one service, and goes back with a message; every one asks first (data-confirm) with the amount and
the number of people."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from funds import forms, selectors, services
from funds.bank_api import bank_file_response
from funds.models import Allocation, DisbursementBatch
from people.payment_accounts import AgentBank
from relief.forms import kept_input
from relief.idempotency import page_once
from relief.pages import in_region_param
from relief.scoping import access


def bank_context(batch: DisbursementBatch, user) -> dict:
    """What the batch page shows of the bank: totals by state, the agent banks of its lines (one
    file each), whether this user may download, import and re-issue, and its follow-up batches."""
    from funds.models import BankState, Payment
    from funds.services.bank import BANK_STATES
    from relief.workflow import county_or_above

    totals = selectors.bank_totals(batch)
    codes = set(
        Payment.objects.visible_to(user)
        .filter(batch=batch, bank_state=BankState.PENDING)
        .values_list("account__bank", flat=True)
    )
    labels = dict(AgentBank.choices)
    may_write = bool(user.can_write and not county_or_above(user) and batch.status in BANK_STATES)
    return {
        "totals": totals,
        "banks": [(c, labels[c]) for c in AgentBank.values if c in codes],
        "no_account": None in codes,
        "may_download": services.bank_file_refusal(user, batch) is None,
        "may_import": may_write,
        "to_reissue": may_write and totals["failed"]["count"] > totals["reissued"],
        "follow_ups": list(batch.follow_ups.order_by("id")),
    }


def _errors(request: HttpRequest, exc: ValidationError) -> None:
    for message in exc.messages[:20]:
        messages.error(request, message)


@login_required
@require_POST
def batch_bank_file(request: HttpRequest, pk: int) -> HttpResponse:
    batch = access(DisbursementBatch.objects.select_related("program"), request.user, pk)
    bank = request.POST.get("bank", "")
    fmt = "csv" if request.POST.get("format") == "csv" else "xlsx"
    if bank and bank not in AgentBank.values:
        bank = ""
    services.bank_file_log(actor=request.user, batch=batch, bank=bank, fmt=fmt)  # 403 for others
    return bank_file_response(batch, bank, fmt)


@login_required
@require_POST
def batch_bank_return(request: HttpRequest, pk: int) -> HttpResponse:
    batch = access(DisbursementBatch.objects.all(), request.user, pk, for_write=True)
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, _("请选择银行回盘文件"))
        return redirect("funds:batch-detail", pk=batch.pk)
    try:
        counts = services.bank_return_import(actor=request.user, batch=batch, file=upload)
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(
            request,
            _("回盘已导入：入账 %(p)d 笔，失败 %(f)d 笔") % {"p": counts["paid"], "f": counts["failed"]},
        )
    return redirect("funds:batch-detail", pk=batch.pk)


@login_required
@require_POST
def batch_reissue(request: HttpRequest, pk: int) -> HttpResponse:
    batch = access(DisbursementBatch.objects.all(), request.user, pk, for_write=True)

    def run() -> HttpResponse | None:
        try:
            follow = services.batch_reissue(
                actor=request.user, batch=batch, comment=request.POST.get("comment", "")
            )
        except ValidationError as exc:
            _errors(request, exc)
            return redirect("funds:batch-detail", pk=batch.pk)
        messages.success(request, _("已生成补发批次，请审核"))
        return redirect("funds:batch-detail", pk=follow.pk)

    return page_once(request, run) or redirect("funds:batch-detail", pk=batch.pk)


@login_required
@require_POST
def allocation_change(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    allocation = access(Allocation.objects.select_related("program"), request.user, pk, for_write=True)
    reason = request.POST.get("reason", "")
    try:
        if action == "correct":
            services.allocation_correct(
                actor=request.user,
                allocation=allocation,
                amount=request.POST.get("amount", ""),
                reason=reason,
            )
            messages.success(request, _("资金指标已更正"))
        elif action == "cancel":
            services.allocation_cancel(actor=request.user, allocation=allocation, reason=reason)
            messages.success(request, _("资金指标已撤销"))
        else:
            raise PermissionDenied
    except ValidationError as exc:
        _errors(request, exc)
        return allocation_page(
            request, year=allocation.year, kept=kept_input(request, action, row=allocation.pk)
        )
    return redirect(f"{reverse('funds:allocation-list')}?year={allocation.year}")


def year_param(request: HttpRequest) -> int:
    """`?year=` of the funds pages, this year when absent or malformed."""
    try:
        return int(request.GET.get("year") or timezone.localdate().year)
    except ValueError:
        return timezone.localdate().year


def allocation_page(request: HttpRequest, form=None, *, year: int | None = None, kept=None) -> HttpResponse:
    """The allocations of a year; `kept`: what a row's correct/cancel form posted when it answered an
    error (allocation_change), drawn again in that row."""
    if form is None and request.user.can_write:
        form = forms.AllocationForm(user=request.user)
    year = year or year_param(request)
    allocations = in_region_param(
        request,
        Allocation.objects.visible_to(request.user).filter(year=year).select_related("program", "region"),
    )
    if (request.GET.get("program") or "").isdigit():
        allocations = allocations.filter(program_id=int(request.GET["program"]))
    total = allocations.filter(cancelled_at__isnull=True).aggregate(total=models.Sum("amount"))["total"] or 0
    return render(
        request,
        "funds/allocation_list.html",
        {"allocations": allocations, "form": form, "year": year, "total": total, "kept": kept},
    )
