"""Assistance categories (救助类别认定): a household, or one member of it (特困), recognised in a
category for a period. Kept in its own module (people/models.py is at the size limit);
`people.models` re-exports the model.

Categories that cannot hold at once are refused by the database (exclusion constraints over the
period, PostgreSQL `btree_gist`), not only by the forms:

- one record of a category at a time for the same household and person (two 特困 records for one
  person — 分散供养 and 集中供养 — or two household 低保 records cannot overlap);
- a person is either 特困 or 低保 (a member's own 低保), never both in the same period: 特困人员 are
  not counted in a 低保 household's guarantee;
- a household is in one tier of the low-income ladder at a time: 低保, 低保边缘 (just above 低保) and
  刚性支出困难 (for households not on 低保 or 低保边缘) exclude each other.

防止返贫监测 and 其他低收入 can hold together with any tier (a 监测户 may also be on 低保).
people/assistance_services.py turns a refusal into a message naming the record in the way; changes
(ending, correcting, replacing) keep their reason in the history (django-simple-history).
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateRangeField, RangeOperators
from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from people.choices import Category, DibaoClass, MonitoringType, TekunMode
from relief.scoping import ScopedQuerySet, region_field

MONEY = {"max_digits": 12, "decimal_places": 2}

#: categories one person cannot hold together (the member's own 低保 and 特困)
PERSON_EXCLUSIVE = ("dibao", "tekun")
#: household categories that exclude each other: the tiers of the low-income ladder
HOUSEHOLD_TIERS = ("dibao", "dibao_edge", "rigid_expense")


class InclusiveDateRange(models.Func):
    """daterange(start, end, '[]'): both days included, no end = open."""

    function = "daterange"
    template = "%(function)s(%(expressions)s, '[]')"
    output_field = DateRangeField()


def _period() -> tuple[InclusiveDateRange, str]:
    return (InclusiveDateRange("start_date", "end_date"), RangeOperators.OVERLAPS)


class AssistanceQuerySet(ScopedQuerySet):
    def current(self, on: datetime.date | None = None) -> AssistanceQuerySet:
        """Records in force on `on` (default today)."""
        on = on or timezone.localdate()
        return self.filter(start_date__lte=on).filter(Q(end_date__isnull=True) | Q(end_date__gte=on))

    def overlapping(self, start: datetime.date, end: datetime.date | None) -> AssistanceQuerySet:
        """Records whose period shares at least one day with [start, end] (no end = open)."""
        qs = self.filter(Q(end_date__isnull=True) | Q(end_date__gte=start))
        return qs.filter(start_date__lte=end) if end else qs

    def in_the_way(self, record: Assistance) -> AssistanceQuerySet:
        """The records the exclusion constraints would refuse `record` next to (itself left out)."""
        same = Q(household_id=record.household_id, person_id=record.person_id, category=record.category)
        if record.person_id is None:
            same = Q(household_id=record.household_id, person__isnull=True, category=record.category)
        clash = same
        if record.person_id and record.category in PERSON_EXCLUSIVE:
            clash |= Q(person_id=record.person_id, category__in=PERSON_EXCLUSIVE)
        if record.person_id is None and record.category in HOUSEHOLD_TIERS:
            clash |= Q(household_id=record.household_id, person__isnull=True, category__in=HOUSEHOLD_TIERS)
        qs = self.filter(clash).overlapping(record.start_date, record.end_date)
        return qs.exclude(pk=record.pk) if record.pk else qs


class Assistance(models.Model):
    """A household (or one member of it, e.g. 特困) recognised in an assistance category for a period."""

    household = models.ForeignKey(
        "people.Household", verbose_name=_("家庭"), on_delete=models.PROTECT, related_name="assistances"
    )
    person = models.ForeignKey(
        "people.Person",
        verbose_name=_("成员"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assistances",
        help_text=_("按人认定的类别（如特困人员）填写；按户认定的留空"),
    )
    region = region_field(verbose_name=_("区划"))
    category = models.CharField(_("救助类别"), max_length=20, choices=Category.choices)
    dibao_class = models.CharField(
        _("低保类别"), max_length=1, choices=DibaoClass.choices, blank=True, help_text=_("实行分类的地区填写")
    )
    tekun_mode = models.CharField(_("特困供养方式"), max_length=16, choices=TekunMode.choices, blank=True)
    monitoring_type = models.CharField(
        _("监测对象类型"), max_length=16, choices=MonitoringType.choices, blank=True
    )
    start_date = models.DateField(_("认定日期"))
    end_date = models.DateField(_("终止日期"), null=True, blank=True)
    end_reason = models.CharField(_("终止原因"), max_length=255, blank=True)
    # set by an enrolment decision: the amount decided, and the month payments start (the month after)
    monthly_amount = models.DecimalField(_("月救助金额（元）"), null=True, blank=True, **MONEY)
    payment_from = models.DateField(_("发放起始月"), null=True, blank=True)
    note = models.CharField(_("备注"), max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("登记时间"), default=timezone.now)

    objects = AssistanceQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["created_at"])

    class Meta:
        verbose_name = _("救助类别认定")
        verbose_name_plural = _("救助类别认定")
        ordering = ["-start_date", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="assistance_end_after_start",
            ),
            models.CheckConstraint(
                condition=Q(dibao_class="") | Q(category="dibao"), name="assistance_class_only_dibao"
            ),
            models.CheckConstraint(
                condition=Q(category="tekun", tekun_mode__in=["centralized", "dispersed", "unknown"])
                | (~Q(category="tekun") & Q(tekun_mode="")),
                name="assistance_tekun_mode",
            ),
            models.CheckConstraint(
                condition=Q(
                    category="monitoring", monitoring_type__in=["unstable", "edge", "sudden", "unknown"]
                )
                | (~Q(category="monitoring") & Q(monitoring_type="")),
                name="assistance_monitoring_type",
            ),
            ExclusionConstraint(
                name="assistance_one_at_a_time",
                expressions=[
                    ("household", RangeOperators.EQUAL),
                    (Coalesce("person", models.Value(0)), RangeOperators.EQUAL),
                    ("category", RangeOperators.EQUAL),
                    _period(),
                ],
            ),
            ExclusionConstraint(
                name="assistance_person_dibao_or_tekun",
                expressions=[("person", RangeOperators.EQUAL), _period()],
                condition=Q(person__isnull=False, category__in=PERSON_EXCLUSIVE),
            ),
            ExclusionConstraint(
                name="assistance_household_one_tier",
                expressions=[("household", RangeOperators.EQUAL), _period()],
                condition=Q(person__isnull=True, category__in=HOUSEHOLD_TIERS),
            ),
        ]
        indexes = [
            models.Index(fields=["household", "category", "start_date"], name="assistance_household_cat"),
            models.Index(fields=["category", "end_date"], name="assistance_category_end"),
            # search by category over a province: households in force on a date, from the index alone
            models.Index(
                fields=["category", "household", "start_date", "end_date"],
                name="assistance_category_household",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label} {self.start_date}–{self.end_date or ''}"

    @property
    def label(self) -> str:
        parts = [self.get_category_display()]
        if self.dibao_class:
            parts.append(self.get_dibao_class_display())
        if self.tekun_mode:
            parts.append(self.get_tekun_mode_display())
        if self.monitoring_type:
            parts.append(self.get_monitoring_type_display())
        return "·".join(str(p) for p in parts)

    @property
    def period(self) -> str:
        end = f"{self.end_date:%Y-%m-%d}" if self.end_date else str(_("至今"))
        return f"{self.start_date:%Y-%m-%d} — {end}"

    def is_current(self, on: datetime.date | None = None) -> bool:
        on = on or timezone.localdate()
        return self.start_date <= on and (self.end_date is None or self.end_date >= on)

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        errors: dict[str, str] = {}
        if self.end_date and self.start_date and self.end_date < self.start_date:
            errors["end_date"] = _("终止日期不能早于认定日期")
        if self.dibao_class and self.category != Category.DIBAO:
            errors["dibao_class"] = _("只有低保对象可以填写低保类别")
        if self.category == Category.TEKUN and not self.tekun_mode:
            errors["tekun_mode"] = _("特困人员须填写供养方式（集中供养或分散供养）")
        if self.category != Category.TEKUN and self.tekun_mode:
            errors["tekun_mode"] = _("只有特困人员可以填写供养方式")
        if self.category == Category.TEKUN and self.household_id and not self.person_id:
            errors["person"] = _("特困人员按人认定，请选择家庭成员")
        if self.category == Category.MONITORING and not self.monitoring_type:
            errors["monitoring_type"] = _("防止返贫监测对象须填写监测对象类型")
        if self.category != Category.MONITORING and self.monitoring_type:
            errors["monitoring_type"] = _("只有防止返贫监测对象可以填写监测对象类型")
        if self.person_id and self.household_id and self.person.household_id != self.household_id:
            errors["person"] = _("该成员不属于这户家庭")
        if errors:
            raise ValidationError(errors)
