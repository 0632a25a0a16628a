"""The roster package's parts on their own: the planner decides without touching the database, the
report counts what happened to each household, and what the database refuses reaches the user in
Chinese without the database's own words (which quote values from the file)."""

from __future__ import annotations

import datetime
import io
import logging
from decimal import Decimal

import pytest
from django.urls import reverse

from people.models import Household, Person
from people.roster import loader, roster_import
from people.roster.planner import Planner, Report, plan
from people.roster.rows import read_roster
from people.roster.villages import resolve_villages
from relief.jobs.registry import JobError
from tests.conftest import login
from tests.people.factories import make_id_number
from tests.people.test_imports import CHILD_ID, GOOD_ROWS, HEAD_ID, LI_ID, ZHOU_ID, counts, roster

pytestmark = pytest.mark.django_db


def _parsed(user, data: bytes):
    sheet = read_roster(io.BytesIO(data), lambda *a, **k: None, "")
    resolve_villages(user, sheet.rows)
    return sheet


# --- the planner is pure -------------------------------------------------------------------------


def test_the_planner_decides_with_the_database_out_of_reach(
    users, django_assert_num_queries, django_db_blocker
):
    """Everything the planner needs is loaded first; deciding a file (new households, an existing
    one re-imported with its head moved) makes no query: database access is blocked while it runs."""
    user = users["county"]
    roster_import(actor=user, source=io.BytesIO(roster(GOOD_ROWS)), commit=True)
    changed = dict(GOOD_ROWS)
    changed[5] = (*GOOD_ROWS[5][:5], "配偶", *GOOD_ROWS[5][6:])
    changed[6] = ("H001", "滨河社区", "张小花", "张小花", CHILD_ID, "户主", None, None, None, None)
    new_id = make_id_number("510121", datetime.date(1988, 8, 8))
    changed[9] = (
        "H009",
        "滨河社区",
        "陈一",
        "陈一",
        new_id,
        "户主",
        "13500000009",
        "低保",
        "2024-02-01",
        "600",
    )
    sheet = _parsed(user, roster(changed))
    register = loader.load_register(sheet.rows)
    report = Report(dry_run=True)

    with django_assert_num_queries(0), django_db_blocker.block():
        result = plan(
            sheet.rows,
            actor=user,
            columns=sheet.header.columns.keys(),
            register=register,
            report=report,
            today=datetime.date(2024, 12, 1),
        )
        with pytest.raises(RuntimeError, match="Database access not allowed"):
            Household.objects.count()  # the block is real

    assert report.errors == []
    assert [h.household_number for h in result.new_households] == ["H009"]
    assert [(m.id_number, m.relation) for m in result.new_members] == [(new_id, "head")]
    (new_assistance,) = result.new_assistances
    assert (new_assistance[2].category, new_assistance[3]) == ("dibao", datetime.date(2024, 2, 1))
    changed_people = {m.id_number: (m.relation, m.changed) for m in result.members if m.changed}
    assert changed_people == {HEAD_ID: ("spouse", {"relation"}), CHILD_ID: ("head", {"relation"})}
    (moved,) = [h for h in result.households if h.changed]
    assert (moved.household_number, moved.changed) == ("H001", {"head"})
    assert {m.id_number for m in result.members} >= {HEAD_ID, CHILD_ID, LI_ID, ZHOU_ID}
    assert (report.households_created, report.persons_created, report.persons_updated) == (1, 1, 2)
    assert counts() == (3, 6, 3)  # planning wrote nothing


# --- the report's counts -------------------------------------------------------------------------


def test_a_new_household_whose_head_comes_after_a_member_is_created_not_updated(users):
    """The head's row sets the household's phone and income; when a member's row came first, the
    new household was counted as created *and* updated."""
    member_id = make_id_number("510121", datetime.date(2010, 3, 3))
    head_id = make_id_number("510121", datetime.date(1975, 4, 4))
    rows = {
        5: ("H100", "滨河社区", "林大", "林小", member_id, "子女", None, None, None, None),
        6: (
            "H100",
            "滨河社区",
            "林大",
            "林大",
            head_id,
            "户主",
            "13600000006",
            "低保",
            "2024-01-05",
            "1,500元",
        ),
    }
    for commit in (False, True):
        report = roster_import(actor=users["county"], source=io.BytesIO(roster(rows)), commit=commit)
        assert report["errors"] == []
        assert (report["households_created"], report["households_updated"]) == (1, 0)
        assert (report["persons_created"], report["persons_updated"]) == (2, 0)
    household = Household.objects.get(household_number="H100")
    assert household.head.id_number == head_id
    assert (household.contact_phone, household.monthly_income) == ("13600000006", Decimal("1500.00"))
    assert Person.objects.get(id_number=member_id).relation == "child"

    # an existing household whose head brings a new phone is updated, once
    rows[6] = (*rows[6][:6], "13600000007", *rows[6][7:])
    report = roster_import(actor=users["county"], source=io.BytesIO(roster(rows)), commit=True)
    assert (report["households_created"], report["households_updated"]) == (0, 1)


# --- what the database refuses -------------------------------------------------------------------


def _spoil_new_households(monkeypatch, **changes):
    """Plans as usual, then gives every new household a value the parser would never let through,
    so that only the database refuses it."""
    open_household = Planner.open_household

    def spoiled(self, row, is_head):
        entry = open_household(self, row, is_head)
        if entry.created:
            for name, value in changes.items():
                if name == "household_number":
                    entry.household.household_number = value
                else:
                    entry.household.values[name] = value
        return entry

    monkeypatch.setattr(Planner, "open_household", spoiled)


TOO_LONG = "户编号" * 20  # 60 characters for a 40-character column

REFUSALS = {
    # value too long (DataError, SQLSTATE 22001): the column's name is known
    "too_long": ({"household_number": TOO_LONG}, "22001", "“户编号”的值超出允许范围"),
    # a check constraint the import has no message for (IntegrityError, 23514)
    "check": ({"monthly_income": Decimal("-1")}, "23514", "有数据不符合登记规则"),
}
DATABASE_WORDS = ("value too long", "violates", "constraint", "COPY", "character varying", "household_")


@pytest.mark.parametrize("case", REFUSALS, ids=list(REFUSALS))
def test_a_database_refusal_is_shown_in_chinese_and_logged_without_personal_data(
    users, monkeypatch, caplog, case
):
    changes, sqlstate, reason = REFUSALS[case]
    _spoil_new_households(monkeypatch, **changes)
    rows = {5: GOOD_ROWS[5], 6: GOOD_ROWS[6]}
    caplog.set_level(logging.WARNING, logger="people.roster")

    report = roster_import(actor=users["county"], source=io.BytesIO(roster(rows)), commit=False)

    (error,) = report["errors"]
    assert error["row"] == 5  # the row that creates the household
    assert reason in error["reason"]
    assert "未写入任何数据" in error["reason"]
    for word in (*DATABASE_WORDS, TOO_LONG, HEAD_ID):
        assert word not in error["reason"]
    with pytest.raises(JobError) as exc:
        roster_import(actor=users["county"], source=io.BytesIO(roster(rows)), commit=True)
    assert reason in str(exc.value)
    for word in (*DATABASE_WORDS, TOO_LONG):
        assert word not in str(exc.value)
    assert counts() == (0, 0, 0)
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("people.roster"))
    assert f"SQLSTATE={sqlstate}" in logged
    for personal in (TOO_LONG, HEAD_ID, CHILD_ID, "张大山", "张小花", "13800000001"):
        assert personal not in logged


def test_the_upload_page_shows_the_chinese_reason_not_the_database_message(
    client, users, monkeypatch, django_capture_on_commit_callbacks
):
    _spoil_new_households(monkeypatch, household_number=TOO_LONG)
    login(client, users["county"])
    from django.core.files.uploadedfile import SimpleUploadedFile

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("people:roster-upload"),
            {"file": SimpleUploadedFile("花名册.xlsx", roster({5: GOOD_ROWS[5], 6: GOOD_ROWS[6]}))},
        )
    page = client.get(response.url).content.decode()
    assert "“户编号”的值超出允许范围" in page
    for word in ("value too long", "character varying", TOO_LONG):
        assert word not in page
