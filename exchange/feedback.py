"""Feedback to the departments (反馈): for one source, what became of every warning its records
raised — the line, the person (ID masked per role), the warning, its status, the outcome and the
date — read by the department as an Excel file or through the API. Scoped: a county's staff see
their county's dispositions only; a province official of the source's province sees them all
(ID numbers masked)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook

from exchange.models import DataSource, Disposition, ExchangeRecord, RecordStatus
from relief.privacy import id_for
from relief.spreadsheets import date_cell, safe_sheet

HEADERS = [
    gettext_lazy("行号"),
    gettext_lazy("批次"),
    gettext_lazy("身份证号"),
    gettext_lazy("姓名"),
    gettext_lazy("预警"),
    gettext_lazy("区划"),
    gettext_lazy("状态"),
    gettext_lazy("处置结果"),
    gettext_lazy("说明"),
    gettext_lazy("核实日期"),
    gettext_lazy("处置日期"),
]


def feedback_source(user, code: str) -> DataSource:
    """The source a user may read the feedback of (404 otherwise: outside the region, unknown)."""
    source = DataSource.objects.visible_to(user).filter(code=code).first()
    if source is None:
        raise Http404
    return source


def feedback_queryset(source: DataSource, user) -> QuerySet:
    """The dispositions of warnings raised by the source's rules that `user` may see, each with the
    latest line of the source behind it."""
    records = ExchangeRecord.objects.filter(source_id=source.pk, status=RecordStatus.MATCHED)
    latest = records.filter(person_id=OuterRef("person_id")).order_by("-batch_id", "-line")
    latest_household = records.filter(household_id=OuterRef("household_id")).order_by("-batch_id", "-line")
    return (
        Disposition.objects.visible_to(user)
        .filter(rule__source_id=source.pk)
        .select_related("rule", "person", "household__head", "region")
        .annotate(
            line=Subquery(latest.values("line")[:1]),
            batch_id=Subquery(latest.values("batch_id")[:1]),
            household_line=Subquery(latest_household.values("line")[:1]),
            household_batch=Subquery(latest_household.values("batch_id")[:1]),
        )
        .order_by("region_id", "created_at", "id")
    )


def feedback_rows(source: DataSource, user) -> Iterator[dict[str, Any]]:
    for d in feedback_queryset(source, user).iterator(chunk_size=2000):
        person = d.person or d.household.head
        yield {
            "id": d.pk,
            "line": d.line if d.person_id else d.household_line,
            "batch": d.batch_id if d.person_id else d.household_batch,
            "id_number": id_for(user, person.id_number if person else ""),
            "name": person.name if person else "",
            "warning": d.rule.name,
            "region": d.region_id,
            "status": d.status,
            "status_label": d.get_status_display(),
            "outcome": d.outcome,
            "outcome_label": d.get_outcome_display() if d.outcome else "",
            "reason": d.reason,
            "verified_on": d.verified_on,
            "disposed_on": d.disposed_on,
        }


def feedback_workbook(source: DataSource, user, rows) -> bytes:
    wb = Workbook(write_only=True)
    ws = safe_sheet(wb.create_sheet(_("处置反馈")))
    ws.append([_("数据来源"), source.name, _("提供部门"), source.get_department_display()])
    ws.append([str(h) for h in HEADERS])
    for r in rows:
        ws.append(
            [
                r["line"],
                r["batch"],
                r["id_number"],
                r["name"],
                r["warning"],
                r["region"],
                r["status_label"],
                r["outcome_label"],
                r["reason"],
                date_cell(ws, r["verified_on"]) if r["verified_on"] else "",
                date_cell(ws, r["disposed_on"]) if r["disposed_on"] else "",
            ]
        )
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
