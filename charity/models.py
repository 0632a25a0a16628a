"""慈善 (charity, "慈善+"): social organisations, charities, enterprises and individuals who donate
money or goods, the charity projects (慈善项目) a county runs with them, and the households' needs
those donations meet.

- `Donor`: registered per region; the contact's phone and an individual's ID number are personal
  data, masked for officials like residents' (relief/privacy.py).
- `Donation`: money and/or goods lines (`DonationItem`), received with a receipt, restricted to a
  project or unrestricted. What is allotted is kept on the row (`allotted_amount`, and each line's
  `allotted_quantity`) under a database check that it never exceeds what was received, and changed
  only with the row locked (charity/services.py).
- `CharityProject`: a county's (or a higher region's) project: target group (need kinds, optionally
  assistance categories and person flags), budget and period.
- `CharityNeed`: an open need of one household (heating, clothing, food, medical, house repair,
  other), from a visit, a department-data warning, a hotline call or entered by hand; open →
  assigned (to a project, with allotments) → delivered, or closed with a reason.
- `Allotment`: money or a quantity of one goods line from one donation to one need, so every yuan
  and item of a donation is traceable to a named household.

Goods given in kind go from the donor (or the township collecting them) straight to the household:
they are not booked into the county's warehouse stock (funds.material_models), so the stock never
counts a donor's coal twice and the donation alone answers where its goods went."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from funds.models import MONEY, QUANTITY, ZERO
from relief.scoping import ScopedManager, ScopedQuerySet, region_field
from relief.transitions import user_field


class DonorKind(models.TextChoices):
    SOCIAL_ORG = "social_org", _("社会组织")
    CHARITY_ORG = "charity_org", _("慈善组织")
    ENTERPRISE = "enterprise", _("企业")
    INDIVIDUAL = "individual", _("个人")


ORGANISATION_KINDS = (DonorKind.SOCIAL_ORG, DonorKind.CHARITY_ORG, DonorKind.ENTERPRISE)


class NeedKind(models.TextChoices):
    HEATING = "heating", _("取暖")
    CLOTHING = "clothing", _("衣被")
    FOOD = "food", _("食品")
    MEDICAL = "medical", _("医疗")
    HOUSE_REPAIR = "house_repair", _("房屋修缮")
    OTHER = "other", _("其他")


class CountyAndAboveQuerySet(ScopedQuerySet):
    #: a county's donors, donations and projects are seen by its townships and villages too, and a
    #: city's (a city-wide charity federation) by the counties below it
    scope_with_ancestors = True


class Donor(models.Model):
    region = region_field(verbose_name=_("登记区划"))
    kind = models.CharField(_("类型"), max_length=16, choices=DonorKind.choices)
    name = models.CharField(_("名称或姓名"), max_length=100)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, blank=True)
    id_number = models.CharField(_("身份证号"), max_length=18, blank=True)
    contact_name = models.CharField(_("联系人"), max_length=50, blank=True)
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    note = models.CharField(_("备注"), max_length=255, blank=True)
    created_by = user_field(_("登记人"))
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    objects = ScopedManager.from_queryset(CountyAndAboveQuerySet)()

    class Meta:
        verbose_name = _("捐赠方")
        verbose_name_plural = _("捐赠方")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["region", "credit_code"],
                condition=~Q(credit_code=""),
                name="charity_donor_credit_code_once",
            ),
            models.CheckConstraint(
                condition=Q(kind="individual") | Q(id_number=""), name="charity_donor_id_only_individuals"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("charity:donor", args=[self.pk])


class CharityProjectState(models.TextChoices):
    ACTIVE = "active", _("实施中")
    CLOSED = "closed", _("已结束")


class CharityProject(models.Model):
    region = region_field(verbose_name=_("实施区划"))
    name = models.CharField(_("项目名称"), max_length=100)
    organiser = models.ForeignKey(
        Donor,
        verbose_name=_("合作慈善组织"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="projects",
    )
    need_kinds = models.JSONField(_("救助需求类型"), default=list, blank=True)
    categories = models.JSONField(_("适用救助类别"), default=list, blank=True)
    flags = models.JSONField(_("须具备的标识"), default=list, blank=True)
    budget = models.DecimalField(_("预算（元）"), **MONEY)
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))
    state = models.CharField(
        _("状态"), max_length=16, choices=CharityProjectState.choices, default=CharityProjectState.ACTIVE
    )
    description = models.TextField(_("项目说明"), blank=True)
    created_by = user_field(_("创建人"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = ScopedManager.from_queryset(CountyAndAboveQuerySet)()

    class Meta:
        verbose_name = _("慈善项目")
        verbose_name_plural = _("慈善项目")
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(budget__gte=0), name="charity_project_budget_not_negative"),
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="charity_project_period"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("charity:project", args=[self.pk])

    def need_kind_labels(self) -> list[str]:
        return [str(NeedKind(k).label) for k in self.need_kinds if k in NeedKind.values]


class Donation(models.Model):
    donor = models.ForeignKey(
        Donor, verbose_name=_("捐赠方"), on_delete=models.PROTECT, related_name="donations"
    )
    region = region_field(verbose_name=_("接收区划"))
    amount = models.DecimalField(_("捐赠资金（元）"), default=ZERO, **MONEY)
    allotted_amount = models.DecimalField(_("已分配资金（元）"), default=ZERO, **MONEY)
    received_on = models.DateField(_("接收日期"))
    receipt_number = models.CharField(_("捐赠票据号"), max_length=50)
    receipt = models.FileField(_("票据扫描件"), upload_to="charity/receipts/%Y/%m/", blank=True)
    project = models.ForeignKey(
        CharityProject,
        verbose_name=_("定向项目"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="donations",
        help_text=_("留空为非定向捐赠"),
    )
    note = models.CharField(_("备注"), max_length=255, blank=True)
    created_by = user_field(_("登记人"))
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    objects = ScopedManager.from_queryset(CountyAndAboveQuerySet)()

    class Meta:
        verbose_name = _("捐赠")
        verbose_name_plural = _("捐赠")
        ordering = ["-received_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["region", "receipt_number"], name="charity_receipt_once"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="charity_donation_amount_not_negative"),
            # the balance never goes below zero: what is allotted stays within what was received
            models.CheckConstraint(
                condition=Q(allotted_amount__gte=0, allotted_amount__lte=models.F("amount")),
                name="charity_donation_allotted_within_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.donor} · {self.receipt_number}"

    def get_absolute_url(self) -> str:
        return reverse("charity:donation", args=[self.pk])

    @property
    def balance(self) -> Decimal:
        return self.amount - self.allotted_amount

    @property
    def restricted(self) -> bool:
        return self.project_id is not None


class DonationItem(models.Model):
    """One line of goods given in kind: item, quantity, unit and estimated value per unit."""

    donation = models.ForeignKey(
        Donation, verbose_name=_("捐赠"), on_delete=models.CASCADE, related_name="items"
    )
    name = models.CharField(_("物品"), max_length=50)
    unit = models.CharField(_("单位"), max_length=10)
    quantity = models.DecimalField(_("数量"), **QUANTITY)
    unit_value = models.DecimalField(_("估值（元/单位）"), default=ZERO, **MONEY)
    serves = models.CharField(
        _("可满足的需求"), max_length=16, choices=NeedKind.choices, default=NeedKind.OTHER
    )
    allotted_quantity = models.DecimalField(_("已分配数量"), default=Decimal("0"), **QUANTITY)

    class Meta:
        verbose_name = _("捐赠物资")
        verbose_name_plural = _("捐赠物资")
        ordering = ["donation_id", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="charity_item_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_value__gte=0), name="charity_item_value_not_negative"),
            models.CheckConstraint(
                condition=Q(allotted_quantity__gte=0, allotted_quantity__lte=models.F("quantity")),
                name="charity_item_allotted_within_quantity",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.quantity.normalize():f}{self.unit}"

    @property
    def remaining(self) -> Decimal:
        return self.quantity - self.allotted_quantity

    @property
    def value(self) -> Decimal:
        return (self.quantity * self.unit_value).quantize(Decimal("0.01"))


class NeedOrigin(models.TextChoices):
    VISIT = "visit", _("探访发现")
    WARNING = "warning", _("部门数据预警")
    HOTLINE = "hotline", _("热线来电")
    MANUAL = "manual", _("人工登记")


class NeedState(models.TextChoices):
    OPEN = "open", _("待对接")
    ASSIGNED = "assigned", _("已对接待送达")
    DELIVERED = "delivered", _("已送达")
    CLOSED = "closed", _("已关闭")


LIVE_NEED_STATES = (NeedState.OPEN, NeedState.ASSIGNED)


class CharityNeedQuerySet(ScopedQuerySet):
    def live(self) -> CharityNeedQuerySet:
        return self.filter(state__in=LIVE_NEED_STATES)


class CharityNeed(models.Model):
    household = models.ForeignKey(
        "people.Household", verbose_name=_("家庭"), on_delete=models.PROTECT, related_name="charity_needs"
    )
    person = models.ForeignKey(
        "people.Person",
        verbose_name=_("人员"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    region = region_field(verbose_name=_("村（社区）"))
    kind = models.CharField(_("需求类型"), max_length=16, choices=NeedKind.choices)
    description = models.TextField(_("需求说明"))
    origin = models.CharField(_("来源"), max_length=16, choices=NeedOrigin.choices, default=NeedOrigin.MANUAL)
    #: one need per live cause ("visit:<id>:<kind>", "warning:<id>", "call:<id>"); empty for a need
    #: entered by hand
    cause_key = models.CharField(_("来源标识"), max_length=120, blank=True)
    visit = models.ForeignKey(
        "people.Visit",
        verbose_name=_("探访记录"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    source_task = models.ForeignKey(
        "relief.Task",
        verbose_name=_("来源待办"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    disposition = models.ForeignKey(
        "exchange.Disposition",
        verbose_name=_("预警"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    call = models.ForeignKey(
        "coldwaves.HotlineCall",
        verbose_name=_("热线来电"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    state = models.CharField(_("状态"), max_length=16, choices=NeedState.choices, default=NeedState.OPEN)
    project = models.ForeignKey(
        CharityProject,
        verbose_name=_("慈善项目"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="needs",
    )
    assigned_at = models.DateTimeField(_("对接时间"), null=True, blank=True)
    assigned_by = user_field(_("对接人"))
    delivery_task = models.ForeignKey(
        "relief.Task",
        verbose_name=_("送达待办"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    delivered_on = models.DateField(_("送达日期"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("登记时间"), null=True, blank=True)
    delivered_by = user_field(_("登记人"))
    received_by_name = models.CharField(_("签收人"), max_length=50, blank=True)
    photo = models.FileField(_("签收照片"), upload_to="charity/deliveries/%Y/%m/", blank=True)
    delivery_note = models.CharField(_("送达备注"), max_length=255, blank=True)
    closed_reason = models.CharField(_("关闭原因"), max_length=255, blank=True)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)
    closed_by = user_field(_("关闭人"))
    created_by = user_field(_("登记人"))
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    objects = ScopedManager.from_queryset(CharityNeedQuerySet)()

    class Meta:
        verbose_name = _("救助需求")
        verbose_name_plural = _("救助需求")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["cause_key"], condition=~Q(cause_key=""), name="charity_need_one_per_cause"
            ),
            models.CheckConstraint(
                condition=~Q(state="delivered") | ~Q(received_by_name=""),
                name="charity_delivery_has_receiver",
            ),
            models.CheckConstraint(
                condition=~Q(state="closed") | ~Q(closed_reason=""), name="charity_closed_has_reason"
            ),
            models.CheckConstraint(
                condition=Q(state="open") | Q(state="closed") | Q(project__isnull=False),
                name="charity_assigned_has_project",
            ),
        ]
        indexes = [models.Index(fields=["state", "kind"], name="charity_need_state_kind")]

    def __str__(self) -> str:
        return f"{self.household} · {self.get_kind_display()}"

    def get_absolute_url(self) -> str:
        return reverse("charity:need", args=[self.pk])


class AllotmentQuerySet(ScopedQuerySet):
    scope_field = "need__region"

    def live(self) -> AllotmentQuerySet:
        return self.filter(released=False)


class Allotment(models.Model):
    """Money (`line` empty, `amount`) or goods (`line`, `quantity`, and their estimated `value`) of
    one donation for one need. Released (not deleted) when the need is closed undelivered: the
    donation's balance gets it back and the record stays."""

    need = models.ForeignKey(
        CharityNeed, verbose_name=_("救助需求"), on_delete=models.PROTECT, related_name="allotments"
    )
    donation = models.ForeignKey(
        Donation, verbose_name=_("捐赠"), on_delete=models.PROTECT, related_name="allotments"
    )
    line = models.ForeignKey(
        DonationItem,
        verbose_name=_("捐赠物资"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="allotments",
    )
    amount = models.DecimalField(_("资金（元）"), default=ZERO, **MONEY)
    quantity = models.DecimalField(_("数量"), default=Decimal("0"), **QUANTITY)
    value = models.DecimalField(_("估值（元）"), default=ZERO, **MONEY)
    released = models.BooleanField(_("已释放"), default=False)
    created_by = user_field(_("分配人"))
    created_at = models.DateTimeField(_("分配时间"), auto_now_add=True)

    objects = ScopedManager.from_queryset(AllotmentQuerySet)()

    class Meta:
        verbose_name = _("捐赠分配")
        verbose_name_plural = _("捐赠分配")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(line__isnull=True, amount__gt=0, quantity=0))
                | Q(line__isnull=False, quantity__gt=0, amount=0),
                name="charity_allotment_money_or_goods",
            ),
        ]

    def __str__(self) -> str:
        if self.line_id:
            return f"{self.line.name} {self.quantity.normalize():f}{self.line.unit}"
        return f"{self.amount} 元"
