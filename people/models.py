"""The register of people at risk: households, their members, assistance categories and visits.

Every model here carries `region` (relief/scoping.py). A person's, an assistance record's and a
visit's region is the household's, copied so a region prefix query needs no join (services keep it).
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from people.choices import (
    AGE_FLAGS,
    PERSON_FLAGS,
    VISIT_RULE_FLAGS,
    Category,
    DibaoClass,  # noqa: F401 (re-exported)
    DisabilityLevel,
    FollowUp,
    HeatingType,
    HousingCondition,
    MonitoringType,  # noqa: F401 (re-exported)
    Relation,
    Sex,
    TekunMode,
    VisitChannel,
    VisitInterval,
    VisitKind,
    visit_problems,
)

# The vocabularies live in people/choices.py; `from people.models import Relation` keeps working.
from people.dates import age_on, years_ago
from relief.scoping import ScopedQuerySet, region_field

MONEY = {"max_digits": 12, "decimal_places": 2}


# --- Households ----------------------------------------------------------------------------------


class HouseholdQuerySet(ScopedQuerySet):
    def with_category(self, category: str, on: datetime.date | None = None) -> HouseholdQuerySet:
        """Households with an assistance record of `category` in force on `on` (default today)."""
        current = Assistance.objects.filter(household=OuterRef("pk"), category=category).current(on)
        return self.filter(Exists(current))

    def monitored(self, on: datetime.date | None = None) -> HouseholdQuerySet:
        """监测家庭: households with an assistance record (any category) in force on `on` (default
        today), or in the cohort still watched after leaving 低保/特困 or being refused (cohort_until);
        what the dashboard's 监测家庭 counts."""
        current = Assistance.objects.filter(household=OuterRef("pk")).current(on)
        return self.filter(Exists(current) | Q(cohort_until__gte=on or timezone.localdate()))

    def visited_since(self, day: datetime.date) -> HouseholdQuerySet:
        """Households with a visit on or after 00:00 local time of `day`."""
        since = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
        return self.filter(Exists(Visit.objects.filter(household=OuterRef("pk"), visited_at__gte=since)))

    def with_member_flag(self, flag: str) -> HouseholdQuerySet:
        """Households with an active member having a flag (see PERSON_FLAGS and AGE_FLAGS)."""
        members = Person.objects.filter(household=OuterRef("pk"), active=True).with_flag(flag)
        return self.filter(Exists(members))


class Household(models.Model):
    """A household (户) on the register, in a township or a village."""

    region = region_field(verbose_name=_("所属村（社区）/乡镇"))
    household_number = models.CharField(
        _("户编号"), max_length=40, blank=True, help_text=_("花名册或原系统中的户编号，同一区划内不重复")
    )
    address = models.CharField(_("住址"), max_length=255)
    head = models.ForeignKey(
        "people.Person",
        verbose_name=_("户主"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    contact_phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    is_urban = models.BooleanField(_("城市户"), default=False, help_text=_("城市与农村的低保标准不同"))
    heating_type = models.CharField(
        _("取暖方式"), max_length=16, choices=HeatingType.choices, default=HeatingType.COAL
    )
    housing_condition = models.CharField(
        _("住房状况"), max_length=16, choices=HousingCondition.choices, default=HousingCondition.SAFE
    )
    monthly_income = models.DecimalField(_("家庭月收入（元）"), default=0, **MONEY)
    expense_medical = models.DecimalField(_("近12个月医疗支出（元）"), default=0, **MONEY)
    expense_education = models.DecimalField(_("近12个月教育支出（元）"), default=0, **MONEY)
    expense_heating = models.DecimalField(_("近12个月取暖支出（元）"), default=0, **MONEY)
    expense_disaster = models.DecimalField(_("近12个月灾害损失支出（元）"), default=0, **MONEY)
    note = models.TextField(_("备注"), blank=True)
    # the monitored cohort beyond the categories in force (2024 notice): left 低保/特困 less than two
    # years ago, or refused; set by enrolments/services.py, read by monitored() and the sweeps
    cohort_until = models.DateField(_("动态监测至"), null=True, blank=True)
    cohort_reason = models.CharField(_("动态监测原因"), max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("登记时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = HouseholdQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("家庭")
        verbose_name_plural = _("家庭")
        ordering = ["region_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["region", "household_number"],
                condition=~Q(household_number=""),
                name="household_number_unique_in_region",
            ),
            models.CheckConstraint(
                condition=Q(monthly_income__gte=0)
                & Q(expense_medical__gte=0)
                & Q(expense_education__gte=0)
                & Q(expense_heating__gte=0)
                & Q(expense_disaster__gte=0),
                name="household_money_not_negative",
            ),
        ]
        indexes = [
            models.Index(
                fields=["contact_phone"], name="household_contact_phone", opclasses=["varchar_pattern_ops"]
            ),
            # search by household number anywhere in the user's region (the unique index leads with
            # the region, so a province-wide `household_number = …` walked all of it)
            models.Index(fields=["household_number"], name="household_number"),
        ]

    def __str__(self) -> str:
        head = self.head.name if self.head_id and self.head else ""
        return (
            gettext("%(head)s户 · %(address)s") % {"head": head, "address": self.address}
            if head
            else self.address
        )

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("people:household-detail", args=[self.pk])

    @property
    def rigid_expense_total(self):
        return self.expense_medical + self.expense_education + self.expense_heating + self.expense_disaster

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.region_id and len(self.region_id) not in (9, 12):
            raise ValidationError({"region": _("家庭所属区划必须是乡镇（街道）或村（社区）")})


# --- People --------------------------------------------------------------------------------------


class PersonQuerySet(ScopedQuerySet):
    def active(self) -> PersonQuerySet:
        return self.filter(active=True)

    def aged_at_least(self, years: int, today: datetime.date | None = None) -> PersonQuerySet:
        return self.filter(birth_date__lte=years_ago(years, today))

    def visit_overdue(self, on: datetime.date | None = None) -> PersonQuerySet:
        """Active people whose next visit due under the visit rules is before `on` (default today):
        one definition for the visit-overdue sweep, the dashboard's 探访逾期 figure and the lists."""
        return self.filter(active=True, next_visit_due__lt=on or timezone.localdate())

    def with_flag(self, flag: str) -> PersonQuerySet:
        if flag in AGE_FLAGS:
            return self.aged_at_least(AGE_FLAGS[flag][1])
        if flag in PERSON_FLAGS:
            return self.filter(**{flag: True})
        raise ValueError(f"unknown flag {flag!r}")


class Person(models.Model):
    """A member of a household. Sex and birth date come from the ID number."""

    household = models.ForeignKey(
        Household, verbose_name=_("家庭"), on_delete=models.PROTECT, related_name="members"
    )
    region = region_field(verbose_name=_("区划"))
    name = models.CharField(_("姓名"), max_length=50)
    id_number = models.CharField(_("身份证号"), max_length=18)
    sex = models.CharField(_("性别"), max_length=1, choices=Sex.choices, editable=False)
    birth_date = models.DateField(_("出生日期"), editable=False)
    relation = models.CharField(
        _("与户主关系"), max_length=16, choices=Relation.choices, default=Relation.HEAD
    )
    phone = models.CharField(_("手机号"), max_length=20, blank=True)
    active = models.BooleanField(_("有效"), default=True, help_text=_("迁出、死亡或注销的成员标记为无效"))
    died_on = models.DateField(_("死亡日期"), null=True, blank=True)  # confirmed (exchange/deaths.py)

    lives_alone = models.BooleanField(_("独居"), default=False)
    has_disability = models.BooleanField(_("残疾"), default=False)
    disability_level = models.PositiveSmallIntegerField(
        _("残疾等级"), choices=DisabilityLevel.choices, null=True, blank=True
    )
    severe_illness = models.BooleanField(_("重病"), default=False)
    unable_self_care = models.BooleanField(_("生活不能自理"), default=False)
    is_student = models.BooleanField(_("在校学生"), default=False)
    is_orphan = models.BooleanField(_("孤儿"), default=False)
    is_unsupported_child = models.BooleanField(_("事实无人抚养儿童"), default=False)
    is_left_behind_child = models.BooleanField(_("留守儿童"), default=False)
    is_child_in_distress = models.BooleanField(_("困境儿童"), default=False)

    guardian_name = models.CharField(_("监护人姓名"), max_length=50, blank=True)
    guardian_phone = models.CharField(_("监护人电话"), max_length=20, blank=True)
    guardian_relation = models.CharField(_("监护人关系"), max_length=20, blank=True)
    carer_name = models.CharField(_("照料人姓名"), max_length=50, blank=True)
    carer_phone = models.CharField(_("照料人电话"), max_length=20, blank=True)
    note = models.TextField(_("备注"), blank=True)

    created_at = models.DateTimeField(_("登记时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    # When the person is next due a visit under the visit rules, and which rule says so: computed,
    # set-based, by people.services.person_refresh_next_visit (people/visit_rules.py holds the one
    # definition) whenever a visit, the person, the household's categories, the rules, the interval
    # policy values or a cold-wave warning change, and nightly. NULL: no rule applies (not due).
    next_visit_due = models.DateField(_("下次应探访日期"), null=True, blank=True, editable=False)
    visit_rule_name = models.CharField(
        _("适用探访规则"), max_length=100, blank=True, default="", db_default="", editable=False
    )
    visit_interval_days = models.PositiveSmallIntegerField(
        _("探访间隔（天）"), null=True, blank=True, editable=False
    )
    visit_cold_wave = models.BooleanField(
        _("按寒潮预警期间间隔"), default=False, db_default=False, editable=False
    )

    objects = PersonQuerySet.as_manager()
    # the computed visit schedule is not a change anyone made: kept out of the change history
    history = HistoricalRecords(
        excluded_fields=[
            "updated_at",
            "next_visit_due",
            "visit_rule_name",
            "visit_interval_days",
            "visit_cold_wave",
        ]
    )

    class Meta:
        verbose_name = _("家庭成员")
        verbose_name_plural = _("家庭成员")
        ordering = ["household_id", "id"]
        constraints = [
            # An ID number is active in at most one household.
            models.UniqueConstraint(
                fields=["id_number"], condition=Q(active=True), name="person_id_number_active_once"
            ),
            models.CheckConstraint(
                condition=Q(disability_level__isnull=True) | Q(has_disability=True),
                name="person_disability_level_needs_disability",
            ),
        ]
        indexes = [
            models.Index(fields=["id_number"], name="person_id_number", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["name"], name="person_name", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["phone"], name="person_phone", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["birth_date"], name="person_birth_date"),
            # search flags over a province: the households with an active member aged 60+/80+, or
            # living alone, from the index alone (no scan of the people table)
            models.Index(
                fields=["birth_date", "household"],
                condition=Q(active=True),
                name="person_active_birth_household",
            ),
            models.Index(
                fields=["household"],
                condition=Q(active=True, lives_alone=True),
                name="person_alone_household",
            ),
            # the visit-overdue sweep, the dashboard figure and the 探访逾期 filter: who is due
            # before a day, among the active people of a region
            models.Index(
                fields=["next_visit_due", "region"],
                condition=Q(active=True),
                name="person_active_next_visit",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("people:household-detail", args=[self.household_id])

    @property
    def age(self) -> int | None:
        return age_on(self.birth_date)

    @property
    def is_aged_60(self) -> bool:
        return (self.age or 0) >= 60

    @property
    def is_aged_80(self) -> bool:
        return (self.age or 0) >= 80

    @property
    def is_minor(self) -> bool:
        return self.age is not None and self.age < 18

    @property
    def visit_reason(self) -> str:
        """Why the next visit falls when it does: "高龄独居老人 · 寒潮预警期间 7 天" ("" if no rule)."""
        from django.utils.translation import gettext

        if not self.visit_rule_name or self.visit_interval_days is None:
            return ""
        if self.visit_cold_wave:
            interval = gettext("寒潮预警期间 %(n)s 天") % {"n": self.visit_interval_days}
        else:
            interval = gettext("每 %(n)s 天") % {"n": self.visit_interval_days}
        return f"{self.visit_rule_name} · {interval}"

    @property
    def flag_labels(self) -> list[str]:
        labels = [str(label) for flag, label in PERSON_FLAGS.items() if getattr(self, flag)]
        if self.is_aged_80:
            labels.insert(0, str(AGE_FLAGS["aged_80"][0]))
        elif self.is_aged_60:
            labels.insert(0, str(AGE_FLAGS["aged_60"][0]))
        return labels


# --- Visits --------------------------------------------------------------------------------------


class VisitQuerySet(ScopedQuerySet):
    def overdue(self, on: datetime.date | None = None) -> VisitQuerySet:
        return self.filter(next_visit_due__lt=on or timezone.localdate())


class Visit(models.Model):
    """A visit (走访/探访/爱心敲门/儿童主任探访) to a household or one of its members."""

    household = models.ForeignKey(
        Household, verbose_name=_("家庭"), on_delete=models.PROTECT, related_name="visits"
    )
    person = models.ForeignKey(
        Person,
        verbose_name=_("探访对象"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="visits",
        help_text=_("探访某一成员（如独居老人、留守儿童）时填写"),
    )
    region = region_field(verbose_name=_("区划"))
    visitor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("探访人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    visited_at = models.DateTimeField(_("探访时间"), default=timezone.now)
    kind = models.CharField(
        _("探访类型"), max_length=16, choices=VisitKind.choices, default=VisitKind.GENERAL
    )
    channel = models.CharField(
        _("探访方式"), max_length=8, choices=VisitChannel.choices, default=VisitChannel.HOME
    )
    # What a winter visit checks. True: fine; False: a problem found; None: not checked.
    heating_ok = models.BooleanField(_("取暖正常"), null=True, blank=True)
    food_ok = models.BooleanField(_("食物充足"), null=True, blank=True)
    clothing_ok = models.BooleanField(_("衣被保暖"), null=True, blank=True)
    house_safe = models.BooleanField(_("住房安全"), null=True, blank=True)
    health_ok = models.BooleanField(_("身体状况良好"), null=True, blank=True)
    mental_ok = models.BooleanField(_("精神状态良好"), null=True, blank=True)
    guardian_present = models.BooleanField(
        _("监护人在位"), null=True, blank=True, help_text=_("儿童探访填写")
    )
    needs = models.TextField(_("反映的困难和需求"), blank=True)
    follow_up = models.CharField(_("跟进事项"), max_length=20, choices=FollowUp.choices, blank=True)
    follow_up_note = models.CharField(_("跟进说明"), max_length=255, blank=True)
    next_visit_due = models.DateField(_("下次探访日期"), null=True, blank=True)
    note = models.TextField(_("备注"), blank=True)
    created_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    objects = VisitQuerySet.as_manager()

    CHECK_FIELDS = ("heating_ok", "food_ok", "clothing_ok", "house_safe", "health_ok", "mental_ok")

    class Meta:
        verbose_name = _("探访记录")
        verbose_name_plural = _("探访记录")
        ordering = ["-visited_at", "-id"]
        indexes = [
            models.Index(fields=["household", "-visited_at"], name="visit_household_time"),
            models.Index(fields=["person", "-visited_at"], name="visit_person_time"),
            models.Index(fields=["next_visit_due"], name="visit_next_due"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.visited_at:%Y-%m-%d}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("people:visit-detail", args=[self.pk])

    @property
    def problems(self) -> list[str]:
        """What the checks found wrong ("取暖有困难", not the check's name)."""
        return visit_problems(self)

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.person_id and self.household_id and self.person.household_id != self.household_id:
            raise ValidationError({"person": _("探访对象不属于这户家庭")})


# --- Roster uploads (Excel import) ---------------------------------------------------------------


class RosterUploadQuerySet(ScopedQuerySet):
    pass


class RosterUpload(models.Model):
    """An uploaded roster (.xlsx): kept so that the dry run and the commit read the very same file."""

    file = models.FileField(_("花名册文件"), upload_to="rosters/%Y/%m/")
    original_name = models.CharField(_("原文件名"), max_length=255)
    region = region_field(verbose_name=_("上传人所属区划"), null=True, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上传人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    dry_run_job = models.ForeignKey(
        "relief.Job",
        verbose_name=_("预检任务"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    commit_job = models.ForeignKey(
        "relief.Job",
        verbose_name=_("导入任务"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = RosterUploadQuerySet.as_manager()

    class Meta:
        verbose_name = _("花名册导入")
        verbose_name_plural = _("花名册导入")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.original_name


# --- Visit rules (who must be visited how often; read by people/sweeps.py) ----------------------


class VisitRule(models.Model):
    """Who must be visited how often. A person matches when every condition filled in holds; where
    several rules match, the shortest interval applies, shortened further to the cold-wave interval
    while a cold-wave warning is in force for the person's region. Administrators edit these rows.

    Rules can be set per region, like policy values: a rule without a region is national; a rule of
    a region applies to the people of that region and every region inside it. Rules are known by
    their name: a region's rule **replaces** the wider rule of the same name for its people (the
    nearest enclosing region's wins; an inactive one switches the wider rule off there), and a rule
    with a new name **adds** to the wider ones. people/visit_rules.py applies this."""

    name = models.CharField(_("规则名称"), max_length=100, help_text=_("出现在预警内容中，如“高龄独居老人”"))
    region = region_field(
        verbose_name=_("适用区划"),
        null=True,
        blank=True,
        help_text=_("留空为全国通用；填写后在该区划内替换同名的上级规则，名称不同则为新增规则"),
    )
    active = models.BooleanField(_("启用"), default=True)
    category = models.CharField(
        _("救助类别"), max_length=20, choices=Category.choices, blank=True, help_text=_("留空表示不限")
    )
    tekun_mode = models.CharField(
        _("特困供养方式"),
        max_length=16,
        choices=TekunMode.choices,
        blank=True,
        help_text=_("仅救助类别为特困时填写"),
    )
    flag = models.CharField(
        _("人员标识"), max_length=32, choices=VISIT_RULE_FLAGS, blank=True, help_text=_("留空表示不限")
    )
    lives_alone = models.BooleanField(_("须独居"), default=False)
    cohort = models.BooleanField(
        _("须为动态监测对象"), default=False, help_text=_("退出低保、特困未满两年或申请未获确认的家庭")
    )
    min_age = models.PositiveSmallIntegerField(_("年龄不低于（周岁）"), null=True, blank=True)
    max_age = models.PositiveSmallIntegerField(_("年龄低于（周岁）"), null=True, blank=True)
    interval_key = models.CharField(
        _("探访间隔（按政策参数）"),
        max_length=64,
        choices=VisitInterval.choices,
        blank=True,
        help_text=_("按各地政策参数取值；与“探访间隔天数”二选一"),
    )
    interval_days = models.PositiveSmallIntegerField(
        _("探访间隔天数"), null=True, blank=True, help_text=_("固定天数；与“按政策参数”二选一")
    )
    cold_wave = models.BooleanField(
        _("寒潮预警期间加密探访"), default=True, help_text=_("寒潮预警期间按“寒潮预警期间探访间隔”探访")
    )
    note = models.CharField(_("依据/备注"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("探访规则")
        verbose_name_plural = _("探访规则")
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(interval_key="") & Q(interval_days__gte=1))
                | (~Q(interval_key="") & Q(interval_days__isnull=True)),
                name="visitrule_one_interval",
            ),
            models.CheckConstraint(
                condition=Q(tekun_mode="") | Q(category="tekun"), name="visitrule_tekun_mode_only_tekun"
            ),
            # one rule of a name per region (and one national), so "the nearest one" is one rule
            models.UniqueConstraint(
                fields=["name", "region"], nulls_distinct=False, name="visitrule_name_once_per_region"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if bool(self.interval_key) == (self.interval_days is not None):
            raise ValidationError(_("请在“按政策参数”和“探访间隔天数”中选择且只选择一项"))
        if self.tekun_mode and self.category != Category.TEKUN:
            raise ValidationError({"tekun_mode": _("只有特困类别可以填写供养方式")})
        if self.min_age is not None and self.max_age is not None and self.min_age >= self.max_age:
            raise ValidationError({"max_age": _("年龄上限须大于年龄下限")})


from people.assistance_models import Assistance, AssistanceQuerySet  # noqa: E402, F401  (own module)
from people.payment_accounts import PaymentAccount  # noqa: E402, F401  (kept in its own module)
