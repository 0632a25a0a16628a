"""Funds and materials: allocations, programs, disbursement batches and their payments, temporary
assistance (临时救助) applications, and in-kind material stock.

Every yuan is traceable: an `Allocation` (指标) is drawn on by `DisbursementBatch`es whose `Payment`s
name the person or household paid, with a snapshot of what the amount was based on. Money is
`Decimal` everywhere (`MONEY`). Region scoping: every record carries `region` (relief/scoping.py).
Programs and material items are configuration, visible to every signed-in user.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from relief.models import TransitionLog
from relief.scoping import ScopedManager, ScopedQuerySet, region_field
from relief.stored_labels import stored
from relief.transitions import user_field

MONEY = {"max_digits": 12, "decimal_places": 2}
ZERO = Decimal("0.00")


# --- Programs ------------------------------------------------------------------------------------


class ProgramKind(models.TextChoices):
    CASH = "cash", _("现金发放")
    TEMPORARY = "temporary", _("临时救助")
    IN_KIND = "in_kind", _("实物发放")


class AmountBasis(models.TextChoices):
    PER_PERSON = "person", _("按人")
    PER_HOUSEHOLD = "household", _("按户")


class AmountMode(models.TextChoices):
    FIXED = "fixed", _("固定金额")
    BY_DIBAO_CLASS = "by_class", _("按低保类别")
    #: the monthly amount the enrolment decision set on the category (Assistance.monthly_amount)
    DECIDED = "decided", _("按审核确认金额")


from funds.material_models import (  # noqa: E402, F401  (re-exported: `from funds.models import Stock`)
    QUANTITY,
    ConfigQuerySet,
    MaterialItem,
    MovementKind,
    Stock,
    StockMovement,
    Warehouse,
)


class Program(models.Model):
    """A relief program with its eligibility rule and amount rule, set by administrators."""

    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=16, choices=ProgramKind.choices, default=ProgramKind.CASH)
    # Eligibility: a current assistance record in ANY of `categories` (empty: no category needed),
    # ALL of `flags` (people.models.PERSON_FLAGS / AGE_FLAGS keys) and at least `min_age`.
    categories = models.JSONField(_("适用救助类别"), default=list, blank=True)
    flags = models.JSONField(_("须具备的标识"), default=list, blank=True)
    min_age = models.PositiveSmallIntegerField(_("最低年龄"), null=True, blank=True)
    amount_basis = models.CharField(
        _("计发单位"), max_length=16, choices=AmountBasis.choices, default=AmountBasis.PER_PERSON
    )
    amount_mode = models.CharField(
        _("金额规则"), max_length=16, choices=AmountMode.choices, default=AmountMode.FIXED
    )
    amount_fixed = models.DecimalField(
        _("固定金额（元）"), default=ZERO, help_text=_("按低保类别计发时，无类别者按此金额"), **MONEY
    )
    amount_class_a = models.DecimalField(_("A类金额（元）"), null=True, blank=True, **MONEY)
    amount_class_b = models.DecimalField(_("B类金额（元）"), null=True, blank=True, **MONEY)
    amount_class_c = models.DecimalField(_("C类金额（元）"), null=True, blank=True, **MONEY)
    one_off = models.BooleanField(_("一次性发放"), default=False, help_text=_("同一人（户）只能领取一次"))
    #: a winter subsidy (一次性生活补贴, 取暖补贴): every 低保 and 特困 household of a county that pays
    #: it this winter should get it (funds.sweeps: 应发未发)
    winter = models.BooleanField(_("冬季救助项目"), default=False, help_text=_("低保、特困家庭本冬应予发放"))
    active = models.BooleanField(_("启用"), default=True)
    description = models.TextField(_("说明"), blank=True)

    objects = ScopedManager.from_queryset(ConfigQuerySet)()

    class Meta:
        verbose_name = _("救助项目")
        verbose_name_plural = _("救助项目")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_fixed__gte=0)
                & (Q(amount_class_a__isnull=True) | Q(amount_class_a__gte=0))
                & (Q(amount_class_b__isnull=True) | Q(amount_class_b__gte=0))
                & (Q(amount_class_c__isnull=True) | Q(amount_class_c__gte=0)),
                name="program_amounts_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return stored(self.name)  # a seeded programme's name in the chosen language

    @property
    def per_person(self) -> bool:
        return self.amount_basis == AmountBasis.PER_PERSON

    def amount_for_class(self, dibao_class: str | None) -> Decimal:
        if self.amount_mode == AmountMode.BY_DIBAO_CLASS and dibao_class:
            value = getattr(self, f"amount_class_{dibao_class.lower()}", None)
            if value is not None:
                return value
        return self.amount_fixed

    def rule_snapshot(self) -> dict:
        return {
            "program": self.code,
            "name": self.name,
            "categories": list(self.categories),
            "flags": list(self.flags),
            "min_age": self.min_age,
            "amount_basis": self.amount_basis,
            "amount_mode": self.amount_mode,
            "amount_fixed": str(self.amount_fixed),
            "amount_class": {
                c: str(v)
                for c, v in (
                    ("A", self.amount_class_a),
                    ("B", self.amount_class_b),
                    ("C", self.amount_class_c),
                )
                if v is not None
            },
            "one_off": self.one_off,
        }

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        from people.models import AGE_FLAGS, PERSON_FLAGS, Category

        errors = {}
        if not isinstance(self.categories, list) or set(self.categories) - set(Category.values):
            errors["categories"] = _("救助类别须为以下之一：%(c)s") % {"c": "、".join(Category.values)}
        known = set(PERSON_FLAGS) | set(AGE_FLAGS)
        if not isinstance(self.flags, list) or set(self.flags) - known:
            errors["flags"] = _("标识须为以下之一：%(f)s") % {"f": "、".join(sorted(known))}
        if self.amount_mode == AmountMode.BY_DIBAO_CLASS and not any(
            v is not None for v in (self.amount_class_a, self.amount_class_b, self.amount_class_c)
        ):
            errors["amount_mode"] = _("按低保类别计发时，至少填写一个类别的金额")
        if errors:
            raise ValidationError(errors)


# --- Allocations ---------------------------------------------------------------------------------


class Source(models.TextChoices):
    CENTRAL = "central", _("中央")
    PROVINCIAL = "provincial", _("省级")
    CITY = "city", _("市级")
    COUNTY = "county", _("县级")


class AllocationQuerySet(ScopedQuerySet):
    def live(self) -> AllocationQuerySet:
        return self.filter(cancelled_at__isnull=True)


class Allocation(models.Model):
    """Funds (资金指标) of one program, year and source, allocated to a region (usually a county)."""

    region = region_field(verbose_name=_("下达区划"))
    year = models.PositiveSmallIntegerField(_("年度"))
    program = models.ForeignKey(
        Program, verbose_name=_("项目"), on_delete=models.PROTECT, related_name="allocations"
    )
    source = models.CharField(_("资金来源"), max_length=16, choices=Source.choices)
    amount = models.DecimalField(_("金额（元）"), **MONEY)
    is_advance = models.BooleanField(_("提前下达/预拨"), default=False)
    document_number = models.CharField(_("文号"), max_length=100, blank=True)
    issued_on = models.DateField(_("下达日期"), default=timezone.localdate)
    note = models.CharField(_("备注"), max_length=255, blank=True)
    created_by = user_field(_("登记人"))
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    #: a cancelled allocation holds nothing (funds.services.allocations: only while nothing draws on it)
    cancelled_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)

    objects = ScopedManager.from_queryset(AllocationQuerySet)()
    #: corrections and cancellation, each with its reason (the history's change reason)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("资金指标")
        verbose_name_plural = _("资金指标")
        ordering = ["-year", "region_id", "program_id", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="allocation_amount_positive"),
        ]
        indexes = [models.Index(fields=["year", "program"], name="allocation_year_program")]

    def __str__(self) -> str:
        advance = _("（提前下达）") if self.is_advance else ""
        return f"{self.year} {self.program} {self.get_source_display()}{advance} {self.amount}元"


# --- Disbursement batches ------------------------------------------------------------------------


class BatchStatus(models.TextChoices):
    GENERATING = "generating", _("生成中")
    DRAFT = "draft", _("待审核")
    REVIEWED = "reviewed", _("已审核")
    APPROVED = "approved", _("已审批")
    PAID = "paid", _("已发放")
    CANCELLED = "cancelled", _("已作废")
    FAILED = "failed", _("生成失败")


# Batches that draw on their allocation (a failed or cancelled batch holds nothing).
DRAWING_BATCH_STATUSES = [BatchStatus.GENERATING, BatchStatus.DRAFT, BatchStatus.REVIEWED]
COMMITTED_BATCH_STATUSES = [BatchStatus.APPROVED]


class DisbursementBatch(models.Model):
    """One payment run of a program in a county for a period (e.g. the 2026 winter one-time subsidy)."""

    region = region_field(verbose_name=_("县（区）"))
    program = models.ForeignKey(
        Program, verbose_name=_("项目"), on_delete=models.PROTECT, related_name="batches"
    )
    allocation = models.ForeignKey(
        Allocation, verbose_name=_("资金指标"), on_delete=models.PROTECT, related_name="batches"
    )
    period = models.CharField(_("发放期"), max_length=20, help_text=_("如 2026 或 2026-01"))
    title = models.CharField(_("名称"), max_length=200)
    status = models.CharField(
        _("状态"), max_length=16, choices=BatchStatus.choices, default=BatchStatus.GENERATING
    )
    total_amount = models.DecimalField(_("合计金额（元）"), default=ZERO, **MONEY)
    payment_count = models.PositiveIntegerField(_("发放笔数"), default=0)
    error = models.TextField(_("生成失败原因"), blank=True)
    job = models.ForeignKey(
        "relief.Job",
        verbose_name=_("生成任务"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_by = user_field(_("生成人"))
    created_at = models.DateTimeField(_("生成时间"), auto_now_add=True)
    reviewed_by = user_field(_("审核人"))
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    approved_by = user_field(_("审批人"))
    approved_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    paid_by = user_field(_("发放登记人"))
    paid_at = models.DateTimeField(_("发放时间"), null=True, blank=True)
    #: what the bank's return file said failed (funds/bank.py): given back to the allocation
    failed_amount = models.DecimalField(_("发放失败金额（元）"), default=ZERO, **MONEY)
    follows = models.ForeignKey(
        "self",
        verbose_name=_("补发自批次"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="follow_ups",
    )
    pay_by = models.DateField(
        _("发放截止日期"), null=True, blank=True, help_text=_("审批后逾期未登记发放的，系统发出预警")
    )

    objects = ScopedManager()

    class Meta:
        verbose_name = _("发放批次")
        verbose_name_plural = _("发放批次")
        ordering = ["-created_at", "-id"]
        constraints = [
            # Generating twice creates nothing extra: one live batch per program, county and period.
            models.UniqueConstraint(
                fields=["program", "region", "period"],
                condition=~Q(status__in=["cancelled", "failed"]),
                name="batch_one_live_per_program_region_period",
            ),
            models.CheckConstraint(condition=Q(total_amount__gte=0), name="batch_total_not_negative"),
            models.CheckConstraint(
                condition=Q(failed_amount__gte=0, failed_amount__lte=models.F("total_amount")),
                name="batch_failed_within_total",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("funds:batch-detail", args=[self.pk])


class BatchTransition(TransitionLog):
    """Every step of a batch (funds/workflows.py): which, from which state to which, who, when, why."""

    batch = models.ForeignKey(DisbursementBatch, on_delete=models.CASCADE, related_name="transitions")
    from_state = models.CharField(_("原状态"), max_length=16, choices=BatchStatus.choices, blank=True)
    to_state = models.CharField(_("新状态"), max_length=16, choices=BatchStatus.choices)
    comment = models.TextField(_("意见"), blank=True)

    class Meta(TransitionLog.Meta):
        verbose_name = _("批次流转记录")
        verbose_name_plural = _("批次流转记录")


class PaymentQuerySet(ScopedQuerySet):
    def payable(self) -> PaymentQuerySet:
        """Lines not held (a held line, e.g. of a person confirmed dead, is not paid)."""
        return self.filter(held_at__isnull=True)

    def paid_after_death(self) -> PaymentQuerySet:
        """Lines really paid (batch registered as paid, not held, not failed at the bank) after the
        person's confirmed death date: money to recover (funds.recovery_models)."""
        return self.filter(
            person__died_on__isnull=False,
            held_at__isnull=True,
            batch__status=BatchStatus.PAID,
            batch__paid_at__date__gt=models.F("person__died_on"),
        ).exclude(bank_state=BankState.FAILED)

    def paid_after_exit(self) -> PaymentQuerySet:
        """Lines really paid for a program that requires a category (低保, 特困, ...) to a household
        whose assistance in those categories had ended (退出) before the batch was paid, with none of
        them current on that day: money to recover. A line of a program with no category, or of a
        household that never had one of its categories, is not an exit."""
        from django.db.models.functions import TruncDate

        from people.models import Assistance

        def in_program_categories(qs: models.QuerySet) -> models.QuerySet:
            return qs.filter(
                models.Func(
                    models.OuterRef("program__categories"),
                    models.F("category"),
                    function="jsonb_exists",
                    output_field=models.BooleanField(),
                )
            )

        paid_on = models.OuterRef("paid_on")
        ended = in_program_categories(
            Assistance.objects.filter(household=models.OuterRef("household"), end_date__lt=paid_on)
        )
        current = in_program_categories(
            Assistance.objects.filter(household=models.OuterRef("household"), start_date__lte=paid_on).filter(
                Q(end_date__isnull=True) | Q(end_date__gte=paid_on)
            )
        )
        return (
            self.filter(held_at__isnull=True, batch__status=BatchStatus.PAID)
            .exclude(bank_state=BankState.FAILED)
            .exclude(program__categories=[])
            .annotate(paid_on=TruncDate("batch__paid_at"))
            .filter(models.Exists(ended))
            .exclude(models.Exists(current))
        )


class BankState(models.TextChoices):
    """What the bank said of a payment line (its return file, funds/bank.py)."""

    PENDING = "pending", _("待银行回盘")
    PAID = "paid", _("已入账")
    FAILED = "failed", _("发放失败")


class Payment(models.Model):
    """One line of a batch: who is paid how much, and a snapshot of why."""

    batch = models.ForeignKey(
        DisbursementBatch, verbose_name=_("批次"), on_delete=models.CASCADE, related_name="payments"
    )
    # Denormalised from the batch so that the database can enforce "a one-off program pays once".
    program = models.ForeignKey(Program, verbose_name=_("项目"), on_delete=models.PROTECT, related_name="+")
    one_off = models.BooleanField(_("一次性"), default=False, editable=False)
    region = region_field(verbose_name=_("区划"))
    household = models.ForeignKey(
        "people.Household", verbose_name=_("家庭"), on_delete=models.PROTECT, related_name="payments"
    )
    person = models.ForeignKey(
        "people.Person",
        verbose_name=_("领取人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="payments",
        help_text=_("按人发放时填写；按户发放时留空"),
    )
    recipient_name = models.CharField(_("姓名"), max_length=50)
    id_number = models.CharField(_("身份证号"), max_length=18, blank=True)
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    persons = models.PositiveSmallIntegerField(_("计发人数"), default=1)
    amount = models.DecimalField(_("金额（元）"), **MONEY)
    snapshot = models.JSONField(_("计发依据快照"), default=dict)
    created_at = models.DateTimeField(_("生成时间"), auto_now_add=True)
    # held (暂停发放): not paid with its batch, out of its total (exchange/deaths.py on a confirmed death)
    held_at = models.DateTimeField(_("暂停发放时间"), null=True, blank=True)
    held_reason = models.CharField(_("暂停发放原因"), max_length=255, blank=True)
    # The bank's answer (funds/bank.py). A failed line is re-issued at most once (one-to-one).
    account = models.ForeignKey(
        "people.PaymentAccount", verbose_name=_("发放账户"), null=True, blank=True, on_delete=models.PROTECT
    )
    bank_state = models.CharField(
        _("银行回盘"), max_length=8, choices=BankState.choices, default=BankState.PENDING
    )
    bank_reason = models.CharField(_("失败原因"), max_length=200, blank=True)
    bank_date = models.DateField(_("回盘日期"), null=True, blank=True)
    reissue_of = models.OneToOneField(
        "self",
        verbose_name=_("补发自"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reissue",
    )

    objects = ScopedManager.from_queryset(PaymentQuerySet)()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("发放明细")
        verbose_name_plural = _("发放明细")
        ordering = ["batch_id", "region_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "person"],
                condition=Q(one_off=True, person__isnull=False) & ~Q(bank_state="failed"),
                name="payment_one_off_person_once",
            ),
            models.UniqueConstraint(
                fields=["program", "household"],
                condition=Q(one_off=True, person__isnull=True) & ~Q(bank_state="failed"),
                name="payment_one_off_household_once",
            ),
            models.UniqueConstraint(
                fields=["batch", "person"],
                condition=Q(person__isnull=False),
                name="payment_person_once_in_batch",
            ),
            models.UniqueConstraint(
                fields=["batch", "household"],
                condition=Q(person__isnull=True),
                name="payment_household_once_in_batch",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=~Q(bank_state="failed") | ~Q(bank_reason=""), name="payment_failed_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.recipient_name} {self.amount}元"


# --- Temporary assistance (临时救助) --------------------------------------------------------------


class ApplicationKind(models.TextChoices):
    URGENT = "urgent", _("急难型")
    EXPENSE = "expense", _("支出型")


class Cause(models.TextChoices):
    ILLNESS = "illness", _("突发重大疾病")
    ACCIDENT = "accident", _("意外事故")
    FIRE = "fire", _("火灾")
    DISASTER = "disaster", _("自然灾害")
    MEDICAL = "medical", _("医疗支出")
    EDUCATION = "education", _("教育支出")
    LIVING = "living", _("基本生活支出")
    OTHER = "other", _("其他")


class AppStatus(models.TextChoices):
    SUBMITTED = "submitted", _("已受理")
    EMERGENCY_PAID = "emergency_paid", _("已先行救助")
    REVIEWED = "reviewed", _("乡镇已审核")
    NOTICE = "notice", _("公示中")
    NOTICE_DONE = "notice_done", _("公示结束")
    APPROVED = "approved", _("已审批")
    PAID = "paid", _("已发放")
    REJECTED = "rejected", _("不予救助")


class ApprovalLevel(models.TextChoices):
    TOWNSHIP = "township", _("乡镇审批")
    COUNTY = "county", _("县级审批")


class ApplicationQuerySet(ScopedQuerySet):
    pass


class AssistanceApplication(models.Model):
    """A 临时救助 application. The applicant need not be on the register; the region is where the
    emergency happened (aid where it happened, whatever the household registration)."""

    region = region_field(verbose_name=_("事发地乡镇（街道）/村（社区）"))
    kind = models.CharField(_("救助类型"), max_length=16, choices=ApplicationKind.choices)
    cause = models.CharField(_("救助事由"), max_length=16, choices=Cause.choices)
    year = models.PositiveSmallIntegerField(_("年度"), editable=False)
    person = models.ForeignKey(
        "people.Person",
        verbose_name=_("在册人员"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assistance_applications",
    )
    household = models.ForeignKey(
        "people.Household",
        verbose_name=_("在册家庭"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assistance_applications",
    )
    applicant_name = models.CharField(_("申请人姓名"), max_length=50)
    id_number = models.CharField(_("身份证号"), max_length=18)
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    place = models.CharField(_("事发地点"), max_length=255)
    description = models.TextField(_("困难情况"), blank=True)
    household_size = models.PositiveSmallIntegerField(_("家庭人数"), default=1)
    months = models.PositiveSmallIntegerField(_("救助月数"), null=True, blank=True, help_text=_("支出型填写"))
    amount_requested = models.DecimalField(_("申请金额（元）"), default=ZERO, **MONEY)
    emergency_amount = models.DecimalField(_("先行救助金额（元）"), default=ZERO, **MONEY)
    emergency_paid_at = models.DateTimeField(_("先行救助时间"), null=True, blank=True)
    proposed_amount = models.DecimalField(_("乡镇审核金额（元）"), null=True, blank=True, **MONEY)
    approved_amount = models.DecimalField(_("审批金额（元）"), null=True, blank=True, **MONEY)
    approval_level = models.CharField(_("审批层级"), max_length=16, choices=ApprovalLevel.choices, blank=True)
    township_limit = models.DecimalField(_("乡镇审批上限（元）"), null=True, blank=True, **MONEY)
    notice_start = models.DateField(_("公示开始"), null=True, blank=True)
    notice_end = models.DateField(_("公示截止"), null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=AppStatus.choices, default=AppStatus.SUBMITTED
    )
    rejection_reason = models.TextField(_("不予救助理由"), blank=True)
    submitted_at = models.DateTimeField(_("受理时间"), default=timezone.now)
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    paid_at = models.DateTimeField(_("发放时间"), null=True, blank=True)
    created_by = user_field(_("受理人"))
    approved_by = user_field(_("审批人"))

    objects = ScopedManager.from_queryset(ApplicationQuerySet)()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("临时救助申请")
        verbose_name_plural = _("临时救助申请")
        ordering = ["-submitted_at", "-id"]
        constraints = [
            # One payment per person per cause per year: one live application (not rejected).
            models.UniqueConstraint(
                fields=["id_number", "cause", "year"],
                condition=~Q(status="rejected"),
                name="application_once_per_person_cause_year",
            ),
            models.CheckConstraint(
                condition=Q(emergency_amount__gte=0)
                & Q(amount_requested__gte=0)
                & (Q(approved_amount__isnull=True) | Q(approved_amount__gte=0))
                & (Q(proposed_amount__isnull=True) | Q(proposed_amount__gte=0)),
                name="application_amounts_not_negative",
            ),
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(rejection_reason=""),
                name="application_reject_has_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "submitted_at"], name="application_status_time"),
            models.Index(
                fields=["id_number"], name="application_id_number", opclasses=["varchar_pattern_ops"]
            ),
        ]

    def __str__(self) -> str:
        return f"{self.applicant_name} · {self.get_kind_display()} · {self.get_cause_display()}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("funds:application-detail", args=[self.pk])

    @property
    def total_amount(self) -> Decimal:
        return (self.approved_amount or ZERO) + (self.emergency_amount or ZERO)

    @property
    def is_open(self) -> bool:
        return self.status not in (AppStatus.PAID, AppStatus.REJECTED)


class ApplicationTransition(TransitionLog):
    """Every step of an application: who, when, what, with a comment (objections during 公示 too)."""

    application = models.ForeignKey(
        AssistanceApplication, on_delete=models.CASCADE, related_name="transitions"
    )
    action = models.CharField(_("动作"), max_length=32)
    from_state = models.CharField(_("原状态"), max_length=16, choices=AppStatus.choices, blank=True)
    to_state = models.CharField(_("新状态"), max_length=16, choices=AppStatus.choices)
    comment = models.TextField(_("意见"), blank=True)
    amount = models.DecimalField(_("金额（元）"), null=True, blank=True, **MONEY)

    class Meta(TransitionLog.Meta):
        verbose_name = _("临时救助办理记录")
        verbose_name_plural = _("临时救助办理记录")

    ACTION_LABELS = {
        "submit": _("受理"),
        "emergency_pay": _("先行救助"),
        "review": _("乡镇审核"),
        "notice_start": _("开始公示"),
        "objection": _("公示异议"),
        "notice_close": _("公示结束"),
        "approve": _("审批"),
        "pay": pgettext_lazy("application step", "发放"),
        "reject": _("不予救助"),
    }

    @property
    def action_label(self) -> str:
        return str(self.ACTION_LABELS.get(self.action, self.action))


from funds.recovery_models import (  # noqa: E402, F401  (re-exported: `from funds.models import Recovery`)
    OPEN_STATES,
    Recovery,
    RecoveryReason,
    RecoveryReturn,
    RecoveryState,
)
