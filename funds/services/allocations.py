"""Allocations (资金指标): recording funds allocated to a county, and what batches draw on them."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from funds.models import (
    DRAWING_BATCH_STATUSES,
    ZERO,
    Allocation,
    AppStatus,
    AssistanceApplication,
    BatchStatus,
    Program,
    ProgramKind,
    Source,
)
from relief.models import Region, User
from relief.scoping import require_actor
from relief.workflow import money


@transaction.atomic
def allocation_create(
    *,
    actor: User,
    region: Region,
    year: int,
    program: Program,
    source: str,
    amount: Decimal,
    is_advance: bool = False,
    document_number: str = "",
    issued_on: datetime.date | None = None,
    note: str = "",
) -> Allocation:
    """Record funds allocated to a county (中央/省/市/县级资金, including 提前下达/预拨)."""
    require_actor(actor, region.code)
    if len(region.code) != 6:
        raise ValidationError({"region": _("资金指标须下达到县（市、区）")})
    if source not in Source.values:
        raise ValidationError({"source": _("资金来源无效")})
    if program.kind == ProgramKind.IN_KIND:
        raise ValidationError({"program": _("实物项目不登记资金指标，请在物资库存中入库")})
    allocation = Allocation(
        region=region,
        year=year,
        program=program,
        source=source,
        amount=money(amount, "amount"),
        is_advance=is_advance,
        document_number=document_number.strip(),
        issued_on=issued_on or timezone.localdate(),
        note=note,
        created_by=actor,
    )
    allocation.full_clean()
    allocation.save()
    return allocation


def allocation_drawn(allocation: Allocation, *, exclude_batch_id: int | None = None) -> Decimal:
    """What batches (being generated, awaiting review or approval, approved or paid) draw on it."""
    qs = allocation.batches.filter(
        status__in=[*DRAWING_BATCH_STATUSES, BatchStatus.APPROVED, BatchStatus.PAID]
    )
    if exclude_batch_id:
        qs = qs.exclude(pk=exclude_batch_id)
    # what the bank's return file said failed goes back to the allocation (a follow-up batch draws it)
    return qs.aggregate(s=Sum(F("total_amount") - F("failed_amount")))["s"] or ZERO


def allocation_remaining(allocation: Allocation, *, exclude_batch_id: int | None = None) -> Decimal:
    return allocation.amount - allocation_drawn(allocation, exclude_batch_id=exclude_batch_id)


def _locked(allocation: Allocation) -> Allocation:
    return Allocation.objects.select_for_update().get(pk=allocation.pk)


def _drawn_by_anything(allocation: Allocation) -> Decimal:
    """What batches draw on it, or for a 临时救助 allocation what the county's applications of the year
    draw on the county's 临时救助 allocations beyond the others (the whole pool)."""
    if allocation.program.kind != ProgramKind.TEMPORARY:
        return allocation_drawn(allocation)
    others = (
        Allocation.objects.live()
        .filter(region_id=allocation.region_id, year=allocation.year, program__kind=ProgramKind.TEMPORARY)
        .exclude(pk=allocation.pk)
        .aggregate(s=Sum("amount"))["s"]
        or ZERO
    )
    return max(temporary_drawn(allocation.region_id, allocation.year) - others, ZERO)


@transaction.atomic
def allocation_correct(*, actor: User, allocation: Allocation, amount: Decimal, reason: str) -> Allocation:
    """Correct the amount of an allocation (a document revised), with the reason kept in its history.
    It cannot fall below what is already drawn on it: the ledger never goes below zero (the
    allocation's row is locked while this is checked, and every draw locks it too)."""
    require_actor(actor, allocation.region_id)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("更正资金指标须填写原因")})
    locked = _locked(allocation)
    if locked.cancelled_at is not None:
        raise ValidationError(_("该资金指标已撤销"))
    amount = money(amount, "amount")
    drawn = _drawn_by_anything(locked)
    if amount < drawn:
        raise ValidationError(
            {
                "amount": _("更正后金额 %(a)s 元低于已使用的 %(d)s 元，台账不能为负")
                % {"a": amount, "d": drawn}
            }
        )
    locked.amount = amount
    locked._history_user = actor
    locked._change_reason = _("更正：%(r)s") % {"r": reason}
    locked.save(update_fields=["amount"])
    return locked


@transaction.atomic
def allocation_cancel(*, actor: User, allocation: Allocation, reason: str) -> Allocation:
    """Cancel an allocation recorded in error, while nothing draws on it, with the reason."""
    require_actor(actor, allocation.region_id)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("撤销资金指标须填写原因")})
    locked = _locked(allocation)
    if locked.cancelled_at is not None:
        raise ValidationError(_("该资金指标已撤销"))
    if (drawn := _drawn_by_anything(locked)) > 0:
        raise ValidationError(_("该资金指标已使用 %(d)s 元，不能撤销，可更正金额") % {"d": drawn})
    locked.cancelled_at = timezone.now()
    locked._history_user = actor
    locked._change_reason = _("撤销：%(r)s") % {"r": reason}
    locked.save(update_fields=["cancelled_at"])
    return locked


# --- 临时救助: one pool per county and year ----------------------------------------------------------

#: the money of an application that draws on the pool: approved or paid, plus any 先行救助 paid
_TEMPORARY_DRAWING = [AppStatus.APPROVED, AppStatus.PAID]


def temporary_drawn(county: str, year: int, *, exclude_pk: int | None = None) -> Decimal:
    apps = AssistanceApplication.objects.in_region(county).filter(year=year)
    if exclude_pk:
        apps = apps.exclude(pk=exclude_pk)
    approved = apps.filter(status__in=_TEMPORARY_DRAWING).aggregate(s=Sum("approved_amount"))["s"] or ZERO
    emergency = apps.filter(emergency_paid_at__isnull=False).aggregate(s=Sum("emergency_amount"))["s"] or ZERO
    return approved + emergency


def temporary_funds_check(application: AssistanceApplication, amount: Decimal) -> None:
    """Refuse (ValidationError) an approval or 先行救助 of `amount` more than the county's 临时救助
    allocations of the year have left. Locks those allocations (after the application, the one lock
    order), so two approvals at once cannot both take the last yuan."""
    county = application.region_id[:6]
    pool = list(
        Allocation.objects.select_for_update()
        .live()
        .filter(region_id=county, year=application.year, program__kind=ProgramKind.TEMPORARY)
        .order_by("pk")
        .values_list("amount", flat=True)
    )
    left = sum(pool, ZERO) - temporary_drawn(county, application.year, exclude_pk=application.pk)
    # what this application already draws (its 先行救助) stays counted
    if application.emergency_paid_at is not None:
        left -= application.emergency_amount
    if amount > left:
        raise ValidationError(
            {
                "amount": _("临时救助资金指标剩余 %(left)s 元，不足 %(a)s 元，请先追加资金指标")
                % {"left": max(left, ZERO), "a": amount}
            }
        )
