"""What a person reads: amounts with thousands separators, Excel cells that are numbers and dates
(money as '#,##0.00', shares as '0.0%'), and no raw code (`institutions.major_hazard`) on any main
page or export, for a county user and a province user."""

from __future__ import annotations

import datetime
import io
import re
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.template import Context, Template
from openpyxl import load_workbook

from enrolments.models import Enrolment
from funds.models import DisbursementBatch
from institutions.models import Hazard
from relief.models import Alert
from tests.relief.test_dashboard_data import make_data

#: a dotted identifier: a code (`people.visit_overdue`, `hazards.open`) shown instead of its label
DOTTED = re.compile(r"\b[a-z_]+\.[a-z_]+\b")
NOT_CODES = re.compile(
    r"https?://\S+|www\.\S+|\S+@\S+|\S+\.(?:xlsx|xls|csv|js|css|png|jpe?g|pdf|html|json|txt)\b", re.I
)


def test_yuan_filter_is_decimal_safe_with_thousands_separators():
    t = Template("{% load relief_tags %}{{ a|yuan }}|{{ b|yuan }}|{{ c|yuan }}|{{ d|yuan }}|{{ e|yuan }}")
    out = t.render(
        Context({"a": Decimal("1234567.891"), "b": Decimal("0.005"), "c": 1000, "d": None, "e": "12.5"})
    )
    assert out == "1,234,567.89|0.01|1,000.00||12.50"


class _Text(HTMLParser):
    """The text a person reads: text nodes outside script and style (no attributes)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def codes_in(text: str) -> list[str]:
    return DOTTED.findall(NOT_CODES.sub(" ", text))


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(parser.parts)


def workbook_texts(content: bytes) -> list[str]:
    wb = load_workbook(io.BytesIO(content))
    return [
        str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None
    ]


@pytest.fixture
def data(users):
    return make_data(users)


PAGES = [
    "/",
    "/dashboard/",
    "/dashboard/?region=510121",
    "/dashboard/?region=510121001",
    "/regions/510121/",
    "/alerts/",
    "/alerts/?tab=all",
    "/jobs/",
    "/policy/",
    "/people/",
    "/people/?region=510121&monitored=1",
    "/funds/",
    "/funds/allocations/",
    "/funds/batches/",
    "/funds/applications/",
    "/funds/materials/",
    "/patrols/",
    "/patrols/shifts/",
    "/patrols/clues/",
    "/patrols/cases/",
    "/patrols/cold-wave/",
    "/institutions/",
    "/institutions/hazards/",
    "/enrolments/",
    "/enrolments/?status=all",
    "/enrolments/reviews/?status=all",
    "/enrolments/appeals/",
]


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["county", "province"])
def test_no_raw_codes_on_main_pages_and_exports(as_user, users, data, who):
    client = as_user(users[who])
    pages = list(PAGES)
    pages += [
        f"/alerts/{pk}/"
        for pk in Alert.objects.filter(region__code__startswith="510121").values_list("pk", flat=True)
    ]
    pages += [f"/funds/batches/{pk}/" for pk in DisbursementBatch.objects.values_list("pk", flat=True)]
    pages += [
        f"/institutions/hazards/{pk}/"
        for pk in Hazard.objects.visible_to(users[who]).values_list("pk", flat=True)[:2]
    ]
    pages += [
        f"/enrolments/{pk}/" for pk in Enrolment.objects.visible_to(users[who]).values_list("pk", flat=True)
    ]
    found = {}
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        codes = codes_in(visible_text(response.content.decode()))
        if codes:
            found[url] = sorted(set(codes))
    exports = ["/dashboard/export/?region=510121", "/institutions/hazards/export/"]
    exports += [
        f"/funds/batches/{pk}/export/" for pk in DisbursementBatch.objects.values_list("pk", flat=True)
    ]
    for url in exports:
        response = client.get(url)
        assert response.status_code == 200, url
        codes = [c for text in workbook_texts(response.content) for c in codes_in(text)]
        if codes:
            found[url] = sorted(set(codes))
    assert not found, found


@pytest.mark.django_db
def test_excel_amounts_shares_and_dates_are_typed_cells(as_user, users, data):
    client = as_user(users["county"])
    wb = load_workbook(io.BytesIO(client.get("/dashboard/export/?region=510121").content))
    ws = wb.active
    header = [c.value for c in ws[2]]
    total = next(ws.iter_rows(min_row=ws.max_row, max_row=ws.max_row))
    money = total[next(i for i, h in enumerate(header) if h and h.startswith("本年已发放资金"))]
    assert isinstance(money.value, int | float) and money.value > 0
    assert money.number_format == "#,##0.00"
    share = total[next(i for i, h in enumerate(header) if h and h.startswith("本周走访覆盖率"))]
    assert isinstance(share.value, int | float) and 0 < share.value <= 1
    assert share.number_format == "0.0%"

    ledger = load_workbook(io.BytesIO(client.get("/institutions/hazards/export/").content)).active
    rows = list(ledger.iter_rows(min_row=2))
    assert rows
    for row in rows:
        assert isinstance(row[5].value, datetime.datetime | datetime.date)  # found on
        assert isinstance(row[6].value, datetime.datetime | datetime.date)  # deadline
        assert row[6].number_format == "yyyy-mm-dd"
        assert row[10].number_format == "#,##0.00"

    batch = DisbursementBatch.objects.filter(status="paid").first()
    sheet = load_workbook(io.BytesIO(client.get(f"/funds/batches/{batch.pk}/export/").content)).active
    last = next(sheet.iter_rows(min_row=sheet.max_row, max_row=sheet.max_row))
    assert last[6].value == 1300 and last[6].number_format == "#,##0.00"


@pytest.mark.django_db
def test_pages_show_amounts_with_thousands_separators(as_user, users, data):
    client = as_user(users["county"])
    assert "100,000.00" in client.get("/funds/allocations/").content.decode()
    dashboard = client.get("/dashboard/?region=510121").content.decode()
    assert "125,000.50" in dashboard  # allocated this year to 金堂县
    assert "合计 125,000.50 元" in client.get("/funds/allocations/?region=510121").content.decode()
