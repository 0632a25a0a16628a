"""Recovery (追回) of money paid wrongly: a payment line or a 临时救助 application paid after the
person's death or exit, twice for one cause, or with a wrong amount. Kept out of funds/models.py (at
its size limit), which re-exports these models.

A recovery names what was paid wrongly, how much must come back and why; each sum returned is a
`RecoveryReturn` row (date, receipt), and the recovery's `returned_amount` is their total, kept
under the recovery's row lock (funds/services/recoveries.py). The allocation ledger
(funds.selectors.ledger) shows, per county and program of the year the money came from, what is
still to recover and what came back.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from relief.scoping import ScopedManager, ScopedQuerySet, region_field
from relief.transitions import user_field

MONEY = {"max_digits": 12, "decimal_places": 2}  # as funds.models.MONEY


class RecoveryReason(models.TextChoices):
    AFTER_DEATH = "after_death", _("死亡后发放")
    AFTER_EXIT = "after_exit", _("退出后发放")
    DUPLICATE = "duplicate", _("重复发放")
    WRONG_AMOUNT = "wrong_amount", _("金额错误")
    OTHER = "other", _("其他")


class RecoveryState(models.TextChoices):
    OPEN = "open", _("待追回")
    PARTIAL = "partial", _("部分追回")
    RECOVERED = "recovered", _("已追回")
    WAIVED = "waived", _("核销（无法追回）")
    CANCELLED = "cancelled", _("已撤销")


#: states in which money is still expected back (the recovery is someone's task)
OPEN_STATES = (RecoveryState.OPEN, RecoveryState.PARTIAL)


class RecoveryQuerySet(ScopedQuerySet):
    def live(self) -> RecoveryQuerySet:
        """Not cancelled (a recovery registered by mistake holds nothing)."""
        return self.exclude(state=RecoveryState.CANCELLED)

    def outstanding(self) -> RecoveryQuerySet:
        return self.filter(state__in=OPEN_STATES)


class Recovery(models.Model):
    """Money to bring back from one wrong payment (a batch line or a 临时救助 application)."""

    region = region_field(verbose_name=_("区划"))
    payment = models.ForeignKey(
        "funds.Payment",
        verbose_name=_("发放明细"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="recoveries",
    )
    application = models.ForeignKey(
        "funds.AssistanceApplication",
        verbose_name=_("临时救助申请"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="recoveries",
    )
    household = models.ForeignKey(
        "people.Household",
        verbose_name=_("家庭"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="recoveries",
    )
    person = models.ForeignKey(
        "people.Person",
        verbose_name=_("人员"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="recoveries",
    )
    # denormalised from what was paid, so the ledger sums recoveries per county, program and year
    program = models.ForeignKey(
        "funds.Program", verbose_name=_("项目"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("资金年度"))
    recipient_name = models.CharField(_("领取人"), max_length=50)
    paid_amount = models.DecimalField(_("原发放金额（元）"), **MONEY)
    amount = models.DecimalField(_("应追回金额（元）"), **MONEY)
    returned_amount = models.DecimalField(_("已追回金额（元）"), default=0, **MONEY)
    reason = models.CharField(_("追回原因"), max_length=16, choices=RecoveryReason.choices)
    detail = models.TextField(_("情况说明"), blank=True)
    state = models.CharField(
        _("状态"), max_length=12, choices=RecoveryState.choices, default=RecoveryState.OPEN
    )
    due_on = models.DateField(_("追回期限"), null=True, blank=True)
    created_by = user_field(_("登记人"))
    created_at = models.DateTimeField(_("登记时间"), default=timezone.now)
    closed_by = user_field(_("办结人"))
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    close_reason = models.TextField(_("核销/撤销理由"), blank=True)

    objects = ScopedManager.from_queryset(RecoveryQuerySet)()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("资金追回")
        verbose_name_plural = _("资金追回")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(payment__isnull=False) & Q(application__isnull=True))
                | (Q(payment__isnull=True) & Q(application__isnull=False)),
                name="recovery_of_one_payment_or_application",
            ),
            models.CheckConstraint(
                condition=Q(amount__gt=0) & Q(amount__lte=F("paid_amount")),
                name="recovery_amount_within_paid",
            ),
            models.CheckConstraint(
                condition=Q(returned_amount__gte=0) & Q(returned_amount__lte=F("amount")),
                name="recovery_returned_within_amount",
            ),
            # a wrong payment is recovered once: a second registration (a double click, the same
            # finding answered twice) is refused by the database
            models.UniqueConstraint(
                fields=["payment"],
                condition=Q(payment__isnull=False) & ~Q(state="cancelled"),
                name="recovery_one_live_per_payment",
            ),
            models.UniqueConstraint(
                fields=["application"],
                condition=Q(application__isnull=False) & ~Q(state="cancelled"),
                name="recovery_one_live_per_application",
            ),
        ]
        indexes = [models.Index(fields=["year", "program"], name="recovery_year_program")]

    def __str__(self) -> str:
        return f"{self.recipient_name} {self.get_reason_display()} {self.amount}元"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("funds:recovery-detail", args=[self.pk])

    @property
    def outstanding(self) -> object:
        """What is still to come back (nothing once closed)."""
        return self.amount - self.returned_amount if self.state in OPEN_STATES else 0

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


class RecoveryReturn(models.Model):
    """One sum paid back (退回): to the county's fund account, with its receipt."""

    recovery = models.ForeignKey(
        Recovery, verbose_name=_("追回"), on_delete=models.PROTECT, related_name="returns"
    )
    amount = models.DecimalField(_("退回金额（元）"), **MONEY)
    returned_on = models.DateField(_("退回日期"))
    receipt = models.CharField(_("票据/凭证号"), max_length=100, blank=True)
    note = models.CharField(_("备注"), max_length=255, blank=True)
    created_by = user_field(_("登记人"))
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("追回退款")
        verbose_name_plural = _("追回退款")
        ordering = ["returned_on", "id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="recovery_return_positive")]

    def __str__(self) -> str:
        return f"{self.returned_on} {self.amount}元"
