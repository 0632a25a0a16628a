"""Disbursement batches: generate one (its payments in a background job), then the declared steps
of `funds.workflows.batch_workflow` (review, approve, pay, cancel; fill and failed by the job)."""

from __future__ import annotations

import datetime
from collections.abc import Callable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from funds import workflows
from funds.models import Allocation, BatchStatus, DisbursementBatch, Program, ProgramKind
from relief.models import User
from relief.scoping import require_actor
from relief.workflow import county_or_above

BATCH_JOB_KIND = "funds.batch_generate"


@transaction.atomic
def batch_generate(
    *,
    actor: User,
    program: Program,
    allocation: Allocation,
    period: str,
    title: str = "",
    pay_by: datetime.date | None = None,
    run_in_background: bool = True,
) -> DisbursementBatch:
    """Create a batch for a program in the allocation's county and generate its payments in a
    background job (or at once with run_in_background=False). A second request for the same program,
    county and period creates nothing: it is refused with a message. `pay_by` is the date by which
    the approved batch must be paid (a sweep raises an alert after it)."""
    from relief.jobs.services import job_start

    require_actor(actor, allocation.region_id)
    if message := county_or_above(actor):
        raise PermissionDenied(message)
    if program.kind != ProgramKind.CASH:
        raise ValidationError({"program": _("只有现金发放类项目可以生成发放批次")})
    if not program.active:
        raise ValidationError({"program": _("该项目已停用")})
    if allocation.cancelled_at is not None:
        raise ValidationError({"allocation": _("该资金指标已撤销")})
    if allocation.program_id != program.pk:
        raise ValidationError({"allocation": _("资金指标与发放项目不一致")})
    period = (period or "").strip()
    if not period:
        raise ValidationError({"period": _("请填写发放期")})
    existing = (
        DisbursementBatch.objects.filter(program=program, region_id=allocation.region_id, period=period)
        .exclude(status__in=[BatchStatus.CANCELLED, BatchStatus.FAILED])
        .first()
    )
    if existing:
        raise ValidationError(
            _("该项目本期（%(period)s）已有发放批次“%(title)s”，不能重复生成")
            % {"period": period, "title": existing.title}
        )
    batch = DisbursementBatch(
        region_id=allocation.region_id,
        program=program,
        allocation=allocation,
        period=period,
        title=title.strip() or f"{allocation.region_id} {program.name} {period}",
        pay_by=pay_by,
        created_by=actor,
    )
    try:
        with transaction.atomic():
            batch.save()
    except IntegrityError:
        raise ValidationError(
            _("该项目本期（%(period)s）已有发放批次，不能重复生成") % {"period": period}
        ) from None
    workflows.batch_workflow.log(batch, action="generate", actor=actor)
    if run_in_background:
        job = job_start(
            actor=actor,
            kind=BATCH_JOB_KIND,
            title=_("生成发放批次：%(t)s") % {"t": batch.title},
            params={"batch_id": batch.pk},
            region=batch.region,
        )
        batch.job = job
        batch.save(update_fields=["job"])
    else:
        batch_fill(batch_id=batch.pk)
        batch.refresh_from_db()
    return batch


def _generating(batch_id: int) -> DisbursementBatch | None:
    """The batch, locked, if it is still being generated (else None: the job has nothing to do)."""
    batch = DisbursementBatch.objects.select_for_update(of=("self",)).filter(pk=batch_id).first()
    return batch if batch is not None and batch.status == BatchStatus.GENERATING else None


@transaction.atomic
def batch_fill(
    *, batch_id: int, progress: Callable[..., None] | None = None, on: datetime.date | None = None
) -> DisbursementBatch | None:
    """Generate the payments of a batch being generated (the system step `fill`). Safe to run twice:
    a batch that is no longer being generated is left alone. Raises ValidationError (nothing
    written) when the batch would exceed what is left of its allocation."""
    if _generating(batch_id) is None:
        return DisbursementBatch.objects.filter(pk=batch_id).first()
    return workflows.batch_workflow.run("fill", actor=None, obj=batch_id, progress=progress, on=on)


@transaction.atomic
def batch_mark_failed(*, batch_id: int, error: str) -> None:
    if _generating(batch_id) is not None:
        workflows.batch_workflow.run("failed", actor=None, obj=batch_id, error=error)


def batch_review(*, actor: User, batch: DisbursementBatch, comment: str = "") -> DisbursementBatch:
    return workflows.batch_workflow.run("review", actor=actor, obj=batch, comment=comment)


def batch_approve(*, actor: User, batch: DisbursementBatch, comment: str = "") -> DisbursementBatch:
    """Approve a reviewed batch, checking again (allocation locked, after the batch) that it fits."""
    return workflows.batch_workflow.run("approve", actor=actor, obj=batch, comment=comment)


def batch_mark_paid(*, actor: User, batch: DisbursementBatch, comment: str = "") -> DisbursementBatch:
    return workflows.batch_workflow.run("pay", actor=actor, obj=batch, comment=comment)


def batch_cancel(*, actor: User, batch: DisbursementBatch, comment: str) -> DisbursementBatch:
    """Cancel a batch not yet approved; its payment lines are removed (nothing was paid), so the
    people in it can be paid by a new batch."""
    return workflows.batch_workflow.run("cancel", actor=actor, obj=batch, comment=comment)
