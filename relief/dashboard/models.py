"""The dashboard's tables (app "relief"; re-exported by relief/models.py, kept here for its length):
the roll-ups the refresh rewrites and the weekly snapshot of the target figures."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from relief.scoping import ScopedManager, ScopedQuerySet


class RegionFigureQuerySet(ScopedQuerySet):
    def in_region(self, code: str) -> RegionFigureQuerySet:
        return self.filter(region_code__startswith=code)


class RegionFigure(models.Model):
    """One additive dashboard figure of one region: the sum over the records in the region and
    every region inside it, as of `computed_at`. The refresh task (relief/dashboard/services.py)
    rewrites the whole table in one transaction; `region_code` "" holds the national totals and
    the run marker (key "_run"). `parent_code` is the enclosing region's code, so a region and its
    direct sub-regions are one index lookup each."""

    region_code = models.CharField(_("区划代码"), max_length=12, blank=True)
    parent_code = models.CharField(_("上级区划代码"), max_length=12, blank=True)
    key = models.CharField(_("指标"), max_length=64)
    dim = models.CharField(_("分项"), max_length=32, blank=True)
    value = models.DecimalField(_("数值"), max_digits=18, decimal_places=2)
    computed_at = models.DateTimeField(_("计算时间"))

    objects = ScopedManager.from_queryset(RegionFigureQuerySet)()

    class Meta:
        verbose_name = _("看板汇总指标")
        verbose_name_plural = _("看板汇总指标")
        constraints = [
            models.UniqueConstraint(fields=["region_code", "key", "dim"], name="regionfigure_one_value"),
        ]
        indexes = [models.Index(fields=["parent_code", "key"], name="regionfigure_parent_key")]

    def __str__(self) -> str:
        return f"{self.region_code or '全国'} {self.key}[{self.dim}]={self.value}"


class FigureSnapshot(models.Model):
    """A target figure's value (relief/dashboard/board.py) for one region in one week (its Monday):
    the roll-up refresh overwrites the current week's rows, so a past week holds the figures as
    its last refresh found them. The ranking's "change since last week" reads them. Regions down to
    townships; a share is stored as 0..1, null when it has no denominator."""

    region_code = models.CharField(_("区划代码"), max_length=12, blank=True)
    week = models.DateField(_("周（周一）"))
    key = models.CharField(_("指标"), max_length=64)
    value = models.DecimalField(_("数值"), max_digits=18, decimal_places=4, null=True)
    computed_at = models.DateTimeField(_("计算时间"))

    objects = ScopedManager.from_queryset(RegionFigureQuerySet)()

    class Meta:
        verbose_name = _("看板指标周快照")
        verbose_name_plural = _("看板指标周快照")
        constraints = [
            models.UniqueConstraint(fields=["region_code", "week", "key"], name="figuresnapshot_one_value"),
        ]

    def __str__(self) -> str:
        return f"{self.region_code or '全国'} {self.week} {self.key}={self.value}"
