"""Bounds of an Excel 97-2003 .xls before python-calamine reads it (relief/uploads.py does the same
for .xlsx and .ods).

An .xls is an OLE2 compound file holding a `Workbook` stream of BIFF8 records. calamine reads every
sheet of it at once, each as a grid from its first cell to its last, so a file of a few kilobytes
with a value in A1 and one in IV65536 would cost 16.8 million cells (over a gigabyte). This module
finds the stream (the file's allocation table, or its mini stream for a small one), walks the
records without decoding them and takes each sheet's first and last cell holding a value (blank
cells, which calamine skips, are not counted). No record is followed twice; a chain that loops or
leaves the file is a damaged file.
"""

from __future__ import annotations

import struct
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

_END = 0xFFFFFFFE
_FREE = 0xFFFFFFFF
_BOF = 0x0809
_EOF = 0x000A
# records that hold a value at (row, column): FORMULA, LABELSST, NUMBER, RK, LABEL, BOOLERR, RSTRING
_CELLS = {0x0006, 0x00FD, 0x0203, 0x027E, 0x0204, 0x0205, 0x00D6}
_MULRK = 0x00BD  # row, first column, values..., last column


def _damaged() -> ValidationError:
    return ValidationError(
        _("无法读取文件：文件已损坏、已加密或不是有效的表格，请用 Excel 或 WPS 打开后另存为 .xlsx 再上传")
    )


class _Compound:
    """Just enough of an OLE2 compound file to read one stream."""

    def __init__(self, data: bytes):
        if len(data) < 512:
            raise _damaged()
        self.data = data
        self.sector = 1 << struct.unpack_from("<H", data, 30)[0]
        self.mini_sector = 1 << struct.unpack_from("<H", data, 32)[0]
        if self.sector not in (512, 4096) or self.mini_sector != 64:
            raise _damaged()
        (first_dir,) = struct.unpack_from("<I", data, 48)
        self.cutoff, first_minifat, _n_minifat, first_difat, n_difat = struct.unpack_from("<IIIII", data, 56)
        fat_sectors = [s for s in struct.unpack_from("<109I", data, 76) if s < _END]
        difat, seen = first_difat, 0
        while difat < _END and seen < n_difat and seen <= len(data) // self.sector:
            entries = struct.unpack_from(f"<{self.sector // 4}I", self._sector(difat))
            fat_sectors += [s for s in entries[:-1] if s < _END]
            difat, seen = entries[-1], seen + 1
        fat = b"".join(self._sector(s) for s in fat_sectors)
        self.fat = struct.unpack(f"<{len(fat) // 4}I", fat)
        self.directory = self._chain(first_dir, self.fat, self._sector)
        self.minifat_start = first_minifat

    def _sector(self, n: int) -> bytes:
        start = (n + 1) * self.sector
        if start >= len(self.data):
            raise _damaged()
        return self.data[start : start + self.sector]

    def _chain(self, start: int, fat: tuple, read: Any) -> bytes:
        parts, n, seen = [], start, 0
        while n not in (_END, _FREE):
            if n >= len(fat) or seen > len(fat):
                raise _damaged()
            parts.append(read(n))
            n, seen = fat[n], seen + 1
        return b"".join(parts)

    def stream(self, names: tuple[str, ...]) -> bytes | None:
        root_start, root_size = 0, 0
        found = None
        for offset in range(0, len(self.directory) - 127, 128):
            entry = self.directory[offset : offset + 128]
            (length,) = struct.unpack_from("<H", entry, 64)
            name = entry[: max(0, length - 2)].decode("utf-16-le", "replace")
            kind = entry[66]
            start, size = struct.unpack_from("<II", entry, 116)
            if kind == 5:
                root_start, root_size = start, size
            elif kind == 2 and name in names and found is None:
                found = (start, size)
        if found is None:
            return None
        start, size = found
        if size >= self.cutoff:
            return self._chain(start, self.fat, self._sector)[:size]
        mini_stream = self._chain(root_start, self.fat, self._sector)[:root_size]
        raw = self._chain(self.minifat_start, self.fat, self._sector)
        minifat = struct.unpack(f"<{len(raw) // 4}I", raw)

        def mini(n: int) -> bytes:
            at = n * self.mini_sector
            if at + self.mini_sector > len(mini_stream):
                raise _damaged()
            return mini_stream[at : at + self.mini_sector]

        return self._chain(start, minifat, mini)[:size]


def xls_extent(data: bytes) -> list[tuple[int, int, int, int]]:
    """(last row, last column, 1-based; rows and columns of the grid from the first value to the
    last) of each sheet of an .xls; ValidationError for a file that is no workbook."""
    try:
        book = _Compound(data).stream(("Workbook", "Book"))
    except (struct.error, IndexError, ValueError):
        raise _damaged() from None
    if book is None:
        raise ValidationError(
            _(
                "无法读取文件：文件内容不是表格。请上传 Excel（.xlsx、.xls）、WPS 或 LibreOffice（.ods）表格，或 CSV 文件"
            )
        )
    sheets: list[tuple[int, int, int, int]] = []
    box: list[int] | None = None  # first row, first column, last row, last column
    pos, end = 0, len(book)
    while pos + 4 <= end:
        kind, length = struct.unpack_from("<HH", book, pos)
        body = pos + 4
        pos = body + length
        if kind == _BOF:
            box = None
        elif kind in _CELLS or kind == _MULRK:
            if length < 4:
                continue
            row, first = struct.unpack_from("<HH", book, body)
            last = first
            if kind == _MULRK and length >= 6:
                (last,) = struct.unpack_from("<H", book, body + length - 2)
            if box is None:
                box = [row, first, row, last]
            else:
                box = [min(box[0], row), min(box[1], first), max(box[2], row), max(box[3], last)]
        elif kind == _EOF and box is not None:
            sheets.append((box[2] + 1, box[3] + 1, box[2] - box[0] + 1, box[3] - box[1] + 1))
            box = None
    return sheets
