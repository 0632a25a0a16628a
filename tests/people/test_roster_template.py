"""The roster template: drop-down lists with the words the import reads, ID numbers as text, and
example rows in the uploader's own villages that the import skips."""

from __future__ import annotations

import datetime
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from people.choices import Category, HeatingType, HousingCondition, MonitoringType, Relation, TekunMode
from people.models import Household, Person
from people.roster import roster_import
from people.roster.cells import parse_categories, parse_choice, parse_heating, parse_relation
from people.roster.columns import TEMPLATE_ROWS
from tests.conftest import login
from tests.factories import region
from tests.people.factories import make_id_number

pytestmark = pytest.mark.django_db

LISTED = ("救助类别", "与户主关系", "取暖方式", "住房状况")


def _template(client, user) -> bytes:
    login(client, user)
    response = client.get(reverse("people:roster-template"))
    assert response.status_code == 200
    return response.content


def _lists(data: bytes) -> dict[str, tuple[str, list[str]]]:
    """Header of each column with a list rule -> (the rule's cell range, the words it offers)."""
    wb = load_workbook(io.BytesIO(data))
    ws = wb.worksheets[0]
    headers = {cell.column_letter: cell.value for cell in ws[1]}
    found = {}
    for rule in ws.data_validations.dataValidation:
        assert rule.type == "list"
        sheet_name, cells = rule.formula1.split("!")
        source = wb[sheet_name.strip("'")]
        assert source.sheet_state == "hidden"
        words = [c.value for row in source[cells.replace("$", "")] for c in row]
        (cell_range,) = str(rule.sqref).split()
        found[headers[cell_range.split(":")[0].rstrip("0123456789")]] = (cell_range, words)
    return found


def test_the_lists_offer_the_words_the_import_reads(client, users):
    lists = _lists(_template(client, users["county"]))
    assert set(lists) == set(LISTED)
    for cell_range, _words in lists.values():
        assert cell_range.endswith(f"2:{cell_range[0]}{TEMPLATE_ROWS + 1}")  # every row below the header

    categories = [value for word in lists["救助类别"][1] for value in parse_categories(word)]
    assert len(categories) == len(lists["救助类别"][1])  # one category a word, none refused
    assert {c.category for c in categories} == set(Category.values)
    assert TekunMode.UNKNOWN not in {c.tekun_mode for c in categories}  # no word leaves work to do
    assert MonitoringType.UNKNOWN not in {c.monitoring_type for c in categories}
    assert {parse_relation(w) for w in lists["与户主关系"][1]} == set(Relation.values)
    assert {parse_heating(w, "取暖方式") for w in lists["取暖方式"][1]} == set(HeatingType.values)
    housing = {parse_choice(w, HousingCondition, "住房状况") for w in lists["住房状况"][1]}
    assert housing == set(HousingCondition.values)


def test_numbers_are_text_cells(client, users):
    ws = load_workbook(io.BytesIO(_template(client, users["county"]))).worksheets[0]
    headers = [c.value for c in ws[1]]
    for heading in ("身份证号", "联系电话", "户编号"):
        column = headers.index(heading) + 1
        assert {ws.cell(row=r, column=column).number_format for r in (2, 50, TEMPLATE_ROWS + 1)} == {"@"}


def _examples(data: bytes) -> list[dict[str, str]]:
    ws = load_workbook(io.BytesIO(data)).worksheets[0]
    rows = list(ws.iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:] if any(row)]


@pytest.mark.parametrize("commit", [False, True])
def test_the_template_uploaded_unchanged_imports_nothing_and_errs_nothing(client, users, commit):
    data = _template(client, users["county"])
    report = roster_import(actor=users["county"], source=io.BytesIO(data), commit=commit)
    assert report["errors"] == []
    assert report["rows"] == 0
    assert report["skipped_rows"] == [2, 3, 4]  # the example rows, listed on the report as skipped
    assert (Household.objects.count(), Person.objects.count()) == (0, 0)


def test_the_examples_are_in_the_uploaders_own_villages(client, users, regions):
    region("510121002", "淮口街道")
    region("510121002003", "白果村")
    county = {(e["乡镇（街道）"], e["村（社区）"]) for e in _examples(_template(client, users["county"]))}
    assert county == {("赵镇街道", "滨河社区"), ("淮口街道", "白果村")}
    village = {(e["乡镇（街道）"], e["村（社区）"]) for e in _examples(_template(client, users["village"]))}
    assert village == {("赵镇街道", "滨河社区")}
    other = _examples(_template(client, users["other_county"]))
    assert {(e["乡镇（街道）"], e["村（社区）"]) for e in other} == {("晋原街道", "东街社区")}
    assert all(e["身份证号"].startswith("510129") for e in other)  # the county's own code
    assert all(e["户编号"].startswith("示例") for e in other)


def test_the_examples_filled_in_import_into_those_villages(client, users, regions):
    """Written as the import reads them: with the 示例 mark and the XXXX replaced, the example rows
    land in the uploader's villages."""
    region("510121002", "淮口街道")
    region("510121002003", "白果村")
    wb = load_workbook(io.BytesIO(_template(client, users["county"])))
    ws = wb.worksheets[0]
    headers = [c.value for c in ws[1]]
    number_col, id_col = headers.index("户编号") + 1, headers.index("身份证号") + 1
    for r in range(2, 5):
        ws.cell(row=r, column=number_col).value = ws.cell(row=r, column=number_col).value.replace("示例", "H")
        written = ws.cell(row=r, column=id_col).value
        birth = datetime.datetime.strptime(written[6:14], "%Y%m%d").date()
        ws.cell(row=r, column=id_col).value = make_id_number(written[:6], birth)
    buf = io.BytesIO()
    wb.save(buf)
    report = roster_import(actor=users["county"], source=io.BytesIO(buf.getvalue()), commit=True)
    assert report["errors"] == []
    assert (report["households_created"], report["persons_created"]) == (2, 3)
    assert set(Household.objects.values_list("region_id", flat=True)) == {"510121001001", "510121002003"}
