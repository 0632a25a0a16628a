"""应急预案 (emergency plans) per county: the approved plan document, the reserves of goods it
requires (quilts, cotton coats, coal, food, medicine…) and the drills held on it.

One plan is current per county (a database constraint): approving a new one supersedes the old,
whose history stays. A plan is shown to its county and to everyone below it (townships and villages
carry it out) and above it (city and province supervise). The reserve check (the stock in the
county's warehouses against each line) is `PlanReserveQuerySet.with_stock()`.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import models
from django.db.models import DecimalField, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Greatest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from funds.models import QUANTITY, Stock
from relief.scoping import ScopedManager, ScopedQuerySet, region_field
from relief.transitions import user_field

ZERO = Decimal("0")


class EmergencyPlanQuerySet(ScopedQuerySet):
    #: a county's plan is shown to its townships and villages, which carry it out and drill it
    scope_with_ancestors = True

    def current(self) -> EmergencyPlanQuerySet:
        """Not superseded by a newer plan (it may still have expired: see `in_force`)."""
        return self.filter(superseded_at__isnull=True)

    def in_force(self, on: datetime.date | None = None) -> EmergencyPlanQuerySet:
        on = on or timezone.localdate()
        return self.current().filter(
            Q(valid_until__isnull=True) | Q(valid_until__gte=on), approved_on__lte=on
        )


class EmergencyPlan(models.Model):
    """A county's approved 寒潮应急预案: the document, its validity and its list of reserves."""

    region = region_field(verbose_name=_("县（区）"))
    title = models.CharField(_("预案名称"), max_length=200)
    document = models.FileField(_("预案文件"), upload_to="coldwaves/plans/%Y/%m/")
    approved_on = models.DateField(_("批准日期"))
    valid_until = models.DateField(_("有效期至"), null=True, blank=True, help_text=_("留空表示长期有效"))
    superseded_at = models.DateTimeField(_("被替代时间"), null=True, blank=True)
    superseded_by = models.ForeignKey(
        "self",
        verbose_name=_("替代预案"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    note = models.TextField(_("说明"), blank=True)
    created_by = user_field(_("上传人"))
    created_at = models.DateTimeField(_("上传时间"), default=timezone.now)

    objects = ScopedManager.from_queryset(EmergencyPlanQuerySet)()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("应急预案")
        verbose_name_plural = _("应急预案")
        ordering = ["region_id", "-approved_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["region"],
                condition=Q(superseded_at__isnull=True),
                name="plan_one_current_per_county",
            ),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=F("approved_on")),
                name="plan_valid_after_approval",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.region_id} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("coldwaves:plan", args=[self.pk])

    def in_force_on(self, on: datetime.date | None = None) -> bool:
        on = on or timezone.localdate()
        return (
            self.superseded_at is None
            and self.approved_on <= on
            and (self.valid_until is None or self.valid_until >= on)
        )


class PlanReserveQuerySet(ScopedQuerySet):
    scope_field = "plan__region"
    scope_with_ancestors = True

    def with_stock(self) -> PlanReserveQuerySet:
        """Each line with `held` (the stock of its item in every warehouse of the plan's county,
        townships' included) and `shortfall` (what is missing, never below zero): one correlated
        subquery, so a page of plans costs one query for all their lines."""
        held = (
            Stock.objects.filter(region__code__startswith=OuterRef("plan__region_id"), item=OuterRef("item"))
            .order_by()
            .values("item")
            .annotate(total=Sum("quantity"))
            .values("total")
        )
        amount = DecimalField(**QUANTITY)
        return self.annotate(
            held=Coalesce(Subquery(held, output_field=amount), Value(ZERO), output_field=amount)
        ).annotate(shortfall=Greatest(F("required") - F("held"), Value(ZERO), output_field=amount))

    def short(self) -> PlanReserveQuerySet:
        return self.with_stock().filter(shortfall__gt=0)


class PlanReserve(models.Model):
    """One line of a plan's reserves: this much of an item must be held in the county."""

    plan = models.ForeignKey(
        EmergencyPlan, verbose_name=_("应急预案"), on_delete=models.CASCADE, related_name="reserves"
    )
    item = models.ForeignKey(
        "funds.MaterialItem", verbose_name=_("物资"), on_delete=models.PROTECT, related_name="+"
    )
    required = models.DecimalField(_("应储备数量"), **QUANTITY)

    objects = ScopedManager.from_queryset(PlanReserveQuerySet)()

    class Meta:
        verbose_name = _("预案物资储备")
        verbose_name_plural = _("预案物资储备")
        ordering = ["plan_id", "item_id"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "item"], name="plan_reserve_item_once"),
            models.CheckConstraint(condition=Q(required__gt=0), name="plan_reserve_required_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.item_id} {self.required.normalize():f}"


class DrillKind(models.TextChoices):
    TABLETOP = "tabletop", _("桌面推演")
    FIELD = "field", _("实战演练")


class DrillQuerySet(ScopedQuerySet):
    #: a township sees the county's own drills as well as its own
    scope_with_ancestors = True


class Drill(models.Model):
    """A drill held on a plan, by the county or by one of its townships (its `region`)."""

    plan = models.ForeignKey(
        EmergencyPlan, verbose_name=_("应急预案"), on_delete=models.PROTECT, related_name="drills"
    )
    region = region_field(verbose_name=_("组织单位"))
    held_on = models.DateField(_("演练日期"))
    kind = models.CharField(_("演练形式"), max_length=12, choices=DrillKind.choices)
    participants = models.PositiveIntegerField(_("参加人数"))
    participant_note = models.CharField(_("参加单位和人员"), max_length=500, blank=True)
    findings = models.TextField(_("发现的问题"), blank=True)
    follow_up = models.TextField(_("整改措施"), blank=True)
    created_by = user_field(_("记录人"))
    created_at = models.DateTimeField(_("记录时间"), default=timezone.now)

    objects = ScopedManager.from_queryset(DrillQuerySet)()

    class Meta:
        verbose_name = _("预案演练")
        verbose_name_plural = _("预案演练")
        ordering = ["-held_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(participants__gt=0), name="drill_has_participants"),
        ]

    def __str__(self) -> str:
        return f"{self.held_on} {self.get_kind_display()}"
