"""日报 / 周报: one report per region, kind and period, its figures frozen when it was made, its Excel
and PDF files, and whether the region sent it up (上报) to the level above.

A report belongs to its region: it is seen by that region's users and by the levels above (a county
sees its own, its city sees every county's), never by a neighbour (relief/scoping.py)."""

from __future__ import annotations

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from relief.scoping import ScopedManager, ScopedQuerySet, region_field
from relief.transitions import user_field


class Kind(models.TextChoices):
    DAILY = "daily", _("日报")
    WEEKLY = "weekly", _("周报")


class State(models.TextChoices):
    GENERATED = "generated", _("已生成待上报")
    SUBMITTED = "submitted", _("已上报")


class ReportQuerySet(ScopedQuerySet):
    def of(self, kind: str, period) -> ReportQuerySet:
        return self.filter(kind=kind, period=period)

    def children_of(self, code: str) -> ReportQuerySet:
        """The reports of the direct sub-regions of `code`."""
        return self.filter(region__parent_id=code)


class Report(models.Model):
    region = region_field(verbose_name=_("区划"))
    kind = models.CharField(_("类型"), max_length=8, choices=Kind.choices)
    #: the day of a daily report; the Monday of a weekly one
    period = models.DateField(_("报告期"))
    #: the numbers the report shows, as they were when it was made (reports/content.py)
    figures = models.JSONField(_("报告数据"), encoder=DjangoJSONEncoder, default=dict)
    xlsx = models.FileField(_("Excel 文件"), upload_to="reports/%Y/%m/", blank=True)
    pdf = models.FileField(_("PDF 文件"), upload_to="reports/%Y/%m/", blank=True)
    generated_at = models.DateTimeField(_("生成时间"), default=timezone.now)
    state = models.CharField(_("状态"), max_length=16, choices=State.choices, default=State.GENERATED)
    submitted_at = models.DateTimeField(_("上报时间"), null=True, blank=True)
    submitted_by = user_field(_("上报人"))

    objects = ScopedManager.from_queryset(ReportQuerySet)()

    class Meta:
        verbose_name = _("日报周报")
        verbose_name_plural = _("日报周报")
        ordering = ["-period", "kind", "region_id"]
        constraints = [
            models.UniqueConstraint(fields=["region", "kind", "period"], name="report_one_per_period"),
            models.CheckConstraint(
                condition=models.Q(state="generated", submitted_at__isnull=True)
                | models.Q(state="submitted", submitted_at__isnull=False),
                name="report_submitted_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.region_id} {self.get_kind_display()} {self.period}"

    @property
    def is_submitted(self) -> bool:
        return self.state == State.SUBMITTED

    def file_name(self, ext: str) -> str:
        name = (self.figures.get("region") or {}).get("name") or self.region_id
        return f"{name}{self.get_kind_display()}_{self.period:%Y%m%d}.{ext}"
