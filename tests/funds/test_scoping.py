"""Every page and endpoint against every kind of caller: anonymous, another county's user, a
read-only official (city level) and the allowed county user. Denied writes change nothing."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import pytest

from funds import services
from funds.models import (
    Allocation,
    ApplicationTransition,
    AssistanceApplication,
    BatchTransition,
    DisbursementBatch,
    Payment,
    Stock,
    StockMovement,
)
from tests.conftest import login, make_regions, make_users
from tests.funds.conftest import make_allocation, make_county_people
from tests.funds.factories import AllocationFactory, WarehouseFactory, item, make_id_number, program

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def shared_world(module_db, django_db_blocker):
    """Built once for the module's tests (each runs in its own savepoint: none keeps a change)."""
    with django_db_blocker.unblock():
        regions = make_regions()
        return build_world(
            make_users(regions),
            regions,
            make_county_people(),
            make_allocation(regions, program("one_time_subsidy")),
        )


@pytest.fixture
def world(shared_world, db):
    return copy.deepcopy(shared_world)


def build_world(users, regions, county_people, allocation):
    county = users["county"]
    draft = services.batch_generate(
        actor=county,
        program=allocation.program,
        allocation=allocation,
        period="2026-a",
        run_in_background=False,
    )
    heating = AllocationFactory(program=program("heating_subsidy"), amount="10000")
    reviewed = services.batch_generate(
        actor=county, program=heating.program, allocation=heating, period="2026-01", run_in_background=False
    )
    reviewed = services.batch_review(actor=county, batch=reviewed)
    app = services.application_submit(
        actor=county,
        region=regions["township"],
        kind="urgent",
        cause="fire",
        place="赵镇",
        applicant_name="甲",
        id_number=make_id_number(),
    )
    wh = WarehouseFactory(region=regions["county"])
    services.stock_receive(actor=county, warehouse=wh, item=item("coal"), quantity=Decimal("10"))
    return {
        "allocation": allocation,
        "draft": draft,
        "reviewed": reviewed,
        "payment": draft.payments.first(),
        "app": app,
        "warehouse": wh,
        "stock": Stock.objects.get(),
        "subsidy": allocation.program,
        "household": county_people["dibao"],
    }


def snapshot() -> tuple:
    return (
        list(Allocation.objects.order_by("pk").values_list("pk", "amount")),
        list(DisbursementBatch.objects.order_by("pk").values_list("pk", "status", "total_amount")),
        Payment.objects.count(),
        BatchTransition.objects.count(),
        list(AssistanceApplication.objects.order_by("pk").values_list("pk", "status")),
        ApplicationTransition.objects.count(),
        list(Stock.objects.order_by("pk").values_list("pk", "quantity")),
        StockMovement.objects.count(),
    )


@dataclass
class Case:
    id: str
    api: bool
    method: str
    url: Callable[[dict], str]
    kind: str  # read-list, read-obj, write-obj, create
    data: Callable[[dict], dict] | None = None
    allowed: int = 200
    other: int | None = None


def _new_app(w):
    return {
        "region": "510121001",
        "kind": "urgent",
        "cause": "illness",
        "place": "赵镇",
        "applicant_name": "乙",
        "id_number": make_id_number(),
        "household_size": 1,
    }


CASES = [
    # pages
    Case("page-index", False, "get", lambda w: "/funds/", "read-list"),
    Case("page-allocations", False, "get", lambda w: "/funds/allocations/", "read-list"),
    Case("page-batches", False, "get", lambda w: "/funds/batches/", "read-list"),
    Case("page-applications", False, "get", lambda w: "/funds/applications/", "read-list"),
    Case("page-materials", False, "get", lambda w: "/funds/materials/", "read-list"),
    Case("page-batch", False, "get", lambda w: f"/funds/batches/{w['draft'].pk}/", "read-obj"),
    Case("page-batch-export", False, "get", lambda w: f"/funds/batches/{w['draft'].pk}/export/", "read-obj"),
    Case("page-application", False, "get", lambda w: f"/funds/applications/{w['app'].pk}/", "read-obj"),
    Case("page-stock", False, "get", lambda w: f"/funds/materials/{w['stock'].pk}/", "read-obj"),
    Case("page-batch-form", False, "get", lambda w: "/funds/batches/new/", "create"),
    Case("page-application-form", False, "get", lambda w: "/funds/applications/new/", "create"),
    Case(
        "page-allocation-create",
        False,
        "post",
        lambda w: "/funds/allocations/",
        "create",
        lambda w: {
            "region": "510121",
            "year": 2026,
            "program": w["subsidy"].pk,
            "source": "city",
            "amount": "5",
        },
        allowed=302,
    ),
    Case(
        "page-batch-create",
        False,
        "post",
        lambda w: "/funds/batches/new/",
        "create",
        lambda w: {"allocation": w["allocation"].pk, "period": "2026-z"},
        allowed=302,
    ),
    Case(
        "page-application-create",
        False,
        "post",
        lambda w: "/funds/applications/new/",
        "create",
        _new_app,
        allowed=302,
    ),
    Case(
        "page-receive",
        False,
        "post",
        lambda w: "/funds/materials/",
        "create",
        lambda w: {"warehouse": w["warehouse"].pk, "item": item("quilt").pk, "quantity": "2"},
        allowed=302,
    ),
    Case(
        "page-batch-review",
        False,
        "post",
        lambda w: f"/funds/batches/{w['draft'].pk}/review/",
        "write-obj",
        allowed=302,
    ),
    Case(
        "page-batch-approve",
        False,
        "post",
        lambda w: f"/funds/batches/{w['reviewed'].pk}/approve/",
        "write-obj",
        allowed=302,
    ),
    Case(
        "page-batch-cancel",
        False,
        "post",
        lambda w: f"/funds/batches/{w['draft'].pk}/cancel/",
        "write-obj",
        lambda w: {"cancel-comment": "作废"},
        allowed=302,
    ),
    Case(
        "page-app-emergency",
        False,
        "post",
        lambda w: f"/funds/applications/{w['app'].pk}/emergency-pay/",
        "write-obj",
        lambda w: {"emergency_pay-amount": "300"},
        allowed=302,
    ),
    Case(
        "page-app-reject",
        False,
        "post",
        lambda w: f"/funds/applications/{w['app'].pk}/reject/",
        "write-obj",
        lambda w: {"reject-reason": "不符合"},
        allowed=302,
    ),
    Case(
        "page-distribute",
        False,
        "post",
        lambda w: f"/funds/materials/{w['stock'].pk}/",
        "write-obj",
        lambda w: {"quantity": "1", "recipient_description": "流浪人员"},
        allowed=302,
    ),
    # API
    Case("api-programs", True, "get", lambda w: "/api/v1/programs/", "read-list"),
    Case("api-allocations", True, "get", lambda w: "/api/v1/allocations/", "read-list"),
    Case("api-ledger", True, "get", lambda w: "/api/v1/allocations/ledger/?year=2026", "read-list"),
    Case("api-batches", True, "get", lambda w: "/api/v1/batches/", "read-list"),
    Case("api-payments", True, "get", lambda w: "/api/v1/payments/", "read-list"),
    Case("api-applications", True, "get", lambda w: "/api/v1/assistance-applications/", "read-list"),
    Case("api-materials", True, "get", lambda w: "/api/v1/materials/", "read-list"),
    Case("api-allocation", True, "get", lambda w: f"/api/v1/allocations/{w['allocation'].pk}/", "read-obj"),
    Case("api-batch", True, "get", lambda w: f"/api/v1/batches/{w['draft'].pk}/", "read-obj"),
    Case("api-batch-export", True, "get", lambda w: f"/api/v1/batches/{w['draft'].pk}/export/", "read-obj"),
    Case("api-payment", True, "get", lambda w: f"/api/v1/payments/{w['payment'].pk}/", "read-obj"),
    Case(
        "api-application",
        True,
        "get",
        lambda w: f"/api/v1/assistance-applications/{w['app'].pk}/",
        "read-obj",
    ),
    Case("api-stock", True, "get", lambda w: f"/api/v1/materials/{w['stock'].pk}/", "read-obj"),
    Case("api-movements", True, "get", lambda w: f"/api/v1/materials/{w['stock'].pk}/movements/", "read-obj"),
    Case(
        "api-allocation-create",
        True,
        "post",
        lambda w: "/api/v1/allocations/",
        "create",
        lambda w: {
            "region": "510121",
            "year": 2026,
            "program": w["subsidy"].pk,
            "source": "city",
            "amount": "5",
        },
        allowed=201,
        other=400,
    ),
    Case(
        "api-batch-create",
        True,
        "post",
        lambda w: "/api/v1/batches/",
        "create",
        lambda w: {"allocation": w["allocation"].pk, "period": "2026-z"},
        allowed=202,
        other=400,
    ),
    Case(
        "api-application-create",
        True,
        "post",
        lambda w: "/api/v1/assistance-applications/",
        "create",
        _new_app,
        allowed=201,
        other=400,
    ),
    Case(
        "api-receive",
        True,
        "post",
        lambda w: "/api/v1/materials/receive/",
        "create",
        lambda w: {"warehouse": w["warehouse"].pk, "item": item("quilt").pk, "quantity": "2"},
        allowed=201,
        other=400,
    ),
    Case("api-batch-review", True, "post", lambda w: f"/api/v1/batches/{w['draft'].pk}/review/", "write-obj"),
    Case(
        "api-batch-approve",
        True,
        "post",
        lambda w: f"/api/v1/batches/{w['reviewed'].pk}/approve/",
        "write-obj",
    ),
    Case(
        "api-batch-cancel",
        True,
        "post",
        lambda w: f"/api/v1/batches/{w['draft'].pk}/cancel/",
        "write-obj",
        lambda w: {"comment": "作废"},
    ),
    Case(
        "api-app-emergency",
        True,
        "post",
        lambda w: f"/api/v1/assistance-applications/{w['app'].pk}/emergency-pay/",
        "write-obj",
        lambda w: {"amount": "300"},
    ),
    Case(
        "api-app-review",
        True,
        "post",
        lambda w: f"/api/v1/assistance-applications/{w['app'].pk}/review/",
        "write-obj",
        lambda w: {"amount": "300"},
    ),
    Case(
        "api-app-reject",
        True,
        "post",
        lambda w: f"/api/v1/assistance-applications/{w['app'].pk}/reject/",
        "write-obj",
        lambda w: {"reason": "不符合"},
    ),
    Case(
        "api-distribute",
        True,
        "post",
        lambda w: f"/api/v1/materials/{w['stock'].pk}/distribute/",
        "write-obj",
        lambda w: {"quantity": "1", "household": w["household"].pk},
    ),
]

CALLERS = ["anonymous", "other_county", "city", "county"]


def expected(case: Case, caller: str) -> int:
    if caller == "anonymous":
        return 401 if case.api else 302
    if caller == "county":
        return case.allowed
    if caller == "other_county":
        if case.kind == "read-obj" or case.kind == "write-obj":
            return 404
        if case.kind == "create":
            return case.other or 200
        return 200
    # city: a read-only official
    if case.kind in ("read-list", "read-obj"):
        return 200
    return 403


def call(client, api_client, case: Case, user, w):
    data = case.data(w) if case.data else {}
    if case.api:
        if user is not None:
            api_client.force_authenticate(user)
        return (
            getattr(api_client, case.method)(case.url(w), data, format="json")
            if case.method == "post"
            else api_client.get(case.url(w))
        )
    if user is not None:
        login(client, user)
    return (
        getattr(client, case.method)(case.url(w), data) if case.method == "post" else client.get(case.url(w))
    )


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_scoping(case, caller, client, api, users, world):
    before = snapshot()
    user = None if caller == "anonymous" else users[caller]
    response = call(client, api, case, user, world)
    want = expected(case, caller)
    assert response.status_code == want, (case.id, caller, getattr(response, "content", b"")[:300])
    if caller == "anonymous" and not case.api:
        assert "/login/" in response["Location"]
    if caller != "county" and case.method == "post":
        assert snapshot() == before, "a denied write changed something"
    if caller == "county" and case.method == "post":
        assert snapshot() != before, "the allowed write did nothing"
    if caller == "other_county" and case.kind == "read-list" and response.status_code == 200:
        body = response.content.decode()
        assert "张大山" not in body and "一次性生活补贴</td>" not in body


def test_read_only_api_client_cannot_write(api, users, world):
    api.force_authenticate(users["api_read"])
    before = snapshot()
    assert api.get(f"/api/v1/batches/{world['reviewed'].pk}/").status_code == 200
    assert api.post(f"/api/v1/batches/{world['reviewed'].pk}/approve/", {}).status_code == 403
    assert snapshot() == before


def test_township_cannot_see_or_approve_county_batches(api, users, world):
    api.force_authenticate(users["township"])
    before = snapshot()
    assert api.post(f"/api/v1/batches/{world['reviewed'].pk}/approve/", {}).status_code == 404
    assert snapshot() == before
    # ... but handles the applications of its township.
    r = api.post(f"/api/v1/assistance-applications/{world['app'].pk}/emergency-pay/", {"amount": "200"})
    assert r.status_code == 200
