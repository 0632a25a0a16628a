"""一户一条救助链 (funds/chain.py): one household's payment lines (paid, failed at the bank and
re-issued, pending, held), its temporary assistance (先行救助 then paid), the goods it was given and
the money recovered from it, with totals, on the household page and in the API; hidden from another
county; a fixed number of queries whatever the number of entries."""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from exchange.deaths import death_confirm
from funds import services
from funds.bank_files import reference
from funds.chain import assistance_chain
from funds.models import BatchStatus, Payment, RecoveryReason
from people.models import Person
from people.payment_accounts import payment_account_set
from tests.funds.factories import AllocationFactory, dibao_household, item, program

pytestmark = pytest.mark.django_db


def _return_file(lines: list[Payment], failed: Payment | None = None) -> SimpleUploadedFile:
    """The bank's return file (as tests/funds/test_bank.py): every line credited but `failed`."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["序号", "姓名", "身份证号", "账号", "金额", "摘要", "处理结果", "失败原因", "入账日期"])
    day = timezone.localdate().strftime("%Y%m%d")
    for i, p in enumerate(lines, 1):
        ok = p != failed
        w.writerow(
            [
                i,
                p.recipient_name,
                p.id_number,
                "",
                str(p.amount),
                reference(p.pk),
                "成功" if ok else "失败",
                "" if ok else "账户已销户",
                day,
            ]
        )
    return SimpleUploadedFile("return.csv", buf.getvalue().encode("gb18030"), content_type="text/csv")


def _paid_batch(actor, allocation, *, failed_person: Person | None = None):
    batch = services.batch_generate(
        actor=actor, program=allocation.program, allocation=allocation, period="2026", run_in_background=False
    )
    batch = services.batch_review(actor=actor, batch=batch)
    batch = services.batch_approve(actor=actor, batch=batch)
    lines = list(Payment.objects.filter(batch=batch).order_by("id"))
    failed = next((p for p in lines if p.person_id == getattr(failed_person, "pk", None)), None)
    services.bank_return_import(actor=actor, batch=batch, file=_return_file(lines, failed))
    return services.batch_mark_paid(actor=actor, batch=batch)


@pytest.fixture
def story(users, regions, county_people):
    """The home county's 低保 household of 张大山 (over 80) and his child, through one winter:

    - 一次性生活补贴 500 each: his line paid; the child's failed at the bank, re-issued and paid;
    - 取暖补贴 300 for the household in a batch not yet reviewed (pending);
    - 高龄补贴 100 for him in an approved batch, held when his death is confirmed;
    - 临时救助 (fire): 先行救助 500, then 1000 approved and paid;
    - 2 then 1 quilts from the county warehouse;
    - his 500 recovered as paid twice, 200 of it returned so far.
    The other households of the county are paid too and must not show."""
    county = users["county"]
    household = dibao_household("510121001001", "A", name="张大山", birth=datetime.date(1940, 3, 1))
    head = household.head
    child = household.members.exclude(pk=head.pk).get()

    subsidy = AllocationFactory(region=regions["county"], program=program("one_time_subsidy"))
    first = _paid_batch(county, subsidy, failed_person=child)
    payment_account_set(actor=county, person=child, bank="PSBC", account_number="6210985555555555555")
    follow = services.batch_reissue(actor=county, batch=first)
    follow = services.batch_approve(actor=county, batch=services.batch_review(actor=county, batch=follow))
    services.bank_return_import(actor=county, batch=follow, file=_return_file(list(follow.payments.all())))
    follow = services.batch_mark_paid(actor=county, batch=follow)

    heating = AllocationFactory(region=regions["county"], program=program("heating_subsidy"))
    pending = services.batch_generate(
        actor=county, program=heating.program, allocation=heating, period="2026", run_in_background=False
    )
    elderly = AllocationFactory(region=regions["county"], program=program("elderly_allowance"))
    held = services.batch_generate(
        actor=county, program=elderly.program, allocation=elderly, period="2026", run_in_background=False
    )
    held = services.batch_approve(actor=county, batch=services.batch_review(actor=county, batch=held))

    township = users["township"]
    app = services.application_submit(
        actor=township,
        region=regions["township"],
        kind="urgent",
        cause="fire",
        place="赵镇滨河路",
        person=head,
        amount_requested=Decimal("2000"),
    )
    services.application_emergency_pay(actor=township, application=app, amount=Decimal("500"))
    services.application_review(actor=township, application=app, amount=Decimal("1000"))
    services.application_approve(actor=township, application=app, amount=Decimal("1000"))
    app = services.application_pay(actor=township, application=app)

    warehouse = services.warehouse_create(actor=county, region=regions["county"], name="金堂县救灾物资仓库")
    stock = services.stock_receive(actor=county, warehouse=warehouse, item=item("quilt"), quantity="10").stock
    services.stock_distribute(actor=county, stock=stock, quantity="2", household=household)
    services.stock_distribute(actor=county, stock=stock, quantity="1", household=household)
    # another household's quilt is not this one's
    services.stock_distribute(actor=county, stock=stock, quantity="4", household=county_people["tekun"])

    head_line = Payment.objects.get(batch=first, person=head)
    recovery = services.recovery_open(actor=county, payment=head_line, reason=RecoveryReason.DUPLICATE)
    services.recovery_return(actor=county, recovery=recovery, amount="200", receipt="NO.001")

    death_confirm(actor=county, person=head, died_on=timezone.localdate())
    return {
        "household": household,
        "first": first,
        "follow": follow,
        "pending": pending,
        "held": held,
        "app": app,
        "stock": stock,
        "recovery": recovery,
    }


def _rows(chain) -> list[tuple]:
    return sorted((e.kind, e.state, e.amount, e.quantity) for e in chain.entries)


def test_the_chain_lists_every_yuan_and_item_with_totals_in_decimal(users, story):
    chain = assistance_chain(story["household"], users["county"])
    d = Decimal
    assert _rows(chain) == sorted(
        [
            ("payment", "paid", d("500.00"), None),  # his 一次性生活补贴
            ("payment", "reissued", d("500.00"), None),  # the child's, failed at the bank
            ("payment", "paid", d("500.00"), None),  # ... re-issued and paid
            ("payment", "pending", d("300.00"), None),  # 取暖补贴, batch not yet reviewed
            ("payment", "held", d("100.00"), None),  # 高龄补贴, held on his death
            ("emergency", "paid", d("500.00"), None),
            ("application", "paid", d("1000.00"), None),
            ("material", "distributed", None, d("2.00")),
            ("material", "distributed", None, d("1.00")),
            ("recovery", "partial", d("-500.00"), None),
            ("recovery", "returned", d("200.00"), None),
        ]
    )
    totals = chain.totals
    assert totals.received == Decimal("2500.00")  # 500 + 500 re-issued + 500 先行救助 + 1000
    assert totals.pending == Decimal("300.00")
    assert (totals.recovered, totals.to_recover, totals.net) == (d("200.00"), d("300.00"), d("2300.00"))
    for value in (totals.received, totals.pending, totals.recovered, totals.to_recover):
        assert isinstance(value, Decimal)
    assert [(t.item, t.unit, t.quantity) for t in totals.items] == [("棉被", "床", d("3.00"))]
    assert [e.date for e in chain.entries] == sorted((e.date for e in chain.entries), reverse=True)

    by_state = {(e.kind, e.state): e for e in chain.entries}
    failed = by_state[("payment", "reissued")]
    assert failed.note == "账户已销户" and failed.url == story["first"].get_absolute_url()
    assert story["held"].title in by_state[("payment", "held")].source
    assert "死亡" in by_state[("payment", "held")].note
    subsidy = story["first"].allocation
    paid_sources = [e.source for e in chain.entries if e.kind == "payment" and e.state == "paid"]
    assert f"{story['first'].title} · 中央 · {subsidy.document_number}" in paid_sources
    assert any(story["follow"].title in s for s in paid_sources)
    assert by_state[("application", "paid")].url == story["app"].get_absolute_url()
    assert "合计 1,500.00 元（含先行救助 500.00 元）" in by_state[("application", "paid")].note
    assert by_state[("material", "distributed")].source == "金堂县救灾物资仓库"
    assert by_state[("recovery", "partial")].url == story["recovery"].get_absolute_url()
    assert by_state[("recovery", "returned")].source == "票据/凭证号：NO.001"


def test_the_household_page_shows_the_chain_and_its_totals(as_user, users, story):
    html = as_user(users["county"]).get(reverse("people:household-detail", args=[story["household"].pk]))
    html = html.content.decode()
    section = html[html.index('data-testid="household-funds"') :]
    section = section[: section.index("</section>")]
    assert 'data-testid="chain-received">2,500.00 元' in section
    assert 'data-testid="chain-pending">300.00 元' in section
    assert 'data-testid="chain-recovered">200.00 元' in section
    assert 'data-testid="chain-to-recover">300.00 元' in section
    assert "棉被 3床" in section
    assert section.count('data-kind="payment"') == 5 and section.count('data-kind="material"') == 2
    for state in ("失败已补发", "待发放", "暂停发放", "部分追回", "已退回"):
        assert state in section
    assert "-500.00 元" in section
    for record in (story["first"], story["follow"], story["app"], story["recovery"]):
        assert f'href="{record.get_absolute_url()}"' in section
    assert "火灾" in section and "账户已销户" in section


def test_a_township_sees_its_household_chain_without_links_to_county_records(as_user, users, story):
    """Lines and goods of the household are its own; the county's batch and stock pages are not
    the township's to open, so they are not linked."""
    chain = assistance_chain(story["household"], users["township"])
    assert len(chain.entries) == 11
    assert chain.totals.received == Decimal("2500.00")
    by_kind = {e.kind: e for e in chain.entries}
    assert by_kind["payment"].url == "" and by_kind["material"].url == ""
    assert by_kind["application"].url == story["app"].get_absolute_url()
    html = as_user(users["township"]).get(reverse("people:household-detail", args=[story["household"].pk]))
    assert story["first"].get_absolute_url() not in html.content.decode()


def test_the_api_answers_entries_and_totals_with_money_as_strings(api, users, story):
    api.force_authenticate(users["county"])
    r = api.get(f"/api/v1/households/{story['household'].pk}/assistance-chain/")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["household"] == story["household"].pk
    assert body["totals"] == {
        "received": "2500.00",
        "pending": "300.00",
        "recovered": "200.00",
        "to_recover": "300.00",
        "net": "2300.00",
        "items": [{"item": "棉被", "unit": "床", "quantity": "3.00"}],
    }
    assert len(body["entries"]) == 11
    dates = [e["date"] for e in body["entries"]]
    assert dates == sorted(dates, reverse=True)
    recovery = next(e for e in body["entries"] if e["kind"] == "recovery" and e["state"] == "partial")
    assert recovery["amount"] == "-500.00" and recovery["outstanding"] == "300.00"
    assert recovery["url"] == story["recovery"].get_absolute_url()
    emergency = next(e for e in body["entries"] if e["kind"] == "emergency")
    assert emergency["amount"] == "500.00" and emergency["state_display"] == "已发放"
    material = next(e for e in body["entries"] if e["kind"] == "material")
    assert material["amount"] is None and material["unit"] == "床"


def test_another_county_gets_404_like_a_missing_household_and_cannot_open_the_page(
    api, as_user, users, story
):
    url = f"/api/v1/households/{story['household'].pk}/assistance-chain/"
    api.force_authenticate(users["other_county"])
    outside = api.get(url)
    missing = api.get(f"/api/v1/households/{story['household'].pk + 100_000}/assistance-chain/")
    assert outside.status_code == missing.status_code == 404
    assert outside.json() == missing.json()
    api.force_authenticate(None)
    assert api.get(url).status_code in (401, 403)
    page = as_user(users["other_county"]).get(
        reverse("people:household-detail", args=[story["household"].pk])
    )
    assert page.status_code == 404
    assert "张大山" not in page.content.decode()


def test_the_queries_do_not_grow_with_the_entries(api, users, regions, story):
    household = story["household"]
    api.force_authenticate(users["county"])
    url = f"/api/v1/households/{household.pk}/assistance-chain/"

    def count() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as ctx:
            chain = assistance_chain(household, users["county"])
        with CaptureQueriesContext(connection) as api_ctx:
            assert api.get(url).status_code == 200
        return len(chain.entries), len(ctx), len(api_ctx)

    entries, queries, api_queries = count()
    assert queries == 7  # payments, applications, goods, recoveries, their returns, campaigns, charity
    # more of every kind: goods, another paid application with its recovery and two returns
    county, stock = users["county"], story["stock"]
    for _ in range(3):
        services.stock_distribute(actor=county, stock=stock, quantity="1", household=household)
    child = household.members.filter(died_on__isnull=True).get()
    app = services.application_submit(
        actor=county, region=regions["township"], kind="urgent", cause="illness", place="x", person=child
    )
    services.application_review(actor=county, application=app, amount=Decimal("800"))
    services.application_approve(actor=county, application=app, amount=Decimal("800"))
    app = services.application_pay(actor=county, application=app)
    recovery = services.recovery_open(actor=county, application=app, reason=RecoveryReason.WRONG_AMOUNT)
    services.recovery_return(actor=county, recovery=recovery, amount="100")
    services.recovery_return(actor=county, recovery=recovery, amount="100")
    more, queries_after, api_queries_after = count()
    assert more == entries + 3 + 1 + 3
    assert (queries_after, api_queries_after) == (queries, api_queries)


def test_cancelled_batches_and_other_households_stay_out(users, county_people, regions):
    household = county_people["dibao"]
    allocation = AllocationFactory(region=regions["county"], program=program("heating_subsidy"))
    batch = services.batch_generate(
        actor=users["county"],
        program=allocation.program,
        allocation=allocation,
        period="2026",
        run_in_background=False,
    )
    chain = assistance_chain(household, users["county"])
    assert [(e.kind, e.state, e.amount) for e in chain.entries] == [("payment", "pending", Decimal("300.00"))]
    services.batch_cancel(actor=users["county"], batch=batch, comment="名单有误")
    assert batch.__class__.objects.get(pk=batch.pk).status == BatchStatus.CANCELLED
    chain = assistance_chain(household, users["county"])
    assert chain.entries == [] and chain.totals.pending == Decimal("0")
