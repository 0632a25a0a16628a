"""One reader for every spreadsheet a user uploads: .xlsx and .xlsm, Excel 97-2003 .xls, .ods (WPS,
LibreOffice) through python-calamine, and .csv (UTF-8 with or without BOM, GBK/GB18030) through the
csv module. The format is told by the content, never by the file name:

- a zip holding `xl/workbook.xml` is .xlsx/.xlsm; a zip whose `mimetype` is
  `application/vnd.oasis.opendocument.spreadsheet` is .ods;
- an OLE2 compound file (D0 CF 11 E0 A1 B1 1A E1) is .xls;
- anything else is text, read as CSV once its encoding is found (a BOM, else valid UTF-8, else
  GB18030, which contains GBK); a file with NUL bytes, or that neither decodes, is refused.

Limits are checked before a parser sees the file (relief/uploads.py: the zip's parts and ratios, the
real rows and columns of every sheet, streamed with expat); a CSV is bounded while it is read (rows,
columns, the length of a line). Rows come as tuples of Python values, as openpyxl's `values_only`
rows did: str, int (a whole number), float, datetime.date/datetime, bool, None for an empty cell;
row 1 first, every row up to the last one holding something, trailing empty cells dropped. An ID
number Excel stored as a number arrives as a number, so it can still be reported.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import os
import re
import zipfile
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from relief.uploads import XlsxLimits, _too_big, _too_many_cells, check_ods, check_xlsx, too_many_cells_in_all
from relief.xls_limits import xls_extent

XLSX, ODS, XLS, CSV = "xlsx", "ods", "xls", "csv"
FORMATS = (XLSX, ODS, XLS, CSV)
#: what the upload form accepts (the file's content decides, this only helps the file picker)
ACCEPT = ".xlsx,.xlsm,.xls,.ods,.csv"

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
_CHUNK = 1024 * 1024
_SCIENTIFIC = re.compile(r"^\d(\.\d+)?[Ee]\+\d{1,3}$")  # 5.10129E+17: Excel wrote a number as shown


def not_a_table() -> ValidationError:
    return ValidationError(
        _(
            "无法读取文件：文件内容不是表格。请上传 Excel（.xlsx、.xls）、WPS 或 LibreOffice（.ods）表格，或 CSV 文件"
        )
    )


def _damaged() -> ValidationError:
    return ValidationError(
        _("无法读取文件：文件已损坏、已加密或不是有效的表格，请用 Excel 或 WPS 打开后另存为 .xlsx 再上传")
    )


# --- The file ------------------------------------------------------------------------------------


@contextlib.contextmanager
def _binary(source: Any) -> Iterator[Any]:
    """A path opened, or a file object rewound (and put back at its start afterwards)."""
    if isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as f:
            yield f
        return
    source.seek(0)
    try:
        yield source
    finally:
        source.seek(0)


def _size(f: Any) -> int:
    f.seek(0, os.SEEK_END)
    size = f.tell()
    f.seek(0)
    return size


def detect_format(source: Any, *, max_bytes: int | None = None) -> str:
    """The format of a file by its content: XLSX (.xlsx and .xlsm), ODS, XLS or CSV (text, not yet
    decoded). Raises ValidationError in Chinese for a file over the size limit (`max_bytes`, else
    UPLOAD_SHEET_MAX_BYTES) or a zip that holds no spreadsheet."""
    with _binary(source) as f:
        limit = max_bytes or settings.UPLOAD_SHEET_MAX_BYTES
        if _size(f) > limit:
            raise ValidationError(
                _("文件过大（上限 %(max)dMB），请拆分后分批上传") % {"max": limit // 1024 // 1024}
            )
        head = f.read(8)
        f.seek(0)
        if head.startswith(_OLE2):
            return XLS
        if not head.startswith(b"PK\x03\x04"):
            return CSV
        try:
            with zipfile.ZipFile(f) as zf:
                names = set(zf.namelist())
                if "xl/workbook.xml" in names:
                    return XLSX
                if "xl/workbook.bin" in names:
                    raise ValidationError(
                        _("无法读取文件：不支持 Excel 二进制工作簿（.xlsb），请另存为 .xlsx 后上传")
                    )
                info = zf.getinfo("mimetype") if "mimetype" in names else None
                if info and info.file_size < 100 and zf.read(info).strip() == _ODS_MIMETYPE:
                    return ODS
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError):
            raise _damaged() from None
        raise not_a_table()


def text_encoding(source: Any) -> str:
    """The encoding of a CSV file (see `_text_sniff`)."""
    return _text_sniff(source)[0]


def _text_sniff(source: Any) -> tuple[str, int]:
    """The encoding of a CSV file: utf-8-sig with a BOM, utf-8 when it decodes, else gb18030 (a
    superset of GBK). A file with NUL bytes (a binary file, UTF-16) or that decodes in neither is
    refused; so is a web page saved as .xls (HTML or XML, which counties' systems export). With the
    number of lines (for progress)."""
    with _binary(source) as f:
        head = f.read(4)
        f.seek(0)
        candidates = ["utf-8-sig"] if head.startswith(codecs.BOM_UTF8) else ["utf-8", "gb18030"]
        for encoding in candidates:
            decoder = codecs.getincrementaldecoder(encoding)()
            start, lines, last = "", 0, b""
            try:
                while chunk := f.read(_CHUNK):
                    if b"\x00" in chunk:
                        raise not_a_table()
                    lines += chunk.count(b"\n")
                    last = chunk[-1:]
                    decoded = decoder.decode(chunk)
                    if len(start) < 64:
                        start += decoded[:64]
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                f.seek(0)
                continue
            if start.lstrip("\ufeff \t\r\n").startswith("<"):
                raise ValidationError(
                    _(
                        "无法读取文件：该文件是网页（HTML/XML）格式，并不是真正的表格。"
                        "请用 Excel 或 WPS 打开后另存为 .xlsx 再上传"
                    )
                )
            return encoding, lines + (last not in (b"", b"\n"))
        raise ValidationError(
            _(
                "无法读取 CSV 文件：文字编码无法识别（支持 UTF-8 和 GBK/GB18030），请用 Excel 或 WPS 另存为 .xlsx 后上传"
            )
        )


def check_table(
    source: Any, *, stream: bool = True, limits: XlsxLimits | None = None, max_bytes: int | None = None
) -> str:
    """The file's format after its limits are checked (relief/uploads.py). `stream=False` is quick
    enough for a request: the zip and each sheet's declared size; a CSV's encoding. Raises
    ValidationError in Chinese."""
    kind = detect_format(source, max_bytes=max_bytes)
    if kind == XLSX:
        check_xlsx(source, stream=stream, limits=limits)
    elif kind == ODS:
        check_ods(source, stream=stream, limits=limits)
    elif kind == XLS:
        # calamine reads every sheet of an .xls at once, each as a grid from its first value to its last
        limits = limits or XlsxLimits.from_settings()
        with _binary(source) as f:
            sheets = xls_extent(f.read())
        for rows, columns, height, width in sheets:
            _too_big(limits, rows, columns)
            _too_many_cells(limits, height, width)
        too_many_cells_in_all(limits, sum(height * width for _r, _c, height, width in sheets))
    elif kind == CSV:
        # its lines (a row may span several: an upper bound) against the row limit, before reading
        _too_big(limits or XlsxLimits.from_settings(), _text_sniff(source)[1], 0)
    return kind


# --- Rows ----------------------------------------------------------------------------------------


def _clean(values: list) -> tuple:
    """calamine's cells as openpyxl gave them: '' is None, a whole number an int; no trailing empties."""
    out = [None if v == "" else (int(v) if v.__class__ is float and v.is_integer() else v) for v in values]
    while out and out[-1] is None:
        out.pop()
    return tuple(out)


class Table:
    """An open spreadsheet (use `open_table`): its format, its sheet names, each sheet's rows."""

    def __init__(self, source: Any, kind: str, limits: XlsxLimits):
        self.format = kind
        self.limits = limits
        self._source = source
        self._workbook: Any = None
        self._sheet: tuple[int, Any] | None = None  # the sheet read last: (index, sheet)
        if kind == CSV:
            self.encoding, self._lines = _text_sniff(source)
            self.sheet_names = ["CSV"]
            return
        from python_calamine import CalamineWorkbook

        try:
            with _binary(source) as f:
                self._workbook = CalamineWorkbook.from_filelike(f)
            self.sheet_names = list(self._workbook.sheet_names)
        except Exception:
            raise _damaged() from None

    def _calamine_sheet(self, index: int) -> Any:
        """The sheet, read whole by calamine (the last one is kept: reading its first rows to find
        a header, then all of them, reads it once)."""
        if self._sheet is None or self._sheet[0] != index:
            self._sheet = None
            try:
                self._sheet = (index, self._workbook.get_sheet_by_index(index))
            except Exception:
                raise _damaged() from None
        return self._sheet[1]

    def row_count(self, index: int = 0) -> int | None:
        """How many rows sheet `index` has, up to its last cell (a CSV: its lines), for progress."""
        if self.format == CSV:
            return self._lines
        end = self._calamine_sheet(index).end
        return end[0] + 1 if end else 0

    def rows(self, index: int = 0) -> Iterator[tuple]:
        """Every row of sheet `index` from row 1 to the last holding something."""
        if self.format == CSV:
            yield from self._csv_rows()
            return
        sheet = self._calamine_sheet(index)
        if sheet.start is None or sheet.end is None:
            return
        (first_row, first_col), (last_row, last_col) = sheet.start, sheet.end
        # checked before (relief/uploads.py, relief/xls_limits.py); again on what calamine found
        _too_big(self.limits, last_row + 1, last_col + 1)
        _too_many_cells(self.limits, last_row - first_row + 1, last_col - first_col + 1)
        pad = [""] * first_col
        # iter_rows gives the rows above the first cell as empty rows, the columns from the first cell on
        for values in sheet.iter_rows():
            yield _clean(pad + values) if first_col else _clean(values)

    def _csv_rows(self) -> Iterator[tuple]:
        limits = self.limits
        with _binary(self._source) as f:
            lines = _Lines(f, self.encoding, max_line=limits.max_columns * 4096)
            sample = lines.peek()
            delimiter = "\t" if sample.count("\t") > sample.count(",") else ","
            reader = csv.reader(lines, delimiter=delimiter)
            number = 0
            while True:
                try:
                    values = next(reader)
                except StopIteration:
                    return
                except csv.Error:
                    raise ValidationError(
                        _("CSV 文件第 %(row)d 行格式有误（引号不成对或内容过长），请检查文件")
                        % {"row": number + 1}
                    ) from None
                number += 1
                if number > limits.max_rows:
                    _too_big(limits, number, 0)
                while values and values[-1].strip() == "":
                    values.pop()
                if len(values) > limits.max_columns:
                    _too_big(limits, number, len(values))
                yield tuple(
                    (float(v) if _SCIENTIFIC.match(v) else v) if v.strip() != "" else None for v in values
                )

    def close(self) -> None:
        self._sheet = None
        if self._workbook is not None:
            self._workbook.close()
            self._workbook = None

    def __enter__(self) -> Table:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Lines:
    """The lines of a text file, decoded a chunk at a time; a line longer than `max_line`
    characters (a CSV of one endless row) is refused before it is held whole."""

    def __init__(self, f: Any, encoding: str, max_line: int):
        self._f = f
        self._decoder = codecs.getincrementaldecoder(encoding)()
        self._max = max_line
        self._ready: list[str] = []
        self._pending = ""
        self._done = False

    def _fill(self) -> None:
        while not self._ready and not self._done:
            chunk = self._f.read(_CHUNK)
            text = self._pending + self._decoder.decode(chunk, final=not chunk)
            if not chunk:
                self._done = True
            parts = text.split("\n")
            self._pending = parts.pop()
            if self._done and self._pending:
                parts.append(self._pending)
                self._pending = ""
                self._ready = [p + "\n" for p in parts[:-1]] + [parts[-1]]
            else:
                self._ready = [p + "\n" for p in parts]
            self._ready.reverse()
            if len(self._pending) > self._max or any(len(p) > self._max for p in self._ready):
                raise ValidationError(
                    _("CSV 文件中有一行过长（超过 %(max)s 个字符），请检查文件") % {"max": f"{self._max:,}"}
                )

    def peek(self) -> str:
        self._fill()
        return self._ready[-1] if self._ready else ""

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        self._fill()
        if not self._ready:
            raise StopIteration
        return self._ready.pop()


def open_table(source: Any, *, limits: XlsxLimits | None = None, max_bytes: int | None = None) -> Table:
    """The file checked against every limit (streamed), then opened. Raises ValidationError."""
    limits = limits or XlsxLimits.from_settings()
    kind = check_table(source, stream=True, limits=limits, max_bytes=max_bytes)
    return Table(source, kind, limits)


def read_all_rows(
    source: Any, index: int = 0, *, limits: XlsxLimits | None = None, max_bytes: int | None = None
) -> int:
    """The floor of an import: check the file and read every row of sheet `index`, doing nothing
    with them. The number of rows read."""
    with open_table(source, limits=limits, max_bytes=max_bytes) as table:
        return sum(1 for _row in table.rows(index))
