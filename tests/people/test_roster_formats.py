"""Rosters in every format counties send (relief/sheet_reader.py): the same roster saved by LibreOffice
as .xls, .ods, .xlsx and .xlsm and written byte-exact as CSV in UTF-8, UTF-8 with BOM, GBK and
GB18030 (tests/fixtures/rosters/README.md) gives the same dry run as the .xlsx; the format is told
by the content, never the name; hostile files of each kind are refused quickly with a Chinese
message, before python-calamine sees them."""

from __future__ import annotations

import datetime
import io
import time
import tracemalloc
import zipfile
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from people.models import RosterUpload
from people.roster import roster_import
from relief import sheet_reader
from relief.jobs.registry import JobError
from relief.models import JobState
from relief.sheet_reader import CSV, ODS, XLS, XLSX, detect_format, open_table, read_all_rows
from tests.conftest import login

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "rosters"
BASELINE = "roster-openpyxl.xlsx"
MADE_BY_LIBREOFFICE = [
    "roster-libreoffice.xls",
    "roster-libreoffice.ods",
    "roster-libreoffice.xlsx",
    "roster-libreoffice.xlsm",
]
CSVS = ["roster-utf8.csv", "roster-utf8-bom.csv", "roster-gbk.csv", "roster-gb18030.csv"]
ELDERLY_ID = "51012919500101000X"  # born 1950 in 大邑县, whose code 510129 is younger than she is


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def dry_run(user, data: bytes) -> dict:
    return roster_import(actor=user, source=io.BytesIO(data), commit=False)


# --- the same roster in every format -------------------------------------------------------------


@pytest.mark.django_db
def test_the_xlsx_dry_run_is_what_the_roster_says(users):
    report = dry_run(users["other_county"], fixture(BASELINE))
    assert (report["rows"], report["households_created"], report["persons_created"]) == (6, 3, 5)
    assert report["skipped_rows"] == [3, 11, 12]  # the instruction row, 合计, the signatures
    (error,) = report["errors"]
    assert error["row"] == 8 and "被存成了数字（510129199001009984）" in error["reason"]
    assert ELDERLY_ID not in str(report["errors"])  # the elderly person's number is accepted


@pytest.mark.django_db
@pytest.mark.parametrize("name", MADE_BY_LIBREOFFICE + CSVS)
def test_each_format_gives_the_same_dry_run_as_the_xlsx(users, name):
    expected = dry_run(users["other_county"], fixture(BASELINE))
    report = dry_run(users["other_county"], fixture(name))
    if name.endswith(".csv"):
        assert report.pop("sheet") == "CSV"
        expected.pop("sheet")
    assert report == expected


@pytest.mark.parametrize("name", [BASELINE, *MADE_BY_LIBREOFFICE, *CSVS])
def test_rows_arrive_as_python_values(name):
    with open_table(FIXTURES / name) as table:
        rows = list(table.rows(0))
    head, spouse, ji, _child, number_id, _zhao = rows[3:9]
    assert rows[1][:3] == ("序号", "户编号", "县（市、区）")
    assert head[7] == ELDERLY_ID
    assert spouse[10] == "1952-03-04"  # a date written as text stays text
    assert ji[5] == ("吉祥" if "gbk" in name else "𠮷祥")  # GB18030 and Unicode keep a name outside GBK
    assert rows[9] == ()  # the blank row above 合计
    if table.format == CSV:
        assert (head[0], head[10], head[14]) == ("1", "1950/1/1", "600")
        assert number_id[7] == 5.1012919900101e17  # Excel's way of writing a number: still a number
    else:
        assert (head[0], head[10], head[14]) == (1, datetime.date(1950, 1, 1), 600)
        assert number_id[7] == 510129199001009984  # an ID stored as a number arrives as one
        assert ji[14] == "1,200元" and rows[8][14] == 1000.5


def test_sheet_data_that_starts_below_and_right_of_a1_keeps_its_row_and_column():
    wb = Workbook()
    wb.active["C6"] = "姓名"
    wb.active["E8"] = 7
    buf = io.BytesIO()
    wb.save(buf)
    with open_table(io.BytesIO(buf.getvalue())) as table:
        rows = list(table.rows(0))
    assert len(rows) == 8
    assert rows[5] == (None, None, "姓名") and rows[7] == (None, None, None, None, 7)
    assert all(r == () for r in rows[:5])


# --- told by content, never the name ------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("roster-libreoffice.xls", XLS),
        ("roster-libreoffice.ods", ODS),
        ("roster-libreoffice.xlsx", XLSX),
        ("roster-libreoffice.xlsm", XLSX),
        ("roster-gbk.csv", CSV),
    ],
)
def test_the_format_is_told_by_content(name, kind):
    assert detect_format(io.BytesIO(fixture(name))) == kind


@pytest.mark.django_db
def test_a_misnamed_file_is_read_for_what_it_is(client, users, django_capture_on_commit_callbacks):
    """A .xls that is really a GBK CSV (as some systems export) imports like the CSV; an .xlsx that
    is a PNG is refused at the upload."""
    login(client, users["other_county"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("people:roster-upload"),
            {"file": SimpleUploadedFile("花名册.xls", fixture("roster-gbk.csv"))},
        )
    assert response.status_code == 302
    job = RosterUpload.objects.get().dry_run_job
    assert job.state == JobState.SUCCEEDED
    assert (job.result["persons_created"], job.result["error_count"]) == (5, 1)

    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64)
    response = client.post(reverse("people:roster-upload"), {"file": SimpleUploadedFile("花名册.xlsx", png)})
    assert response.status_code == 200
    assert "文件内容不是表格" in response.content.decode()
    assert RosterUpload.objects.count() == 1


# --- hostile files ------------------------------------------------------------------------------

OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
ODS_HEAD = (
    f'<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="{OFFICE}" '
    f'xmlns:table="{TABLE}" xmlns:text="{TEXT}" office:version="1.2"><office:body><office:spreadsheet>'
    '<table:table table:name="花名册">'
)
ODS_MANIFEST = (
    '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
    'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
    '<manifest:file-entry manifest:full-path="/" '
    'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
    '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
    "</manifest:manifest>"
)
ODS_TAIL = "</table:table></office:spreadsheet></office:body></office:document-content>"


def ods_cell(value: str, repeat: int = 1) -> str:
    rep = f' table:number-columns-repeated="{repeat}"' if repeat > 1 else ""
    return f'<table:table-cell office:value-type="string"{rep}><text:p>{value}</text:p></table:table-cell>'


ODS_HEADER_ROW = (
    "<table:table-row>"
    + ods_cell("姓名")
    + ods_cell("身份证号")
    + ods_cell("村（社区）")
    + "</table:table-row>"
)


def ods(body: str, repeat_body: int = 1) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        zf.writestr("META-INF/manifest.xml", ODS_MANIFEST)
        with zf.open("content.xml", "w") as f:
            f.write((ODS_HEAD + ODS_HEADER_ROW).encode())
            for _ in range(repeat_body):
                f.write(body.encode())
            f.write(ODS_TAIL.encode())
    return buf.getvalue()


def ods_blank_rows_to_the_end() -> bytes:
    """What LibreOffice writes under the data when a sheet has formatting: one element for a
    million empty rows of 16,384 empty cells. Not data."""
    empty = '<table:table-cell table:number-columns-repeated="16384"/>'
    return ods(f'<table:table-row table:number-rows-repeated="1048575">{empty}</table:table-row>')


def xlsx_corners() -> bytes:
    """A value in A1 and one in GR200000: within the row and column limits, 40 million cells as
    a grid (1.2 GB in calamine)."""
    from tests.people.test_upload_limits import HEADER_ROW, sheet_xml, xlsx

    return xlsx(sheet_xml(None, HEADER_ROW + '<row r="200000"><c r="GR200000"><v>1</v></c></row>'))


HOSTILE = [
    pytest.param(
        lambda: ods(
            f'<table:table-row table:number-rows-repeated="1048575">{ods_cell("x")}</table:table-row>'
        ),
        "行数过多",
        id="ods-a-million-repeated-rows",
    ),
    pytest.param(
        lambda: ods(f"<table:table-row>{ods_cell('x', 16_384)}</table:table-row>"),
        "列数过多",
        id="ods-16384-repeated-columns",
    ),
    pytest.param(
        lambda: ods("<table:table-row>" + ods_cell("x" * 100) * 3 + "</table:table-row>", 20_000),
        "压缩比异常",
        id="ods-zip-bomb",
    ),
    pytest.param(
        lambda: ods(
            '<table:table-row table:number-rows-repeated="100000">'
            + ods_cell("x", 100)
            + "</table:table-row>"
        ),
        "表格范围过大",
        id="ods-ten-million-cells",
    ),
    pytest.param(xlsx_corners, "表格范围过大", id="xlsx-two-corners"),
    pytest.param(lambda: fixture("hostile-a1-iv65536.xls"), "列数过多", id="xls-a1-and-iv65536"),
    pytest.param(
        lambda: "姓名,身份证号,村\n".encode() + b"\n" * 1_000_000, "行数过多", id="csv-a-million-empty-lines"
    ),
    pytest.param(lambda: ",".join(["x"] * 16_384).encode() + b"\n", "列数过多", id="csv-16384-columns"),
    pytest.param(lambda: b"x" * 3_000_000, "过长", id="csv-one-endless-line"),
    pytest.param(lambda: "姓名,身份证号\n".encode("utf-16"), "文件内容不是表格", id="nul-bytes"),
    pytest.param(lambda: b"\x89PNG\r\n\x1a\n" + bytes(100), "文件内容不是表格", id="png"),
    pytest.param(lambda: b"\xff\xfe\xfd abc \x80\x80", "编码无法识别", id="undecodable-text"),
    pytest.param(
        lambda: "<html><table><tr><td>姓名</td></tr></table></html>".encode(), "网页", id="html-saved-as-xls"
    ),
    pytest.param(lambda: b"PK\x03\x04" + bytes(100), "无法读取文件", id="broken-zip"),
]


def _word_document() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("word/document.xml", "<w:document/>")
    return buf.getvalue()


HOSTILE.append(pytest.param(_word_document, "文件内容不是表格", id="a-zip-that-is-no-spreadsheet"))


@pytest.mark.django_db
@pytest.mark.parametrize(("make", "message"), HOSTILE)
def test_hostile_files_are_refused_quickly_before_calamine(users, monkeypatch, make, message):
    data = make()

    def no_calamine(*args, **kwargs):
        raise AssertionError("calamine was given a file the limits refuse")

    monkeypatch.setattr("python_calamine.CalamineWorkbook.from_filelike", no_calamine)
    errors = []
    tracemalloc.start()
    started = time.monotonic()
    try:
        roster_import(actor=users["county"], source=io.BytesIO(data), commit=False)
    except JobError as exc:
        errors.append(str(exc))
    finally:
        elapsed = time.monotonic() - started
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert errors and message in errors[0]
    assert elapsed < 10
    assert peak < 40 * 1024 * 1024


@pytest.mark.django_db
def test_blank_rows_repeated_to_the_sheet_end_are_not_data(users):
    """An .ods whose empty rows and columns LibreOffice repeats to row 1,048,576 is read to its real
    data only, at once."""
    started = time.monotonic()
    with open_table(io.BytesIO(ods_blank_rows_to_the_end())) as table:
        assert list(table.rows(0)) == [("姓名", "身份证号", "村（社区）")]
    assert time.monotonic() - started < 5
    # the LibreOffice fixture has such a run under its data
    assert read_all_rows(FIXTURES / "roster-libreoffice.ods") == 12


@pytest.mark.django_db
def test_an_xls_grid_is_bounded_before_calamine_reads_it(client, users, settings):
    """5.6 kB of .xls with values in A1 and IV65536: 16.8 million cells, refused at the upload."""
    settings.UPLOAD_XLSX_MAX_COLUMNS = 256
    login(client, users["county"])
    started = time.monotonic()
    response = client.post(
        reverse("people:roster-upload"),
        {"file": SimpleUploadedFile("花名册.xls", fixture("hostile-a1-iv65536.xls"))},
    )
    assert time.monotonic() - started < 5
    assert "表格范围过大（65,536 行 × 256 列" in response.content.decode()
    assert not RosterUpload.objects.exists()


def test_the_size_limit_holds_for_every_format(settings):
    settings.UPLOAD_SHEET_MAX_BYTES = 4096
    for name in ("roster-libreoffice.xls", "roster-libreoffice.ods"):
        with pytest.raises(ValidationError, match="文件过大"):
            open_table(io.BytesIO(fixture(name)))


@pytest.mark.django_db
def test_the_upload_page_accepts_every_format(client, users):
    login(client, users["other_county"])
    page = client.get(reverse("people:roster-upload")).content.decode()
    assert f'accept="{sheet_reader.ACCEPT}"' in page
    for name in ("roster-libreoffice.ods", "roster-gb18030.csv"):
        response = client.post(
            reverse("people:roster-upload"), {"file": SimpleUploadedFile(name, fixture(name))}
        )
        assert response.status_code == 302, name
    assert RosterUpload.objects.count() == 2
