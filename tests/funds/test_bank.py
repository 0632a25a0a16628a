"""Money through the bank: the bank file (full numbers only there, only for the county staff who
send it, every download logged; it opens in LibreOffice with account numbers as text), the return
file with failures, the re-issue of the failed lines in a follow-up batch, nobody paid twice."""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
from decimal import Decimal

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from funds import services
from funds.bank_files import reference
from funds.models import BankState, BatchStatus, Payment
from funds.selectors import bank_totals, ledger
from people.models import Person
from people.payment_accounts import payment_account_set
from relief.models import PersonalDataReveal, Role, User

pytestmark = pytest.mark.django_db

ACCOUNTS = ["6228480012345678901", "6217003810000000002", "6228480099999999993"]


@pytest.fixture
def second_county(regions):
    return User.objects.create(username="t-county-b", role=Role.COUNTY, region=regions["county"])


@pytest.fixture
def approved(users, county_people, allocation, second_county):
    """A batch of three people, each with an account at 农业银行 (one held by a guardian),
    generated and reviewed by one county user, approved by another."""
    people = list(
        Person.objects.filter(household__in=[county_people["dibao"], county_people["tekun"]]).order_by("id")
    )
    assert len(people) == 3
    for person, number in zip(people, ACCOUNTS, strict=True):
        holder = "监护人王五" if person == people[-1] else ""
        payment_account_set(
            actor=users["county"], person=person, bank="ABC", account_number=number, holder_name=holder
        )
    batch = services.batch_generate(
        actor=users["county"],
        program=allocation.program,
        allocation=allocation,
        period="2026",
        run_in_background=False,
    )
    batch = services.batch_review(actor=users["county"], batch=batch)
    return services.batch_approve(actor=second_county, batch=batch)


def _return_csv(rows: list[tuple]) -> SimpleUploadedFile:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["序号", "姓名", "身份证号", "账号", "金额", "摘要", "处理结果", "失败原因", "入账日期"])
    for row in rows:
        w.writerow(row)
    return SimpleUploadedFile("return.csv", buf.getvalue().encode("gb18030"), content_type="text/csv")


def test_bank_file_has_the_banks_layout_with_full_numbers_as_text(as_user, users, approved):
    response = as_user(users["county"]).post(
        f"/funds/batches/{approved.pk}/bank-file/", {"bank": "ABC", "format": "xlsx"}
    )
    assert response.status_code == 200
    wb = openpyxl.load_workbook(io.BytesIO(response.content))
    sheet = wb.active
    assert [c.value for c in sheet[1]] == ["序号", "姓名", "身份证号", "账号", "金额", "摘要"]
    rows = list(sheet.iter_rows(min_row=2))
    assert len(rows) == 3
    accounts = {r[3].value for r in rows}
    assert accounts == set(ACCOUNTS)
    assert all(r[3].data_type == "s" and r[2].data_type == "s" for r in rows)  # text, never 6.2E+18
    assert sum(Decimal(str(r[4].value)) for r in rows) == approved.total_amount
    assert "监护人王五" in {r[1].value for r in rows}  # the account holder, not the child
    payments = set(Payment.objects.filter(batch=approved).values_list("pk", flat=True))
    assert {int(r[5].value.rsplit("WW", 1)[1]) for r in rows} == payments
    log = PersonalDataReveal.objects.get(field="bank_file")
    assert log.user == users["county"] and log.subject_id == str(approved.pk)

    response = as_user(users["county"]).post(
        f"/funds/batches/{approved.pk}/bank-file/", {"bank": "ABC", "format": "csv"}
    )
    text = response.content.decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text)))
    assert lines[0] == ["序号", "姓名", "身份证号", "账号", "金额", "摘要"]
    assert {line[3] for line in lines[1:]} == set(ACCOUNTS)
    assert PersonalDataReveal.objects.filter(field="bank_file").count() == 2


@pytest.mark.parametrize(
    "who,status", [("city", 403), ("township", 404), ("other_county", 404), ("api_read", 403)]
)
def test_bank_file_only_for_the_county_staff_who_send_it(as_user, api, users, approved, who, status):
    if who == "api_read":
        api.force_authenticate(users[who])
        response = api.post(f"/api/v1/batches/{approved.pk}/bank-file/", {"bank": "ABC"})
    else:
        response = as_user(users[who]).post(f"/funds/batches/{approved.pk}/bank-file/", {"bank": "ABC"})
    assert response.status_code == status
    assert not PersonalDataReveal.objects.filter(field="bank_file").exists()


def test_page_shows_accounts_masked_for_officials_and_the_batch_offers_the_bank_file(
    as_user, users, approved
):
    page = as_user(users["county"]).get(f"/funds/batches/{approved.pk}/").content.decode()
    assert 'data-testid="bank-file-ABC-xlsx"' in page and 'data-testid="bank-totals"' in page
    page = as_user(users["city"]).get(f"/funds/batches/{approved.pk}/").content.decode()
    assert "bank-file-ABC" not in page
    assert not any(a in page for a in ACCOUNTS)


@pytest.mark.skipif(
    shutil.which("soffice") is None and not os.environ.get("REQUIRE_SERVICES"),
    reason="LibreOffice (soffice) is not installed (CI installs it and sets REQUIRE_SERVICES: no skip there)",
)
def test_bank_file_opens_in_libreoffice_with_account_numbers_as_text(tmp_path, approved):
    from funds.bank_files import bank_xlsx

    source = tmp_path / "bank.xlsx"
    source.write_bytes(bank_xlsx(approved, "ABC"))
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation=file://{tmp_path}/profile",
            "--headless",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76",
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    converted = (tmp_path / "bank.csv").read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(converted)))
    assert rows[0] == ["序号", "姓名", "身份证号", "账号", "金额", "摘要"]
    assert {r[3] for r in rows[1:]} == set(ACCOUNTS)  # all 19 digits, not 6.22848E+18
    assert all(len(r[2]) == 18 for r in rows[1:])


def test_return_file_with_a_failure_then_reissue_pays_nobody_twice(as_user, users, approved, second_county):
    county = users["county"]
    payments = list(Payment.objects.filter(batch=approved).order_by("id"))
    failed = payments[1]
    rows = [
        (
            i,
            p.recipient_name,
            p.id_number,
            "",
            str(p.amount),
            f"补贴 {reference(p.pk)}",
            "成功",
            "",
            "2026-12-05",
        )
        for i, p in enumerate(payments, 1)
        if p != failed
    ]
    rows.append(
        (
            2,
            failed.recipient_name,
            failed.id_number,
            "",
            str(failed.amount),
            "",
            "失败",
            "账户已销户",
            "20261205",
        )
    )
    counts = services.bank_return_import(actor=county, batch=approved, file=_return_csv(rows))
    assert counts == {"paid": 2, "failed": 1, "unchanged": 0}
    failed.refresh_from_db()
    assert failed.bank_state == BankState.FAILED and failed.bank_reason == "账户已销户"
    assert str(failed.bank_date) == "2026-12-05"
    totals = bank_totals(approved)
    assert (totals["paid"]["count"], totals["failed"]["count"], totals["pending"]["count"]) == (2, 1, 0)
    assert totals["failed"]["amount"] == failed.amount
    approved.refresh_from_db()
    assert approved.failed_amount == failed.amount
    # the failed money is back on the allocation and the ledger
    assert services.allocation_remaining(approved.allocation) == approved.allocation.amount - (
        approved.total_amount - failed.amount
    )
    row = next(
        r for r in ledger(county, approved.allocation.year).rows if r.program_id == approved.program_id
    )
    assert row.committed == approved.total_amount - failed.amount
    # the same file again changes nothing
    assert services.bank_return_import(actor=county, batch=approved, file=_return_csv(rows))["unchanged"] == 3
    # the page shows the totals and offers the follow-up batch
    page = as_user(county).get(f"/funds/batches/{approved.pk}/").content.decode()
    assert 'data-testid="reissue"' in page and "账户已销户" in page

    # corrected: a new account, then re-issued; the second attempt finds nothing left
    person = failed.person
    payment_account_set(actor=county, person=person, bank="PSBC", account_number="6210985555555555555")
    follow = services.batch_reissue(actor=county, batch=approved)
    assert follow.status == BatchStatus.DRAFT and follow.follows == approved
    line = follow.payments.get()
    assert line.reissue_of == failed and line.account.account_number == "6210985555555555555"
    assert line.amount == failed.amount
    with pytest.raises(ValidationError):
        services.batch_reissue(actor=county, batch=approved)

    follow = services.batch_review(actor=county, batch=follow)
    follow = services.batch_approve(actor=second_county, batch=follow)
    from funds.bank_files import bank_lines

    assert [r[3] for r in bank_lines(follow, "PSBC")] == ["6210985555555555555"]
    services.bank_return_import(
        actor=county,
        batch=follow,
        file=_return_csv(
            [
                (
                    1,
                    line.recipient_name,
                    line.id_number,
                    "",
                    str(line.amount),
                    reference(line.pk),
                    "成功",
                    "",
                    "",
                )
            ]
        ),
    )
    services.batch_mark_paid(actor=county, batch=follow)
    paid = Payment.objects.filter(person=person, program=approved.program, bank_state=BankState.PAID)
    assert paid.count() == 1
    # a line re-issued can no longer be reported paid in the first batch
    with pytest.raises(ValidationError):
        services.bank_return_import(
            actor=county,
            batch=approved,
            file=_return_csv(
                [
                    (
                        2,
                        failed.recipient_name,
                        failed.id_number,
                        "",
                        str(failed.amount),
                        reference(failed.pk),
                        "成功",
                        "",
                        "",
                    )
                ]
            ),
        )


def test_a_return_file_with_an_unknown_line_or_a_wrong_amount_changes_nothing(users, approved):
    p = Payment.objects.filter(batch=approved).first()
    rows = [
        (1, p.recipient_name, p.id_number, "", "1.00", reference(p.pk), "成功", "", ""),
        (2, "无此人", "110101199001011237", "", "100.00", "", "成功", "", ""),
    ]
    with pytest.raises(ValidationError) as exc:
        services.bank_return_import(actor=users["county"], batch=approved, file=_return_csv(rows))
    assert any("金额" in m for m in exc.value.messages) and any("找不到" in m for m in exc.value.messages)
    assert not Payment.objects.filter(batch=approved).exclude(bank_state=BankState.PENDING).exists()


def test_an_xlsx_return_file_is_read_too(users, approved):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["某某银行代发结果"])
    ws.append(["序号", "姓名", "证件号码", "卡号", "交易金额", "附言", "交易状态", "错误信息"])
    for i, p in enumerate(Payment.objects.filter(batch=approved), 1):
        ws.append(
            [i, p.recipient_name, p.id_number, "", float(p.amount), reference(p.pk), "失败", "户名不符"]
        )
    buf = io.BytesIO()
    wb.save(buf)
    upload = SimpleUploadedFile("return.xlsx", buf.getvalue())
    assert services.bank_return_import(actor=users["county"], batch=approved, file=upload)["failed"] == 3
    approved.refresh_from_db()
    assert approved.failed_amount == approved.total_amount


def test_return_and_reissue_refused_to_read_only_roles_and_before_approval(users, approved, county_people):
    with pytest.raises(PermissionDenied):
        services.bank_return_import(actor=users["city"], batch=approved, file=_return_csv([]))
    with pytest.raises(PermissionDenied):
        services.batch_reissue(actor=users["township"], batch=approved)
