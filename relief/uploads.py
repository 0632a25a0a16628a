"""Every file a user uploads is bounded here BEFORE a parser sees it.

- `check_xlsx(source)`: an .xlsx (or .xlsm) is a zip. With `zipfile` and a bare expat parser (no tree, no DTD),
  check the number of parts, each part's uncompressed size and compression ratio, the total, each
  sheet's declared `<dimension ref>` and, with `stream=True`, the real last row and column and the
  number of shared strings, stopping at the first limit crossed. Limits come from settings
  (`UPLOAD_XLSX_*`, `UPLOAD_SHEET_MAX_CELLS`: a reader holds a sheet as a grid from its first cell
  to its last). Raises `ValidationError` with a Chinese message.
- `check_ods(source)`: the same for an .ods: the zip, then content.xml streamed with expat, counting
  `table:number-rows-repeated` and `table:number-columns-repeated` up to the last cell holding
  something (the empty rows and columns LibreOffice repeats to the sheet's end are not data).
  Which file is which, and CSV, is relief/sheet_reader.py's business.
- `Deadline`: a wall-clock budget for an import job, checked every few rows.
- `check_attachment(file)`: evidence and photos are images (JPEG/PNG/WebP) or PDF, recognised by
  their first bytes, never by name; `attachment_name()` gives the stored name (random, with the
  extension of the detected type).
"""

from __future__ import annotations

import re
import time
import uuid
import zipfile
from dataclasses import dataclass, field
from typing import Any
from xml.parsers import expat

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# --- Spreadsheets ----------------------------------------------------------------------------------

MAX_COLUMN = 16_384  # XFD, the most Excel allows
_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d{1,7})$")
_SHEET_PART = re.compile(r"^xl/worksheets/[^/]+\.xml$")
_SHARED_STRINGS = "xl/sharedStrings.xml"
_RATIO_FROM_BYTES = 1024 * 1024  # a part smaller than this may compress as well as it likes
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class XlsxLimits:
    max_rows: int
    max_columns: int
    max_parts: int
    max_sheet_bytes: int
    max_part_bytes: int
    max_total_bytes: int
    max_ratio: int
    max_shared_strings: int
    max_cells: int = 4_000_000

    @classmethod
    def from_settings(cls) -> XlsxLimits:
        return cls(
            max_rows=settings.UPLOAD_XLSX_MAX_ROWS,
            max_columns=settings.UPLOAD_XLSX_MAX_COLUMNS,
            max_parts=settings.UPLOAD_XLSX_MAX_PARTS,
            max_sheet_bytes=settings.UPLOAD_XLSX_MAX_SHEET_BYTES,
            max_part_bytes=settings.UPLOAD_XLSX_MAX_PART_BYTES,
            max_total_bytes=settings.UPLOAD_XLSX_MAX_TOTAL_BYTES,
            max_ratio=settings.UPLOAD_XLSX_MAX_RATIO,
            max_shared_strings=settings.UPLOAD_XLSX_MAX_SHARED_STRINGS,
            max_cells=settings.UPLOAD_SHEET_MAX_CELLS,
        )


@dataclass
class SheetExtent:
    part: str
    declared_rows: int | None = None
    declared_columns: int | None = None
    rows: int = 0  # the last row seen while streaming
    columns: int = 0  # the last column seen while streaming


@dataclass
class XlsxReport:
    parts: int = 0
    total_bytes: int = 0
    sheets: list[SheetExtent] = field(default_factory=list)
    shared_strings: int | None = None


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.0f}MB"


def column_number(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def parse_ref(ref: str) -> tuple[int, int] | None:
    """ "XFD1048576" -> (1048576, 16384); None for something that is not a cell reference."""
    m = _REF.match(ref.strip())
    if not m:
        return None
    return int(m.group(2)), column_number(m.group(1))


class _Stop(Exception):
    """Reading a part further is not needed."""


def _too_big(limits: XlsxLimits, rows: int, columns: int) -> None:
    if rows > limits.max_rows:
        raise ValidationError(
            _("表格行数过多（%(n)s 行，上限 %(max)s 行），请拆分后分批上传")
            % {"n": f"{rows:,}", "max": f"{limits.max_rows:,}"}
        )
    if columns > limits.max_columns:
        raise ValidationError(
            _("表格列数过多（%(n)s 列，上限 %(max)s 列），请删除多余的列后重新上传")
            % {"n": f"{columns:,}", "max": f"{limits.max_columns:,}"}
        )


def _refuse_dtd(*args: Any) -> None:
    raise ValidationError(_("文件内容不是有效的 Excel 表格（含有不允许的声明），请另存为 .xlsx 后重新上传"))


def _feed(zf: zipfile.ZipFile, info: zipfile.ZipInfo, parser: Any, limit: int) -> None:
    """Stream one part into `parser`, counting the bytes actually inflated (a zip header may lie)."""
    seen = 0
    try:
        with zf.open(info) as f:
            while chunk := f.read(_CHUNK):
                seen += len(chunk)
                if seen > limit:
                    raise ValidationError(
                        _("文件中的内容过大（解压后超过 %(max)s），请检查文件") % {"max": _mb(limit)}
                    )
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
    except _Stop:
        return
    except expat.ExpatError:
        raise ValidationError(_("文件内容已损坏，无法读取，请另存为 .xlsx 后重新上传")) from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, NotImplementedError):
        raise ValidationError(
            _("文件已损坏，无法读取，请用 Excel 或 WPS 打开后另存为 .xlsx 再上传")
        ) from None


def _parser() -> Any:
    p = expat.ParserCreate()
    p.StartDoctypeDeclHandler = _refuse_dtd
    p.EntityDeclHandler = _refuse_dtd
    p.ExternalEntityRefHandler = _refuse_dtd
    return p


def _scan_sheet(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limits: XlsxLimits, stream: bool) -> SheetExtent:
    extent = SheetExtent(part=info.filename)
    row, col = 0, 0
    p = _parser()

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal row, col
        local = name.rpartition(":")[2]
        if local == "c":
            ref = parse_ref(attrs["r"]) if "r" in attrs else None
            col = ref[1] if ref else col + 1
            if ref and ref[0] > row:
                row = ref[0]
            if col > extent.columns:
                extent.columns = col
                _too_big(limits, row, col)
        elif local == "row":
            r = attrs.get("r", "")
            row = int(r) if r.isdigit() else row + 1
            col = 0
            extent.rows = row
            _too_big(limits, row, 0)
        elif local == "dimension":
            last = attrs.get("ref", "").rpartition(":")[2]
            ref = parse_ref(last) if last else None
            if ref:
                extent.declared_rows, extent.declared_columns = ref
                _too_big(limits, *ref)
        elif local == "sheetData" and not stream:
            raise _Stop

    p.StartElementHandler = start
    _feed(zf, info, p, limits.max_sheet_bytes)
    if extent.rows < row:
        extent.rows = row
    return extent


# The streamed check of a whole sheet, in C: regular expressions over the inflated bytes instead of a
# Python call per XML element (expat's handlers took ~80 % of reading a 100,000-row roster). A part
# whose cells or rows carry no `r` reference (the format allows it, no common writer does it) is
# scanned again with expat, which counts them one by one.
_PREFIX = rb"<(?:[A-Za-z_][\w.-]*:)?"
_CELL_TAG = re.compile(_PREFIX + rb"c[\s>/]")
_CELL_REF = re.compile(_PREFIX + rb"c\s[^>]*?\br=\"([A-Z]{1,3})(\d{1,7})\"")
_ROW_TAG = re.compile(_PREFIX + rb"row[\s>/]")
_ROW_REF = re.compile(_PREFIX + rb"row\s[^>]*?\br=\"(\d{1,7})\"")
_DIMENSION = re.compile(_PREFIX + rb"dimension\s[^>]*?\bref=\"([^\"]{1,40})\"")
_SHARED_ITEM = re.compile(_PREFIX + rb"si[\s>/]")
_DECLARATION = re.compile(rb"<!(?:DOCTYPE|ENTITY)")
_MAX_TAIL = 1024 * 1024  # bytes without a ">": no cell holds that much (Excel's limit is 32,767 chars)


# The usual spelling (no namespace prefix, `r` the first attribute: Excel, WPS, LibreOffice,
# openpyxl), searched for by its literal start, three times quicker than the general form.
_PLAIN_CELL_REF = re.compile(rb'<c r="([A-Z]{1,3})(\d{1,7})"')
_PLAIN_CELL_TAG = re.compile(rb"<c[\s>/]")
_PLAIN_ROW_REF = re.compile(rb'<row r="(\d{1,7})"')
_PLAIN_ROW_TAG = re.compile(rb"<row[\s>/]")


class _Unreferenced(Exception):
    """A cell or row without its `r` reference: count with expat instead."""


def _references(piece: bytes, prefixed: bytes, plain: Any, plain_tag: Any, general: Any, tag: Any) -> list:
    """The `r` references of every cell (or row) tag in `piece`: in the usual spelling when every
    tag is written that way, else in any spelling; `_Unreferenced` when some tag has none."""
    if prefixed not in piece:
        found = plain.findall(piece)
        if len(found) == len(plain_tag.findall(piece)):
            return found
    found = general.findall(piece)
    if len(found) != len(tag.findall(piece)):
        raise _Unreferenced
    return found


def _scan_tags(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int, each: Any) -> None:
    """Stream one part through `each(buf)` in pieces that end at a ">" (so no tag is cut), counting
    the bytes actually inflated (a zip header may lie) and refusing DTD declarations."""
    seen, tail = 0, b""
    try:
        with zf.open(info) as f:
            while chunk := f.read(_CHUNK * 4):
                seen += len(chunk)
                if seen > limit:
                    raise ValidationError(
                        _("文件中的内容过大（解压后超过 %(max)s），请检查文件") % {"max": _mb(limit)}
                    )
                buf = tail + chunk
                cut = buf.rfind(b">") + 1
                piece, tail = buf[:cut], buf[cut:]
                if len(tail) > _MAX_TAIL:
                    raise ValidationError(_("文件内容已损坏，无法读取，请另存为 .xlsx 后重新上传"))
                if _DECLARATION.search(piece):
                    _refuse_dtd()
                each(piece)
            if tail.strip():
                each(tail)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, NotImplementedError):
        raise ValidationError(
            _("文件已损坏，无法读取，请用 Excel 或 WPS 打开后另存为 .xlsx 再上传")
        ) from None


def _scan_sheet_fast(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limits: XlsxLimits) -> SheetExtent:
    """`_scan_sheet(stream=True)` by regular expressions: the last row and column any cell names."""
    extent = SheetExtent(part=info.filename)
    state = {"rows": 0, "columns": 0, "dimension": False}

    def each(piece: bytes) -> None:
        if not state["dimension"] and (m := _DIMENSION.search(piece)):
            state["dimension"] = True
            ref = parse_ref(m[1].decode("ascii", "replace").rpartition(":")[2])
            if ref:
                extent.declared_rows, extent.declared_columns = ref
                _too_big(limits, *ref)
        cells = _references(piece, b":c", _PLAIN_CELL_REF, _PLAIN_CELL_TAG, _CELL_REF, _CELL_TAG)
        rows = _references(piece, b":row", _PLAIN_ROW_REF, _PLAIN_ROW_TAG, _ROW_REF, _ROW_TAG)
        if cells:
            letters = max({c for c, _n in cells}, key=lambda c: (len(c), c))
            state["columns"] = max(state["columns"], column_number(letters.decode()))
            state["rows"] = max(state["rows"], max(int(n) for n in {n for _c, n in cells}))
        if rows:
            state["rows"] = max(state["rows"], max(map(int, rows)))
        _too_big(limits, state["rows"], state["columns"])

    try:
        _scan_tags(zf, info, limits.max_sheet_bytes, each)
    except _Unreferenced:
        return _scan_sheet(zf, info, limits, stream=True)
    extent.rows, extent.columns = state["rows"], state["columns"]
    return extent


def _count_shared_strings(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limits: XlsxLimits) -> int:
    count = 0

    def each(piece: bytes) -> None:
        nonlocal count
        count += len(_SHARED_ITEM.findall(piece))
        if count > limits.max_shared_strings:
            raise ValidationError(
                _("表格中的文字条目过多（上限 %(max)s 条），请拆分后分批上传")
                % {"max": f"{limits.max_shared_strings:,}"}
            )

    _scan_tags(zf, info, limits.max_part_bytes, each)
    return count


def _open_zip(source: Any) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(source)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError):
        raise ValidationError(
            _("无法读取文件：文件已损坏，或不是 Excel、WPS、LibreOffice 表格或 CSV 文件")
        ) from None


def _check_parts(
    zf: zipfile.ZipFile, limits: XlsxLimits, report: XlsxReport, is_sheet: Any
) -> list[zipfile.ZipInfo]:
    """The zip's parts: their number, each one's declared size and compression ratio, the total.
    The sheet parts (`is_sheet(name)`) in order."""
    infos = zf.infolist()
    report.parts = len(infos)
    if report.parts > limits.max_parts:
        raise ValidationError(
            _("文件结构异常（包含 %(n)d 个部件，上限 %(max)d 个），请另存为 .xlsx 后重新上传")
            % {"n": report.parts, "max": limits.max_parts}
        )
    sheets = []
    for info in infos:
        sheet = is_sheet(info.filename)
        cap = limits.max_sheet_bytes if sheet else limits.max_part_bytes
        if info.file_size > _RATIO_FROM_BYTES:
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > limits.max_ratio:
                raise ValidationError(
                    _("文件压缩比异常（%(part)s 压缩比 %(ratio).0f:1，上限 %(max)d:1），疑似恶意文件，已拒绝")
                    % {"part": info.filename, "ratio": ratio, "max": limits.max_ratio}
                )
        if info.file_size > cap:
            raise ValidationError(
                _("文件中的内容过大（%(part)s 解压后 %(size)s，上限 %(max)s），请拆分后分批上传")
                % {"part": info.filename, "size": _mb(info.file_size), "max": _mb(cap)}
            )
        report.total_bytes += info.file_size
        if sheet:
            sheets.append(info)
    if report.total_bytes > limits.max_total_bytes:
        raise ValidationError(
            _("文件解压后过大（%(size)s，上限 %(max)s），请拆分后分批上传")
            % {"size": _mb(report.total_bytes), "max": _mb(limits.max_total_bytes)}
        )
    return sheets


def _too_many_cells(limits: XlsxLimits, rows: int, columns: int) -> None:
    """A reader holds a sheet as a grid from its first cell to its last: rows × columns, whatever
    lies between (a value in A1 and one in GR200000 make 40 million cells)."""
    if rows * columns > limits.max_cells:
        raise ValidationError(
            _(
                "表格范围过大（%(rows)s 行 × %(cols)s 列，上限 %(max)s 个单元格），请删除多余的行和列，或拆分后分批上传"
            )
            % {"rows": f"{rows:,}", "cols": f"{columns:,}", "max": f"{limits.max_cells:,}"}
        )


def too_many_cells_in_all(limits: XlsxLimits, cells: int) -> None:
    """The grids of every sheet together (a reader that holds all sheets of a file at once)."""
    if cells > limits.max_cells:
        raise ValidationError(
            _(
                "表格中的单元格过多（各工作表合计 %(n)s 个，上限 %(max)s 个），请删除多余的工作表、行和列，或拆分后分批上传"
            )
            % {"n": f"{cells:,}", "max": f"{limits.max_cells:,}"}
        )


def check_xlsx(source: Any, *, stream: bool = True, limits: XlsxLimits | None = None) -> XlsxReport:
    """Check an .xlsx or .xlsm (a path or a seekable binary file) against the limits; a file is put
    back at its start. `stream=False` reads each sheet only up to its data (the declared dimension):
    quick enough for a request; `stream=True` also reads every row and the shared strings."""
    limits = limits or XlsxLimits.from_settings()
    report = XlsxReport()
    start_at = source.tell() if hasattr(source, "tell") else None
    try:
        with _open_zip(source) as zf:
            sheets = _check_parts(zf, limits, report, lambda name: bool(_SHEET_PART.match(name)))
            if not sheets:
                raise ValidationError(_("文件中没有工作表：请用 Excel 或 WPS 打开后另存为 .xlsx 再上传"))
            for info in sheets:
                extent = (
                    _scan_sheet_fast(zf, info, limits) if stream else _scan_sheet(zf, info, limits, False)
                )
                if stream:
                    _too_many_cells(limits, extent.rows, extent.columns)
                else:
                    _too_many_cells(limits, extent.declared_rows or 0, extent.declared_columns or 0)
                report.sheets.append(extent)
            names = {i.filename: i for i in zf.infolist()}
            if stream and _SHARED_STRINGS in names:
                report.shared_strings = _count_shared_strings(zf, names[_SHARED_STRINGS], limits)
    finally:
        if start_at is not None:
            source.seek(start_at)
    return report


# --- OpenDocument spreadsheets (.ods: WPS, LibreOffice) ----------------------------------------------

_ODS_CONTENT = "content.xml"
_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"


def _repeats(attrs: dict[str, str], name: str) -> int:
    value = attrs.get(f"{_TABLE} {name}", "1")
    return int(value) if value.isdigit() and int(value) > 0 else 1


def _scan_ods(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limits: XlsxLimits, report: XlsxReport) -> None:
    """Every table of content.xml, streamed: its real extent, i.e. the last row and the last column
    holding something, counting `table:number-rows-repeated` and `table:number-columns-repeated`
    (one element may stand for a million rows). Empty rows and cells repeated to the sheet's end,
    which LibreOffice writes for formatting, are not data and cost nothing."""
    p = expat.ParserCreate(namespace_separator=" ")
    p.StartDoctypeDeclHandler = _refuse_dtd
    p.EntityDeclHandler = _refuse_dtd
    p.ExternalEntityRefHandler = _refuse_dtd
    extent: SheetExtent | None = None
    row = 0  # rows before the current one (repeats counted)
    row_repeat = 1
    col = 0  # columns before the current cell
    row_last_col = 0  # the last column with something in the current row
    cell: tuple[int, int] | None = None  # (first column, repeats) of the open cell
    cell_full = False
    depth = 0  # nesting inside a cell (a cell's paragraphs)
    total_cells = 0

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal extent, row, row_repeat, col, row_last_col, cell, cell_full, depth
        if cell is not None:
            depth += 1
            cell_full = True  # a paragraph, an annotation: something is there
            return
        if name == f"{_TABLE} table":
            extent = SheetExtent(part=attrs.get(f"{_TABLE} name", ""))
            report.sheets.append(extent)
            row = 0
        elif name == f"{_TABLE} table-row" and extent is not None:
            row_repeat = _repeats(attrs, "number-rows-repeated")
            col, row_last_col = 0, 0
        elif name in (f"{_TABLE} table-cell", f"{_TABLE} covered-table-cell") and extent is not None:
            cell = (col, _repeats(attrs, "number-columns-repeated"))
            cell_full = f"{_OFFICE} value-type" in attrs
            depth = 0

    def end(name: str) -> None:
        nonlocal extent, row, col, row_last_col, cell, depth, total_cells
        if cell is not None:
            if depth:
                depth -= 1
                return
            first, repeat = cell
            col = first + repeat
            if cell_full:
                row_last_col = col
                _too_big(limits, 0, col)
            cell = None
        elif name == f"{_TABLE} table-row" and extent is not None:
            row += row_repeat
            if row_last_col:
                extent.rows = row
                extent.columns = max(extent.columns, row_last_col)
                _too_big(limits, row, extent.columns)
                _too_many_cells(limits, row, extent.columns)
        elif name == f"{_TABLE} table" and extent is not None:
            total_cells += extent.rows * extent.columns
            too_many_cells_in_all(limits, total_cells)  # the reader holds every table of the file at once
            extent = None

    p.StartElementHandler = start
    p.EndElementHandler = end
    _feed(zf, info, p, limits.max_sheet_bytes)


def check_ods(source: Any, *, stream: bool = True, limits: XlsxLimits | None = None) -> XlsxReport:
    """Check an .ods (a path or a seekable binary file) the way `check_xlsx` checks an .xlsx: the
    zip's parts, sizes and ratios, then (`stream=True`) content.xml streamed with expat for each
    table's real rows and columns. A file is put back at its start."""
    limits = limits or XlsxLimits.from_settings()
    report = XlsxReport()
    start_at = source.tell() if hasattr(source, "tell") else None
    try:
        with _open_zip(source) as zf:
            sheets = _check_parts(zf, limits, report, lambda name: name == _ODS_CONTENT)
            if not sheets:
                raise ValidationError(
                    _("文件中没有工作表：ODS 文件缺少内容，请用 WPS 或 LibreOffice 重新保存")
                )
            if stream:
                _scan_ods(zf, sheets[0], limits, report)
    finally:
        if start_at is not None:
            source.seek(start_at)
    return report


class Deadline:
    """A wall-clock budget: `check()` raises `error(message)` once `seconds` have passed. Cheap
    enough to call every row; it looks at the clock every `every` calls."""

    def __init__(self, seconds: float, message: str, *, every: int = 200, error: type = ValidationError):
        self.seconds = seconds
        self.message = message
        self.every = every
        self.error = error
        self.started = time.monotonic()
        self._calls = 0

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def check(self, *, now: bool = False) -> None:
        self._calls += 1
        if (now or self._calls % self.every == 0) and self.elapsed > self.seconds:
            raise self.error(self.message)


# --- Evidence and photos ---------------------------------------------------------------------------

#: detected type -> (extension, content type)
ATTACHMENT_TYPES = {
    "jpeg": (".jpg", "image/jpeg"),
    "png": (".png", "image/png"),
    "webp": (".webp", "image/webp"),
    "pdf": (".pdf", "application/pdf"),
    # documents (relief/document_uploads.py: plans, notices), never accepted as evidence or photos
    "doc": (".doc", "application/msword"),
    "docx": (".docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "ofd": (".ofd", "application/ofd"),
}


def sniff(head: bytes) -> str | None:
    """The type of a file from its first bytes: jpeg, png, webp, pdf, or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[:1024].lstrip(b"\x00\t\r\n\x0c ").startswith(b"%PDF-"):
        return "pdf"
    return None


def _verify_image(file: Any) -> bool:
    """With Pillow installed, an image must also decode its header; without it, signatures only."""
    try:
        from PIL import Image
    except ImportError:
        return True
    try:
        with Image.open(file) as im:
            im.verify()
        return True
    except Exception:
        return False
    finally:
        file.seek(0)


def check_attachment(file: Any) -> str:
    """The detected type of an uploaded evidence file or photo (a key of ATTACHMENT_TYPES), or a
    ValidationError in Chinese. The file is put back at its start."""
    size = getattr(file, "size", None)
    if size is not None and size > settings.UPLOAD_ATTACHMENT_MAX_BYTES:
        raise ValidationError(
            _("文件过大（上限 %(max)s）") % {"max": _mb(settings.UPLOAD_ATTACHMENT_MAX_BYTES)}
        )
    if hasattr(file, "seek"):
        file.seek(0)
    head = file.read(2048)
    file.seek(0)
    kind = sniff(head or b"")
    if kind is None or (kind != "pdf" and not _verify_image(file)):
        raise ValidationError(_("只能上传图片（JPG、PNG、WebP）或 PDF 文件"))
    return kind


def attachment_name(kind: str) -> str:
    """A stored name that says nothing and cannot be guessed: random, with the detected type's
    extension."""
    return uuid.uuid4().hex + ATTACHMENT_TYPES[kind][0]


# --- Downloads: the only way an uploaded file leaves the server -------------------------------------

# "institutions.hazard" -> {"evidence"}: file fields that may be downloaded (apps register theirs)
DOWNLOADABLE: dict[str, set[str]] = {}


def register_download(model_label: str, *fields: str) -> None:
    DOWNLOADABLE.setdefault(model_label.lower(), set()).update(fields)


def download_url(obj: Any, field: str) -> str | None:
    """The scoped download address of `obj.<field>`, or None when it holds no file."""
    from django.urls import reverse

    if not getattr(obj, field, None):
        return None
    return reverse("file-download", args=[obj._meta.label_lower, obj.pk, field])


def content_type_of(name: str) -> str:
    ext = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    for extension, content_type in ATTACHMENT_TYPES.values():
        if ext == extension or (ext == ".jpeg" and extension == ".jpg"):
            return content_type
    return "application/octet-stream"


def attachment_download(*, actor: Any, model_label: str, pk: str, field: str) -> Any:
    """The stored file of `model_label` `pk`'s `field`, for a record the actor can see (404 otherwise,
    through `relief.scoping.access`), logged like a reveal (who, which record, which file, when)."""
    from django.apps import apps
    from django.contrib.contenttypes.models import ContentType
    from django.core.exceptions import PermissionDenied
    from django.http import Http404

    from relief.models import PersonalDataReveal
    from relief.privacy import _region_code
    from relief.scoping import access

    label = model_label.lower()
    if field not in DOWNLOADABLE.get(label, set()):
        raise Http404(_("未找到该记录"))
    if not (actor and actor.is_authenticated and actor.is_active):
        raise PermissionDenied(_("请先登录"))
    model = apps.get_model(label)
    obj = access(model, actor, pk)
    stored = getattr(obj, field)
    if not stored:
        raise Http404(_("该记录没有上传文件"))
    PersonalDataReveal.objects.create(
        user=actor,
        subject_type=ContentType.objects.get_for_model(model),
        subject_id=str(obj.pk),
        subject_label=str(obj)[:200],
        field=field,
        region_id=_region_code(obj),
    )
    return stored
