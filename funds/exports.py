"""Excel out: the payment list of a batch for the bank (ID numbers masked for roles that do not need
them in full)."""

from __future__ import annotations

import io

from django.utils.translation import gettext as _
from openpyxl import Workbook

from funds.models import DisbursementBatch, Payment
from relief.privacy import id_for, phone_for
from relief.spreadsheets import money_cell, safe_sheet


def batch_workbook(batch: DisbursementBatch, user) -> bytes:
    wb = Workbook(write_only=True)
    ws = safe_sheet(wb.create_sheet(_("发放名单")))
    ws.append([_("批次"), batch.title, _("状态"), batch.get_status_display()])
    ws.append(
        [_("序号"), _("姓名"), _("身份证号"), _("联系电话"), _("区划代码"), _("计发人数"), _("金额（元）")]
    )
    rows = (
        Payment.objects.visible_to(user)
        .filter(batch=batch)
        .order_by("region_id", "id")
        .values_list("recipient_name", "id_number", "phone", "region_id", "persons", "amount")
    )
    total = None
    for i, (name, id_number, phone, region, persons, amount) in enumerate(rows.iterator(chunk_size=2000), 1):
        ws.append(
            [
                i,
                name,
                id_for(user, id_number),
                phone_for(user, phone),
                region,
                persons,
                money_cell(ws, amount),
            ]
        )
        total = amount if total is None else total + amount
    ws.append([_("合计"), "", "", "", "", "", money_cell(ws, total or 0)])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
