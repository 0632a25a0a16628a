"""A roster's errors: each with a stable code and the column it is in; every one reachable on the
upload's page, a page at a time; and the bad rows downloadable as they are in the file, with their
reasons, to be fixed and uploaded again."""

from __future__ import annotations

import datetime
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from people.models import RosterUpload
from people.roster import cells, roster_import
from people.roster.errors import CODES
from relief.models import Job, JobState
from tests.conftest import login
from tests.people.factories import make_id_number
from tests.people.test_imports import BAD_ROWS, GOOD_ROWS, OTHER_ID, _upload, counts, roster

pytestmark = pytest.mark.django_db

# row -> (code, column heading as written in the file), for BAD_ROWS of test_imports
EXPECTED_PROBLEMS = {
    9: ("village_out_of_scope", "村（社区）"),
    10: ("id_number_invalid", "公民身份号码"),
    11: ("date_invalid", "认定时间"),
    12: ("id_number_invalid", "公民身份号码"),
    15: ("amount_invalid", "月收入（元）"),
    16: ("id_number_stored_as_number", "公民身份号码"),
}


def problems(report: dict) -> dict[int, list[tuple[str, str | None]]]:
    found: dict[int, list] = {}
    for entry in report["errors"]:
        found.setdefault(entry["row"], []).extend((p["code"], p["column"]) for p in entry["problems"])
    return found


def test_each_row_error_has_a_code_and_the_column_heading_of_the_file(users):
    report = roster_import(
        actor=users["county"], source=io.BytesIO(roster({**GOOD_ROWS, **BAD_ROWS})), commit=False
    )
    assert problems(report) == {row: [expected] for row, expected in EXPECTED_PROBLEMS.items()}
    for entry in report["errors"]:
        # the messages are the row's reasons, unchanged
        assert "；".join(p["message"] for p in entry["problems"]) == entry["reason"]


def test_row_level_and_planner_errors_have_codes(users):
    twin = make_id_number("510121", datetime.date(1980, 1, 1))
    rows = {
        5: ("H010", "滨河社区", "甲", "甲", twin, "户主", None, None, None, None),
        6: ("H010", "滨河社区", "甲", "乙", twin, "子女", None, None, None, None),  # the same ID again
        7: ("H011", "滨河社区", "丙", "丙", make_id_number(), "子女", None, None, None, None),  # no head
        8: ("H012", "滨河社区", "丁", "丁", make_id_number(), "户主", None, "补贴户", None, None),
        9: ("H013", "滨河社区", "戊", "戊", make_id_number(), "户主", None, None, None, None),
        10: ("H013", "滨河社区", "戊", "己", make_id_number(), "户主", None, None, None, None),
    }
    report = roster_import(actor=users["county"], source=io.BytesIO(roster(rows)), commit=False)
    assert problems(report) == {
        6: [("id_number_duplicate_in_file", "公民身份号码")],
        7: [("household_without_head", None)],
        8: [("category_unknown", "保障类别")],
        10: [("household_two_heads", "与户主关系")],
    }


def test_a_name_conflict_and_a_number_registered_elsewhere_have_codes(users, home_household, other_household):
    head = home_household.head
    rows = {
        5: (
            home_household.household_number or None,
            "滨河社区",
            "别名",
            "别名",
            head.id_number,
            "户主",
            None,
            None,
            None,
            None,
        ),
        6: ("H020", "滨河社区", "王", "王", other_household.head.id_number, "户主", None, None, None, None),
    }
    report = roster_import(actor=users["county"], source=io.BytesIO(roster(rows)), commit=False)
    assert problems(report) == {
        5: [("name_conflict", "姓名")],
        6: [("id_registered_elsewhere", "公民身份号码")],
    }
    assert {c for found in problems(report).values() for c, _col in found} <= CODES.keys()


@pytest.mark.parametrize(
    ("parse", "value", "code"),
    [
        (cells.parse_id_check, 510121201006120020, "id_number_stored_as_number"),
        (cells.parse_id_check, "5.10121E+17", "id_number_stored_as_number"),
        (cells.parse_id_check, "", "id_number_missing"),
        (cells.parse_id_check, "510121199013010010", "id_number_invalid"),
        (cells.parse_date, "2024-13-45", "date_invalid"),
        (lambda v: cells.parse_amount(v, "月收入"), "一千元", "amount_invalid"),
        (lambda v: cells.parse_amount(v, "月收入"), "-5", "amount_invalid"),
        (cells.parse_relation, "邻居", "relation_unknown"),
        (cells.parse_tekun_mode, "自己", "tekun_mode_unknown"),
        (cells.parse_categories, "补贴户", "category_unknown"),
        (cells.parse_sex, "未知", "sex_invalid"),
        (cells.parse_birth, "某年", "birth_date_invalid"),
        (lambda v: cells.parse_housing(v, "住房状况"), "危房", "housing_grade_missing"),
        (lambda v: cells.parse_heating(v, "取暖方式"), "烧柴火堆", "choice_unknown"),
    ],
)
def test_each_unreadable_cell_says_what_is_wrong_with_a_code(parse, value, code):
    with pytest.raises(cells.CellError) as caught:
        parse(value)
    assert caught.value.code == code and str(caught.value)


# --- the page: every error, a page at a time -----------------------------------------------------


def _many_bad_rows(n: int) -> dict[int, tuple]:
    """n rows whose ID numbers have a wrong check character, from row 5."""
    rows = {}
    for i in range(n):
        number = make_id_number("510121", datetime.date(1960, 1, 1) + datetime.timedelta(days=i))
        bad = number[:-1] + ("0" if number[-1] != "0" else "1")
        rows[5 + i] = (f"B{i:04d}", "滨河社区", f"人{i}", f"人{i}", bad, "户主", None, None, None, None)
    return rows


def test_every_error_is_reachable_page_by_page(client, users, django_capture_on_commit_callbacks):
    login(client, users["county"])
    with django_capture_on_commit_callbacks(execute=True):
        response = _upload(client, roster(_many_bad_rows(250)))
    detail = response.url
    upload = RosterUpload.objects.get()

    first = client.get(detail).content.decode()
    assert "共 250 处问题，显示第 1–100 处" in first
    assert "<td>5</td>" in first and "<td>104</td>" in first and "<td>105</td>" not in first
    errors_url = reverse("people:roster-upload-errors", args=[upload.pk])
    assert f'hx-get="{errors_url}?page=3"' in first

    last = client.get(errors_url, {"page": 3}, HTTP_HX_REQUEST="true").content.decode()
    assert last.lstrip().startswith('<div id="roster-errors"')
    assert "显示第 201–250 处" in last
    assert "<td>254</td>" in last and "<td>200</td>" not in last  # the last bad row: 5 + 249

    # without htmx the page links lead to the upload's page at that page of errors
    plain = client.get(errors_url, {"page": 3})
    assert plain.status_code == 302 and plain.url == f"{detail}?errors_page=3#roster-errors"
    assert "<td>254</td>" in client.get(f"{detail}?errors_page=3").content.decode()
    assert "<td>254</td>" in client.get(f"{detail}?errors_page=99").content.decode()  # past the end: the last


# --- the file of bad rows ------------------------------------------------------------------------


def download(client, upload, capture) -> bytes:
    """下载错误行: a job; its file as the job's page offers it."""
    with capture(execute=True):
        response = client.post(reverse("people:roster-upload-error-file", args=[upload.pk]))
    job = Job.objects.filter(kind="people.roster_error_file").latest("pk")
    assert response.status_code == 302 and response.url == reverse("job-detail", args=[job.pk])
    assert job.state == JobState.SUCCEEDED, job.error
    with job.result_file.open("rb") as f:
        return f.read()


def _cells(ws) -> list[list]:
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    width = max((i + 1 for r in rows for i, v in enumerate(r) if v not in (None, "")), default=0)
    return [(r + [None] * width)[:width] for r in rows]


def test_error_file_has_the_bad_rows_as_written_with_their_reasons_and_uploads_again(
    client, users, django_capture_on_commit_callbacks
):
    login(client, users["county"])
    original = roster({**GOOD_ROWS, **BAD_ROWS})
    with django_capture_on_commit_callbacks(execute=True):
        _upload(client, original)
    upload = RosterUpload.objects.get()
    assert (
        client.get(reverse("people:roster-upload-detail", args=[upload.pk]))
        .content.decode()
        .count(reverse("people:roster-upload-error-file", args=[upload.pk]))
    )

    content = download(client, upload, django_capture_on_commit_callbacks)
    assert "花名册-错误行" in Job.objects.get(kind="people.roster_error_file").result_file.name
    got = _cells(load_workbook(io.BytesIO(content)).active)
    source = _cells(load_workbook(io.BytesIO(original), read_only=True, data_only=True).active)
    width = len(source[0])
    # the title, filler and both header rows as they are, 错误原因 after the last header cell
    assert [r[:width] for r in got[:4]] == source[:4]
    assert got[3][width] == "错误原因"
    # then exactly the bad rows, in file order, each cell as it was, and every reason of the row
    assert [r[:width] for r in got[4:]] == [source[n - 1] for n in sorted(BAD_ROWS)]
    reasons = [r[width] for r in got[4:]]
    for row, reason in zip(sorted(BAD_ROWS), reasons, strict=True):
        assert reason.startswith(f"第{row}行：")
    assert "无法识别" in reasons[2] and "不是有效金额" in reasons[4] and "被存成了数字" in reasons[5]

    # the clerk commits the good rows, fixes the bad ones in the downloaded file and uploads it
    with django_capture_on_commit_callbacks(execute=True):
        _upload(client, roster(GOOD_ROWS))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("people:roster-commit", args=[RosterUpload.objects.latest("pk").pk]))
    assert counts() == (3, 6, 3)
    wb = load_workbook(io.BytesIO(content))
    ws = wb.active
    fixes = {
        5: {3: "滨河社区"},  # row 9: a village of their own
        6: {6: make_id_number("510121", datetime.date(1961, 2, 3))},
        7: {10: "2024-01-05"},
        8: {6: make_id_number("510121", datetime.date(1985, 12, 7))},
        9: {11: "1000"},
        10: {6: make_id_number("510121", datetime.date(2010, 6, 12))},
    }
    for row, changes in fixes.items():
        for col, value in changes.items():
            ws.cell(row=row, column=col, value=value)
    fixed = io.BytesIO()
    wb.save(fixed)
    with django_capture_on_commit_callbacks(execute=True):
        _upload(client, fixed.getvalue(), name="错误行.xlsx")
    again = RosterUpload.objects.latest("pk")
    report = again.dry_run_job.result
    assert (report["header_row"], report["rows"], report["errors"]) == (4, 6, [])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("people:roster-commit", args=[again.pk]))
    assert counts()[:2] == (3 + 5, 6 + 6)  # H003, H004, H005, H006, H007 new; 李小五 joins H002


@pytest.mark.parametrize(("who", "masked"), [("county", False), ("province", True)])
def test_error_file_masks_numbers_for_roles_that_see_them_masked(
    client, users, django_capture_on_commit_callbacks, who, masked
):
    login(client, users["county"])
    with django_capture_on_commit_callbacks(execute=True):
        _upload(client, roster({**GOOD_ROWS, 9: BAD_ROWS[9]}))
    upload = RosterUpload.objects.get()
    login(client, users[who])
    ws = load_workbook(io.BytesIO(download(client, upload, django_capture_on_commit_callbacks))).active
    (row,) = list(ws.iter_rows(min_row=5, values_only=True))
    assert (row[5] == OTHER_ID) is not masked
    if masked:
        assert row[5] == OTHER_ID[:6] + "********" + OTHER_ID[-4:]


def test_error_file_of_an_upload_without_errors_or_outside_the_region(
    client, users, django_capture_on_commit_callbacks
):
    login(client, users["county"])
    with django_capture_on_commit_callbacks(execute=True):
        _upload(client, roster(GOOD_ROWS))
    url = reverse("people:roster-upload-error-file", args=[RosterUpload.objects.get().pk])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url)
    job = Job.objects.get(kind="people.roster_error_file")
    assert (job.state, job.error, job.result_file.name) == (JobState.FAILED, "没有错误行可下载", "")
    login(client, users["other_county"])
    assert client.post(url).status_code == 404
    assert client.get(url).status_code == 405  # a job is started by POST only
    assert Job.objects.filter(kind="people.roster_error_file").count() == 1


def test_every_code_is_documented_for_api_clients():
    from pathlib import Path

    docs = (Path(__file__).resolve().parents[2] / "docs" / "api-clients.md").read_text()
    assert [code for code in CODES if f"| `{code}` |" not in docs] == []


@pytest.mark.parametrize("name", ["roster-libreoffice.xls", "roster-libreoffice.ods", "roster-gb18030.csv"])
def test_error_file_of_an_xls_ods_or_csv_has_its_bad_row_and_uploads_again(
    client, users, django_capture_on_commit_callbacks, name
):
    """The clerk's file came from WPS, LibreOffice or another system: the error file is an .xlsx
    with the bad row as read from it (the ID Excel stored as a number), which, fixed, imports."""
    from tests.people.test_roster_formats import fixture

    login(client, users["other_county"])
    with django_capture_on_commit_callbacks(execute=True):
        _upload(client, fixture(name), name=name)
    upload = RosterUpload.objects.get()
    assert upload.dry_run_job.result["error_count"] == 1
    content = download(client, upload, django_capture_on_commit_callbacks)
    wb = load_workbook(io.BytesIO(content))
    ws = wb.active
    rows = _cells(ws)
    bad = [r for r in rows if r[-1] and str(r[-1]).startswith("第8行")]
    assert len(bad) == 1 and "李明" in bad[0] and "被存成了数字" in bad[0][-1]
    id_column = next(i for i, v in enumerate(rows[1]) if v and "身份证" in str(v)) + 1
    row_number = rows.index(bad[0]) + 1
    ws.cell(row=row_number, column=id_column, value=make_id_number("510129", datetime.date(1990, 1, 1)))
    fixed = io.BytesIO()
    wb.save(fixed)
    with django_capture_on_commit_callbacks(execute=True):
        _upload(client, fixed.getvalue(), name="错误行.xlsx")
    report = RosterUpload.objects.latest("pk").dry_run_job.result
    assert (report["rows"], report["errors"]) == (1, [])
