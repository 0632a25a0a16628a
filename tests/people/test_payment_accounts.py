"""Payment accounts (发放账户): one active per person, changes kept in the history, masked like ID
numbers for roles that do not see personal data (pages and API), editable on the person's account
page and through the API, and imported from rosters that have 开户银行 / 银行账号 / 账户名."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from openpyxl import Workbook

from people.models import PaymentAccount, Person
from people.payment_accounts import payment_account_set
from people.roster import roster_import
from relief.models import PersonalDataReveal
from tests.people.factories import household_with_head, make_id_number

pytestmark = pytest.mark.django_db

NUMBER = "6228480012345678901"


@pytest.fixture
def person(regions):
    return household_with_head("510121001001", name="张大山").head


def test_changing_an_account_closes_the_old_one_and_keeps_both_in_the_history(users, person):
    first = payment_account_set(
        actor=users["county"], person=person, bank="ABC", account_number="6228 4800 1234 5678 901"
    )
    assert first.account_number == NUMBER and first.holder == "张大山"
    assert (
        payment_account_set(actor=users["county"], person=person, bank="ABC", account_number=NUMBER) == first
    )
    second = payment_account_set(
        actor=users["township"],
        person=person,
        bank="PSBC",
        account_number="6210981111111111",
        holder_name="张小花",
        reason="原卡销户",
    )
    first.refresh_from_db()
    assert not first.active and second.active and second.holder == "张小花"
    assert PaymentAccount.objects.filter(person=person, active=True).get() == second
    reasons = list(
        PaymentAccount.history.filter(person_id=person.pk).values_list("history_change_reason", flat=True)
    )
    assert reasons.count("原卡销户") == 2  # the old one closed and the new one opened
    # the mask written back keeps the stored number
    same = payment_account_set(
        actor=users["county"],
        person=person,
        bank="PSBC",
        account_number="************1111",
        holder_name="张小花",
    )
    assert same == second


def test_bad_numbers_and_other_regions_are_refused(users, person):
    with pytest.raises(ValidationError):
        payment_account_set(actor=users["county"], person=person, bank="ABC", account_number="12AB")
    with pytest.raises(PermissionDenied):
        payment_account_set(actor=users["other_county"], person=person, bank="ABC", account_number=NUMBER)
    with pytest.raises(PermissionDenied):
        payment_account_set(actor=users["city"], person=person, bank="ABC", account_number=NUMBER)
    assert not PaymentAccount.objects.exists()


def test_pages_mask_the_number_for_officials_and_the_form_saves_it(as_user, users, person):
    client = as_user(users["county"])
    response = client.post(
        f"/people/persons/{person.pk}/account/",
        {"bank": "ABC", "account_number": NUMBER, "holder_name": "", "reason": ""},
    )
    assert response.status_code == 302
    page = client.get(f"/people/households/{person.household_id}/").content.decode()
    assert NUMBER in page and "中国农业银行" in page
    city = as_user(users["city"])
    page = city.get(f"/people/households/{person.household_id}/").content.decode()
    assert NUMBER not in page and "***************8901" in page
    page = city.get(f"/people/persons/{person.pk}/account/").content.decode()
    assert NUMBER not in page and 'data-testid="account-history"' in page
    assert (
        city.post(
            f"/people/persons/{person.pk}/account/", {"bank": "ABC", "account_number": "62284800"}
        ).status_code
        == 403
    )
    assert as_user(users["other_county"]).get(f"/people/persons/{person.pk}/account/").status_code == 404


def test_api_masks_for_officials_and_registers_accounts(api, users, person):
    api.force_authenticate(users["county"])
    r = api.post("/api/v1/payment-accounts/", {"person": person.pk, "bank": "ABC", "account_number": NUMBER})
    assert r.status_code == 201, r.content
    assert r.json()["account_number"] == NUMBER
    api.force_authenticate(users["city"])
    row = api.get("/api/v1/payment-accounts/").json()["results"][0]
    assert row["account_number"] == "***************8901"
    r = api.post(
        "/api/v1/reveal/", {"model": "people.paymentaccount", "id": row["id"], "field": "account_number"}
    )
    assert r.status_code == 200 and NUMBER in r.content.decode()
    assert PersonalDataReveal.objects.filter(field="account_number", user=users["city"]).exists()
    api.force_authenticate(users["other_county"])
    assert api.get(f"/api/v1/payment-accounts/{row['id']}/").status_code == 404
    r = api.post(
        "/api/v1/payment-accounts/", {"person": person.pk, "bank": "ABC", "account_number": "62284800000"}
    )
    assert r.status_code in (400, 404)
    assert PaymentAccount.objects.count() == 1


def _roster(rows: list[tuple]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(
        [
            "户编号",
            "村（社区）",
            "户主姓名",
            "姓名",
            "身份证号",
            "与户主关系",
            "开户银行",
            "银行账号",
            "账户名",
        ]
    )
    for row in rows:
        ws.append(list(row))
    for cells in ws.iter_rows(min_row=2):
        cells[7].number_format = "@"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_roster_import_reads_the_account_columns(users, regions):
    head = make_id_number("510121", datetime.date(1960, 5, 1))
    child = make_id_number("510121", datetime.date(2015, 6, 1))
    other = make_id_number("510121", datetime.date(1970, 1, 1))
    rows = [
        ("H1", "滨河社区", "张大山", "张大山", head, "户主", "农行", NUMBER, ""),
        (
            "H1",
            "滨河社区",
            "张大山",
            "张小花",
            child,
            "子女",
            "中国邮政储蓄银行",
            "6210981111111111",
            "张大山",
        ),
        ("H2", "滨河社区", "李四", "李四", other, "户主", None, None, None),
    ]
    result = roster_import(actor=users["county"], source=io.BytesIO(_roster(rows)), commit=True)
    assert result["committed"] and result["accounts_created"] == 2
    accounts = {a.person.id_number: a for a in PaymentAccount.objects.select_related("person")}
    assert accounts[head].bank == "ABC" and accounts[head].account_number == NUMBER
    assert accounts[child].bank == "PSBC" and accounts[child].holder_name == "张大山"
    assert other not in accounts
    # the same file again opens nothing; a changed number closes the old account
    again = roster_import(actor=users["county"], source=io.BytesIO(_roster(rows)), commit=True)
    assert again["accounts_created"] == 0
    rows[0] = (*rows[0][:7], "6228480099999999999", "")
    assert (
        roster_import(actor=users["county"], source=io.BytesIO(_roster(rows)), commit=True)[
            "accounts_created"
        ]
        == 1
    )
    assert PaymentAccount.objects.filter(person__id_number=head).count() == 2
    assert (
        PaymentAccount.objects.get(person__id_number=head, active=True).account_number
        == "6228480099999999999"
    )


def test_roster_rows_with_a_bad_account_are_listed_with_their_codes(users, regions):
    rows = [
        (
            "H1",
            "滨河社区",
            "张大山",
            "张大山",
            make_id_number("510121", datetime.date(1960, 5, 1)),
            "户主",
            "火星银行",
            NUMBER,
            "",
        ),
        (
            "H2",
            "滨河社区",
            "李四",
            "李四",
            make_id_number("510121", datetime.date(1970, 1, 1)),
            "户主",
            "农行",
            "",
            "",
        ),
        (
            "H3",
            "滨河社区",
            "王五",
            "王五",
            make_id_number("510121", datetime.date(1971, 1, 1)),
            "户主",
            "农行",
            6228480012345678901,
            "",
        ),
    ]
    result = roster_import(actor=users["county"], source=io.BytesIO(_roster(rows)), commit=False)
    codes = sorted(p["code"] for e in result["errors"] for p in e["problems"])
    assert codes == ["account_incomplete", "account_invalid", "bank_unknown"]
    assert not Person.objects.exists()
