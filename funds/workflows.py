"""The two processes of funds, each declared once (relief/workflow.py): the disbursement batch and the
temporary assistance (临时救助) application. Services (funds/services/), the pages' buttons, the API's
actions and its `available_actions` all come from these declarations.

Batch: generating → (fill) draft → (review) reviewed → (approve) approved → (pay) paid; draft or
reviewed → (cancel) cancelled; generating → (failed) failed. Fill and failed are taken by the
background job only. Every step by a person needs the county (or above).

Application: submitted → (emergency_pay, 急难型 only) emergency_paid → (review) reviewed; 急难型:
reviewed → (approve) approved; 支出型: reviewed → (notice_start) notice → (notice_close) notice_done →
(approve) approved; approved → (pay) paid; anything still open → (reject) rejected. Objections are
recorded during 公示 without moving. Approval is graded (分级审批): up to the township's limit the
township decides, above it the county.

Lock order: the workflow object's row (locked by `Workflow.run`) first, then the allocation.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.utils import bulk_create_with_history

from funds.models import (
    ZERO,
    Allocation,
    ApplicationKind,
    ApplicationTransition,
    ApprovalLevel,
    AppStatus,
    AssistanceApplication,
    BatchStatus,
    BatchTransition,
    DisbursementBatch,
    Payment,
)
from funds.services.allocations import allocation_drawn, temporary_funds_check
from funds.services.eligibility import (
    eligible_payments,
    households_for_program,
    is_urban_place,
    policy,
    required_level,
    township_limit,
)
from funds.services.holds import hold_reasons
from people.models import PaymentAccount
from relief.policy import duties_separated
from relief.workflow import (
    Param,
    Step,
    StepContext,
    Workflow,
    all_of,
    county_or_above,
    money,
    scope_length,
    today,
    township_or_above,
)

COMMENT = Param("comment", "comment", gettext_lazy("意见"))
AMOUNT = Param("amount", "money", gettext_lazy("金额（元）"), required=True)

# --- disbursement batches ------------------------------------------------------------------------


def _fill(ctx: StepContext) -> None:
    """Generate the payments of a batch being generated, within what is left of its allocation
    (locked after the batch). Raises ValidationError (nothing written) when it would exceed it or
    when nobody is left to pay."""
    batch: DisbursementBatch = ctx.obj
    on: datetime.date = ctx.data.get("on") or today()
    progress = ctx.data.get("progress")
    program = batch.program
    allocation = Allocation.objects.select_for_update().get(pk=batch.allocation_id)
    paid_people: set[int] = set()
    paid_households: set[int] = set()
    if program.one_off:
        earlier = Payment.objects.filter(program=program, one_off=True).exclude(batch=batch)
        paid_people = set(earlier.filter(person__isnull=False).values_list("person_id", flat=True))
        paid_households = set(earlier.filter(person__isnull=True).values_list("household_id", flat=True))
    households = households_for_program(program, batch.region_id, on)
    accounts = dict(PaymentAccount.objects.active().in_region(batch.region_id).values_list("person_id", "pk"))
    total_candidates = households.count()
    if progress:
        progress(0, total_candidates, _("正在核定发放对象"), force=True)
    holds = hold_reasons(batch)
    held_at = timezone.now()
    rows: list[Payment] = []
    total = ZERO
    held = 0
    for i, household in enumerate(households.iterator(chunk_size=500), 1):
        for row in eligible_payments(program, household, on):
            person = row["person"]
            if person is not None and person.pk in paid_people:
                continue
            if person is None and household.pk in paid_households:
                continue
            recipient = row["recipient"]
            rows.append(
                Payment(
                    batch=batch,
                    program=program,
                    one_off=program.one_off,
                    region_id=household.region_id,
                    household=household,
                    person=person,
                    recipient_name=recipient.name,
                    id_number=recipient.id_number,
                    phone=recipient.phone or household.contact_phone,
                    persons=row["persons"],
                    amount=row["amount"],
                    snapshot=row["snapshot"],
                    account_id=accounts.get(recipient.pk),
                )
            )
            if household.pk in holds:  # written held: out of the total (funds/services/holds.py)
                rows[-1].held_at, rows[-1].held_reason = held_at, holds[household.pk]
                held += 1
            else:
                total += row["amount"]
        if progress and i % 200 == 0:
            progress(i)
    left = allocation.amount - allocation_drawn(allocation, exclude_batch_id=batch.pk)
    if total > left:
        raise ValidationError(
            _(
                "批次金额 %(total)s 元超出资金指标剩余额度 %(left)s 元（指标“%(alloc)s”），"
                "请追加资金指标或缩小发放范围后重新生成"
            )
            % {"total": total, "left": left, "alloc": allocation}
        )
    if not rows:
        raise ValidationError(_("没有符合该项目条件且尚未领取的发放对象"))
    try:
        with transaction.atomic():
            # one history row per payment, in bulk, by whoever asked for the batch
            bulk_create_with_history(rows, Payment, batch_size=1000, default_user=batch.created_by)
    except IntegrityError as exc:
        if "one_off" in str(exc):
            raise ValidationError(
                _("部分对象已在其他批次领取过一次性项目“%(p)s”，请重新生成") % {"p": program.name}
            ) from None
        raise
    batch.total_amount = total
    batch.payment_count = len(rows) - held
    batch.error = ""
    ctx.fields |= {"total_amount", "payment_count", "error"}
    ctx.comment = _("已生成 %(n)d 笔，合计 %(t)s 元") % {"n": len(rows) - held, "t": total}
    if held:
        ctx.comment += _("（另有 %(n)d 笔暂停发放）") % {"n": held}
    if progress:
        progress(total_candidates, total_candidates, _("已生成"), force=True)


def _failed(ctx: StepContext) -> None:
    ctx.obj.error = ctx.data.get("error", "")
    ctx.fields.add("error")
    ctx.comment = ctx.obj.error


def _approve_batch(ctx: StepContext) -> None:
    """Check again, with the allocation locked (after the batch), that the batch fits what is left."""
    batch: DisbursementBatch = ctx.obj
    allocation = Allocation.objects.select_for_update().get(pk=batch.allocation_id)
    left = allocation.amount - allocation_drawn(allocation, exclude_batch_id=batch.pk)
    if batch.total_amount > left:
        raise ValidationError(
            _("批次金额 %(total)s 元超出资金指标剩余额度 %(left)s 元，不能审批")
            % {"total": batch.total_amount, "left": left}
        )


def _cancel_batch(ctx: StepContext) -> None:
    """Nothing was paid: the payment lines go, so the people in them can be paid by a new batch."""
    batch: DisbursementBatch = ctx.obj
    batch.payments.all().delete()  # each delete writes a "deleted" history row (post_delete)
    Payment.history.filter(batch_id=batch.pk, history_type="-", history_user__isnull=True).update(
        history_user=ctx.actor
    )


def _separate(field_name: str, message) -> Callable:
    """A guard: `field_name`'s user may not take the step where the county separates duties."""

    def guard(user, obj) -> str | None:
        if getattr(obj, f"{field_name}_id", None) == user.pk and duties_separated(obj.region_id[:6]):
            return message
        return None

    return guard


def _batch_confirm(question) -> Callable:
    def confirm(batch: DisbursementBatch) -> str:
        return str(question) % {"n": batch.payment_count, "amount": batch.total_amount}

    return confirm


batch_workflow = Workflow(
    name="funds.batch",
    model=DisbursementBatch,
    log_model=BatchTransition,
    log_fk="batch",
    lock_related=("program",),
    steps=[
        Step(
            "fill",
            gettext_lazy("生成发放名单"),
            sources=(BatchStatus.GENERATING,),
            target=BatchStatus.DRAFT,
            apply=_fill,
            system=True,
        ),
        Step(
            "failed",
            gettext_lazy("生成失败"),
            sources=(BatchStatus.GENERATING,),
            target=BatchStatus.FAILED,
            apply=_failed,
            system=True,
        ),
        Step(
            "review",
            gettext_lazy("审核通过"),
            sources=(BatchStatus.DRAFT,),
            target=BatchStatus.REVIEWED,
            params=(Param("comment", "text", gettext_lazy("审核意见")),),
            who=county_or_above,
            stamp="reviewed",
            state_message=gettext_lazy("只有待审核的批次可以审核（当前：%(state)s）"),
        ),
        Step(
            "approve",
            gettext_lazy("审批"),
            sources=(BatchStatus.REVIEWED,),
            target=BatchStatus.APPROVED,
            params=(Param("comment", "text", gettext_lazy("审批意见")),),
            who=all_of(
                county_or_above,
                _separate("created_by", gettext_lazy("生成批次的人员不能审批该批次（岗位分离）")),
            ),
            apply=_approve_batch,
            stamp="approved",
            style="success",
            confirm=_batch_confirm(gettext_lazy("确定审批该批次？共 %(n)d 笔，合计 %(amount)s 元。")),
            state_message=gettext_lazy("只有已审核的批次可以审批（当前：%(state)s）"),
        ),
        Step(
            "pay",
            gettext_lazy("登记发放"),
            sources=(BatchStatus.APPROVED,),
            target=BatchStatus.PAID,
            params=(Param("comment", "text", gettext_lazy("银行回单号等")),),
            who=all_of(
                county_or_above,
                _separate("approved_by", gettext_lazy("审批批次的人员不能登记发放（岗位分离）")),
            ),
            stamp="paid",
            style="success",
            confirm=_batch_confirm(gettext_lazy("确定登记已发放？共 %(n)d 笔，合计 %(amount)s 元。")),
            state_message=gettext_lazy("只有已审批的批次可以登记发放（当前：%(state)s）"),
        ),
        Step(
            "cancel",
            gettext_lazy("作废"),
            sources=(BatchStatus.DRAFT, BatchStatus.REVIEWED),
            target=BatchStatus.CANCELLED,
            params=(Param("comment", "text", gettext_lazy("作废原因")),),
            who=county_or_above,
            apply=_cancel_batch,
            comment_required=gettext_lazy("作废批次须填写原因"),
            style="outline-danger",
            confirm=gettext_lazy("确定作废该批次？发放明细将被删除。"),
            state_message=gettext_lazy("只有未审批的批次可以作废（当前：%(state)s）"),
        ),
    ],
)


# --- temporary assistance ------------------------------------------------------------------------


def _urgent_only(app: AssistanceApplication) -> str | None:
    if app.kind != ApplicationKind.URGENT:
        return _("只有急难型救助可以先行救助")
    return None


def _expense_only(app: AssistanceApplication) -> str | None:
    if app.kind != ApplicationKind.EXPENSE:
        return _("只有支出型救助需要公示")
    return None


def _notice_over(app: AssistanceApplication, on: datetime.date | None = None) -> str | None:
    on = on or today()
    if app.notice_end and on <= app.notice_end:
        return _("公示期至 %(end)s 止，尚未届满，不能结束公示") % {"end": app.notice_end.isoformat()}
    return None


def _notice_done_if_expense(app: AssistanceApplication) -> str | None:
    if app.kind == ApplicationKind.EXPENSE and app.status != AppStatus.NOTICE_DONE:
        return _("支出型救助须公示期满后才能审批")
    return None


def _over_limit(total: Decimal, limit: Decimal) -> str:
    return _("救助金额 %(total)s 元超过乡镇审批权限 %(limit)s 元，须报县级民政部门审批") % {
        "total": total,
        "limit": limit,
    }


def _offered_limit(app: AssistanceApplication) -> Decimal | None:
    """The township's limit for offering 审批 (None: no policy set). Applications listed together
    share one memo (`remember_township_limits`), so a list's `available_actions` costs a query per
    kind of place, not per row; taking the step works it out afresh."""
    memo = getattr(app, "_township_limits", None)
    if memo is None:
        memo = app._township_limits = {}
    key = (app.region_id, is_urban_place(app.region_id, app.household))
    if key not in memo:
        try:
            memo[key] = township_limit(key[0], is_urban=key[1])
        except ValidationError:
            memo[key] = None
    return memo[key]


def remember_township_limits(apps) -> None:
    """Let applications shown together share what their townships' limits are."""
    memo: dict[tuple[str, bool], Decimal | None] = {}
    for app in apps:
        app._township_limits = memo


def _approver(user, app: AssistanceApplication) -> str | None:
    """分级审批 on what the township proposed (plus any 先行救助 paid): up to the township's limit the
    township (or above) approves, above it the county. The amount actually approved is checked
    again when the step is taken."""
    if scope_length(user) <= 6:
        return None  # the county (or above) may approve any amount
    if message := township_or_above(user):
        return message
    limit = _offered_limit(app)
    if limit is None:
        return county_or_above(user)  # no policy for the limit: only the county decides
    total = (app.proposed_amount or ZERO) + app.emergency_amount
    return _over_limit(total, limit) if total > limit else None


def _emergency_pay(ctx: StepContext) -> None:
    """先行救助: the township pays a small amount from its reserve at once, within its limit."""
    app: AssistanceApplication = ctx.obj
    amount = money(ctx.data.get("amount"), "amount")
    level, limit = required_level(app, amount)
    if level == ApprovalLevel.COUNTY:
        raise ValidationError(
            {"amount": _("先行救助金额不能超过乡镇审批权限 %(limit)s 元") % {"limit": limit}}
        )
    temporary_funds_check(app, amount)
    app.emergency_amount = amount
    app.emergency_paid_at = timezone.now()
    ctx.fields |= {"emergency_amount", "emergency_paid_at"}
    ctx.log_extra["amount"] = amount


def _review(ctx: StepContext) -> None:
    """乡镇审核 (home visit done): propose the amount. After 先行救助 this is the paperwork (0 allowed)."""
    app: AssistanceApplication = ctx.obj
    amount = money(ctx.data.get("amount"), "amount", positive=app.emergency_amount == 0)
    app.proposed_amount = amount
    app.reviewed_at = timezone.now()
    ctx.fields |= {"proposed_amount", "reviewed_at"}
    ctx.log_extra["amount"] = amount


def _notice_start(ctx: StepContext) -> None:
    """公示 for `ta_notice_working_days` working days from `start` (today)."""
    from relief.workdays import add_working_days

    app: AssistanceApplication = ctx.obj
    start = ctx.data.get("start") or today()
    days = int(policy("ta_notice_working_days", app.region_id, start))
    app.notice_start = start
    app.notice_end = add_working_days(start, days).date
    ctx.fields |= {"notice_start", "notice_end"}


def _notice_close(ctx: StepContext) -> None:
    if message := _notice_over(ctx.obj, ctx.data.get("on")):
        raise ValidationError(message)


def _approve_application(ctx: StepContext) -> None:
    """`amount` is what is paid now; the limit applies to it plus any 先行救助 already paid."""
    app: AssistanceApplication = ctx.obj
    amount = money(ctx.data.get("amount"), "amount", positive=app.emergency_amount == 0)
    total = amount + app.emergency_amount
    level, limit = required_level(app, total)
    if level == ApprovalLevel.COUNTY and scope_length(ctx.actor) > 6:
        raise PermissionDenied(_over_limit(total, limit))
    temporary_funds_check(app, amount)
    app.approved_amount = amount
    app.approval_level = level
    app.township_limit = limit
    app.decided_at = timezone.now()
    app.approved_by = ctx.actor
    ctx.fields |= {"approved_amount", "approval_level", "township_limit", "decided_at", "approved_by"}
    ctx.log_extra["amount"] = amount


def _pay_application(ctx: StepContext) -> None:
    ctx.obj.paid_at = timezone.now()
    ctx.fields.add("paid_at")
    ctx.log_extra["amount"] = ctx.obj.approved_amount


def _reject(ctx: StepContext) -> None:
    ctx.obj.rejection_reason = ctx.comment
    ctx.obj.decided_at = timezone.now()
    ctx.fields |= {"rejection_reason", "decided_at"}


OPEN_APPLICATION_STATES = (
    AppStatus.SUBMITTED,
    AppStatus.EMERGENCY_PAID,
    AppStatus.REVIEWED,
    AppStatus.NOTICE,
    AppStatus.NOTICE_DONE,
)

application_workflow = Workflow(
    name="funds.application",
    model=AssistanceApplication,
    log_model=ApplicationTransition,
    log_fk="application",
    lock_related=("household",),
    history=True,
    steps=[
        Step(
            "emergency_pay",
            gettext_lazy("先行救助"),
            sources=(AppStatus.SUBMITTED,),
            target=AppStatus.EMERGENCY_PAID,
            params=(AMOUNT, COMMENT),
            when=_urgent_only,
            who=township_or_above,
            apply=_emergency_pay,
            confirm=gettext_lazy("确定先行救助？救助 1 户，金额 {amount} 元。"),
            url_path="emergency-pay",
        ),
        Step(
            "review",
            gettext_lazy("乡镇审核"),
            sources=(AppStatus.SUBMITTED, AppStatus.EMERGENCY_PAID),
            target=AppStatus.REVIEWED,
            params=(AMOUNT, COMMENT),
            who=township_or_above,
            apply=_review,
            state_message=gettext_lazy("当前状态为“%(state)s”，不能审核"),
        ),
        Step(
            "notice_start",
            gettext_lazy("开始公示"),
            sources=(AppStatus.REVIEWED,),
            target=AppStatus.NOTICE,
            params=(COMMENT,),
            when=_expense_only,
            who=township_or_above,
            apply=_notice_start,
            url_path="notice-start",
        ),
        Step(
            "objection",
            gettext_lazy("登记公示异议"),
            sources=(AppStatus.NOTICE,),
            params=(Param("comment", "comment", gettext_lazy("异议内容")),),
            comment_required=gettext_lazy("请填写异议内容"),
            style="outline-secondary",
        ),
        Step(
            "notice_close",
            gettext_lazy("结束公示"),
            sources=(AppStatus.NOTICE,),
            target=AppStatus.NOTICE_DONE,
            params=(COMMENT,),
            when=_notice_over,
            who=township_or_above,
            apply=_notice_close,
            url_path="notice-close",
        ),
        Step(
            "approve",
            gettext_lazy("审批"),
            sources=(AppStatus.REVIEWED, AppStatus.NOTICE_DONE),
            target=AppStatus.APPROVED,
            params=(AMOUNT, COMMENT),
            when=_notice_done_if_expense,
            who=all_of(
                _approver, _separate("created_by", gettext_lazy("受理该申请的人员不能审批（岗位分离）"))
            ),
            apply=_approve_application,
            style="success",
            confirm=gettext_lazy("确定审批？救助 1 户，金额 {amount} 元。"),
        ),
        Step(
            "pay",
            gettext_lazy("登记发放"),
            sources=(AppStatus.APPROVED,),
            target=AppStatus.PAID,
            params=(COMMENT,),
            who=all_of(
                township_or_above,
                _separate("approved_by", gettext_lazy("审批该申请的人员不能登记发放（岗位分离）")),
            ),
            apply=_pay_application,
            style="success",
            confirm=lambda app: _("确定登记发放？救助 1 户，金额 %(a)s 元。") % {"a": app.approved_amount},
        ),
        Step(
            "reject",
            gettext_lazy("不予救助"),
            sources=OPEN_APPLICATION_STATES,
            target=AppStatus.REJECTED,
            params=(Param("reason", "comment", gettext_lazy("不予救助理由"), required=True),),
            who=township_or_above,
            apply=_reject,
            comment_param="reason",
            comment_required=gettext_lazy("不予救助须填写理由"),
            style="outline-danger",
            state_message=gettext_lazy("当前状态为“%(state)s”，不能作出不予救助决定"),
        ),
    ],
)
