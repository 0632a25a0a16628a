"""Hostile spreadsheets are refused before openpyxl parses them (relief/uploads.py): each gets a Chinese
message within seconds and in bounded memory, from the upload page and from the import job."""

from __future__ import annotations

import io
import time
import tracemalloc
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from people.models import RosterUpload
from people.roster import roster_import
from people.roster import rows as roster_rows
from relief.jobs.registry import JobError
from relief.uploads import XlsxLimits, check_xlsx
from tests.conftest import login
from tests.people.test_imports import GOOD_ROWS, roster

NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    "</Types>"
)
RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK = (
    f'<?xml version="1.0" encoding="UTF-8"?><workbook {NS} '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="花名册" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'sharedStrings" Target="sharedStrings.xml"/></Relationships>'
)
HEADER_ROW = (
    '<row r="1"><c r="A1" t="inlineStr"><is><t>姓名</t></is></c>'
    '<c r="B1" t="inlineStr"><is><t>身份证号</t></is></c>'
    '<c r="C1" t="inlineStr"><is><t>村（社区）</t></is></c></row>'
)


def xlsx(sheet: str, shared_strings: bytes | None = None, shared_repeat: int = 1) -> bytes:
    """A minimal .xlsx written with zipfile; `shared_strings` repeated `shared_repeat` times (streamed,
    so a bomb of a high ratio costs the test little memory)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", CONTENT_TYPES)
        zf.writestr("_rels/.rels", RELS)
        zf.writestr("xl/workbook.xml", WORKBOOK)
        zf.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        zf.writestr("xl/worksheets/sheet1.xml", sheet)
        with zf.open("xl/sharedStrings.xml", "w") as f:
            f.write(f'<?xml version="1.0" encoding="UTF-8"?><sst {NS}>'.encode())
            for _ in range(shared_repeat):
                f.write(shared_strings or b"")
            f.write(b"</sst>")
    return buf.getvalue()


def sheet_xml(dimension: str | None, rows: str) -> str:
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return f'<?xml version="1.0" encoding="UTF-8"?><worksheet {NS}>{dim}<sheetData>{rows}</sheetData></worksheet>'


def dimension_bomb() -> bytes:
    cell = '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    return xlsx(sheet_xml("A1:XFD1048576", HEADER_ROW + cell))


def shared_strings_bomb() -> bytes:
    return xlsx(sheet_xml("A1:C1", HEADER_ROW), b"<si><t>" + b"A" * 1000 + b"</t></si>", 20_000)


def wide_sheet(dimension: str | None = "A1:XFD1") -> bytes:
    from openpyxl.utils import get_column_letter

    cells = "".join(f'<c r="{get_column_letter(i)}2"><v>1</v></c>' for i in range(1, 16_385))
    return xlsx(sheet_xml(dimension, HEADER_ROW + f'<row r="2">{cells}</row>'))


def lying_tall_sheet() -> bytes:
    """The dimension says two rows; the data goes on to row 30,000 (the test's limit is 20,000)."""
    rows = "".join(f'<row r="{r}"><c r="A{r}"><v>1</v></c></row>' for r in range(2, 30_002))
    return xlsx(sheet_xml("A1:C2", HEADER_ROW + rows))


def unreferenced_wide_sheet() -> bytes:
    """16,384 cells in one row without `r` references (allowed by the format): counted one by one."""
    cells = "<c><v>1</v></c>" * 16_384
    return xlsx(sheet_xml(None, HEADER_ROW + f"<row>{cells}</row>"))


def far_cell_in_a_short_row() -> bytes:
    """Row 2 says it is row 2, its cell says XFD1048576: the cell decides what a reader allocates."""
    return xlsx(sheet_xml(None, HEADER_ROW + '<row r="2"><c r="XFD1048576"><v>1</v></c></row>'))


def prefixed_far_cell() -> bytes:
    """The same with the namespace written as a prefix (`<x:c>`), which the quick scan also reads."""
    ns = NS.replace("xmlns=", "xmlns:x=")
    rows = '<x:row r="1"><x:c r="A1"><x:v>1</x:v></x:c></x:row><x:row r="2"><x:c r="XFD1048576"><x:v>1</x:v></x:c></x:row>'
    sheet = f'<?xml version="1.0" encoding="UTF-8"?><x:worksheet {ns}><x:sheetData>{rows}</x:sheetData></x:worksheet>'
    return xlsx(sheet)


NOT_A_ZIP = b"<html><body>not a spreadsheet</body></html>"


def _bounded(fn):
    """Run fn; the time and peak Python memory it took."""
    tracemalloc.start()
    started = time.monotonic()
    try:
        fn()
    finally:
        elapsed = time.monotonic() - started
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return elapsed, peak


HOSTILE = [
    pytest.param(dimension_bomb, "行数过多", id="dimension-bomb"),
    pytest.param(shared_strings_bomb, "压缩比异常", id="shared-strings-bomb"),
    pytest.param(wide_sheet, "列数过多", id="16384-columns"),
    pytest.param(lambda: NOT_A_ZIP, "无法读取文件", id="not-a-zip"),
]
# Found only by reading the whole sheet (no dimension to go by): the import job's check, not the page's.
STREAMED = [
    *HOSTILE,
    pytest.param(unreferenced_wide_sheet, "列数过多", id="16384-columns-without-references"),
    pytest.param(far_cell_in_a_short_row, "行数过多", id="far-cell-in-a-short-row"),
    pytest.param(prefixed_far_cell, "行数过多", id="prefixed-far-cell"),
]


@pytest.mark.parametrize(("make", "message"), STREAMED)
def test_check_refuses_hostile_files_quickly_in_bounded_memory(make, message):
    data = make()
    errors = []

    def check():
        try:
            check_xlsx(io.BytesIO(data))
        except ValidationError as exc:
            errors.append(exc.messages[0])

    elapsed, peak = _bounded(check)
    assert errors and message in errors[0]
    assert elapsed < 5
    assert peak < 20 * 1024 * 1024


@pytest.mark.django_db
@pytest.mark.parametrize(("make", "message"), HOSTILE)
def test_upload_page_refuses_hostile_files(client, users, make, message):
    login(client, users["county"])
    started = time.monotonic()
    response = client.post(
        reverse("people:roster-upload"),
        {"file": SimpleUploadedFile("花名册.xlsx", make(), content_type="application/octet-stream")},
    )
    assert time.monotonic() - started < 10
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not RosterUpload.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("make", "message"),
    [
        *STREAMED,
        pytest.param(lambda: wide_sheet(dimension="A1:C2"), "列数过多", id="lying-dimension-wide"),
        pytest.param(lambda: wide_sheet(dimension=None), "列数过多", id="no-dimension-wide"),
        pytest.param(lying_tall_sheet, "行数过多", id="lying-dimension-tall"),
    ],
)
def test_import_job_refuses_hostile_files_before_parsing(users, settings, make, message):
    settings.UPLOAD_XLSX_MAX_ROWS = 20_000  # keeps the streamed cases quick
    data = make()
    errors = []

    def run():
        try:
            roster_import(actor=users["county"], source=io.BytesIO(data), commit=False)
        except JobError as exc:
            errors.append(str(exc))

    elapsed, peak = _bounded(run)
    assert errors and message in errors[0]
    assert elapsed < 10
    assert peak < 40 * 1024 * 1024


def test_limits_come_from_settings(settings):
    settings.UPLOAD_XLSX_MAX_ROWS = 5
    assert XlsxLimits.from_settings().max_rows == 5
    data = roster(GOOD_ROWS)  # a title, a two-row header, data to row 11 and a footer
    with pytest.raises(ValidationError, match="行数过多"):
        check_xlsx(io.BytesIO(data))


def test_dtd_is_refused():
    sheet = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]>' + sheet_xml("A1:C1", HEADER_ROW)[21:]
    with pytest.raises(ValidationError, match="不允许的声明"):
        check_xlsx(io.BytesIO(xlsx(sheet)))


@pytest.mark.django_db
def test_an_import_over_its_time_budget_stops_with_a_chinese_message(users, settings, monkeypatch):
    settings.ROSTER_IMPORT_SECONDS = 0
    monkeypatch.setattr(roster_rows, "DEADLINE_EVERY", 1)
    with pytest.raises(JobError, match="导入超时"):
        roster_import(actor=users["county"], source=io.BytesIO(roster(GOOD_ROWS)), commit=False)


@pytest.mark.django_db
def test_an_honest_roster_still_imports(users):
    report = roster_import(actor=users["county"], source=io.BytesIO(roster(GOOD_ROWS)), commit=False)
    assert report["errors"] == []
