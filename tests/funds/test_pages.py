"""Pages: what a county or township worker sees and does in the browser."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.template.loader import render_to_string
from openpyxl import load_workbook

from funds import services
from funds.models import (
    AppStatus,
    AssistanceApplication,
    BatchStatus,
    DisbursementBatch,
    MovementKind,
    Stock,
    StockMovement,
)
from people.models import Household
from tests.funds.factories import AllocationFactory, WarehouseFactory, item, make_id_number, program

pytestmark = pytest.mark.django_db


def test_overview_shows_the_ledger(users, as_user, county_people, allocation):
    batch = services.batch_generate(
        actor=users["county"],
        program=allocation.program,
        allocation=allocation,
        period="2026",
        run_in_background=False,
    )
    services.batch_review(actor=users["county"], batch=batch)
    services.batch_approve(actor=users["county"], batch=batch)
    page = as_user(users["county"]).get("/funds/?year=2026").content.decode()
    assert "一次性生活补贴" in page
    assert "100,000.00" in page and "1,500.00" in page and "98,500.00" in page  # thousands separators
    assert "金堂县" in page
    other = as_user(users["other_county"]).get("/funds/?year=2026").content.decode()
    assert "一次性生活补贴" not in other


def test_register_an_allocation(users, as_user, regions, subsidy):
    c = as_user(users["county"])
    r = c.post(
        "/funds/allocations/",
        {
            "region": "510121",
            "year": 2026,
            "program": subsidy.pk,
            "source": "provincial",
            "amount": "20000",
            "is_advance": "on",
            "document_number": "川财社〔2025〕88号",
        },
    )
    assert r.status_code == 302
    page = c.get("/funds/allocations/?year=2026").content.decode()
    assert "川财社〔2025〕88号" in page and "提前下达" in page


def test_generate_review_approve_pay_and_export(
    users, as_user, county_people, allocation, django_capture_on_commit_callbacks
):
    c = as_user(users["county"])
    with django_capture_on_commit_callbacks(execute=True):
        r = c.post(
            "/funds/batches/new/",
            {"allocation": allocation.pk, "period": "2026", "title": "2026年一次性生活补贴"},
        )
    assert r.status_code == 302
    batch = DisbursementBatch.objects.get()
    page = c.get(r.url).content.decode()
    assert batch.status == "generating" or "待审核" in page
    batch.refresh_from_db()
    assert batch.status == BatchStatus.DRAFT
    assert "1,500.00" in page and "张大山" in page
    # Clicking "generate" again for the same period: a clear message, nothing new.
    r = c.post("/funds/batches/new/", {"allocation": allocation.pk, "period": "2026"})
    assert "不能重复生成" in r.content.decode()
    assert DisbursementBatch.objects.count() == 1
    for step in ("review", "approve", "approve", "pay"):
        c.post(f"/funds/batches/{batch.pk}/{step}/", {f"{step}-comment": "同意"})
    batch.refresh_from_db()
    assert batch.status == BatchStatus.PAID
    assert batch.transitions.filter(to_state="approved").count() == 1
    export = c.get(f"/funds/batches/{batch.pk}/export/")
    assert export["Content-Disposition"].startswith("attachment")
    rows = list(load_workbook(io.BytesIO(export.content), read_only=True).active.iter_rows(values_only=True))
    head = county_people["dibao"].head
    assert any(r[2] == head.id_number for r in rows)  # the county sees full ID numbers
    assert rows[-1][0] == "合计" and Decimal(str(rows[-1][6])) == Decimal("1500")


def test_export_masks_id_numbers_for_read_only_officials(users, as_user, county_people, allocation):
    batch = services.batch_generate(
        actor=users["county"],
        program=allocation.program,
        allocation=allocation,
        period="2026",
        run_in_background=False,
    )
    export = as_user(users["city"]).get(f"/funds/batches/{batch.pk}/export/")
    rows = list(load_workbook(io.BytesIO(export.content), read_only=True).active.iter_rows(values_only=True))
    numbers = [r[2] for r in rows[2:-1]]
    assert numbers and all("*" in n for n in numbers)


def test_generation_failure_is_shown_on_the_batch(
    users, as_user, county_people, subsidy, django_capture_on_commit_callbacks
):
    small = AllocationFactory(program=subsidy, amount="100.00")
    c = as_user(users["county"])
    with django_capture_on_commit_callbacks(execute=True):
        r = c.post("/funds/batches/new/", {"allocation": small.pk, "period": "2026"})
    page = c.get(r.url).content.decode()
    assert "超出资金指标剩余额度" in page
    assert "生成失败" in page


def test_application_on_a_phone_through_every_step(users, as_user, regions):
    c = as_user(users["township"])
    form = c.get("/funds/applications/new/").content.decode()
    assert 'inputmode="tel"' in form and "不受户籍限制" in form
    r = c.post(
        "/funds/applications/new/",
        {
            "kind": "urgent",
            "cause": "fire",
            "region": "510121001",
            "place": "赵镇滨河路12号",
            "applicant_name": "外地人",
            "id_number": make_id_number("110101"),
            "phone": "13800001111",
            "household_size": 1,
        },
    )
    assert r.status_code == 302, r.content.decode()
    app = AssistanceApplication.objects.get()
    page = c.get(r.url).content.decode()
    assert "先行救助时限" in page and "3,000.00" in page
    c.post(
        f"/funds/applications/{app.pk}/emergency-pay/",
        {"emergency_pay-amount": "500", "emergency_pay-comment": "现金"},
    )
    c.post(f"/funds/applications/{app.pk}/review/", {"review-amount": "1000"})
    r = c.post(f"/funds/applications/{app.pk}/approve/", {"approve-amount": "4000"})
    assert r.status_code == 403  # above the township's limit: the county approves
    c.post(f"/funds/applications/{app.pk}/approve/", {"approve-amount": "1000"})
    c.post(f"/funds/applications/{app.pk}/pay/", {})
    app.refresh_from_db()
    assert app.status == AppStatus.PAID
    page = c.get(f"/funds/applications/{app.pk}/").content.decode()
    for label in ("受理", "先行救助", "乡镇审核", "审批", "发放"):
        assert label in page


def test_application_form_shows_id_number_errors_in_chinese(users, as_user, regions):
    r = as_user(users["township"]).post(
        "/funds/applications/new/",
        {
            "kind": "urgent",
            "cause": "fire",
            "region": "510121001",
            "place": "x",
            "applicant_name": "甲",
            "id_number": "12345",
            "household_size": 1,
        },
    )
    assert r.status_code == 200
    assert "身份证号应为18位" in r.content.decode()


def test_deadline_in_an_unpublished_year_is_flagged_on_the_page(users, as_user, regions):
    import datetime
    import zoneinfo

    app = services.application_submit(
        actor=users["township"],
        region=regions["township"],
        kind="expense",
        cause="medical",
        place="x",
        applicant_name="甲",
        id_number=make_id_number(),
        months=2,
        submitted_at=datetime.datetime(2031, 3, 3, 9, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai")),
    )
    page = as_user(users["township"]).get(f"/funds/applications/{app.pk}/").content.decode()
    assert "办结时限" in page and "节假日安排尚未公布" in page


def test_materials_receive_and_distribute(users, as_user, regions, county_people):
    wh = WarehouseFactory(region=regions["county"], name="金堂县救灾物资仓库")
    c = as_user(users["county"])
    r = c.post(
        "/funds/materials/",
        {"warehouse": wh.pk, "item": item("quilt").pk, "quantity": "20", "source": "省厅调拨"},
    )
    assert r.status_code == 302
    stock = Stock.objects.get()
    dibao = county_people["dibao"]
    Household.objects.filter(pk=dibao.pk).update(household_number="JT-0042")
    # the number the household page prints is what the form takes
    r = c.post(f"/funds/materials/{stock.pk}/", {"quantity": "3", "household": "JT-0042"})
    assert r.status_code == 302
    assert StockMovement.objects.get(kind=MovementKind.DISTRIBUTED).household_id == dibao.pk
    r = c.post(f"/funds/materials/{stock.pk}/", {"quantity": "30", "recipient_description": "流浪人员"})
    assert "库存不足" in r.content.decode()
    page = c.get(f"/funds/materials/{stock.pk}/").content.decode()
    assert "17" in page
    r = c.post(f"/funds/materials/{stock.pk}/", {"quantity": "1", "household": county_people["other"].pk})
    assert "未找到户编号为" in r.content.decode()
    # opened from the household page's link: the number is filled in, the household kept
    form = c.get(f"/funds/materials/{stock.pk}/?household={dibao.pk}").content.decode()
    assert 'value="JT-0042"' in form and f'name="household_id" value="{dibao.pk}"' in form
    r = c.post(
        f"/funds/materials/{stock.pk}/", {"quantity": "1", "household": "JT-0042", "household_id": dibao.pk}
    )
    assert r.status_code == 302
    # a number typed over the linked one is looked up, not silently replaced by the link
    r = c.post(
        f"/funds/materials/{stock.pk}/", {"quantity": "1", "household": "JT-9999", "household_id": dibao.pk}
    )
    assert "未找到户编号为“JT-9999”的家庭" in r.content.decode() and 'value="JT-9999"' in r.content.decode()


def test_household_include_shows_payments_and_applications(users, regions, county_people, allocation):
    services.batch_generate(
        actor=users["county"],
        program=allocation.program,
        allocation=allocation,
        period="2026",
        run_in_background=False,
    )
    household = county_people["dibao"]
    services.application_submit(
        actor=users["township"],
        region=regions["township"],
        kind="urgent",
        cause="illness",
        place="x",
        person=household.head,
    )
    # the panel reads what the reader may see itself (funds/chain.py)
    html = render_to_string(
        "funds/_household_funds.html", {"household": household, "user": users["township"]}
    )
    assert html.count(">500.00 元<") == 2  # a pending line for each of the two members
    assert 'data-testid="chain-pending">1,000.00 元' in html
    assert "突发重大疾病" in html


def test_heating_subsidy_program_from_the_migration_is_offered(users, as_user, regions):
    AllocationFactory(program=program("heating_subsidy"), amount="3000")
    page = as_user(users["county"]).get("/funds/batches/new/").content.decode()
    assert "取暖补贴" in page


def test_step_buttons_post_to_the_page_and_a_refusal_keeps_what_was_typed(users, as_user, regions):
    from tests.funds.factories import AllocationFactory, BatchFactory

    batch = BatchFactory(allocation=AllocationFactory(region=regions["county"]))
    c = as_user(users["county"])
    url = f"/funds/batches/{batch.pk}/"
    page = c.get(url).content.decode()
    assert 'data-step="review"' in page and 'data-step="cancel"' in page and 'data-step="approve"' not in page
    r = c.post(url, {"step": "cancel", "cancel-comment": "  "})
    assert r.status_code == 200 and "作废批次须填写原因" in r.content.decode()
    batch.refresh_from_db()
    assert batch.status == BatchStatus.DRAFT and not batch.transitions.exists()
    r = c.post(url, {"step": "review", "review-comment": "名单核对无误"})
    assert r.status_code == 302 and r.url == url
    batch.refresh_from_db()
    assert batch.status == BatchStatus.REVIEWED and batch.reviewed_by == users["county"]
    assert batch.transitions.get().comment == "名单核对无误"
    page = c.get(url).content.decode()
    assert 'data-step="approve"' in page and "名单核对无误" in page
    assert c.post(url, {"step": "fill"}).status_code == 404  # the job's step, never a person's
    assert as_user(users["city"]).post(url, {"step": "approve"}).status_code == 403
    batch.refresh_from_db()
    assert batch.status == BatchStatus.REVIEWED
