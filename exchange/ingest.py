"""Reading a department's batch: which column is which (the source's mapping), and every line
normalised (ID number, name, amount, date, type) or invalid with a coded reason.

A batch comes as a spreadsheet (relief/sheet_reader.py: .xlsx, .xls, .ods, .csv, with its limits)
or as records (the API's JSON body or JSON lines, stored as a JSON-lines file). Either way
`read_lines` yields one `Line` per data line, in order, without holding the file: processing
(exchange/services.py) streams them into PostgreSQL with COPY (`copy_text`).

Invalid lines are kept with their reason: a missing or wrong ID number (people/id_numbers.py: an
old number with a retired county code is valid, a 15-digit one converted), an amount or a date that
cannot be read, text longer than the column. The checks are memoised for the batch: a department's
file repeats its people and its dates.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from exchange.models import FIELDS, DataSource
from people.id_numbers import check_id_number
from relief.sheet_reader import open_table
from relief.uploads import XlsxLimits

#: the reasons a line is invalid (stable codes, for the batch's counts and the API)
CODES = {
    "id_number_missing": gettext_lazy("缺少身份证号"),
    "id_number_invalid": gettext_lazy("身份证号无效"),
    "amount_invalid": gettext_lazy("金额无法识别"),
    "date_invalid": gettext_lazy("日期无法识别"),
    "text_too_long": gettext_lazy("内容超过长度"),
}
NAME_MAX, TYPE_MAX, ID_MAX, ERROR_MAX = 50, 64, 18, 255
ID_MEMO = 1 << 16
AMOUNT_LIMIT = Decimal("1000000000000")  # 14 digits, 2 of them decimals
RECORDS_SUFFIX = ".ndjson"  # how a batch sent as records is stored


class Line(NamedTuple):
    """One line as it is loaded: amount and date already in their canonical text ("" for none:
    what COPY reads), so a million lines cost no Decimal or date objects."""

    line: int
    id_number: str
    name: str
    amount: str
    occurred_on: str
    event_type: str
    error_code: str
    error: str


def limits() -> XlsxLimits:
    """The reader's limits for department files: as for rosters, but more rows (a province's 医保
    file holds a million lines of five columns)."""
    base = XlsxLimits.from_settings()
    return XlsxLimits(
        **{
            **base.__dict__,
            "max_rows": settings.EXCHANGE_MAX_ROWS,
            "max_cells": max(base.max_cells, settings.EXCHANGE_MAX_ROWS * 8),
        }
    )


# --- the column mapping ----------------------------------------------------------------------------


def _label(value: Any) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(value or "")))


def mapping(source: DataSource) -> dict[str, str]:
    """field -> header of the source's columns; the ID number's header defaults to 身份证号."""
    columns = {field: str(header) for field, header in (source.columns or {}).items() if field in FIELDS}
    columns.setdefault("id_number", str(FIELDS["id_number"]))
    return columns


def locate(source: DataSource, header: tuple) -> dict[str, int]:
    """field -> index of its column in the header row; every mapped column must be there."""
    at = {_label(value): i for i, value in reversed(list(enumerate(header))) if value is not None}
    columns = mapping(source)
    missing = [label for label in columns.values() if _label(label) not in at]
    if missing:
        raise ValidationError(
            _("第%(row)d行表头中没有这些列：%(cols)s（请核对数据来源的列对应）")
            % {"row": source.header_row, "cols": "、".join(missing)},
            code="columns_missing",
        )
    return {field: at[_label(label)] for field, label in columns.items()}


# --- one line ------------------------------------------------------------------------------------

_DATE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T].*)?$")
_DATE8 = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_AMOUNT_JUNK = str.maketrans("", "", ",，¥￥元 ")
_PLAIN_AMOUNT = re.compile(r"-?\d{1,12}(?:\.\d{1,2})?")
_FUTURE_DAYS = 1


class Normaliser:
    """Turns a line's cells into a `Line`; memoises ID numbers and dates for the batch."""

    def __init__(self) -> None:
        # a batch repeats its people (a person settles many times a month): each number is checked
        # once while it is among the last ID_MEMO seen; bounded, so a million distinct numbers do
        # not hold a million results
        self.id_number = functools.lru_cache(maxsize=ID_MEMO)(self._check_id)
        self._dates: dict[Any, tuple[str, str]] = {}
        self._latest = timezone.localdate() + datetime.timedelta(days=_FUTURE_DAYS)

    @staticmethod
    def _check_id(raw: Any) -> tuple[str, str, str]:
        """(number, error code, message): the normalised number, or the raw text and the reason."""
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return "", "id_number_missing", str(CODES["id_number_missing"])
        if isinstance(raw, float):
            text = f"{int(raw)}" if raw.is_integer() else str(raw)
            if raw >= 1e15 and "e" in repr(raw).lower():
                return (
                    text[:ID_MAX],
                    "id_number_invalid",
                    _("身份证号被存为数字（科学计数法），后几位已丢失，请将该列设为文本格式"),
                )
        else:
            text = str(raw).strip()
        try:
            return check_id_number(text).number, "", ""
        except ValidationError as exc:
            return text[:ID_MAX], "id_number_invalid", "；".join(exc.messages)[:ERROR_MAX]

    @staticmethod
    def amount(raw: Any) -> str:
        """The amount in yuan as text ("1234.5"; "" when empty); ValueError when it cannot be read."""
        if raw is None or raw == "":
            return ""
        if raw.__class__ is str and _PLAIN_AMOUNT.fullmatch(raw):
            return raw  # what a department's CSV holds: taken as it is
        if isinstance(raw, bool):
            raise ValueError
        if isinstance(raw, (int, float)) and abs(raw) < AMOUNT_LIMIT:
            return str(raw) if isinstance(raw, int) else f"{raw:.2f}"
        try:
            value = Decimal(raw) if isinstance(raw, Decimal) else Decimal(str(raw).translate(_AMOUNT_JUNK))
        except InvalidOperation:
            raise ValueError from None
        if not value.is_finite() or abs(value) >= AMOUNT_LIMIT:
            raise ValueError
        return str(value.quantize(Decimal("0.01")))

    def date(self, raw: Any) -> tuple[str, str]:
        """(the date as YYYY-MM-DD or "", the reason it is refused or "")."""
        if raw is None or raw == "":
            return "", ""
        found = self._dates.get(raw)
        if found is None:
            found = self._dates[raw] = self._parse_date(raw)
        return found

    def _parse_date(self, raw: Any) -> tuple[str, str]:
        if isinstance(raw, datetime.datetime):
            raw = raw.date()
        if isinstance(raw, datetime.date):
            day = raw
        else:
            text = str(raw).strip()
            match = _DATE.match(text) or _DATE8.match(text)
            try:
                if not match:
                    raise ValueError
                day = datetime.date(int(match[1]), int(match[2]), int(match[3]))
            except ValueError:
                return "", _("日期“%(v)s”无法识别，请写成 2026-11-03") % {"v": text[:40]}
        if day.year < 1900 or day > self._latest:
            return "", self._date_error(day)
        return day.isoformat(), ""

    @staticmethod
    def _date_error(day: datetime.date) -> str:
        return _("日期“%(v)s”不在合理范围内（晚于今天或早于1900年）") % {"v": day.isoformat()}

    def line(self, number: int, id_raw: Any, name: Any, amount: Any, date: Any, kind: Any) -> Line:
        id_number, code, error = self.id_number(id_raw)
        name = "" if name is None else str(name).strip()
        kind = "" if kind is None else str(kind).strip()
        if not code and (len(name) > NAME_MAX or len(kind) > TYPE_MAX):
            field, limit = (FIELDS["name"], NAME_MAX) if len(name) > NAME_MAX else (FIELDS["type"], TYPE_MAX)
            code, error = "text_too_long", _("“%(f)s”超过%(n)d个字") % {"f": field, "n": limit}
        try:
            value = self.amount(amount)
        except ValueError:
            value = ""
            if not code:
                code = "amount_invalid"
                error = _("金额“%(v)s”无法识别") % {"v": str(amount)[:40]}
        day, date_error = self.date(date)
        if date_error and not code:
            code, error = "date_invalid", date_error
        return Line(number, id_number, name[:NAME_MAX], value, day, kind[:TYPE_MAX], code, error[:ERROR_MAX])


# --- the lines of a batch ------------------------------------------------------------------------


def sheet_lines(source: DataSource, f: Any, progress: Any = None) -> Iterator[Line]:
    """The data lines of a spreadsheet after the source's header row (empty rows skipped)."""
    with open_table(f, limits=limits(), max_bytes=settings.EXCHANGE_MAX_BYTES) as table:
        total = table.row_count(0)
        rows = table.rows(0)
        try:
            yield from _data_lines(source, rows, total, progress)
        finally:
            rows.close()  # a header that does not fit stops the reading: the file is let go at once


def _data_lines(
    source: DataSource, rows: Iterator[tuple], total: int | None, progress: Any
) -> Iterator[Line]:
    header: tuple = ()
    for _number in range(source.header_row):
        header = next(rows, None) or ()
    at = locate(source, header)
    width = max(at.values()) + 2
    blank = width - 1  # a cell that is always empty: what a field not mapped reads
    fields = ("id_number", "name", "amount", "date", "type")
    i_id, i_name, i_amount, i_date, i_type = (at.get(f, blank) for f in fields)
    pad = (None,) * width
    number = source.header_row
    line = Normaliser().line
    for values in rows:
        number += 1
        if not values:
            continue
        if progress is not None and not number % 20000:
            progress(number, total)
        if len(values) < width:
            values = values + pad[: width - len(values)]
        yield line(number, values[i_id], values[i_name], values[i_amount], values[i_date], values[i_type])


def record_lines(source: DataSource, records: Iterable[dict]) -> Iterator[Line]:
    """Lines from the API's records: each keyed by field name (id_number, name, amount, date, type)
    or by the source's header."""
    normaliser = Normaliser()
    labels = mapping(source)
    for number, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            record = {}

        def get(field: str, record: dict = record) -> Any:
            value = record.get(field)
            return record.get(labels[field]) if value is None and field in labels else value

        yield normaliser.line(number, get("id_number"), get("name"), get("amount"), get("date"), get("type"))


def ndjson_records(f: Any) -> Iterator[dict]:
    """The records of a stored JSON-lines file (blank lines skipped; a line that is not an object is
    an empty record, so it is kept as invalid)."""
    for raw in f:  # bytes lines
        raw = raw.strip()
        if not raw:
            continue
        try:
            record = json.loads(raw)
        except ValueError:
            record = {}
        yield record if isinstance(record, dict) else {}


def read_lines(source: DataSource, f: Any, name: str, progress: Any = None) -> Iterator[Line]:
    if name.endswith(RECORDS_SUFFIX):
        return record_lines(source, ndjson_records(f))
    return sheet_lines(source, f, progress)


def records_bytes(records: Iterable[dict]) -> bytes:
    """Records as the JSON-lines file a batch keeps (canonical: the same records, the same bytes)."""
    return b"".join(
        json.dumps(r, ensure_ascii=False, sort_keys=True, default=str).encode() + b"\n" for r in records
    )


def checksum(f: Any) -> str:
    """The SHA-256 of a file's content, read in chunks (the file is put back at its start)."""
    digest = hashlib.sha256()
    f.seek(0)
    while chunk := f.read(1024 * 1024):
        digest.update(chunk)
    f.seek(0)
    return digest.hexdigest()


# --- COPY ----------------------------------------------------------------------------------------

NULL = "\\N"
_ESCAPE = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _text(value: str) -> str:
    return value.translate(_ESCAPE)


def copy_text(lines: Iterable[Line], chunk_lines: int = 5000) -> Iterator[str]:
    """Lines as PostgreSQL COPY text rows (tab separated, \\N for NULL), in chunks."""
    out: list[str] = []
    for ln in lines:
        text = ln.id_number + ln.name + ln.event_type + ln.error
        if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
            ln = ln._replace(
                id_number=_text(ln.id_number),
                name=_text(ln.name),
                event_type=_text(ln.event_type),
                error=_text(ln.error),
            )
        out.append(
            f"{ln.line}\t{ln.id_number}\t{ln.name}\t{ln.amount or NULL}\t{ln.occurred_on or NULL}\t"
            f"{ln.event_type}\t{ln.error_code}\t{ln.error}\n"
        )
        if len(out) >= chunk_lines:
            yield "".join(out)
            out = []
    if out:
        yield "".join(out)
