"""Money through the agent bank: the bank file's download (who may, and its log), the bank's return
file read back line by line (paid / failed with the bank's reason), and the failed lines re-issued in
a follow-up batch, each at most once (a one-to-one column, and the batch's row locked while the
lines are chosen), so nobody is paid twice.

Lock order: the batch's row first, then its payment lines, then the allocation.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from funds import workflows
from funds.bank_files import REFERENCE_PREFIX
from funds.models import ZERO, Allocation, BankState, BatchStatus, DisbursementBatch, Payment
from funds.services.allocations import allocation_drawn
from people.models import PaymentAccount
from relief.models import PersonalDataReveal, User
from relief.privacy import sees_personal_data
from relief.scoping import in_scope, require_actor
from relief.sheet_reader import open_table
from relief.workflow import county_or_above

#: a batch whose lines the bank handles: approved (file sent) or registered as paid
BANK_STATES = (BatchStatus.APPROVED, BatchStatus.PAID)
BANK_FILE_FIELD = "bank_file"


def bank_file_refusal(user: Any, batch: DisbursementBatch) -> str | None:
    """Why `user` may not download the bank file of `batch` (None: they may). Only the county staff
    who send it (a writer role that sees personal data, county or above, in the batch's region)."""
    if not (user is not None and user.is_authenticated and user.is_active):
        return _("请先登录")
    if not (user.can_write and sees_personal_data(user)) or county_or_above(user):
        return _("只有县级民政部门经办人员可以下载银行代发文件")
    if not in_scope(user, batch.region_id):
        return _("该区划不在您的管辖范围内")
    if batch.status not in BANK_STATES:
        return _("批次审批后才能生成银行代发文件")
    return None


@transaction.atomic
def bank_file_log(*, actor: User, batch: DisbursementBatch, bank: str, fmt: str) -> None:
    """Check that `actor` may download the bank file and log the download (个人信息查看记录: full
    account and ID numbers leave the system)."""
    if message := bank_file_refusal(actor, batch):
        raise PermissionDenied(message)
    PersonalDataReveal.objects.create(
        user=actor,
        subject_type=ContentType.objects.get_for_model(DisbursementBatch),
        subject_id=str(batch.pk),
        subject_label=(
            _("银行代发文件 %(bank)s %(fmt)s：%(t)s") % {"bank": bank or "-", "fmt": fmt, "t": batch.title}
        )[:200],
        field=BANK_FILE_FIELD,
        region_id=batch.region_id,
    )


# --- the bank's return file ------------------------------------------------------------------------

_COLUMNS = {
    "reference": ("摘要", "附言", "备注", "用途"),
    "id_number": ("身份证号", "身份证号码", "证件号码", "证件号"),
    "account": ("账号", "银行账号", "卡号", "账户"),
    "amount": ("金额", "发放金额", "实发金额", "交易金额"),
    "result": ("处理结果", "结果", "状态", "交易状态", "是否成功", "发放结果"),
    "reason": ("失败原因", "原因", "错误信息", "失败说明"),
    "date": ("入账日期", "处理日期", "日期", "交易日期"),
}
_PAID_WORDS = ("成功", "已入账", "入账", "success", "ok", "paid")
_FAILED_WORDS = ("失败", "退回", "不成功", "错误", "fail", "error")
_REF = re.compile(rf"{REFERENCE_PREFIX}(\d+)")


def _header(row: tuple) -> dict[str, int] | None:
    cells = [str(v).strip() if v is not None else "" for v in row]
    found: dict[str, int] = {}
    for key, names in _COLUMNS.items():
        for i, cell in enumerate(cells):
            if cell in names and i not in found.values():
                found[key] = i
                break
    return found if "reference" in found or "id_number" in found else None


def _cell(row: tuple, columns: dict[str, int], key: str) -> Any:
    i = columns.get(key)
    return row[i] if i is not None and i < len(row) else None


def _result(value: Any, reason: str) -> str | None:
    text = str(value or "").strip().lower()
    if not text:
        return BankState.FAILED if reason else BankState.PAID
    if any(w in text for w in _FAILED_WORDS):  # "不成功" before "成功"
        return BankState.FAILED
    if any(w in text for w in _PAID_WORDS):
        return BankState.PAID
    return None


def _date(value: Any, default: datetime.date) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = str(value or "").strip()
    for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y.%m.%d"):
        try:
            return datetime.datetime.strptime(text[:10], fmt).date()
        except ValueError:
            continue
    return default


def _amount(value: Any) -> Decimal | None:
    if value is None or str(value).strip() == "":
        return None
    try:
        return Decimal(str(value).replace(",", "").strip()).quantize(Decimal("0.01"))
    except InvalidOperation:
        return None


@transaction.atomic
def bank_return_import(*, actor: User, batch: DisbursementBatch, file: Any) -> dict:
    """Read the bank's return file (any format relief/sheet_reader.py reads) and mark each line of
    the batch paid or failed with the bank's reason and date. Every row must match a line of the
    batch (by the reference in 摘要, else the ID number) with the same amount; otherwise nothing is
    written and the rows in error are listed (ValidationError). Reading the same file twice changes
    nothing. Returns the counts of this file."""
    require_actor(actor, batch.region_id)
    if message := county_or_above(actor):
        raise PermissionDenied(message)
    locked = DisbursementBatch.objects.select_for_update().get(pk=batch.pk)
    if locked.status not in BANK_STATES:
        raise ValidationError(_("只有已审批或已发放的批次可以导入银行回盘文件"))
    lines = {p.pk: p for p in Payment.objects.select_for_update().filter(batch=locked)}
    by_id = {p.id_number: p for p in lines.values() if p.id_number}
    today = timezone.localdate()
    errors: list[str] = []
    changed: dict[int, Payment] = {}
    counts = {"paid": 0, "failed": 0, "unchanged": 0}
    with open_table(file) as table:
        columns = None
        for number, row in enumerate(table.rows(0), 1):
            if columns is None:
                columns = _header(row) if number <= 10 else None
                if columns is None and number >= 10:
                    break
                continue
            if not any(v not in (None, "") for v in row):
                continue
            ref = _REF.search(str(_cell(row, columns, "reference") or ""))
            id_number = str(_cell(row, columns, "id_number") or "").strip().upper()
            payment = lines.get(int(ref[1])) if ref else by_id.get(id_number)
            where = _("第 %(n)d 行") % {"n": number}
            if payment is None:
                errors.append(_("%(w)s：在本批次中找不到对应的发放明细") % {"w": where})
                continue
            amount = _amount(_cell(row, columns, "amount"))
            if amount is not None and amount != payment.amount:
                errors.append(
                    _("%(w)s：金额 %(a)s 元与发放明细 %(b)s 元不符")
                    % {"w": where, "a": amount, "b": payment.amount}
                )
                continue
            reason = str(_cell(row, columns, "reason") or "").strip()[:200]
            state = _result(_cell(row, columns, "result"), reason)
            if state is None:
                errors.append(
                    _("%(w)s：无法识别处理结果“%(r)s”") % {"w": where, "r": _cell(row, columns, "result")}
                )
                continue
            if payment.pk in changed:
                errors.append(_("%(w)s：同一笔发放明细在文件中出现两次") % {"w": where})
                continue
            if payment.bank_state == state:
                counts["unchanged"] += 1
                continue
            if payment.bank_state != BankState.PENDING:
                errors.append(
                    _("%(w)s：该笔已回盘为“%(s)s”，不能改为“%(t)s”")
                    % {"w": where, "s": payment.get_bank_state_display(), "t": BankState(state).label}
                )
                continue
            payment.bank_state = state
            payment.bank_reason = (reason or _("银行未说明原因")) if state == BankState.FAILED else ""
            payment.bank_date = _date(_cell(row, columns, "date"), today)
            changed[payment.pk] = payment
            counts[state] += 1
        if columns is None:
            raise ValidationError(_("找不到表头：回盘文件须有“摘要”或“身份证号”列"))
    if errors:
        raise ValidationError(errors[:50])
    if changed:
        bulk_update_with_history(
            list(changed.values()),
            Payment,
            ["bank_state", "bank_reason", "bank_date"],
            default_user=actor,
            default_change_reason=_("银行回盘"),
        )
    locked.failed_amount = (
        Payment.objects.filter(batch=locked, bank_state=BankState.FAILED).aggregate(s=Sum("amount"))["s"]
        or ZERO
    )
    locked.save(update_fields=["failed_amount"])  # lint: allow-save (this service)
    workflows.batch_workflow.log(
        locked,
        action="bank_return",
        actor=actor,
        from_state=locked.status,
        comment=_("银行回盘：入账 %(p)d 笔，失败 %(f)d 笔") % {"p": counts["paid"], "f": counts["failed"]},
    )
    return counts


# --- re-issue of failed lines ------------------------------------------------------------------------


@transaction.atomic
def batch_reissue(*, actor: User, batch: DisbursementBatch, comment: str = "") -> DisbursementBatch:
    """A follow-up batch (补发) of the batch's failed lines not yet re-issued, each to the recipient's
    current payment account, for review and approval like any batch. A line is re-issued at most
    once (`Payment.reissue_of` is one-to-one): two people asking at once get one follow-up batch."""
    require_actor(actor, batch.region_id)
    if message := county_or_above(actor):
        raise PermissionDenied(message)
    locked = DisbursementBatch.objects.select_for_update().select_related("program").get(pk=batch.pk)
    if locked.status not in BANK_STATES:
        raise ValidationError(_("只有已审批或已发放的批次可以补发"))
    failed = list(
        Payment.objects.select_for_update(of=("self",))
        .filter(batch=locked, bank_state=BankState.FAILED, reissue__isnull=True)
        .order_by("id")
    )
    if not failed:
        raise ValidationError(_("该批次没有待补发的失败明细"))
    accounts = {
        a.person.id_number: a
        for a in PaymentAccount.objects.active()
        .filter(person__id_number__in=[p.id_number for p in failed], person__active=True)
        .select_related("person")
    }
    missing = [p.recipient_name for p in failed if p.id_number not in accounts]
    if missing:
        raise ValidationError(
            _("以下对象没有有效的发放账户，请先登记账户后再补发：%(names)s")
            % {"names": "、".join(missing[:20])}
        )
    total = sum((p.amount for p in failed), ZERO)
    allocation = Allocation.objects.select_for_update().get(pk=locked.allocation_id)
    left = allocation.amount - allocation_drawn(allocation)
    if total > left:
        raise ValidationError(_("补发金额 %(t)s 元超出资金指标剩余额度 %(l)s 元") % {"t": total, "l": left})
    n = locked.follow_ups.count() + 1
    follow = DisbursementBatch(
        region_id=locked.region_id,
        program=locked.program,
        allocation=allocation,
        period=f"{locked.period}-补{n}",
        title=_("%(t)s（补发%(n)d）") % {"t": locked.title, "n": n},
        status=BatchStatus.DRAFT,
        total_amount=total,
        payment_count=len(failed),
        follows=locked,
        pay_by=locked.pay_by,
        created_by=actor,
    )
    follow.save()  # lint: allow-save (this service)
    rows = [
        Payment(
            batch=follow,
            program=p.program,
            one_off=p.one_off,
            region_id=p.region_id,
            household_id=p.household_id,
            person_id=p.person_id,
            recipient_name=p.recipient_name,
            id_number=p.id_number,
            phone=p.phone,
            persons=p.persons,
            amount=p.amount,
            snapshot={**p.snapshot, "reissue_of": p.pk, "failed_reason": p.bank_reason},
            account=accounts[p.id_number],
            reissue_of=p,
        )
        for p in failed
    ]
    try:
        with transaction.atomic():
            bulk_create_with_history(rows, Payment, default_user=actor, default_change_reason=_("补发"))
    except IntegrityError:
        raise ValidationError(_("部分失败明细已经补发，不能重复补发")) from None
    note = comment.strip() or _("补发 %(n)d 笔，合计 %(t)s 元") % {"n": len(rows), "t": total}
    workflows.batch_workflow.log(follow, action="generate", actor=actor, comment=note)
    workflows.batch_workflow.log(
        locked, action="reissue", actor=actor, from_state=locked.status, comment=note
    )
    return follow
