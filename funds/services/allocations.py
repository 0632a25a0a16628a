"""Allocations (资金指标): recording funds allocated to a county, and what batches draw on them."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from funds.models import DRAWING_BATCH_STATUSES, ZERO, Allocation, BatchStatus, Program, ProgramKind, Source
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
    return qs.aggregate(s=Sum("total_amount"))["s"] or ZERO


def allocation_remaining(allocation: Allocation, *, exclude_batch_id: int | None = None) -> Decimal:
    return allocation.amount - allocation_drawn(allocation, exclude_batch_id=exclude_batch_id)
