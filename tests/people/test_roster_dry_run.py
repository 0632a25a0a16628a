"""A dry run writes nothing into the register's tables (people/roster/dry_run.py: temporary tables
and look-ups instead), yet must find every refusal the commit's writes meet, on the same row with the
same message: each case below arranges one kind of refusal and compares the two reports."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.db import connection

from people.models import Household
from people.roster import loader, roster_import
from people.roster.job import RosterErrors
from people.roster.planner import Planner
from relief.models import Region
from tests.people.factories import HouseholdFactory, household_with_head
from tests.people.test_imports import GOOD_ROWS, LI_CHILD_ID, counts, roster
from tests.people.test_roster import TOO_LONG, _spoil_new_households

pytestmark = pytest.mark.django_db


def _after_loading(monkeypatch, action) -> None:
    """Run `action(rows)` between the look-ups and the write: someone else's write in between."""
    load = loader.load_register

    def load_then(rows):
        register = load(rows)
        action(rows)
        return register

    monkeypatch.setattr(loader, "load_register", load_then)


def _id_taken(monkeypatch, users):
    _after_loading(monkeypatch, lambda rows: household_with_head("510121001001", id_number=LI_CHILD_ID))
    return GOOD_ROWS


def _household_number_taken(monkeypatch, users):
    def register_h001(rows):
        row = next(r for r in rows if r.household_number == "H001")
        HouseholdFactory(region=Region.objects.get(code=row.village.code), household_number="H001")

    _after_loading(monkeypatch, register_h001)
    return GOOD_ROWS


def _household_gone(monkeypatch, users):
    """New members for an existing (empty) household that is deleted before the write: a foreign
    key the database refuses."""
    empty = HouseholdFactory(region=Region.objects.get(code="510121001001"), household_number="H002")
    _after_loading(monkeypatch, lambda rows: Household.objects.filter(pk=empty.pk).delete())
    return {7: GOOD_ROWS[7], 8: GOOD_ROWS[8]}


def _too_long(monkeypatch, users):
    _spoil_new_households(monkeypatch, household_number=TOO_LONG)
    return GOOD_ROWS


def _negative_income(monkeypatch, users):
    _spoil_new_households(monkeypatch, monthly_income=Decimal("-1"))
    return GOOD_ROWS


def _negative_income_of_an_existing_household(monkeypatch, users):
    roster_import(actor=users["county"], source=io.BytesIO(roster(GOOD_ROWS)), commit=True)
    update = Planner.update_household

    def spoiled(self, household, values):
        if household.pk is not None:
            values = {**values, "monthly_income": Decimal("-1")}
        return update(self, household, values)

    monkeypatch.setattr(Planner, "update_household", spoiled)
    return GOOD_ROWS


CASES = {
    "id_registered_meanwhile": _id_taken,
    "household_number_taken_meanwhile": _household_number_taken,
    "household_deleted_meanwhile": _household_gone,
    "value_too_long": _too_long,
    "check_constraint": _negative_income,
    "check_constraint_on_an_update": _negative_income_of_an_existing_household,
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_the_dry_run_reports_what_the_commit_is_refused(users, monkeypatch, case):
    rows = CASES[case](monkeypatch, users)
    before = counts()
    dry = roster_import(actor=users["county"], source=io.BytesIO(roster(rows)), commit=False)
    assert dry["errors"], "the dry run found nothing"
    assert counts() == before
    # the commit, from the same state (the dry run's rollback undid the arranged write too)
    with pytest.raises(RosterErrors) as exc:  # it carries the whole report
        roster_import(actor=users["county"], source=io.BytesIO(roster(rows)), commit=True)
    committed = exc.value.report["errors"]
    assert [(e["row"], e["reason"], e["problems"]) for e in dry["errors"]] == [
        (e["row"], e["reason"], e["problems"]) for e in committed
    ]


def test_a_dry_run_takes_no_ids_from_the_sequences(users):
    """It writes no row, so it spends no id: the commit's households and persons are numbered as
    if the dry run had never been."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence('people_person', 'id'))")
        (before,) = cursor.fetchone()
        report = roster_import(actor=users["county"], source=io.BytesIO(roster(GOOD_ROWS)), commit=False)
        assert report["errors"] == [] and report["persons_created"] == 6
        cursor.execute("SELECT nextval(pg_get_serial_sequence('people_person', 'id'))")
        assert cursor.fetchone()[0] == before + 1
