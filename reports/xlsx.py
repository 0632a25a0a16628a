"""A report's Excel file (openpyxl), drawn from its frozen figures: a sheet of the figures (value,
target, gap, change since last week), one of the sub-regions ranked worst first with who has
reported, one of the winter's weekly trends. Numbers are numbers, never text."""

from __future__ import annotations

import io
from decimal import Decimal

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from relief.spreadsheets import COUNT_FORMAT, MONEY_FORMAT, PERCENT_FORMAT, formatted, safe_sheet
from reports.content import shown
from reports.selectors import STATUS_LABELS

FORMATS = {"money": MONEY_FORMAT, "ratio": PERCENT_FORMAT, "hours": "0.0", "count": COUNT_FORMAT}


def _cell(ws, value, kind: str):
    if value is None or value == "":
        return None
    return formatted(ws, Decimal(str(value)), FORMATS.get(kind, COUNT_FORMAT))


def title(content: dict) -> str:
    kind = _("日报") if content["kind"] == "daily" else _("周报")
    return _("%(region)s冬季救助%(kind)s（%(period)s）") % {
        "region": content["region"]["name"],
        "kind": kind,
        "period": content["period"],
    }


def workbook(content: dict) -> bytes:
    wb = Workbook()
    ws = safe_sheet(wb.active)
    ws.title = _("指标")
    ws.append([title(content)])
    ws["A1"].font = Font(bold=True)
    ws.append([_("数据时间"), content["computed_at"][:16].replace("T", " ")])
    ws.append([_("分组"), _("指标"), _("单位"), _("数值"), _("目标"), _("差距"), _("较上周")])
    for cell in ws[3]:
        cell.font = Font(bold=True)
    for f in content["figures"]:
        unit = _("比例") if f["kind"] == "ratio" else f["unit"]
        value = f["value_label"] if f["kind"] == "level" else _cell(ws, f["value"], f["kind"])
        ws.append(
            [
                f["section"],
                f["label"],
                unit,
                value,
                _cell(ws, f["target"], f["kind"]),
                _cell(ws, f["gap"], f["kind"]),
                _cell(ws, f["change"], f["kind"]),
            ]
        )
    findings = content["findings"]
    ws.append([])
    ws.append([_("督查发现问题（未销号）"), _("合计"), "", findings["total"]])
    for area in findings["by_area"].values():
        ws.append(["", area["label"], "", area["total"]])
    for col, width in zip("ABCDEFG", (14, 26, 8, 16, 12, 12, 12), strict=True):
        ws.column_dimensions[col].width = width

    subs = safe_sheet(wb.create_sheet(_("下级区划")))
    status = {s["code"]: s for s in content.get("subregions", [])}
    for board in content["ranking"]:
        subs.append([f"{board['label']}（{_('目标')} {_target(board)}）"])
        subs.append([_("排名"), _("区划代码"), _("区划"), _("数值"), _("差距"), _("较上周"), _("上报情况")])
        for r in board["rows"]:
            s = status.get(r["code"])
            subs.append(
                [
                    r["rank"],
                    r["code"],
                    r["name"],
                    _cell(subs, r["value"], board["kind"]),
                    _cell(subs, r["gap"], board["kind"]),
                    _cell(subs, r["change"], board["kind"]),
                    str(STATUS_LABELS[s["status"]]) if s else "",
                ]
            )
        subs.append([])
    for col, width in zip("ABCDEFG", (8, 14, 16, 12, 12, 12, 14), strict=True):
        subs.column_dimensions[col].width = width

    trend = safe_sheet(wb.create_sheet(_("趋势")))
    series = content["trends"]["series"]
    trend.append([_("周（周一）"), *[f"{s['label']}（{s['unit']}）" for s in series]])
    for i, week in enumerate(content["trends"]["weeks"]):
        trend.append([week, *[_cell(trend, s["values"][i], "count") for s in series]])
    trend.column_dimensions["A"].width = 14
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _target(board: dict) -> str:
    return shown(board["target"], board["kind"])
