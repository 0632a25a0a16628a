"""Enrolment (纳入救助, 审核确认) into 低保, 特困, 低保边缘 and 刚性支出困难, and what follows it: the
periodic review of a category (动态管理) and appeals and complaints (复查/复核, 投诉/举报).

- `Enrolment`: one application of a household for one kind, from 受理 to the county's decision and
  the applicant told; its steps and clocks are declared in enrolments/workflows.py and
  enrolments/clocks.py. `EnrolmentMember` holds the members, incomes and property as declared.
- `Review`: the next review of a category in force (one open per Assistance record).
- `Appeal`: a request for review of a decision, or a complaint, with its own clock.

Region scoping: every record carries `region` (the household's village), relief/scoping.py.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from people.choices import DibaoClass, TekunMode
from relief.scoping import ScopedManager, ScopedQuerySet, region_field
from relief.transitions import TransitionLog, user_field

MONEY = {"max_digits": 12, "decimal_places": 2}
ZERO = Decimal("0.00")


class Kind(models.TextChoices):
    """What is applied for; the values are the register's categories (people.choices.Category)."""

    DIBAO = "dibao", _("低保")
    TEKUN = "tekun", _("特困")
    DIBAO_EDGE = "dibao_edge", _("低保边缘")
    RIGID_EXPENSE = "rigid_expense", _("刚性支出困难")


class Origin(models.TextChoices):
    WALK_IN = "walk_in", _("窗口申请（一门受理）")
    ONLINE = "online", _("线上申请（其他系统）")
    FOUND = "found", _("主动发现")


class Status(models.TextChoices):
    SUBMITTED = "submitted", _("待受理")
    CHECKING = "checking", _("经济状况核对中")
    INVESTIGATING = "investigating", _("待入户调查")
    EVALUATING = "evaluating", _("待民主评议")
    TOWNSHIP = "township", _("待乡镇审核")
    NOTICE = "notice", _("公示中")
    COUNTY = "county", _("待县级审核确认")
    REFUSED = "refused", _("不予确认（待书面告知）")
    REFUSAL_SENT = "refusal_sent", _("不予确认（已告知）")
    APPROVED = "approved", _("已确认纳入")
    WITHDRAWN = "withdrawn", _("已撤回")


OPEN_STATES = (
    Status.SUBMITTED,
    Status.CHECKING,
    Status.INVESTIGATING,
    Status.EVALUATING,
    Status.TOWNSHIP,
    Status.NOTICE,
    Status.COUNTY,
)
DECIDED_STATES = (Status.REFUSED, Status.REFUSAL_SENT, Status.APPROVED)


class IncomeType(models.TextChoices):
    STABLE = "stable", _("收入稳定")
    IRREGULAR = "irregular", _("收入不固定")


class CareLevel(models.TextChoices):
    """特困人员生活自理能力 (照料护理标准的档次)."""

    SELF = "self", _("全自理")
    PARTIAL = "partial", _("半失能")
    FULL = "full", _("全失能")


class EnrolmentQuerySet(ScopedQuerySet):
    def open(self) -> EnrolmentQuerySet:
        return self.filter(status__in=OPEN_STATES)

    def by_deadline(self) -> EnrolmentQuerySet:
        """The decision queue's order: the nearest total deadline first."""
        return self.order_by(models.F("deadline").asc(nulls_last=True), "id")

    def due_within(self, days: int, on: datetime.date | None = None) -> EnrolmentQuerySet:
        """Open applications whose total deadline is at most `days` calendar days away (or past)."""
        on = on or timezone.localdate()
        return self.open().filter(deadline__lte=on + datetime.timedelta(days=days))


class Enrolment(models.Model):
    """An application (申请) of a household for 低保, 特困, 低保边缘 or 刚性支出困难. 主动发现 counts as an
    application (origin FOUND, with the alert or visit it came from)."""

    household = models.ForeignKey(
        "people.Household", verbose_name=_("家庭"), on_delete=models.PROTECT, related_name="enrolments"
    )
    applicant = models.ForeignKey(
        "people.Person",
        verbose_name=_("申请人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="enrolments",
        help_text=_("特困按人认定：填写申请的成员"),
    )
    region = region_field(verbose_name=_("区划"))
    kind = models.CharField(_("申请类别"), max_length=16, choices=Kind.choices)
    tekun_mode = models.CharField(_("特困供养方式"), max_length=16, choices=TekunMode.choices, blank=True)
    care_level = models.CharField(_("生活自理能力"), max_length=8, choices=CareLevel.choices, blank=True)
    origin = models.CharField(_("申请来源"), max_length=8, choices=Origin.choices, default=Origin.WALK_IN)
    origin_alert = models.ForeignKey(
        "relief.Alert",
        verbose_name=_("来源预警"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    origin_note = models.CharField(_("来源说明"), max_length=255, blank=True)
    external_id = models.CharField(
        _("外部系统申请编号"), max_length=64, blank=True, help_text=_("线上申请：对方系统的编号")
    )
    reason = models.TextField(_("申请理由"), blank=True)
    authorisation = models.FileField(
        _("经济状况核对授权书"), upload_to="enrolments/authorisations/%Y/%m/", blank=True
    )
    staff_relative = models.BooleanField(
        _("近亲属备案"), default=False, help_text=_("申请人或家庭成员是经办人员或村（居）委会干部的近亲属")
    )
    staff_relative_note = models.CharField(_("近亲属说明"), max_length=255, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.SUBMITTED)

    # clocks (enrolments/clocks.py)
    submitted_at = models.DateTimeField(_("申请时间"), default=timezone.now)
    accepted_on = models.DateField(_("受理日期"), null=True, blank=True)
    deadline = models.DateField(_("办结时限"), null=True, blank=True)
    deadline_exact = models.BooleanField(default=True)
    extended = models.BooleanField(_("已延期"), default=False)
    extension_reason = models.CharField(_("延期理由"), max_length=255, blank=True)
    stage_since = models.DateField(_("本环节开始"), null=True, blank=True)

    # 家庭经济状况核对
    check_requested_on = models.DateField(_("核对申请日期"), null=True, blank=True)
    check_report = models.FileField(_("核对报告"), upload_to="enrolments/checks/%Y/%m/", blank=True)
    check_summary = models.TextField(_("核对结果"), blank=True)
    check_reference = models.CharField(_("核对报告编号"), max_length=64, blank=True)
    check_reported_on = models.DateField(_("核对报告日期"), null=True, blank=True)
    # 入户调查
    investigation_visit = models.ForeignKey(
        "people.Visit",
        verbose_name=_("入户调查记录"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    investigation_findings = models.TextField(_("入户调查情况"), blank=True)
    # 民主评议, township opinion
    evaluation_result = models.TextField(_("民主评议结果"), blank=True)
    township_opinion = models.TextField(_("乡镇审核意见"), blank=True)
    township_recommends = models.BooleanField(_("乡镇建议纳入"), null=True, blank=True)
    # 公示
    notice_round = models.PositiveSmallIntegerField(_("公示轮次"), default=0)
    notice_start = models.DateField(_("公示开始"), null=True, blank=True)
    notice_end = models.DateField(_("公示截止"), null=True, blank=True)
    # 近亲属: the county's own home visit
    county_visit_on = models.DateField(_("县级入户核查日期"), null=True, blank=True)
    county_visit_findings = models.TextField(_("县级入户核查情况"), blank=True)
    # the decision
    suggested_amount = models.DecimalField(_("测算金额（元/月）"), null=True, blank=True, **MONEY)
    amount = models.DecimalField(_("确认金额（元/月）"), null=True, blank=True, **MONEY)
    amount_reason = models.CharField(_("调整金额理由"), max_length=255, blank=True)
    dibao_class = models.CharField(_("低保类别"), max_length=1, choices=DibaoClass.choices, blank=True)
    income_type = models.CharField(_("收入类型"), max_length=16, choices=IncomeType.choices, blank=True)
    start_month = models.DateField(_("救助起始月"), null=True, blank=True, help_text=_("该月1日"))
    decided_on = models.DateField(_("决定日期"), null=True, blank=True)
    decided_by = user_field(_("决定人"))
    refusal_reason = models.TextField(_("不予确认理由"), blank=True)
    notified_on = models.DateField(_("告知日期"), null=True, blank=True)
    notice_method = models.CharField(_("告知方式"), max_length=64, blank=True)
    assistance = models.OneToOneField(
        "people.Assistance",
        verbose_name=_("纳入的救助类别"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="enrolment",
    )
    created_by = user_field(_("受理人"))

    objects = ScopedManager.from_queryset(EnrolmentQuerySet)()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("救助申请")
        verbose_name_plural = _("救助申请")
        ordering = ["-submitted_at", "-id"]
        constraints = [
            # one application in progress per household and kind: a double submit makes one
            models.UniqueConstraint(
                fields=["household", "kind"],
                condition=Q(status__in=[s.value for s in OPEN_STATES]),
                name="enrolment_one_open_per_household_kind",
            ),
            models.UniqueConstraint(
                fields=["external_id"], condition=~Q(external_id=""), name="enrolment_external_id_once"
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["refused", "refusal_sent"]) | ~Q(refusal_reason=""),
                name="enrolment_refusal_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gte=0), name="enrolment_amount_not_negative"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "deadline"], name="enrolment_status_deadline"),
            models.Index(fields=["kind", "decided_on"], name="enrolment_kind_decided"),
        ]

    def __str__(self) -> str:
        return f"{self.household} · {self.get_kind_display()}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("enrolments:detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATES

    @property
    def label(self) -> str:
        parts = [str(self.get_kind_display())]
        if self.tekun_mode:
            parts.append(str(self.get_tekun_mode_display()))
        return "·".join(parts)


class EnrolmentMember(models.Model):
    """A member of the applying household as declared: income and property, for the check and the
    amount."""

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="members")
    person = models.ForeignKey(
        "people.Person", verbose_name=_("在册成员"), null=True, blank=True, on_delete=models.SET_NULL
    )
    name = models.CharField(_("姓名"), max_length=50)
    id_number = models.CharField(_("身份证号"), max_length=18, blank=True)
    relation = models.CharField(_("与申请人关系"), max_length=20, blank=True)
    monthly_income = models.DecimalField(_("月收入（元）"), default=ZERO, **MONEY)
    income_note = models.CharField(_("收入来源"), max_length=255, blank=True)
    property_note = models.CharField(
        _("财产状况"), max_length=255, blank=True, help_text=_("房产、车辆、存款等")
    )
    deposits = models.DecimalField(_("存款及有价证券（元）"), default=ZERO, **MONEY)

    class Meta:
        verbose_name = _("申请家庭成员")
        verbose_name_plural = _("申请家庭成员")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(monthly_income__gte=0) & Q(deposits__gte=0), name="enrolment_member_not_negative"
            )
        ]

    def __str__(self) -> str:
        return self.name


class EnrolmentEvent(TransitionLog):
    """Every step of an application: who, when, what, why (objections during 公示 too)."""

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="events")
    amount = models.DecimalField(_("金额（元/月）"), null=True, blank=True, **MONEY)

    class Meta(TransitionLog.Meta):
        verbose_name = _("救助申请办理记录")
        verbose_name_plural = _("救助申请办理记录")


# --- dynamic management --------------------------------------------------------------------------


class ReviewStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("待复核")
    DONE = "done", _("已复核")
    CANCELLED = "cancelled", _("已取消")


class ReviewOutcome(models.TextChoices):
    CONTINUE = "continue", _("继续享受")
    CHANGE = "change", _("调整金额或类别")
    END = "end", _("退出")


class ReviewQuerySet(ScopedQuerySet):
    def scheduled(self) -> ReviewQuerySet:
        return self.filter(status=ReviewStatus.SCHEDULED)


class Review(models.Model):
    """The next periodic review (定期核查) of a category in force on the register."""

    assistance = models.ForeignKey(
        "people.Assistance", verbose_name=_("救助类别"), on_delete=models.PROTECT, related_name="reviews"
    )
    household = models.ForeignKey(
        "people.Household", verbose_name=_("家庭"), on_delete=models.PROTECT, related_name="reviews"
    )
    region = region_field(verbose_name=_("区划"))
    due_on = models.DateField(_("应复核日期"))
    status = models.CharField(
        _("状态"), max_length=16, choices=ReviewStatus.choices, default=ReviewStatus.SCHEDULED
    )
    outcome = models.CharField(_("复核结果"), max_length=16, choices=ReviewOutcome.choices, blank=True)
    findings = models.TextField(_("复核情况"), blank=True)
    new_amount = models.DecimalField(_("调整后金额（元/月）"), null=True, blank=True, **MONEY)
    new_class = models.CharField(_("调整后低保类别"), max_length=1, choices=DibaoClass.choices, blank=True)
    end_reason = models.TextField(_("退出理由"), blank=True)
    end_notice = models.CharField(_("退出告知"), max_length=255, blank=True)
    done_on = models.DateField(_("复核日期"), null=True, blank=True)
    done_by = user_field(_("复核人"))
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedManager.from_queryset(ReviewQuerySet)()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("定期复核")
        verbose_name_plural = _("定期复核")
        ordering = ["due_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["assistance"], condition=Q(status="scheduled"), name="review_one_scheduled"
            ),
            models.CheckConstraint(
                condition=~Q(outcome="end") | ~Q(end_reason=""), name="review_end_has_reason"
            ),
        ]
        indexes = [models.Index(fields=["status", "due_on"], name="review_status_due")]

    def __str__(self) -> str:
        return f"{self.household} · {self.due_on}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("enrolments:review-detail", args=[self.pk])


class ReviewEvent(TransitionLog):
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="events")

    class Meta(TransitionLog.Meta):
        verbose_name = _("复核办理记录")
        verbose_name_plural = _("复核办理记录")


# --- appeals and complaints ----------------------------------------------------------------------


class AppealKind(models.TextChoices):
    REVIEW = "review", _("复查复核申请")
    COMPLAINT = "complaint", _("投诉举报")


class AppealStatus(models.TextChoices):
    REGISTERED = "registered", _("已登记")
    ASSIGNED = "assigned", _("办理中")
    ANSWERED = "answered", _("已答复")
    CLOSED = "closed", _("已办结")


class AppealOutcome(models.TextChoices):
    UPHELD = "upheld", _("理由成立")
    PARTLY = "partly", _("部分成立")
    REJECTED = "rejected", _("理由不成立")


class AppealQuerySet(ScopedQuerySet):
    def open(self) -> AppealQuerySet:
        return self.exclude(status=AppealStatus.CLOSED)


class Appeal(models.Model):
    """复查/复核 of an enrolment decision (within 30 days of it), or a complaint (投诉/举报, e.g. about
    a household that should not receive 低保)."""

    kind = models.CharField(_("类型"), max_length=16, choices=AppealKind.choices)
    enrolment = models.ForeignKey(
        Enrolment,
        verbose_name=_("申请"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="appeals",
    )
    household = models.ForeignKey(
        "people.Household",
        verbose_name=_("涉及家庭"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="appeals",
    )
    region = region_field(verbose_name=_("区划"))
    person_name = models.CharField(_("申请人/投诉人"), max_length=50, blank=True, help_text=_("匿名可不填"))
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    content = models.TextField(_("内容"))
    status = models.CharField(
        _("状态"), max_length=16, choices=AppealStatus.choices, default=AppealStatus.REGISTERED
    )
    received_on = models.DateField(_("收到日期"), default=timezone.localdate)
    due_on = models.DateField(_("答复时限"))
    due_exact = models.BooleanField(default=True)
    assignee = user_field(_("承办人"))
    assignee_region = models.CharField(_("承办区划"), max_length=12, blank=True)
    answer = models.TextField(_("答复意见"), blank=True)
    answered_on = models.DateField(_("答复日期"), null=True, blank=True)
    outcome = models.CharField(_("办理结果"), max_length=16, choices=AppealOutcome.choices, blank=True)
    closed_on = models.DateField(_("办结日期"), null=True, blank=True)
    created_by = user_field(_("登记人"))

    objects = ScopedManager.from_queryset(AppealQuerySet)()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("复查复核与投诉")
        verbose_name_plural = _("复查复核与投诉")
        ordering = ["-received_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="review") | Q(enrolment__isnull=False), name="appeal_review_has_enrolment"
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["answered", "closed"]) | ~Q(answer=""),
                name="appeal_answered_has_answer",
            ),
        ]
        indexes = [models.Index(fields=["status", "due_on"], name="appeal_status_due")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.received_on}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("enrolments:appeal-detail", args=[self.pk])


class AppealEvent(TransitionLog):
    appeal = models.ForeignKey(Appeal, on_delete=models.CASCADE, related_name="events")

    class Meta(TransitionLog.Meta):
        verbose_name = _("复查投诉办理记录")
        verbose_name_plural = _("复查投诉办理记录")
