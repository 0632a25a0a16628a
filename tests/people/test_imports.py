"""Roster import from Excel: messy county rosters, a dry run listing every bad row, an all-or-nothing
commit, idempotent re-import, region scope, and the pages around it."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import Workbook

from people.models import Assistance, Household, Person, RosterUpload
from people.roster import find_header, loader, parse_amount, parse_date, roster_import
from relief.jobs.registry import JobError
from relief.models import JobState
from tests.conftest import login
from tests.people.factories import household_with_head, make_id_number

pytestmark = pytest.mark.django_db

FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")

# Data rows start at row 5 (title, filler, two header rows).
HEAD_ID = make_id_number("510121", datetime.date(1960, 5, 1))
CHILD_ID = make_id_number("510121", datetime.date(2012, 6, 1), male=False)
LI_ID = make_id_number("510121", datetime.date(1950, 1, 2))
LI_CHILD_ID = make_id_number("510121", datetime.date(1980, 2, 3))
ZHOU_ID = make_id_number("510121", datetime.date(1970, 3, 4))
ZHOU_CHILD_ID = make_id_number("510121", datetime.date(2000, 4, 5))
OTHER_ID = make_id_number("510129", datetime.date(1975, 7, 8))
QIAN_ID = make_id_number("510121", datetime.date(1990, 8, 9))
WU_ID = make_id_number("510121", datetime.date(1991, 9, 10))


def bad_checksum(number: str) -> str:
    last = "0" if number[-1] != "0" else "1"
    return number[:-1] + last


# Row number -> (户编号, 村, 户主姓名, 姓名, 身份证号, 与户主关系, 联系电话, 保障类别, 认定时间, 月收入（元）)
GOOD_ROWS = {
    5: (
        "H001",
        "滨河社区",
        "张大山",
        "张大山",
        HEAD_ID.translate(FULL_WIDTH),
        "户主",
        "138 0000 0001",
        "低保A类",
        "2024年1月5日",
        "1,200元",
    ),
    6: (
        "H001",
        "滨河社区",
        "张大山",
        "张小花",
        f"{CHILD_ID[:6]} {CHILD_ID[6:14]} {CHILD_ID[14:]}",
        "女儿",
        None,
        "低保",
        datetime.datetime(2024, 1, 5),
        None,
    ),
    7: ("H002", "510121001001", "李四", "李四", LI_ID, "户主", 13900000002, "特困分散供养", "2024/1/5", 800),
    8: ("H002", "510121001001", "李四", "李小四", LI_CHILD_ID, "之子", None, None, None, None),
    13: (None, "滨河", "周九", "周九", ZHOU_ID, None, None, "低保边缘", "20240105", "900.5 元"),
    14: (None, "滨河社区", "周九", "周小九", ZHOU_CHILD_ID, "子", None, None, None, None),
}
BAD_ROWS = {
    9: ("H003", "东街社区", "王五", "王五", OTHER_ID, "户主", None, None, None, None),
    10: ("H004", "滨河社区", "赵六", "赵六", bad_checksum(QIAN_ID), "户主", None, None, None, None),
    11: ("H005", "滨河社区", "钱七", "钱七", QIAN_ID, "户主", None, "低保", "2024-13-45", None),
    12: ("H006", "滨河社区", "孙八", "孙八", "510121851307001", "户主", None, None, None, None),
    15: ("H007", "滨河社区", "吴十", "吴十", WU_ID, "户主", None, None, None, "一千元"),
    16: ("H002", "510121001001", "李四", "李小五", 510121201006120020, "子女", None, None, None, None),
}
EXPECTED_REASONS = {
    9: "不在您的管辖范围内",
    10: "校验位不正确",
    11: "日期“2024-13-45”无法识别",
    12: "15位",
    15: "不是有效金额",
    16: "被存成了数字",
}


def roster(rows: dict[int, tuple], footer_at: int | None = None) -> bytes:
    """A county roster as they come: a title row, a filler row, a two-row header with a merged
    家庭成员 group and cells merged down, the data, a 合计 row and signature lines."""
    wb = Workbook()
    ws = wb.active
    ws.title = "花名册"
    ws["A1"] = "金堂县2024年冬季困难群众花名册"
    ws.merge_cells("A1:L1")
    ws["A2"] = "填报单位（盖章）：赵镇街道"
    top = [
        "序号",
        "户编号",
        "村（社区）",
        "户主姓名",
        "家庭成员",
        None,
        None,
        "联系电话",
        "保障类别",
        "认定时间",
        "月收入（元）",
        "备注",
    ]
    sub = [None, None, None, None, "姓名", "公民身份号码", "与户主关系", None, None, None, None, None]
    for col, (t, s) in enumerate(zip(top, sub, strict=True), start=1):
        if t:
            ws.cell(row=3, column=col, value=t)
        if s:
            ws.cell(row=4, column=col, value=s)
    ws.merge_cells("E3:G3")
    for letter in "ABCDHIJKL":
        ws.merge_cells(f"{letter}3:{letter}4")
    last = 4
    for number, values in sorted(rows.items()):
        number_, (hh, village, head, name, id_number, relation, phone, category, start, income) = (
            number,
            values,
        )
        for col, value in enumerate(
            [number_ - 4, hh, village, head, name, id_number, relation, phone, category, start, income],
            start=1,
        ):
            if value is not None:
                ws.cell(row=number_, column=col, value=value)
        last = max(last, number_)
    end = footer_at or last + 2
    ws.cell(row=end, column=1, value="合计")
    ws.cell(row=end, column=11, value=2900.5)
    ws.cell(row=end + 1, column=1, value="制表人：王会计")
    ws.cell(row=end + 1, column=5, value="审核人：")
    ws.cell(row=end + 2, column=8, value="单位负责人签字（盖章）：")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def run(user, data: bytes, commit: bool) -> dict:
    return roster_import(actor=user, source=io.BytesIO(data), commit=commit)


def counts() -> tuple[int, int, int]:
    return Household.objects.count(), Person.objects.count(), Assistance.objects.count()


# --- cell parsing --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-01-05", datetime.date(2024, 1, 5)),
        ("2024/1/5", datetime.date(2024, 1, 5)),
        ("2024年1月5日", datetime.date(2024, 1, 5)),
        ("２０２４年１月５日", datetime.date(2024, 1, 5)),
        ("20240105", datetime.date(2024, 1, 5)),
        (20240105, datetime.date(2024, 1, 5)),
        (datetime.datetime(2024, 1, 5, 0, 0), datetime.date(2024, 1, 5)),
        (45296, datetime.date(2024, 1, 5)),  # an Excel serial number in a cell without a date format
        (None, None),
    ],
)
def test_dates_as_text_or_cells(value, expected):
    assert parse_date(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1,200元", Decimal("1200.00")),
        ("１２００ 元", Decimal("1200.00")),
        (800, Decimal("800.00")),
        ("¥35.5", Decimal("35.50")),
    ],
)
def test_amounts_with_yuan_and_commas(value, expected):
    assert parse_amount(value, "月收入") == expected


def test_header_found_below_title_rows_with_merged_groups():
    rows = [
        ("花名册", None, None, None),
        ("户编号", "家庭成员", None, "联系电话"),
        (None, "姓名", "身份证号码", None),
        ("H1", "张三", "x", "1"),
    ]
    header = find_header(rows)
    assert header.last_row == 3
    assert header.columns == {"household_number": 0, "name": 1, "id_number": 2, "phone": 3}


# --- dry run -------------------------------------------------------------------------------------


def test_dry_run_lists_exactly_the_bad_rows_with_chinese_reasons_and_writes_nothing(users):
    data = roster({**GOOD_ROWS, **BAD_ROWS})
    report = run(users["county"], data, commit=False)

    assert report["dry_run"] is True
    assert report["header_row"] == 4
    assert report["columns"]["身份证号"] == "公民身份号码"
    assert sorted({e["row"] for e in report["errors"]}) == sorted(BAD_ROWS)
    for error in report["errors"]:
        assert EXPECTED_REASONS[error["row"]] in error["reason"], error
    assert report["skipped_rows"] == [18, 19, 20]  # 合计, 制表人/审核人, 负责人签字
    assert report["rows"] == len(GOOD_ROWS) + len(BAD_ROWS)
    assert report["households_created"] == 3  # H001, H002 and 周九户; bad rows open nothing
    assert counts() == (0, 0, 0)


def test_numeric_id_is_reported_as_lost_digits_never_guessed(users):
    report = run(users["county"], roster({16: BAD_ROWS[16], 7: GOOD_ROWS[7]}), commit=False)
    (error,) = report["errors"]
    assert error["row"] == 16
    assert "后几位已丢失" in error["reason"]
    assert "510121201006120000" in error["reason"]  # what the cell holds: the last digits are gone


# --- commit --------------------------------------------------------------------------------------


def test_commit_writes_everything_normalised(users):
    report = run(users["county"], roster(GOOD_ROWS), commit=True)

    assert report["committed"] is True
    assert report["errors"] == []
    assert (report["households_created"], report["persons_created"], report["assistances_created"]) == (
        3,
        6,
        3,
    )
    assert counts() == (3, 6, 3)

    h1 = Household.objects.get(household_number="H001")
    assert h1.region_id == "510121001001"
    assert h1.head.id_number == HEAD_ID  # full-width digits converted
    assert h1.head.phone == "13800000001"
    assert h1.contact_phone == "13800000001"
    assert h1.monthly_income == Decimal("1200.00")
    assert set(h1.members.values_list("id_number", "relation")) == {(HEAD_ID, "head"), (CHILD_ID, "child")}
    (dibao,) = h1.assistances.all()
    assert (dibao.category, dibao.dibao_class, dibao.start_date) == ("dibao", "A", datetime.date(2024, 1, 5))

    h2 = Household.objects.get(household_number="H002")
    assert h2.head.name == "李四"
    assert h2.head.phone == "13900000002"
    (tekun,) = h2.assistances.all()
    assert (tekun.category, tekun.tekun_mode, tekun.person_id) == ("tekun", "dispersed", h2.head_id)

    # no household number: grouped by the head named on each row within the village
    zhou = Person.objects.get(id_number=ZHOU_ID).household
    assert zhou.household_number == ""
    assert zhou.head.id_number == ZHOU_ID
    assert sorted(zhou.members.values_list("name", flat=True)) == ["周九", "周小九"]
    assert zhou.monthly_income == Decimal("900.50")
    assert zhou.assistances.get().category == "dibao_edge"


def test_a_file_with_one_bad_row_commits_nothing(users):
    data = roster({**GOOD_ROWS, 10: BAD_ROWS[10]})
    with pytest.raises(JobError) as exc:
        run(users["county"], data, commit=True)
    assert "未写入任何数据" in str(exc.value)
    assert "第10行" in str(exc.value)
    assert counts() == (0, 0, 0)


def test_importing_the_same_file_again_changes_nothing(users):
    data = roster(GOOD_ROWS)
    run(users["county"], data, commit=True)
    before = counts()
    history = Person.history.count(), Household.history.count()

    again = run(users["county"], data, commit=True)

    assert counts() == before
    assert (Person.history.count(), Household.history.count()) == history
    assert again["households_created"] == again["households_updated"] == 0
    assert again["persons_created"] == again["persons_updated"] == again["assistances_created"] == 0
    assert again["persons_unchanged"] == 6


def test_reimport_updates_changed_values_without_duplicating(users):
    run(users["county"], roster(GOOD_ROWS), commit=True)
    changed = dict(GOOD_ROWS)
    changed[6] = ("H001", "滨河社区", "张大山", "张小花", CHILD_ID, "女儿", "13700000009", "低保", None, None)
    report = run(users["county"], roster(changed), commit=True)
    assert report["persons_updated"] == 1
    assert counts() == (3, 6, 3)
    assert Person.objects.get(id_number=CHILD_ID).phone == "13700000009"


def test_person_registered_in_another_household_is_a_row_error(users):
    elsewhere = household_with_head("510121001")  # same county, registered at the township
    rows = {5: ("H001", "滨河社区", "王二", "王二", elsewhere.head.id_number, "户主", None, None, None, None)}
    report = run(users["county"], roster(rows), commit=False)
    (error,) = report["errors"]
    assert "已在另一户" in error["reason"]


def test_duplicate_id_in_the_file_is_reported_with_the_first_row(users):
    rows = {
        5: GOOD_ROWS[5],
        6: ("H001", "滨河社区", "张大山", "张二山", HEAD_ID, "子女", None, None, None, None),
    }
    report = run(users["county"], roster(rows), commit=False)
    (error,) = report["errors"]
    assert error["row"] == 6
    assert "与第5行重复" in error["reason"]


def test_commit_writes_history_rows_for_what_it_creates(users):
    run(users["county"], roster(GOOD_ROWS), commit=True)

    h1 = Household.objects.get(household_number="H001")
    (created,) = h1.history.all()
    assert (created.history_type, created.history_user, created.head_id) == ("+", users["county"], h1.head_id)
    assert Person.history.filter(history_type="+").count() == 6
    head = Person.history.get(id=h1.head_id)
    assert (head.id_number, head.relation, head.history_user) == (HEAD_ID, "head", users["county"])


def test_reimport_can_move_the_head_within_a_household(users):
    run(users["county"], roster(GOOD_ROWS), commit=True)
    person_history, household_history = Person.history.count(), Household.history.count()
    changed = dict(GOOD_ROWS)
    changed[5] = (*GOOD_ROWS[5][:5], "配偶", *GOOD_ROWS[5][6:])
    changed[6] = ("H001", "滨河社区", "张小花", "张小花", CHILD_ID, "户主", None, None, None, None)

    report = run(users["county"], roster(changed), commit=True)

    assert report["errors"] == []
    assert report["persons_updated"] == 2
    h1 = Household.objects.get(household_number="H001")
    assert h1.head.id_number == CHILD_ID
    assert set(h1.members.values_list("id_number", "relation")) == {(HEAD_ID, "spouse"), (CHILD_ID, "head")}
    assert counts() == (3, 6, 3)
    # one history row per changed record, naming who imported
    assert Person.history.count() == person_history + 2
    assert Household.history.count() == household_history + 1
    assert h1.history.first().history_user == users["county"]


def test_an_update_is_stored_with_its_history_row_holding_the_changed_record(users):
    run(users["county"], roster(GOOD_ROWS), commit=True)
    child = Person.objects.get(id_number=CHILD_ID)
    household = child.household
    changed = dict(GOOD_ROWS)
    changed[5] = (*GOOD_ROWS[5][:6], "13700000001", *GOOD_ROWS[5][7:])  # the head: also the contact phone
    changed[6] = ("H001", "滨河社区", "张大山", "张小花", CHILD_ID, "女儿", "13700000009", "低保", None, None)

    run(users["county"], roster(changed), commit=True)

    child.refresh_from_db()
    household.refresh_from_db()
    assert (child.phone, household.contact_phone, household.head.phone) == (
        "13700000009",
        "13700000001",
        "13700000001",
    )
    latest = child.history.first()
    assert (latest.history_type, latest.history_user, latest.history_change_reason) == (
        "~",
        users["county"],
        "花名册导入",
    )
    # the whole record as it now is, not only the changed field
    assert (latest.phone, latest.name, latest.relation, latest.household_id) == (
        "13700000009",
        "张小花",
        child.relation,
        household.pk,
    )
    (h_latest, h_created) = household.history.all()[:2]
    assert (h_latest.history_type, h_latest.contact_phone, h_latest.address) == (
        "~",
        "13700000001",
        household.address,
    )
    assert h_created.contact_phone != "13700000001"


def _many_rows(households: int, prefix: str) -> dict[int, tuple]:
    """`households` two-member households with household numbers, heads on 低保, from row 5."""
    rows, number = {}, 5
    for i in range(households):
        head, child = f"户主{i}", f"成员{i}"
        rows[number] = (
            f"{prefix}{i:05d}",
            "滨河社区",
            head,
            head,
            make_id_number(),
            "户主",
            None,
            "低保",
            None,
            None,
        )
        rows[number + 1] = (
            f"{prefix}{i:05d}",
            "滨河社区",
            head,
            child,
            make_id_number(),
            "子女",
            None,
            None,
            None,
            None,
        )
        number += 2
    return rows


@pytest.mark.parametrize("commit", [False, True])
def test_query_count_does_not_grow_with_the_rows(users, commit):
    """Set-based: a few look-ups and bulk writes whatever the length of the file (the per-row
    import made about 20 round trips per row)."""
    small, large = roster(_many_rows(25, "S")), roster(_many_rows(250, "L"))
    with CaptureQueriesContext(connection) as fifty:
        run(users["county"], small, commit=commit)
    with CaptureQueriesContext(connection) as five_hundred:
        report = run(users["county"], large, commit=commit)
    assert report["errors"] == []
    assert report["persons_created"] == 500
    assert len(five_hundred) == len(fifty) < 40
    if commit:  # and importing it again reads, finds nothing to change, and writes nothing
        with CaptureQueriesContext(connection) as again:
            report = run(users["county"], large, commit=True)
        assert report["persons_unchanged"] == 500
        assert not [q for q in again.captured_queries if q["sql"].startswith(("INSERT", "UPDATE"))]


def test_a_conflict_found_only_by_the_database_rolls_everything_back(users, monkeypatch):
    """The one-active-ID constraint stays the final guard: someone registers a person of the file
    between the check and the write; the commit reports the row in Chinese and writes nothing."""
    load = loader.load_register

    def load_then_race(rows):
        register = load(rows)
        household_with_head("510121001001", id_number=LI_CHILD_ID)
        return register

    monkeypatch.setattr(loader, "load_register", load_then_race)
    with pytest.raises(JobError) as exc:
        run(users["county"], roster(GOOD_ROWS), commit=True)
    assert "第8行" in str(exc.value)
    assert "已在另一户登记为有效成员" in str(exc.value)
    assert counts() == (0, 0, 0)


# --- scope ---------------------------------------------------------------------------------------


def test_villages_outside_the_users_region_are_refused(users):
    report = run(users["other_county"], roster(GOOD_ROWS), commit=False)
    assert sorted({e["row"] for e in report["errors"]}) == sorted(GOOD_ROWS)
    assert all("不在您的管辖范围内" in e["reason"] for e in report["errors"])
    with pytest.raises(JobError):
        run(users["other_county"], roster(GOOD_ROWS), commit=True)
    assert counts() == (0, 0, 0)


def test_read_only_roles_cannot_import(users):
    with pytest.raises(JobError, match="只能查看"):
        run(users["city"], roster(GOOD_ROWS), commit=False)


# --- pages ---------------------------------------------------------------------------------------


def _upload(client, data: bytes, name: str = "花名册.xlsx"):
    return client.post(
        reverse("people:roster-upload"),
        {"file": SimpleUploadedFile(name, data, content_type="application/octet-stream")},
    )


def test_upload_dry_run_page_lists_bad_rows(client, users, django_capture_on_commit_callbacks):
    login(client, users["county"])
    with django_capture_on_commit_callbacks(execute=True):
        response = _upload(client, roster({**GOOD_ROWS, **BAD_ROWS}))
    upload = RosterUpload.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("people:roster-upload-detail", args=[upload.pk])
    assert upload.dry_run_job.state == JobState.SUCCEEDED

    page = client.get(response.url).content.decode()
    assert 'data-testid="error-table"' in page
    for row, reason in EXPECTED_REASONS.items():
        assert f"<td>{row}</td>" in page
        assert reason in page
    assert 'data-testid="commit-form"' not in page
    # committing a roster with errors is refused
    client.post(reverse("people:roster-commit", args=[upload.pk]))
    upload.refresh_from_db()
    assert upload.commit_job is None
    assert counts() == (0, 0, 0)


def test_clean_upload_then_commit_from_the_page(client, users, django_capture_on_commit_callbacks):
    login(client, users["county"])
    with django_capture_on_commit_callbacks(execute=True):
        response = _upload(client, roster(GOOD_ROWS))
    page = client.get(response.url).content.decode()
    assert 'data-testid="commit-form"' in page
    assert counts() == (0, 0, 0)  # the dry run wrote nothing

    upload = RosterUpload.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("people:roster-commit", args=[upload.pk]))
    upload.refresh_from_db()
    assert upload.commit_job.state == JobState.SUCCEEDED
    assert counts() == (3, 6, 3)
    page = client.get(response.url).content.decode()
    assert 'data-testid="commit-done"' in page
    # pressing the button again does not import twice
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("people:roster-commit", args=[upload.pk]))
    assert RosterUpload.objects.get().commit_job_id == upload.commit_job_id
    assert counts() == (3, 6, 3)


def test_progress_partial_for_htmx(client, users, django_capture_on_commit_callbacks):
    login(client, users["county"])
    with django_capture_on_commit_callbacks(execute=True):
        response = _upload(client, roster(GOOD_ROWS))
    partial = client.get(response.url, HTTP_HX_REQUEST="true").content.decode()
    assert partial.lstrip().startswith('<div id="roster-status"')


def test_upload_refuses_a_file_that_is_no_spreadsheet(client, users):
    login(client, users["county"])
    response = _upload(client, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", name="roster.xlsx")
    assert response.status_code == 200
    assert "文件内容不是表格" in response.content.decode()
    assert not RosterUpload.objects.exists()


def test_upload_pages_are_scoped(client, users, django_capture_on_commit_callbacks):
    login(client, users["county"])
    with django_capture_on_commit_callbacks(execute=True):
        response = _upload(client, roster(GOOD_ROWS))
    upload = RosterUpload.objects.get()
    login(client, users["other_county"])
    assert client.get(response.url).status_code == 404
    assert client.post(reverse("people:roster-commit", args=[upload.pk])).status_code == 404
    login(client, users["city"])
    assert _upload(client, roster(GOOD_ROWS)).status_code == 403
    client.logout()
    assert client.get(reverse("people:roster-upload")).status_code == 302
    assert RosterUpload.objects.get().commit_job is None


def test_search_page_links_to_import_and_export(client, users):
    login(client, users["county"])
    page = client.get(reverse("people:index")).content.decode()
    assert reverse("people:roster-upload") in page
    assert reverse("people:roster-export") in page
