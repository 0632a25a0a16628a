"""Civil-affairs service institutions, their winter safety inspections, and the hazards found.

Hazards follow the workflow declared in institutions/workflows.py (open → rectifying → (extension
requested) → rectified → verified → closed); every move goes through it and is recorded in
HazardTransition. Inspections and hazards are region-scoped through their institution.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from relief.models import TransitionLog
from relief.scoping import ScopedManager, ScopedQuerySet, region_field

# --- Registry ------------------------------------------------------------------------------------


class InstitutionType(models.TextChoices):
    PUBLIC_ELDERLY = "public_elderly", _("公办养老机构")
    PRIVATE_ELDERLY = "private_elderly", _("民办养老机构")
    RURAL_HOME = "rural_home", _("农村敬老院")
    CHILD_WELFARE = "child_welfare", _("儿童福利机构")
    RESCUE_STATION = "rescue_station", _("救助管理站")
    OTHER = "other", _("其他民政服务机构")


class HeatingType(models.TextChoices):
    CENTRAL = "central", _("集中供暖")
    GAS = "gas", _("燃气取暖")
    ELECTRIC = "electric", _("电取暖")
    COAL = "coal", _("燃煤取暖")
    BIOMASS = "biomass", _("生物质/柴火取暖")
    OTHER = "other", _("其他")
    NONE = "none", _("无取暖设施")


class InstitutionQuerySet(ScopedQuerySet):
    pass


class Institution(models.Model):
    name = models.CharField(_("机构名称"), max_length=200)
    type = models.CharField(_("机构类型"), max_length=32, choices=InstitutionType.choices)
    operator = models.CharField(_("运营主体"), max_length=200, blank=True)
    region = region_field(verbose_name=_("所在区划"))
    address = models.CharField(_("地址"), max_length=255, blank=True)
    capacity = models.PositiveIntegerField(_("床位数"), default=0)
    residents = models.PositiveIntegerField(_("在住人数"), default=0)
    nursing_beds = models.PositiveIntegerField(_("护理型床位数"), default=0)
    heating_type = models.CharField(
        _("取暖方式"), max_length=16, choices=HeatingType.choices, default=HeatingType.CENTRAL
    )
    contact_name = models.CharField(_("负责人"), max_length=50, blank=True)
    contact_phone = models.CharField(_("负责人电话"), max_length=30, blank=True)
    emergency_contacts = models.TextField(
        _("应急联系人"), blank=True, help_text=_("每行一位：姓名、职务、电话")
    )
    is_active = models.BooleanField(_("在运营"), default=True)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    objects = ScopedManager.from_queryset(InstitutionQuerySet)()

    class Meta:
        verbose_name = _("服务机构")
        verbose_name_plural = _("服务机构")
        ordering = ["region_id", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(nursing_beds__lte=F("capacity")), name="institution_nursing_beds_within_capacity"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("institutions:institution-detail", args=[self.pk])


# --- Checklists (the five lists) -------------------------------------------------------------------


class ChecklistSection(models.TextChoices):
    """Hebei's five lists (五个清单)."""

    RESPONSIBILITY = "responsibility", _("安全责任体系")
    INSPECTION = "inspection", _("安全检查事项")
    RISK = "risk", _("安全风险隐患")
    RECTIFICATION = "rectification", _("问题整改措施")
    RULES = "rules", _("安全制度标准")


SECTION_ORDER = {value: i for i, value in enumerate(ChecklistSection.values)}


class HazardSeverity(models.TextChoices):
    GENERAL = "general", _("一般")
    MAJOR = "major", _("重大")


class ChecklistTemplate(models.Model):
    """A checklist an administrator edits in the admin; inspections use the active one."""

    name = models.CharField(_("名称"), max_length=200)
    description = models.TextField(_("说明"), blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("检查清单模板")
        verbose_name_plural = _("检查清单模板")
        ordering = ["-is_active", "-created_at"]

    def __str__(self) -> str:
        return self.name


class ChecklistItem(models.Model):
    template = models.ForeignKey(
        ChecklistTemplate, verbose_name=_("模板"), on_delete=models.CASCADE, related_name="items"
    )
    section = models.CharField(_("清单"), max_length=16, choices=ChecklistSection.choices)
    order = models.PositiveSmallIntegerField(_("序号"), default=0)
    text = models.CharField(_("检查内容"), max_length=255)
    guidance = models.TextField(_("检查要点"), blank=True)
    default_severity = models.CharField(
        _("不合格时默认隐患等级"),
        max_length=8,
        choices=HazardSeverity.choices,
        default=HazardSeverity.GENERAL,
    )

    class Meta:
        verbose_name = _("检查项")
        verbose_name_plural = _("检查项")
        ordering = ["template", "section", "order", "id"]

    def __str__(self) -> str:
        return self.text


class MajorHazardCriterion(models.Model):
    """The ministry's criteria for a major hazard (重大事故隐患判定标准), kept as an editable list."""

    aspect = models.CharField(_("方面"), max_length=50)
    text = models.CharField(_("判定情形"), max_length=500)
    order = models.PositiveSmallIntegerField(_("序号"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("重大隐患判定标准")
        verbose_name_plural = _("重大隐患判定标准")
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return f"{self.aspect}：{self.text}"


# --- Inspections -----------------------------------------------------------------------------------


class InspectionQuerySet(ScopedQuerySet):
    scope_field = "institution__region"


class Inspection(models.Model):
    institution = models.ForeignKey(
        Institution, verbose_name=_("机构"), on_delete=models.PROTECT, related_name="inspections"
    )
    template = models.ForeignKey(
        ChecklistTemplate, verbose_name=_("检查清单"), on_delete=models.PROTECT, related_name="inspections"
    )
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("检查人"),
        on_delete=models.PROTECT,
        related_name="institution_inspections",
    )
    date = models.DateField(_("检查日期"), default=timezone.localdate)
    note = models.TextField(_("检查说明"), blank=True)
    created_at = models.DateTimeField(_("录入时间"), auto_now_add=True)

    objects = ScopedManager.from_queryset(InspectionQuerySet)()

    class Meta:
        verbose_name = _("安全检查")
        verbose_name_plural = _("安全检查")
        ordering = ["-date", "-id"]

    def __str__(self) -> str:
        return f"{self.institution} {self.date:%Y-%m-%d}"


class ResultChoice(models.TextChoices):
    PASS = "pass", _("合格")
    FAIL = "fail", _("不合格")
    NA = "na", _("不适用")


class InspectionResultQuerySet(ScopedQuerySet):
    scope_field = "inspection__institution__region"


class InspectionResult(models.Model):
    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="results")
    item = models.ForeignKey(
        ChecklistItem, verbose_name=_("检查项"), on_delete=models.PROTECT, related_name="+"
    )
    result = models.CharField(_("结果"), max_length=8, choices=ResultChoice.choices)
    note = models.CharField(_("情况说明"), max_length=500, blank=True)
    photo = models.FileField(_("照片"), upload_to="institutions/inspections/%Y/%m/", blank=True)

    objects = ScopedManager.from_queryset(InspectionResultQuerySet)()

    class Meta:
        verbose_name = _("检查结果")
        verbose_name_plural = _("检查结果")
        ordering = ["inspection", "item__section", "item__order", "item_id"]
        constraints = [
            models.UniqueConstraint(fields=["inspection", "item"], name="inspection_result_once_per_item"),
        ]

    def __str__(self) -> str:
        return f"{self.item}: {self.get_result_display()}"


# --- Hazards -----------------------------------------------------------------------------------------


class HazardState(models.TextChoices):
    OPEN = "open", _("待整改")
    RECTIFYING = "rectifying", _("整改中")
    EXTENSION_REQUESTED = "extension_requested", _("申请延期")
    RECTIFIED = "rectified", _("已整改待验收")
    VERIFIED = "verified", _("已验收")
    CLOSED = "closed", _("已销号")


# States in which the rectification deadline still runs.
PENDING_STATES = (HazardState.OPEN, HazardState.RECTIFYING, HazardState.EXTENSION_REQUESTED)


class HazardQuerySet(ScopedQuerySet):
    scope_field = "institution__region"

    def overdue(self, today: datetime.date | None = None) -> HazardQuerySet:
        today = today or timezone.localdate()
        return self.filter(state__in=PENDING_STATES, deadline__lt=today)

    def not_overdue(self, today: datetime.date | None = None) -> HazardQuerySet:
        today = today or timezone.localdate()
        return self.exclude(state__in=PENDING_STATES, deadline__lt=today)

    def for_ledger(self) -> HazardQuerySet:
        return self.select_related(
            "institution__region", "owner", "verified_by", "closed_by", "inspection"
        ).prefetch_related("criteria")


class Hazard(models.Model):
    institution = models.ForeignKey(
        Institution, verbose_name=_("机构"), on_delete=models.PROTECT, related_name="hazards"
    )
    inspection = models.ForeignKey(
        Inspection,
        verbose_name=_("来源检查"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="hazards",
    )
    # The failed checklist result that raised it: one hazard per failed item, never two.
    result = models.OneToOneField(
        InspectionResult,
        verbose_name=_("来源检查项"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="hazard",
    )
    title = models.CharField(_("隐患"), max_length=255)
    description = models.TextField(_("隐患描述"), blank=True)
    severity = models.CharField(_("隐患等级"), max_length=8, choices=HazardSeverity.choices)
    criteria = models.ManyToManyField(
        MajorHazardCriterion, verbose_name=_("重大隐患判定情形"), blank=True, related_name="hazards"
    )
    state = models.CharField(
        _("状态"), max_length=24, choices=HazardState.choices, default=HazardState.OPEN, db_index=True
    )
    found_on = models.DateField(_("发现日期"), default=timezone.localdate)
    deadline = models.DateField(_("整改期限"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("整改责任人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="owned_hazards",
    )
    measures = models.TextField(_("整改措施"), blank=True)
    funds = models.DecimalField(_("整改资金（元）"), max_digits=12, decimal_places=2, default=0)
    evidence = models.FileField(_("整改佐证材料"), upload_to="institutions/hazards/%Y/%m/", blank=True)
    extension_deadline = models.DateField(_("申请延期至"), null=True, blank=True)
    extension_reason = models.TextField(_("延期理由"), blank=True)
    extension_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("延期申请人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("验收人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="verified_hazards",
    )
    verified_at = models.DateTimeField(_("验收时间"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("销号人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="closed_hazards",
    )
    closed_at = models.DateTimeField(_("销号时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)

    history = HistoricalRecords()
    objects = ScopedManager.from_queryset(HazardQuerySet)()

    class Meta:
        verbose_name = _("安全隐患")
        verbose_name_plural = _("安全隐患")
        ordering = ["deadline", "id"]
        indexes = [models.Index(fields=["state", "deadline"], name="hazard_state_deadline")]
        constraints = [
            # The second-person rule, kept by the database too.
            models.CheckConstraint(condition=~Q(verified_by=F("owner")), name="hazard_verifier_not_owner"),
            models.CheckConstraint(condition=~Q(closed_by=F("owner")), name="hazard_closer_not_owner"),
            models.CheckConstraint(condition=Q(funds__gte=0), name="hazard_funds_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.institution}：{self.title}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("institutions:hazard-detail", args=[self.pk])

    @property
    def is_overdue(self) -> bool:
        return self.state in PENDING_STATES and self.deadline < timezone.localdate()


class HazardAction(models.TextChoices):
    RAISE = "raise", _("登记隐患")
    START = "start", _("开始整改")
    REQUEST_EXTENSION = "request_extension", _("申请延期")
    APPROVE_EXTENSION = "approve_extension", _("批准延期")
    REFUSE_EXTENSION = "refuse_extension", _("不予延期")
    RECTIFY = "rectify", _("整改完成")
    VERIFY = "verify", _("验收通过")
    REJECT = "reject", _("验收不通过")
    CLOSE = "close", _("销号")


class HazardTransition(TransitionLog):
    """Every move of a hazard (the workflow's log, institutions/workflows.py): who, when, from which
    state to which, and why."""

    hazard = models.ForeignKey(Hazard, on_delete=models.CASCADE, related_name="transitions")
    action = models.CharField(_("动作"), max_length=32, choices=HazardAction.choices)
    from_state = models.CharField(_("原状态"), max_length=24, choices=HazardState.choices, blank=True)
    to_state = models.CharField(_("新状态"), max_length=24, choices=HazardState.choices)

    class Meta(TransitionLog.Meta):
        verbose_name = _("隐患流转记录")
        verbose_name_plural = _("隐患流转记录")
