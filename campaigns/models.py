"""集中慰问 campaigns (两节慰问): a county (or a higher region) visits every household its criteria
cover with money and/or goods. `Campaign` holds the criteria and what each household receives;
`CampaignHousehold` is one household on the list, delivered, declined or not found.

The cash goes through the payment workflow (a `funds.Program` per campaign and its disbursement
batches); the goods through the county's stock (`funds.services.materials`)."""

from __future__ import annotations

from django.db import models
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from funds.models import MONEY, QUANTITY, ZERO
from relief.scoping import ScopedManager, ScopedQuerySet, region_field
from relief.transitions import user_field


class CampaignState(models.TextChoices):
    DRAFT = "draft", _("草稿")
    LISTED = "listed", _("已生成名单")
    IN_PROGRESS = "in_progress", _("慰问中")
    CLOSED = "closed", _("已结束")


class CampaignQuerySet(ScopedQuerySet):
    #: a county's campaign is seen by its townships' and villages' staff too
    scope_with_ancestors = True

    def open(self) -> CampaignQuerySet:
        return self.exclude(state=CampaignState.CLOSED)


class Campaign(models.Model):
    region = region_field(verbose_name=_("慰问区划"))
    name = models.CharField(_("名称"), max_length=100)
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))
    # who is covered: as funds.Program (any of the categories, all of the flags, a member of min_age)
    categories = models.JSONField(_("适用救助类别"), default=list, blank=True)
    flags = models.JSONField(_("须具备的标识"), default=list, blank=True)
    min_age = models.PositiveSmallIntegerField(_("最低年龄"), null=True, blank=True)
    cash_amount = models.DecimalField(_("每户慰问金（元）"), default=ZERO, **MONEY)
    #: the cash's program (kind cash, per household, one-off), made by the service
    program = models.OneToOneField(
        "funds.Program",
        verbose_name=_("发放项目"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="campaign",
    )
    state = models.CharField(
        _("状态"), max_length=16, choices=CampaignState.choices, default=CampaignState.DRAFT
    )
    created_by = user_field(_("创建人"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    listed_at = models.DateTimeField(_("名单生成时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    closed_by = user_field(_("结束人"))

    objects = ScopedManager.from_queryset(CampaignQuerySet)()

    class Meta:
        verbose_name = _("集中慰问")
        verbose_name_plural = _("集中慰问")
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(cash_amount__gte=0), name="campaign_cash_not_negative"),
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="campaign_period"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("campaigns:detail", args=[self.pk])

    @property
    def has_cash(self) -> bool:
        return self.cash_amount > 0


class CampaignItem(models.Model):
    """One line of the goods each household receives."""

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("慰问"), on_delete=models.CASCADE, related_name="items"
    )
    item = models.ForeignKey(
        "funds.MaterialItem", verbose_name=_("物资"), on_delete=models.PROTECT, related_name="+"
    )
    quantity = models.DecimalField(_("每户数量"), **QUANTITY)

    class Meta:
        verbose_name = _("慰问物资")
        verbose_name_plural = _("慰问物资")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "item"], name="campaign_item_once"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="campaign_item_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.item.name} {self.quantity.normalize():f}{self.item.unit}"


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("待慰问")
    DELIVERED = "delivered", _("已送达")
    DECLINED = "declined", _("拒收")
    NOT_FOUND = "not_found", _("未找到")


COMPLETION_EMPTY = {"total": 0, **dict.fromkeys(DeliveryState.values, 0)}


class CampaignHouseholdQuerySet(ScopedQuerySet):
    def completion(self, key) -> dict:
        """Counts per state for each value of `key` (an expression), with the total. One query."""
        out: dict = {}
        rows = self.annotate(group=key).order_by().values("group", "state").annotate(n=Count("id"))
        for row in rows:
            counts = out.setdefault(row["group"], dict(COMPLETION_EMPTY))
            counts[row["state"]] += row["n"]
            counts["total"] += row["n"]
        for counts in out.values():
            done = counts["total"] - counts["pending"]
            counts["percent"] = round(100 * done / counts["total"]) if counts["total"] else 100
        return out


class CampaignHousehold(models.Model):
    """A household on a campaign's list: never twice on the same campaign (a database rule)."""

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("慰问"), on_delete=models.PROTECT, related_name="households"
    )
    household = models.ForeignKey(
        "people.Household", verbose_name=_("家庭"), on_delete=models.PROTECT, related_name="campaign_visits"
    )
    region = region_field(verbose_name=_("村（社区）"))
    state = models.CharField(
        _("状态"), max_length=16, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    added_at = models.DateTimeField(_("列入时间"), auto_now_add=True)
    delivered_at = models.DateTimeField(_("登记时间"), null=True, blank=True)
    delivered_by = user_field(_("登记人"))
    received_by_name = models.CharField(_("签收人"), max_length=50, blank=True)
    photo = models.FileField(_("签收照片"), upload_to="campaigns/deliveries/%Y/%m/", blank=True)
    note = models.CharField(_("备注"), max_length=255, blank=True)
    cash_amount = models.DecimalField(_("慰问金（元）"), default=ZERO, **MONEY)

    objects = ScopedManager.from_queryset(CampaignHouseholdQuerySet)()

    class Meta:
        verbose_name = _("慰问对象")
        verbose_name_plural = _("慰问对象")
        ordering = ["campaign_id", "region_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "household"], name="campaign_household_once"),
            models.CheckConstraint(
                condition=~Q(state="delivered") | ~Q(received_by_name=""),
                name="campaign_delivery_has_receiver",
            ),
            models.CheckConstraint(
                condition=~Q(state__in=["declined", "not_found"]) | ~Q(note=""),
                name="campaign_undelivered_has_reason",
            ),
        ]
        indexes = [models.Index(fields=["campaign", "state"], name="campaign_household_state")]

    def __str__(self) -> str:
        return f"{self.campaign} · {self.household}"
