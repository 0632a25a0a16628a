"""In-kind materials: items, warehouses, stock that never goes negative, and its movements. Kept out of
funds/models.py (at its size limit), which re-exports these models."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from relief.scoping import ScopedManager, ScopedQuerySet, region_field
from relief.stored_labels import stored
from relief.transitions import user_field


class ConfigQuerySet(ScopedQuerySet):
    """Configuration rows (programs, material items): every signed-in, active user sees them."""

    scope_everyone = True


# --- In-kind materials ---------------------------------------------------------------------------


class MaterialItem(models.Model):
    """A kind of goods (coal, quilts, cotton clothing, food), configured by administrators."""

    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    unit = models.CharField(_("单位"), max_length=16)
    program = models.ForeignKey(
        "funds.Program",
        verbose_name=_("所属项目"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="items",
    )
    active = models.BooleanField(_("启用"), default=True)

    objects = ScopedManager.from_queryset(ConfigQuerySet)()

    class Meta:
        verbose_name = _("物资品种")
        verbose_name_plural = _("物资品种")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{stored(self.name)}（{stored(self.unit).strip()}）"


class Warehouse(models.Model):
    region = region_field(verbose_name=_("所属区划"))
    name = models.CharField(_("名称"), max_length=100)
    address = models.CharField(_("地址"), max_length=255, blank=True)
    keeper = models.CharField(_("保管员"), max_length=50, blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("物资仓库")
        verbose_name_plural = _("物资仓库")
        ordering = ["region_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["region", "name"], name="warehouse_name_unique_in_region")
        ]

    def __str__(self) -> str:
        return self.name


QUANTITY = {"max_digits": 12, "decimal_places": 2}


class Stock(models.Model):
    """What a warehouse holds of an item: the sum of its movements, kept in step by the services and
    never negative (a database check)."""

    warehouse = models.ForeignKey(
        Warehouse, verbose_name=_("仓库"), on_delete=models.PROTECT, related_name="stocks"
    )
    item = models.ForeignKey(
        MaterialItem, verbose_name=_("物资"), on_delete=models.PROTECT, related_name="stocks"
    )
    region = region_field(verbose_name=_("区划"))
    quantity = models.DecimalField(_("库存"), default=Decimal("0"), **QUANTITY)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("库存")
        verbose_name_plural = _("库存")
        ordering = ["warehouse_id", "item_id"]
        constraints = [
            models.UniqueConstraint(fields=["warehouse", "item"], name="stock_one_row_per_item"),
            models.CheckConstraint(condition=Q(quantity__gte=0), name="stock_quantity_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.warehouse} · {stored(self.item.name)} {self.quantity.normalize():f}{stored(self.item.unit)}"


class MovementKind(models.TextChoices):
    RECEIVED = "received", _("入库")
    DISTRIBUTED = "distributed", _("发放")


class StockMovement(models.Model):
    """One receipt or distribution. Distributed goods go to a household on the register or, for
    now, to a recipient described in words; `recipient` (generic) lets a patrol encounter be linked."""

    stock = models.ForeignKey(
        Stock, verbose_name=_("库存"), on_delete=models.PROTECT, related_name="movements"
    )
    region = region_field(verbose_name=_("区划"))
    kind = models.CharField(_("类型"), max_length=16, choices=MovementKind.choices)
    quantity = models.DecimalField(_("数量"), **QUANTITY)
    household = models.ForeignKey(
        "people.Household",
        verbose_name=_("领取家庭"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="material_distributions",
    )
    recipient_description = models.CharField(_("领取人/去向"), max_length=255, blank=True)
    recipient_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recipient_id = models.CharField(max_length=64, blank=True)
    recipient = GenericForeignKey("recipient_type", "recipient_id")
    source = models.CharField(
        _("来源"), max_length=255, blank=True, help_text=_("入库时填写：调拨单、捐赠方等")
    )
    note = models.CharField(_("备注"), max_length=255, blank=True)
    actor = user_field(_("经办人"))
    at = models.DateTimeField(_("时间"), default=timezone.now)

    objects = ScopedManager()

    class Meta:
        verbose_name = _("出入库记录")
        verbose_name_plural = _("出入库记录")
        ordering = ["-at", "-id"]
        # what a patrol encounter (or another linked record) was given
        indexes = [models.Index(fields=["recipient_type", "recipient_id"], name="movement_recipient")]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="movement_quantity_positive"),
            models.CheckConstraint(
                condition=Q(kind="received")
                | Q(household__isnull=False)
                | ~Q(recipient_description="")
                | Q(recipient_type__isnull=False),
                name="movement_distribution_has_recipient",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.quantity.normalize():f}"
