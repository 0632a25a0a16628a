"""The sweeps' watermarks and change log (app "relief"; re-exported by relief/models.py): what lets a
nightly sweep work only what changed since its last run (relief/alerts/delta.py)."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _


class SweepRun(models.Model):
    """The last successful run of one sweep kind over one county, written in the same transaction
    as the sweep's alerts (a run that fails leaves the previous row). `seen_xmax` and `pending` are
    the run's snapshot: every transaction below `seen_xmax` and not in `pending` (those in progress
    then, and the run's own) had committed or aborted before the run read anything; the next run
    reads the changes of the others (a few twice, none missed however late a transaction commits)."""

    kind = models.CharField(_("监测项目"), max_length=64)
    county_code = models.CharField(_("县级区划代码"), max_length=6)
    ran_for = models.DateField(_("监测日期"))
    ran_at = models.DateTimeField(_("监测时间"))
    seen_xmax = models.BigIntegerField(_("已读变更位置"))
    pending = ArrayField(models.BigIntegerField(), default=list, blank=True)
    statements_ran = models.BooleanField(_("执行了监测语句"), default=True)
    skipped = models.BooleanField(_("无变更跳过"), default=False)
    last_full_at = models.DateTimeField(_("最近完整运行"), null=True, blank=True)

    class Meta:
        verbose_name = _("监测运行记录")
        verbose_name_plural = _("监测运行记录")
        constraints = [models.UniqueConstraint(fields=["kind", "county_code"], name="sweeprun_once")]

    def __str__(self) -> str:
        return f"{self.kind} {self.county_code} {self.ran_for}"


class SweepChange(models.Model):
    """One statement's change to a table a sweep reads, per county touched (written by the triggers
    relief/alerts/delta.py installs; never by Python). `region_prefix` is the county's code, or a
    shorter one for a row of a wider region (a province's policy value), or "" for a change whose
    county is not known (a TRUNCATE, a table scoped through a relation): those concern every county."""

    tbl = models.CharField(max_length=63)
    # relief_alert's rows: the alert kind changed (other tables: "")
    tag = models.CharField(max_length=64, blank=True)
    region_prefix = models.CharField(max_length=6, blank=True)
    xid = models.BigIntegerField()

    class Meta:
        indexes = [models.Index(fields=["region_prefix", "xid"], name="sweepchange_region_xid")]

    def __str__(self) -> str:
        return f"{self.tbl} {self.region_prefix} {self.xid}"
