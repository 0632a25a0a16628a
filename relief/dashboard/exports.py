"""Excel export of the dashboard's sub-region table (openpyxl; small: one row per sub-region)."""

from __future__ import annotations

import io

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from relief.dashboard import selectors
from relief.regions import full_code
from relief.spreadsheets import COUNT_FORMAT, MONEY_FORMAT, PERCENT_FORMAT, formatted, safe_sheet

#: how each kind of figure reads in Excel: numbers, never strings (a share is 0.123 shown as 12.3%)
FORMATS = {"money": MONEY_FORMAT, "ratio": PERCENT_FORMAT, "hours": "0.0", "count": COUNT_FORMAT}


def table_workbook(summary: selectors.Summary) -> bytes:
    figures = selectors.table_figures()
    wb = Workbook()
    ws = safe_sheet(wb.active)
    ws.title = _("分区划指标")
    title = str(summary.region) if summary.region else _("全国")
    computed = timezone.localtime(summary.computed_at)
    heading = _("%(region)s 数据看板（数据时间 %(at)s）") % {
        "region": title,
        "at": f"{computed:%Y-%m-%d %H:%M}",
    }
    if summary.live_computed_at:  # the roll calls and campaigns may be a minute older (live_cache)
        live_at = timezone.localtime(summary.live_computed_at)
        heading += _("；实时指标截至 %(at)s") % {"at": f"{live_at:%H:%M}"}
    ws.append([heading])
    ws["A1"].font = Font(bold=True)
    header = [_("区划代码"), _("区划")]
    for f in figures:
        unit = _("比例") if f.kind == "ratio" else str(f.unit)
        header.append(f"{f.label}（{unit}）" if unit else str(f.label))
    ws.append(header)
    for cell in ws[2]:
        cell.font = Font(bold=True)

    def add(code: str, name: str, values) -> None:
        row: list = [full_code(code) if code else "", name]
        for f in figures:
            value = selectors.figure_value(f, values)
            label = selectors.level_label(f, value)
            if label or value is None:
                row.append(label or None)
            else:
                row.append(formatted(ws, value, FORMATS.get(f.kind, COUNT_FORMAT)))
        ws.append(row)

    for r in selectors.table_rows(summary):
        add(r["code"], r["name"], summary.children[r["code"]])
    add("", _("合计"), summary.totals)
    ws.column_dimensions["A"].width = 16
    ws.column_dimensions["B"].width = 18
    for i in range(3, len(header) + 1):
        ws.column_dimensions[ws.cell(row=2, column=i).column_letter].width = 16
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
