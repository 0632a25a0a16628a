"""The bank file of a batch (代发清单), per agent bank, in the layout banks ask for: 序号, 姓名,
身份证号, 账号, 金额, 摘要. xlsx with every cell but the amount stored as text (an account number of 19
digits must not turn into 6.22848E+18), or CSV in UTF-8 with a BOM (Excel opens it as Chinese).

This is the one place account and ID numbers leave the system in full: only for the roles that send
the file (funds.services.bank.bank_file_permitted) and every download is logged
(funds.services.bank.bank_file_log). 摘要 carries the line's reference ("WW123"), which the bank
returns and the return file is matched on (funds.services.bank.bank_return_import).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from funds.models import DisbursementBatch, Payment
from people.models import PaymentAccount
from relief.spreadsheets import money_cell, safe_csv_value, safe_value

REFERENCE_PREFIX = "WW"


def reference(payment_id: int) -> str:
    return f"{REFERENCE_PREFIX}{payment_id}"


def header() -> list[str]:
    return [_("序号"), _("姓名"), _("身份证号"), _("账号"), _("金额"), _("摘要")]


def bank_lines(batch: DisbursementBatch, bank: str | None) -> Iterator[tuple]:
    """(序号, 姓名, 身份证号, 账号, 金额, 摘要) of the batch's lines still waiting for the bank whose
    account is at `bank` (None: every bank, and lines with no account). The account is the one the
    line was issued to, else the recipient's current one. A held line (暂停发放: a death confirmed,
    exchange/deaths.py) is not sent. At most two queries."""
    rows = list(
        Payment.objects.payable()
        .filter(batch=batch, bank_state="pending")
        .select_related("account")
        .order_by("region_id", "id")
    )
    missing = [p.id_number for p in rows if not p.account_id and p.id_number]
    current = (
        {
            a.person.id_number: a
            for a in PaymentAccount.objects.active()
            .filter(person__id_number__in=missing, person__active=True)
            .select_related("person")
        }
        if missing
        else {}
    )
    number = 0
    for p in rows:
        account = p.account or current.get(p.id_number)
        if bank is not None and (account is None or account.bank != bank):
            continue
        number += 1
        name = account.holder_name if account is not None and account.holder_name else p.recipient_name
        summary = f"{batch.program.name} {batch.period} {reference(p.pk)}"
        yield number, name, p.id_number, account.account_number if account else "", p.amount, summary


def bank_xlsx(batch: DisbursementBatch, bank: str | None) -> bytes:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("代发清单"))

    def text(value) -> WriteOnlyCell:
        cell = WriteOnlyCell(ws, value=None)
        cell._value = str(safe_value(value or ""))
        cell.data_type = "s"
        cell.number_format = "@"
        return cell

    ws.append([text(h) for h in header()])
    for number, name, id_number, account, amount, summary in bank_lines(batch, bank):
        ws.append(
            [text(number), text(name), text(id_number), text(account), money_cell(ws, amount), text(summary)]
        )
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def bank_csv(batch: DisbursementBatch, bank: str | None) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header())
    for number, name, id_number, account, amount, summary in bank_lines(batch, bank):
        # a tab-free "\t" prefix would break banks' parsers; numbers stay digits as written
        writer.writerow(
            [number, safe_csv_value(name), id_number, account, f"{amount:.2f}", safe_csv_value(summary)]
        )
    return ("\ufeff" + buf.getvalue()).encode("utf-8")
