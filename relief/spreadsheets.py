"""Every spreadsheet the system writes goes through here, so a text that a spreadsheet program would
run as a formula (a name planted as `=HYPERLINK(...)`) is stored as text and shown as typed.

`safe_value(v)` escapes one value; `SafeSheet` wraps an openpyxl worksheet so `append()` escapes
every cell.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from openpyxl.cell.cell import Cell

#: what makes a spreadsheet evaluate a cell (OWASP "CSV injection"); tab and CR start DDE tricks
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def is_dangerous(text: str) -> bool:
    return bool(text) and text[0] in FORMULA_TRIGGERS


def safe_value(value: Any) -> Any:
    """A value ready for a cell: strings that would run are kept as text (openpyxl writes a str that
    starts with "=" as a formula, so it is stored as an explicit string cell instead)."""
    if isinstance(value, str) and is_dangerous(value):
        return _TextCell(value)
    return value


class _TextCell(str):
    """Marker: a str that must be written as a plain string cell."""


def _to_cell(ws: Any, value: Any) -> Any:
    if isinstance(value, _TextCell):
        if getattr(ws, "_write_only", False) or type(ws).__name__ == "WriteOnlyWorksheet":
            from openpyxl.cell import WriteOnlyCell

            cell = WriteOnlyCell(ws, value=None)
        else:
            cell = Cell(ws)
        cell._value = str(value)
        cell.data_type = "s"
        return cell
    return value


class SafeSheet:
    """A worksheet whose `append()` escapes every text cell; everything else is passed through."""

    def __init__(self, ws: Any) -> None:
        object.__setattr__(self, "_ws", ws)

    def append(self, row: Iterable[Any]) -> None:
        self._ws.append([_to_cell(self._ws, safe_value(v)) for v in row])

    def __getattr__(self, name: str) -> Any:
        return getattr(self._ws, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._ws, name, value)

    def __getitem__(self, key: Any) -> Any:
        return self._ws[key]


def safe_sheet(ws: Any) -> SafeSheet:
    return ws if isinstance(ws, SafeSheet) else SafeSheet(ws)


def safe_csv_value(value: Any) -> Any:
    """For CSV files opened by a spreadsheet: a leading apostrophe keeps the text as typed."""
    if isinstance(value, str) and is_dangerous(value):
        return "'" + value
    return value


#: number formats of the cells a person reads: money with thousands separators, shares as percentages
MONEY_FORMAT = "#,##0.00"
PERCENT_FORMAT = "0.0%"
COUNT_FORMAT = "#,##0"
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"


def formatted(ws: Any, value: Any, number_format: str) -> Any:
    """A numeric or date cell shown with `number_format` (for `ws.append`, write-only or not). The
    value stays a number (a Decimal, 0.123 for 12.3%) or a date, never a string."""
    ws = getattr(ws, "_ws", ws)
    if getattr(ws, "_write_only", False) or type(ws).__name__ == "WriteOnlyWorksheet":
        from openpyxl.cell import WriteOnlyCell

        cell = WriteOnlyCell(ws, value=value)
    else:
        cell = Cell(ws, value=value)
    cell.number_format = number_format
    return cell


def money_cell(ws: Any, value: Any) -> Any:
    return formatted(ws, value, MONEY_FORMAT)


def percent_cell(ws: Any, value: Any) -> Any:
    return formatted(ws, value, PERCENT_FORMAT)


def local_datetime_cell(ws: Any, value: Any) -> Any:
    """An aware datetime as a date-time cell in local time (Excel has no time zones); None empty."""
    if value is None:
        return None
    from django.utils import timezone

    return formatted(ws, timezone.localtime(value).replace(tzinfo=None), DATETIME_FORMAT)


def date_cell(ws: Any, value: Any) -> Any:
    return formatted(ws, value, DATE_FORMAT) if value is not None else None
