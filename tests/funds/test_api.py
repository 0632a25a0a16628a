"""The API end to end: create, workflow actions, filters, masking, and no N+1 on lists."""

from __future__ import annotations

from decimal import Decimal

import pytest

from funds import services
from funds.models import AppStatus, AssistanceApplication, BatchStatus, DisbursementBatch
from tests.funds.factories import AllocationFactory, WarehouseFactory, item, make_id_number, program

pytestmark = pytest.mark.django_db


@pytest.fixture
def county_api(api, users):
    api.force_authenticate(users["county"])
    return api


def make_batch(users, allocation, period="2026"):
    return services.batch_generate(
        actor=users["county"],
        program=allocation.program,
        allocation=allocation,
        period=period,
        run_in_background=False,
    )


def test_programs_are_listed_with_their_rules(county_api, regions):
    program("one_time_subsidy")
    r = county_api.get("/api/v1/programs/?one_off=true")
    assert r.status_code == 200
    row = next(p for p in r.json()["results"] if p["code"] == "one_time_subsidy")
    assert row["categories"] == ["dibao", "tekun"] and row["amount_fixed"] == "500.00"


@pytest.mark.usefixtures("no_temporary_funds")
def test_allocation_create_and_ledger(county_api, regions, subsidy):
    r = county_api.post(
        "/api/v1/allocations/",
        {
            "region": "510121",
            "year": 2026,
            "program": subsidy.pk,
            "source": "central",
            "amount": "8000.00",
            "is_advance": True,
        },
    )
    assert r.status_code == 201, r.json()
    assert r.json()["amount"] == "8000.00"
    r = county_api.get("/api/v1/allocations/ledger/?year=2026")
    assert r.json() == [
        {
            "county": "510121",
            "county_name": "金堂县",
            "program": subsidy.pk,
            "program_name": "一次性生活补贴",
            "allocated": "8000.00",
            "advance": "8000.00",
            "committed": "0.00",
            "paid": "0.00",
            "to_recover": "0.00",
            "recovered": "0.00",
            "available": "8000.00",
        }
    ]
    r = county_api.post(
        "/api/v1/allocations/",
        {"region": "510129", "year": 2026, "program": subsidy.pk, "source": "central", "amount": "1"},
    )
    assert r.status_code == 400  # another county's region does not exist for this user


def test_batch_generate_is_a_background_job(
    county_api, users, county_people, allocation, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        r = county_api.post("/api/v1/batches/", {"allocation": allocation.pk, "period": "2026"})
    assert r.status_code == 202, r.json()
    assert r.json()["status"] == "generating" and r.json()["job"]
    batch = county_api.get(f"/api/v1/batches/{r.json()['id']}/").json()
    assert batch["status"] == "draft" and batch["total_amount"] == "1500.00"
    again = county_api.post("/api/v1/batches/", {"allocation": allocation.pk, "period": "2026"})
    assert again.status_code == 400
    assert "不能重复生成" in again.json()["error"]["message"]
    for step in ("review", "approve", "pay"):
        r = county_api.post(f"/api/v1/batches/{batch['id']}/{step}/", {"comment": "ok"})
        assert r.status_code == 200, r.json()
    assert r.json()["status"] == BatchStatus.PAID
    r = county_api.post(f"/api/v1/batches/{batch['id']}/approve/", {})
    assert r.status_code == 400 and "已审核的批次" in r.json()["error"]["message"]
    export = county_api.get(f"/api/v1/batches/{batch['id']}/export/")
    assert export.status_code == 200 and export["Content-Disposition"].startswith("attachment")


def test_payments_masked_for_officials_and_filtered(api, users, county_people, allocation):
    batch = make_batch(users, allocation)
    api.force_authenticate(users["city"])
    rows = api.get(f"/api/v1/payments/?batch={batch.pk}").json()["results"]
    assert len(rows) == 3 and all("*" in r["id_number"] for r in rows)
    assert rows[0]["snapshot"]["rule"]["program"] == "one_time_subsidy"
    api.force_authenticate(users["county"])
    hh = county_people["tekun"]
    rows = api.get(f"/api/v1/payments/?household={hh.pk}").json()["results"]
    assert [r["id_number"] for r in rows] == [hh.head.id_number]


def test_application_workflow_through_the_api(api, users, regions):
    api.force_authenticate(users["township"])
    r = api.post(
        "/api/v1/assistance-applications/",
        {
            "region": "510121001",
            "kind": "expense",
            "cause": "medical",
            "place": "赵镇",
            "applicant_name": "乙",
            "id_number": make_id_number(),
            "months": 3,
            "household_size": 2,
            "amount_requested": "4800.00",
        },
    )
    assert r.status_code == 201, r.json()
    pk = r.json()["id"]
    assert (
        api.post(f"/api/v1/assistance-applications/{pk}/emergency-pay/", {"amount": "100"}).status_code == 400
    )
    r = api.post(
        f"/api/v1/assistance-applications/{pk}/review/", {"amount": "4800", "comment": "入户核查属实"}
    )
    assert r.json()["status"] == "reviewed"
    r = api.post(f"/api/v1/assistance-applications/{pk}/notice-start/", {})
    assert r.json()["status"] == "notice" and r.json()["notice_end"]
    r = api.post(f"/api/v1/assistance-applications/{pk}/objection/", {"comment": "有异议"})
    assert [t["action"] for t in r.json()["transitions"]][-1] == "objection"
    AssistanceApplication.objects.filter(pk=pk).update(notice_end="2020-01-01")
    assert api.post(f"/api/v1/assistance-applications/{pk}/notice-close/", {}).status_code == 200
    r = api.post(f"/api/v1/assistance-applications/{pk}/approve/", {"amount": "4800"})
    assert r.status_code == 403 and "须报县级" in r.json()["error"]["message"]
    api.force_authenticate(users["county"])
    r = api.post(f"/api/v1/assistance-applications/{pk}/approve/", {"amount": "4800"})
    assert r.json()["approval_level"] == "county"
    r = api.post(f"/api/v1/assistance-applications/{pk}/pay/", {})
    assert r.json()["status"] == AppStatus.PAID
    deadlines = r.json()["deadlines"]
    assert {d["label"] for d in deadlines} >= {"办结时限", "公示截止"}


def test_application_with_bad_id_number(api, users, regions):
    api.force_authenticate(users["township"])
    r = api.post(
        "/api/v1/assistance-applications/",
        {
            "region": "510121001",
            "kind": "urgent",
            "cause": "fire",
            "place": "x",
            "applicant_name": "甲",
            "id_number": "510121198501010000",
        },
    )
    assert r.status_code == 400
    assert "校验位" in r.json()["error"]["fields"]["id_number"][0]


def test_materials_api(county_api, users, regions, county_people):
    wh = WarehouseFactory(region=regions["county"])
    quilt = item("quilt")
    r = county_api.post("/api/v1/materials/receive/", {"warehouse": wh.pk, "item": quilt.pk, "quantity": "5"})
    assert r.status_code == 201 and r.json()["quantity"] == "5.00"
    pk = r.json()["id"]
    r = county_api.post(
        f"/api/v1/materials/{pk}/distribute/", {"quantity": "2", "household": county_people["dibao"].pk}
    )
    assert r.json()["quantity"] == "3.00"
    r = county_api.post(
        f"/api/v1/materials/{pk}/distribute/", {"quantity": "9", "recipient_description": "流浪人员"}
    )
    assert r.status_code == 400 and "库存不足" in r.json()["error"]["message"]
    assert len(county_api.get(f"/api/v1/materials/{pk}/movements/").json()) == 2


# --- no N+1 --------------------------------------------------------------------------------------


@pytest.fixture
def many(users, regions, county_people, subsidy):
    """Several of everything, so a per-row query would show."""
    heating = AllocationFactory(program=program("heating_subsidy"), amount="100000")
    for month in (1, 2, 3):
        AllocationFactory(program=subsidy, amount="100000")
        make_batch(users, heating, period=f"2026-{month:02d}")
    for cause in ("fire", "illness", "accident"):
        services.application_submit(
            actor=users["township"],
            region=regions["township"],
            kind="urgent",
            cause=cause,
            place="x",
            applicant_name="甲",
            id_number=make_id_number(),
        )
    wh = WarehouseFactory(region=regions["county"])
    for code in ("coal", "quilt", "food"):
        services.stock_receive(actor=users["county"], warehouse=wh, item=item(code), quantity=Decimal("3"))


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/programs/",
        "/api/v1/allocations/",
        "/api/v1/batches/",
        "/api/v1/payments/",
        "/api/v1/assistance-applications/",
        "/api/v1/materials/",
    ],
)
def test_lists_take_a_fixed_number_of_queries(county_api, many, url, django_assert_max_num_queries):
    # auth is forced: 1 count + 1 page (+ nothing per row)
    with django_assert_max_num_queries(2):
        r = county_api.get(url)
    assert r.status_code == 200 and r.json()["count"] >= 3


def test_ledger_takes_a_fixed_number_of_queries(county_api, many, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        assert county_api.get("/api/v1/allocations/ledger/?year=2026").status_code == 200


def test_detail_of_application_with_transitions(county_api, many, django_assert_max_num_queries):
    pk = AssistanceApplication.objects.first().pk
    r = county_api.get(f"/api/v1/assistance-applications/{pk}/")
    assert r.status_code == 200 and r.json()["transitions"][0]["action"] == "submit"
    assert DisbursementBatch.objects.count() == 3


def test_an_urgent_case_has_no_public_notice(api, users, regions):
    """Bug: an 急难型 application could be put into 公示 and then never approved."""
    app = services.application_submit(
        actor=users["township"],
        region=regions["township"],
        kind="urgent",
        cause="fire",
        place="x",
        applicant_name="甲",
        id_number=make_id_number(),
    )
    services.application_review(actor=users["township"], application=app, amount=Decimal("1000"))
    api.force_authenticate(users["township"])
    r = api.post(f"/api/v1/assistance-applications/{app.pk}/notice-start/", {})
    assert r.status_code == 400 and "只有支出型救助需要公示" in r.json()["error"]["message"]
    app.refresh_from_db()
    assert app.status == AppStatus.REVIEWED and app.notice_start is None
    assert list(app.transitions.values_list("action", flat=True)) == ["submit", "review"]
    detail = api.get(f"/api/v1/assistance-applications/{app.pk}/").json()
    assert [a["name"] for a in detail["available_actions"]] == ["approve", "reject"]
    assert (
        api.post(f"/api/v1/assistance-applications/{app.pk}/approve/", {"amount": "1000"}).status_code == 200
    )


@pytest.mark.usefixtures("no_temporary_funds")
@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/allocations/",
        "/api/v1/batches/",
        "/api/v1/payments/",
        "/api/v1/assistance-applications/",
        "/api/v1/materials/",
    ],
)
def test_region_prefix_filter(api, users, many, url):
    """Bug: `?region=51` answered 500 ("Unsupported lookup 'startswith'")."""
    api.force_authenticate(users["province"])
    everything = api.get(url).json()["count"]
    assert everything >= 3
    for prefix in ("51", "5101", "510121"):
        r = api.get(url, {"region": prefix})
        assert r.status_code == 200, r.content[:300]
        assert r.json()["count"] == everything
        assert all(str(row["region"]).startswith(prefix) for row in r.json()["results"])
    assert api.get(url, {"region": "510129"}).json()["count"] == 0
    assert api.get(url, {"region": "14"}).json()["count"] == 0
    assert api.get(url, {"region": "x1"}).status_code == 400


def test_available_actions_are_what_the_caller_may_do_now(api, users, county_people, allocation):
    batch = make_batch(users, allocation)
    url = f"/api/v1/batches/{batch.pk}/"
    for who, names in (("county", ["review", "cancel"]), ("api_write", ["review", "cancel"]), ("city", [])):
        api.force_authenticate(users[who])
        assert [a["name"] for a in api.get(url).json()["available_actions"]] == names, who
    api.force_authenticate(users["county"])
    listed = api.get("/api/v1/batches/").json()["results"][0]["available_actions"]
    assert listed == [{"name": "review", "label": "审核通过"}, {"name": "cancel", "label": "作废"}]
    r = api.post(f"{url}review/", {"comment": "ok"})
    assert [a["name"] for a in r.json()["available_actions"]] == ["approve", "cancel"]
    assert batch.transitions.get(action="review").comment == "ok"


def test_a_township_lists_applications_with_their_actions_in_fixed_queries(
    api, users, regions, django_assert_max_num_queries
):
    from tests.funds.factories import ApplicationFactory, dibao_household

    household = dibao_household("510121001001")
    for proposed in ("1000", "2000", "5000", "800"):
        ApplicationFactory(status=AppStatus.REVIEWED, proposed_amount=Decimal(proposed))
    ApplicationFactory(status=AppStatus.REVIEWED, proposed_amount=Decimal("900"), household=household)
    api.force_authenticate(users["township"])
    api.get("/api/v1/assistance-applications/")  # warm the content types
    # count + page + the township's limit once per kind of place (3 policy values each, 2 kinds)
    with django_assert_max_num_queries(2 + 3 * 2):
        rows = api.get("/api/v1/assistance-applications/").json()["results"]
    offered = {r["proposed_amount"]: [a["name"] for a in r["available_actions"]] for r in rows}
    assert offered["5000.00"] == ["reject"]  # above the township's 3000: the county approves
    assert offered["1000.00"] == offered["2000.00"] == offered["900.00"] == ["approve", "reject"]
