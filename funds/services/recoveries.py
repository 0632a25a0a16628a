"""Recovery (追回) of money paid wrongly: registered against one paid payment line or one paid 临时救助
application, money returned in one or more sums, closed as recovered, written off by the county
(核销, with a reason) or cancelled when registered by mistake (before anything came back).

Each write locks the recovery's row (or, on registration, the payment's or application's row), so two
returns at once never bring back more than is owed and a double click registers one recovery (also a
partial unique index). The deadline (`due_on`) counts `recovery_due_working_days` working days from
registration; an open recovery past it is an alert of the funds sweeps for the township and county.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from funds.models import (
    AppStatus,
    AssistanceApplication,
    BankState,
    BatchStatus,
    Payment,
    Program,
    ProgramKind,
)
from funds.recovery_models import OPEN_STATES, Recovery, RecoveryReason, RecoveryReturn, RecoveryState
from relief.models import User
from relief.policy import MissingPolicyParameter, policy_value
from relief.scoping import require_actor
from relief.workdays import add_working_days
from relief.workflow import county_or_above, money


def _due_on(region_code: str) -> datetime.date | None:
    today = timezone.localdate()
    try:
        days = int(policy_value("recovery_due_working_days", region_code, today))
    except MissingPolicyParameter:
        return None
    return add_working_days(today, days).date


def _paid_line(payment: Payment) -> Decimal:
    """What the payment line really paid: its amount once its batch is paid and the bank did not fail it."""
    if payment.batch.status != BatchStatus.PAID or payment.held_at or payment.bank_state == BankState.FAILED:
        raise ValidationError(_("该笔发放尚未实际发放（未登记发放、已暂停或银行发放失败），无需追回"))
    return payment.amount


def _paid_application(app: AssistanceApplication) -> Decimal:
    if app.status == AppStatus.PAID:
        return app.total_amount
    if app.emergency_paid_at:
        return app.emergency_amount
    raise ValidationError(_("该临时救助尚未发放，无需追回"))


@transaction.atomic
def recovery_open(
    *,
    actor: User,
    reason: str,
    payment: Payment | None = None,
    application: AssistanceApplication | None = None,
    amount: Any = None,
    detail: str = "",
) -> Recovery:
    """Register money to recover from one paid payment line or one paid application (not both). The
    amount defaults to all that was paid and may not exceed it."""
    if (payment is None) == (application is None):
        raise ValidationError(_("请选择一笔发放明细或一件临时救助申请"))
    if reason not in RecoveryReason.values:
        raise ValidationError({"reason": _("请选择追回原因")})
    if payment is not None:
        payment = Payment.objects.select_for_update().select_related("batch__allocation").get(pk=payment.pk)
        require_actor(actor, payment.region_id)
        paid = _paid_line(payment)
        fields = {
            "payment": payment,
            "region_id": payment.region_id,
            "household_id": payment.household_id,
            "person_id": payment.person_id,
            "program_id": payment.program_id,
            "year": payment.batch.allocation.year,
            "recipient_name": payment.recipient_name,
        }
    else:
        application = AssistanceApplication.objects.select_for_update().get(pk=application.pk)
        require_actor(actor, application.region_id)
        paid = _paid_application(application)
        program = Program.objects.filter(kind=ProgramKind.TEMPORARY).order_by("id").first()
        if program is None:
            raise ValidationError(_("未配置临时救助项目，请管理员在救助项目中设置"))
        fields = {
            "application": application,
            "region_id": application.region_id,
            "household_id": application.household_id,
            "person_id": application.person_id,
            "program_id": program.pk,
            "year": application.year,
            "recipient_name": application.applicant_name,
        }
    value = paid if amount in (None, "") else money(amount, "amount")
    if value > paid:
        raise ValidationError({"amount": _("追回金额不能超过原发放金额 %(paid)s 元") % {"paid": paid}})
    recovery = Recovery(
        **fields,
        paid_amount=paid,
        amount=value,
        reason=reason,
        detail=detail.strip(),
        due_on=_due_on(fields["region_id"]),
        created_by=actor,
    )
    recovery._change_reason = _("登记追回")
    try:
        with transaction.atomic():
            recovery.save()  # lint: allow-save (a service step)
    except IntegrityError:
        raise ValidationError(_("该笔发放已登记追回，请勿重复登记")) from None
    return recovery


def _locked(recovery: Recovery, actor: User) -> Recovery:
    recovery = Recovery.objects.select_for_update().get(pk=recovery.pk)
    require_actor(actor, recovery.region_id)
    return recovery


@transaction.atomic
def recovery_return(
    *,
    actor: User,
    recovery: Recovery,
    amount: Any,
    returned_on: datetime.date | None = None,
    receipt: str = "",
    note: str = "",
) -> RecoveryReturn:
    """Record a sum paid back; the recovery is recovered once the whole amount is back."""
    recovery = _locked(recovery, actor)
    if recovery.state not in OPEN_STATES:
        raise ValidationError(_("该追回已办结，不能再登记退回"))
    value = money(amount, "amount")
    outstanding = recovery.amount - recovery.returned_amount
    if value > outstanding:
        raise ValidationError({"amount": _("退回金额不能超过待追回金额 %(left)s 元") % {"left": outstanding}})
    returned_on = returned_on or timezone.localdate()
    if returned_on > timezone.localdate():
        raise ValidationError({"returned_on": _("退回日期不能晚于今天")})
    row = RecoveryReturn.objects.create(
        recovery=recovery,
        amount=value,
        returned_on=returned_on,
        receipt=receipt.strip()[:100],
        note=note.strip()[:255],
        created_by=actor,
    )
    recovery.returned_amount += value
    if recovery.returned_amount == recovery.amount:
        recovery.state = RecoveryState.RECOVERED
        recovery.closed_by, recovery.closed_at = actor, timezone.now()
    else:
        recovery.state = RecoveryState.PARTIAL
    recovery._change_reason = _("登记退回 %(amount)s 元") % {"amount": value}
    recovery.save()  # lint: allow-save (a service step)
    return row


def _close(recovery: Recovery, actor: User, state: str, reason: str, missing: str, label: str) -> Recovery:
    if not reason.strip():
        raise ValidationError({"reason": missing})
    recovery.state = state
    recovery.close_reason = reason.strip()
    recovery.closed_by, recovery.closed_at = actor, timezone.now()
    recovery._change_reason = label
    recovery.save()  # lint: allow-save (a service step)
    return recovery


@transaction.atomic
def recovery_waive(*, actor: User, recovery: Recovery, reason: str) -> Recovery:
    """Write off what cannot be recovered (核销): the county decides, with a reason."""
    recovery = _locked(recovery, actor)
    if county_or_above(actor):
        raise ValidationError(_("核销须由县级民政部门办理"))
    if recovery.state not in OPEN_STATES:
        raise ValidationError(_("该追回已办结"))
    return _close(recovery, actor, RecoveryState.WAIVED, reason, _("请填写核销理由"), _("核销"))


@transaction.atomic
def recovery_cancel(*, actor: User, recovery: Recovery, reason: str) -> Recovery:
    """Cancel a recovery registered by mistake, while nothing has been returned on it."""
    recovery = _locked(recovery, actor)
    if recovery.state != RecoveryState.OPEN or recovery.returned_amount:
        raise ValidationError(_("已有退回记录或已办结的追回不能撤销"))
    return _close(recovery, actor, RecoveryState.CANCELLED, reason, _("请填写撤销理由"), _("撤销"))
