"""Excel exports of the core: the region tree within the user's scope."""

from __future__ import annotations

import io

from django.utils.translation import gettext as _
from openpyxl import Workbook

from relief.jobs.registry import JobContext, job_handler
from relief.models import Region
from relief.regions import Level
from relief.spreadsheets import safe_sheet

EXPORT_KIND = "relief.regions_export"


@job_handler(EXPORT_KIND, stale_reads=True)
def regions_export(ctx: JobContext) -> dict:
    """All regions the job's owner can see, one row each, streamed into a write-only workbook."""
    regions = Region.objects.visible_to(ctx.user).order_by("code")
    total = regions.count()
    ctx.progress(0, total, _("正在导出行政区划"), force=True)
    wb = Workbook(write_only=True)
    ws = safe_sheet(wb.create_sheet(_("行政区划")))
    ws.append([_("区划代码"), _("名称"), _("级别"), _("上级代码"), _("全称")])
    for i, (code, name, level, parent, full_name) in enumerate(
        regions.values_list("code", "name", "level", "parent_id", "full_name").iterator(chunk_size=2000), 1
    ):
        ws.append([code, name, str(Level(level).label), parent or "", full_name])
        if i % 500 == 0:
            ctx.progress(i)
    buf = io.BytesIO()
    wb.save(buf)
    ctx.save_file("regions.xlsx", buf.getvalue())
    ctx.progress(total, total, force=True)
    return {"rows": total}
