"""A report's PDF (reportlab: A4, in Chinese), drawn from its frozen figures: the figures with
target, gap and change since last week; the map of the sub-regions (polygons from the vendored
boundaries, static/vendor/china-boundaries, coloured by the first target figure, with a legend);
the sub-regions ranked worst first; the winter's weekly trends as line charts; the open 督查
findings by kind; the cold-wave level and the roll call; who has reported."""

from __future__ import annotations

import io
import json
import math
from decimal import Decimal

from django.contrib.staticfiles import finders
from django.utils.translation import gettext as _
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.shapes import Drawing, Polygon, Rect, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from relief.dashboard.board import boundary_name
from reports.content import shown, signed
from reports.fonts import chinese_font
from reports.selectors import STATUS_LABELS
from reports.xlsx import title

WIDTH = A4[0] - 30 * mm
#: colours of the map's legend: met the target, behind by up to 10 points / 10 %, behind more, no data
MET, NEAR, FAR, NONE = (colors.HexColor(c) for c in ("#2e7d32", "#f9a825", "#c62828", "#cfd8dc"))


def _styles(font: str) -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName=font, fontSize=9, leading=13)
    return {
        "title": ParagraphStyle("title", parent=base, fontSize=16, leading=22, alignment=1),
        "h2": ParagraphStyle("h2", parent=base, fontSize=12, leading=18, spaceBefore=8, spaceAfter=4),
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=8, leading=11, textColor=colors.grey),
    }


def _table(rows: list[list], font: str, widths: list[float] | None = None, numbers_from: int = 1) -> Table:
    """A table with a header row; columns from `numbers_from` on hold numbers (right-aligned)."""
    t = Table(rows, colWidths=widths, repeatRows=1, hAlign="LEFT")
    t.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), font),
                ("FONTSIZE", (0, 0), (-1, -1), 8),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e3eaf2")),
                ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#9aa5b1")),
                ("ALIGN", (numbers_from, 1), (-1, -1), "RIGHT"),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    return t


def _colour(board: dict, row: dict):
    if row["gap"] is None:
        return NONE
    gap = Decimal(str(row["gap"]))
    if gap <= 0:
        return MET
    near = Decimal("0.1") if board["kind"] == "ratio" else abs(Decimal(str(board["target"] or 0))) / 10 or 1
    return NEAR if gap <= near else FAR


def map_drawing(content: dict, font: str) -> Drawing | None:
    """The sub-regions' polygons coloured by the first target figure, with a legend; None when no
    boundary file draws this region's sub-regions (a county's townships)."""
    code = content["region"]["code"]
    path = finders.find(boundary_name(code)) if len(code) <= 4 else None
    if not path or not content["ranking"]:
        return None
    with open(path, encoding="utf-8") as f:
        features = json.load(f)["features"]
    board = content["ranking"][0]
    by_code = {r["code"]: r for r in board["rows"]}
    rings = []
    for feat in features:
        geom = feat["geometry"]
        polys = geom["coordinates"] if geom["type"] == "MultiPolygon" else [geom["coordinates"]]
        for poly in polys:
            rings.append((feat["properties"].get("code", ""), feat["properties"].get("name", ""), poly[0]))
    xs = [x for _c, _n, ring in rings for x, _y in ring]
    ys = [y for _c, _n, ring in rings for _x, y in ring]
    if not xs:
        return None
    k = math.cos(math.radians((min(ys) + max(ys)) / 2))  # keep the shape: a degree of longitude is shorter
    w, h = WIDTH * 0.72, 95 * mm
    scale = min(w / ((max(xs) - min(xs)) * k or 1), h / ((max(ys) - min(ys)) or 1))
    d = Drawing(WIDTH, h + 14 * mm)
    d.add(
        String(
            0,
            h + 8 * mm,
            f"{board['label']}（{_('目标')} {shown(board['target'], board['kind'])}）",
            fontName=font,
            fontSize=10,
        )
    )
    for region_code, _name, ring in rings:
        points = []
        for x, y in ring:
            points += [(x - min(xs)) * k * scale, (y - min(ys)) * scale]
        row = by_code.get(region_code)
        fill = _colour(board, row) if row else NONE
        d.add(Polygon(points, fillColor=fill, strokeColor=colors.white, strokeWidth=0.5))
    for feat in features:
        cp = feat["properties"].get("cp")
        if cp:
            d.add(
                String(
                    (cp[0] - min(xs)) * k * scale,
                    (cp[1] - min(ys)) * scale,
                    feat["properties"].get("name", ""),
                    fontName=font,
                    fontSize=6,
                    textAnchor="middle",
                )
            )
    legend_x = w + 8 * mm
    for i, (fill, label) in enumerate(
        ((MET, _("达到目标")), (NEAR, _("略低于目标")), (FAR, _("明显落后")), (NONE, _("无数据")))
    ):
        y = h - i * 7 * mm
        d.add(Rect(legend_x, y, 5 * mm, 4 * mm, fillColor=fill, strokeColor=None))
        d.add(String(legend_x + 7 * mm, y + 1, str(label), fontName=font, fontSize=8))
    return d


def trend_drawing(series: dict, weeks: list[str], font: str) -> Drawing:
    d = Drawing(WIDTH / 2 - 4 * mm, 55 * mm)
    chart = HorizontalLineChart()
    chart.x, chart.y, chart.width, chart.height = 12 * mm, 10 * mm, WIDTH / 2 - 20 * mm, 36 * mm
    values = [float(Decimal(str(v or 0))) for v in series["values"]] or [0.0]
    chart.data = [values]
    chart.categoryAxis.categoryNames = [w[5:] for w in weeks] or [""]
    chart.categoryAxis.labels.fontName = font
    chart.categoryAxis.labels.fontSize = 5
    chart.categoryAxis.labels.angle = 45
    chart.categoryAxis.labels.boxAnchor = "ne"
    chart.valueAxis.labels.fontName = font
    chart.valueAxis.labels.fontSize = 6
    chart.valueAxis.valueMin = 0
    chart.lines[0].strokeColor = colors.HexColor("#1565c0")
    chart.lines[0].strokeWidth = 1.2
    d.add(chart)
    d.add(String(0, 50 * mm, f"{series['label']}（{series['unit']}）", fontName=font, fontSize=9))
    return d


def document(content: dict) -> bytes:
    font = chinese_font()
    st = _styles(font)
    story: list = [Paragraph(title(content), st["title"])]
    story.append(
        Paragraph(
            _("数据时间：%(at)s　来源：数据看板汇总指标")
            % {"at": content["computed_at"][:16].replace("T", " ")},
            st["small"],
        )
    )
    cold = content.get("cold_wave")
    line = _("寒潮预警：%(level)s") % {"level": cold["label"] if cold else _("无")}
    if content.get("rollcall"):
        rc = content["rollcall"]
        line += "　" + _(
            "寒潮点名：应联系 %(to)s 人，已联系 %(reached)s 人（%(share)s），逾期 %(overdue)s 人"
        ) % {
            "to": rc.get("coldwaves.to_contact"),
            "reached": rc.get("coldwaves.reached"),
            "share": shown(rc.get("coldwaves.reached_share"), "ratio"),
            "overdue": rc.get("coldwaves.overdue", 0),
        }
    story.append(Paragraph(line, st["body"]))

    story.append(Paragraph(_("一、主要指标"), st["h2"]))
    rows = [[_("分组"), _("指标"), _("数值"), _("目标"), _("差距"), _("较上周")]]
    for f in content["figures"]:
        value = f["value_label"] if f["kind"] == "level" else shown(f["value"], f["kind"])
        unit = "" if f["kind"] in ("ratio", "level") else f["unit"]
        rows.append(
            [
                f["section"],
                f["label"],
                f"{value} {unit}".strip(),
                shown(f["target"], f["kind"]) if f["target"] is not None else "",
                shown(f["gap"], f["kind"]) if f["gap"] is not None else "",
                signed(f["change"], f["kind"]) if f["change"] is not None else "",
            ]
        )
    story.append(_table(rows, font, [30 * mm, 56 * mm, 32 * mm, 20 * mm, 20 * mm, 22 * mm], numbers_from=2))

    drawing = map_drawing(content, font)
    story.append(Paragraph(_("二、下级区划地图与落后排名"), st["h2"]))
    if drawing is not None:
        story.append(drawing)
    elif content["region"]["level"] >= 6:
        story.append(Paragraph(_("乡镇（街道）无边界数据，仅列排名。"), st["small"]))
    status = {s["code"]: s for s in content.get("subregions", [])}
    for board in content["ranking"]:
        if not board["rows"]:
            continue
        rows = [[_("排名"), _("区划"), board["label"], _("差距"), _("较上周"), _("上报情况")]]
        for r in board["rows"]:
            s = status.get(r["code"])
            rows.append(
                [
                    r["rank"],
                    r["name"],
                    shown(r["value"], board["kind"]),
                    shown(r["gap"], board["kind"]),
                    signed(r["change"], board["kind"]),
                    str(STATUS_LABELS[s["status"]]) if s else "",
                ]
            )
        heading = Paragraph(
            f"{board['label']}（{_('目标')} {shown(board['target'], board['kind'])}）", st["body"]
        )
        story.append(
            KeepTogether(
                [
                    heading,
                    _table(
                        rows, font, [12 * mm, 40 * mm, 34 * mm, 26 * mm, 26 * mm, 30 * mm], numbers_from=2
                    ),
                ]
            )
        )
        story.append(Spacer(1, 3 * mm))

    story.append(Paragraph(_("三、本冬趋势（按周）"), st["h2"]))
    weeks = content["trends"]["weeks"]
    charts = [trend_drawing(s, weeks, font) for s in content["trends"]["series"]]
    for i in range(0, len(charts), 2):
        story.append(Table([charts[i : i + 2]], colWidths=[WIDTH / 2] * len(charts[i : i + 2])))

    story.append(Paragraph(_("四、督查发现问题（未销号）"), st["h2"]))
    findings = content["findings"]
    rows = [[_("督查内容"), _("未销号"), _("待整改"), _("待验收"), _("逾期未整改")]]
    for area in findings["by_area"].values():
        rows.append([area["label"], area["total"], area["open"], area["answered"], area["overdue"]])
    rows.append([_("合计"), findings["total"], findings["open"], findings["answered"], findings["overdue"]])
    story.append(_table(rows, font, [50 * mm, 26 * mm, 26 * mm, 26 * mm, 30 * mm]))

    if content.get("subregions"):
        story.append(Paragraph(_("五、下级上报情况"), st["h2"]))
        rows = [[_("区划"), _("上报情况")]]
        rows += [[s["name"], str(STATUS_LABELS[s["status"]])] for s in content["subregions"]]
        story.append(_table(rows, font, [60 * mm, 40 * mm], numbers_from=2))

    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=title(content),
        author="WarmWinter",
    )
    doc.build(story)
    return buf.getvalue()
