"""Every page and endpoint against every kind of caller: anonymous, another county's user, read-only
officials (city, province, a read-only API client) and an allowed county user. Denied writes change
nothing."""

from __future__ import annotations

import copy
import datetime
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import override_settings
from django.urls import reverse
from openpyxl import load_workbook

from institutions import services
from institutions.models import Hazard, HazardTransition, Inspection, InspectionResult, Institution
from tests.conftest import login, make_regions, make_users
from tests.institutions.conftest import make_checklist, make_institution
from tests.institutions.factories import all_pass, evidence, move_to

NAME = "赵镇敬老院"
TITLE = "电线私拉乱接"


@pytest.fixture(scope="module")
def shared_world(module_db, django_db_blocker, tmp_path_factory):
    """An institution of the home county with an inspection and a hazard in every state: built once
    for the module's 180 tests (none of which keeps a change: each runs in its own savepoint)."""
    media = tmp_path_factory.mktemp("scoping-media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media):
        users = make_users(make_regions())
        return build_world(users, make_institution(make_regions()), make_checklist())


@pytest.fixture
def world(shared_world, db):
    return copy.deepcopy(shared_world)


def build_world(users, institution, checklist):
    template, items = checklist
    county, township = users["county"], users["township"]
    inspection = services.inspection_record(
        actor=county, institution=institution, template=template, results=all_pass(items)
    )

    def raise_(state):
        h = services.hazard_raise(actor=county, institution=institution, title=TITLE, severity="general")
        return move_to(h, state, owner=township, second=county)

    rectifying = raise_("rectifying")
    extension = raise_("rectifying")
    extension = services.hazard_extension_request(
        actor=township,
        hazard=extension,
        new_deadline=extension.deadline + datetime.timedelta(days=9),
        reason="大雪",
    )
    return {
        "institution": institution,
        "inspection": inspection,
        "template": template,
        "items": items,
        "open": raise_("open"),
        "rectifying": rectifying,
        "extension": extension,
        "rectified": raise_("rectified"),
        "verified": raise_("verified"),
        "owner": township,
    }


def snapshot() -> tuple:
    return (
        list(Institution.objects.order_by("pk").values_list("pk", "name", "region_id", "residents")),
        Inspection.objects.count(),
        InspectionResult.objects.count(),
        list(Hazard.objects.order_by("pk").values_list("pk", "state", "deadline", "owner_id", "evidence")),
        HazardTransition.objects.count(),
    )


@dataclass
class Case:
    id: str
    api: bool
    method: str
    url: Callable[[dict], str]
    kind: str  # "read-obj", "read-list", "write-obj", "create"
    data: Callable[[dict], dict] | None = None
    allowed: int = 200
    other: int | None = None  # expected for the other county's user where it differs from the kind's default
    multipart: bool = False
    marker: str = ""  # text that shows a home-county record in the response (default: its name)


def _u(name: str, key: str | None = None, *extra: Any) -> Callable[[dict], str]:
    return lambda w: reverse(name, args=[w[key].pk, *extra] if key else [])


CASES = [
    # pages
    Case("page-institutions", False, "get", _u("institutions:index"), "read-list"),
    Case("page-institution", False, "get", _u("institutions:institution-detail", "institution"), "read-obj"),
    Case("page-inspection", False, "get", _u("institutions:inspection-detail", "inspection"), "read-obj"),
    Case("page-ledger", False, "get", _u("institutions:hazard-list"), "read-list"),
    Case("page-export", False, "get", _u("institutions:hazard-export"), "read-list"),
    Case("page-hazard", False, "get", _u("institutions:hazard-detail", "open"), "read-obj"),
    Case(
        "page-institution-create",
        False,
        "post",
        _u("institutions:institution-create"),
        "create",
        data=lambda w: {
            "name": "新机构",
            "type": "rural_home",
            "region": "510121001",
            "capacity": 5,
            "residents": 1,
            "nursing_beds": 0,
            "heating_type": "coal",
        },
        allowed=302,
        other=200,  # the form does not offer a region outside the user's scope
    ),
    Case(
        "page-institution-edit",
        False,
        "post",
        _u("institutions:institution-edit", "institution"),
        "write-obj",
        data=lambda w: {
            "name": NAME,
            "type": "rural_home",
            "region": "510121001",
            "capacity": 60,
            "residents": 59,
            "nursing_beds": 20,
            "heating_type": "coal",
        },
        allowed=302,
    ),
    Case(
        "page-institution-edit-form",
        False,
        "get",
        _u("institutions:institution-edit", "institution"),
        "write-obj",
    ),
    Case(
        "page-inspect",
        False,
        "post",
        _u("institutions:inspection-create", "institution"),
        "write-obj",
        data=lambda w: {
            "template": w["template"].pk,
            "date": str(datetime.date.today()),
            **{f"result_{i.pk}": "pass" for i in w["items"]},
        },
        allowed=302,
    ),
    Case("page-inspect-form", False, "get", _u("institutions:inspection-create", "institution"), "write-obj"),
    Case(
        "page-start",
        False,
        "post",
        _u("institutions:hazard-action", "open", "start"),
        "write-obj",
        data=lambda w: {"start-owner": w["owner"].pk, "start-measures": "整改", "start-funds": "0"},
        allowed=302,
    ),
    Case(
        "page-close",
        False,
        "post",
        _u("institutions:hazard-action", "verified", "close"),
        "write-obj",
        data=lambda w: {},
        allowed=302,
    ),
    # API
    Case("api-institutions", True, "get", _u("api:institution-list"), "read-list"),
    Case("api-institution", True, "get", _u("api:institution-detail", "institution"), "read-obj"),
    Case("api-inspections", True, "get", _u("api:inspection-list"), "read-list"),
    Case("api-inspection", True, "get", _u("api:inspection-detail", "inspection"), "read-obj"),
    Case("api-hazards", True, "get", _u("api:hazard-list"), "read-list"),
    Case("api-hazard", True, "get", _u("api:hazard-detail", "open"), "read-obj"),
    Case(
        "api-hazard-transitions",
        True,
        "get",
        _u("api:hazard-transitions", "open"),
        "read-obj",
        marker="raise",
    ),
    Case(
        "api-institution-create",
        True,
        "post",
        _u("api:institution-list"),
        "create",
        data=lambda w: {"name": "新机构", "type": "rural_home", "region": "510121001"},
        allowed=201,
        other=403,
    ),
    Case(
        "api-institution-update",
        True,
        "patch",
        _u("api:institution-detail", "institution"),
        "write-obj",
        data=lambda w: {"residents": 59},
    ),
    Case(
        "api-inspection-create",
        True,
        "post",
        _u("api:inspection-list"),
        "create",
        data=lambda w: {
            "institution": w["institution"].pk,
            "template": w["template"].pk,
            "results": [{"item": i.pk, "result": "pass"} for i in w["items"]],
        },
        allowed=201,
        other=400,  # the institution is "not found" among those the caller can see
    ),
    Case(
        "api-hazard-create",
        True,
        "post",
        _u("api:hazard-list"),
        "create",
        data=lambda w: {"institution": w["institution"].pk, "title": "新隐患", "severity": "general"},
        allowed=201,
        other=400,
    ),
    Case(
        "api-start",
        True,
        "post",
        _u("api:hazard-start", "open"),
        "write-obj",
        data=lambda w: {"owner": w["owner"].pk, "measures": "整改"},
    ),
    Case(
        "api-request-extension",
        True,
        "post",
        _u("api:hazard-request-extension", "rectifying"),
        "write-obj",
        data=lambda w: {
            "new_deadline": str(w["rectifying"].deadline + datetime.timedelta(days=5)),
            "reason": "雪",
        },
    ),
    Case(
        "api-decide-extension",
        True,
        "post",
        _u("api:hazard-decide-extension", "extension"),
        "write-obj",
        data=lambda w: {"approve": True},
    ),
    Case(
        "api-rectify",
        True,
        "post",
        _u("api:hazard-rectify", "rectifying"),
        "write-obj",
        data=lambda w: {"evidence": evidence()},
        multipart=True,
    ),
    Case("api-verify", True, "post", _u("api:hazard-verify", "rectified"), "write-obj", data=lambda w: {}),
    Case("api-close", True, "post", _u("api:hazard-close", "verified"), "write-obj", data=lambda w: {}),
]

ROLES = ["anonymous", "other_county", "city", "province", "api_read", "county"]


def _expected(case: Case, role: str) -> tuple[int, ...]:
    if role == "anonymous":
        return (401, 403) if case.api else (302,)
    if role == "county":
        return (case.allowed,)
    if role == "other_county":
        if case.other is not None:
            return (case.other,)
        return {"read-obj": (404,), "read-list": (200,), "write-obj": (404,), "create": (403,)}[case.kind]
    # read-only roles
    return (200,) if case.kind.startswith("read") else (403,)


def _request(client, case: Case, world: dict):
    url = case.url(world)
    data = case.data(world) if case.data else None
    method = getattr(client, case.method)
    if case.method == "get":
        return method(url)
    if case.api:
        return method(url, data, format="multipart" if case.multipart else "json")
    return method(url, data)


def _shows_home_records(resp, case: Case) -> bool:
    if "export" in case.id:
        rows = list(load_workbook(io.BytesIO(resp.content)).active.iter_rows(values_only=True))
        return len(rows) > 1
    body = resp.content.decode()
    if case.marker:
        return case.marker in body
    return NAME in body or TITLE in body


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_scoping(case, role, world, users, client, api):
    if role == "api_read" and not case.api:
        pytest.skip("API clients use the API")
    if case.api:
        http = api
        if role != "anonymous":
            api.force_authenticate(users[role])
    else:
        http = client if role == "anonymous" else login(client, users[role])
    before = snapshot()
    resp = _request(http, case, world)
    assert resp.status_code in _expected(case, role), getattr(resp, "content", b"")[:500]
    if role == "anonymous" and not case.api:
        assert "/login/" in resp.url
    if role == "county":
        if case.kind.startswith("read"):
            assert _shows_home_records(resp, case)
        return
    # every denied or read-only call leaves the data as it was
    assert snapshot() == before
    if role == "other_county" and case.kind == "read-list":
        assert not _shows_home_records(resp, case)
