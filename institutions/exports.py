"""Excel export of the hazard ledger (隐患台账), in the columns of a paper ledger: hazard, deadline,
person responsible, measures, funds, verifier. The caller passes an already region-scoped queryset."""

from __future__ import annotations

import io

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook

from relief.spreadsheets import date_cell, local_datetime_cell, money_cell, safe_sheet

HEADERS = [
    gettext_lazy("序号"),
    gettext_lazy("区划"),
    gettext_lazy("机构"),
    gettext_lazy("隐患"),
    gettext_lazy("隐患等级"),
    gettext_lazy("发现日期"),
    gettext_lazy("整改期限"),
    gettext_lazy("是否逾期"),
    gettext_lazy("整改责任人"),
    gettext_lazy("整改措施"),
    gettext_lazy("整改资金（元）"),
    gettext_lazy("状态"),
    gettext_lazy("验收人"),
    gettext_lazy("验收时间"),
    gettext_lazy("销号时间"),
]


def _name(user) -> str:
    return str(user) if user else ""


def hazard_ledger_xlsx(hazards: QuerySet) -> bytes:
    """Stream the rows into a write-only workbook; the queryset is read in chunks."""
    wb = Workbook(write_only=True)
    ws = safe_sheet(wb.create_sheet(_("隐患台账")))
    ws.column_dimensions["C"].width = 24
    ws.column_dimensions["D"].width = 40
    ws.column_dimensions["J"].width = 40
    ws.append([str(h) for h in HEADERS])
    qs = hazards.select_related("institution__region", "owner", "verified_by")
    for i, h in enumerate(qs.iterator(chunk_size=1000), 1):
        ws.append(
            [
                i,
                str(h.institution.region),
                h.institution.name,
                h.title,
                h.get_severity_display(),
                date_cell(ws, h.found_on),
                date_cell(ws, h.deadline),
                _("是") if h.is_overdue else _("否"),
                _name(h.owner),
                h.measures,
                money_cell(ws, h.funds),
                h.get_state_display(),
                _name(h.verified_by),
                local_datetime_cell(ws, h.verified_at),
                local_datetime_cell(ws, h.closed_at),
            ]
        )
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
