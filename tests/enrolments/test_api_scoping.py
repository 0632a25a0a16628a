"""Every endpoint of /api/v1/enrolments/, /enrolment-reviews/ and /appeals/ against every kind of
caller: anonymous (401), another county's user (404 on a record, an empty list, "does not exist" for
a household or application named in a create), a read-only official (city: reads, 403 on writes),
the allowed county user. Denied writes change nothing; allowed ones change something."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import pytest

from enrolments.models import (
    Appeal,
    AppealEvent,
    Enrolment,
    EnrolmentEvent,
    EnrolmentMember,
    Review,
    ReviewEvent,
)
from enrolments.register import review_schedule
from enrolments.services import appeal_create
from people.models import Assistance
from people.services import assistance_add
from tests.enrolments.api_world import D, enrolment_at, family, pdf

pytestmark = pytest.mark.django_db


class World:
    """The records a case needs, made when it first asks for them (a case needs one or two)."""

    def __init__(self, monkeypatch, users, regions) -> None:
        self.monkeypatch, self.users, self.regions = monkeypatch, users, regions
        self._made: dict[str, object] = {}
        self.household = family(regions["village"])

    def _once(self, key: str, make: Callable[[], object]):
        if key not in self._made:
            self._made[key] = make()
        return self._made[key]

    @staticmethod
    def listed(url: str, _record: object) -> str:
        """A list's address, once a record it lists exists."""
        return url

    def enrolment(self, state: str, **kw) -> Enrolment:
        def make():
            household = family(self.regions["village"], head=f"申请人{state}")
            return enrolment_at(self.monkeypatch, self.users, household, state, **kw)

        return self._once(f"enrolment:{state}:{sorted(kw.items())}", make)

    def review(self) -> Review:
        def make():
            assistance = assistance_add(
                actor=self.users["county"],
                household=family(self.regions["village"], head="复核户"),
                category="dibao",
                start_date=D(2025, 11, 1),
                monthly_amount=Decimal("900.00"),
            )
            return review_schedule(assistance, after=D(2025, 11, 1))

        return self._once("review", make)

    def appeal(self, state: str = "registered") -> Appeal:
        def make():
            from enrolments.appeals import appeal_workflow

            a = appeal_create(
                actor=self.users["county"], kind="complaint", household=self.household, content="投诉"
            )
            if state == "answered":
                a = appeal_workflow.run(
                    "answer", actor=self.users["county"], obj=a, outcome="rejected", comment="不属实"
                )
            return a

        return self._once(f"appeal:{state}", make)


@pytest.fixture
def api_world(monkeypatch, users, regions):
    return World(monkeypatch, users, regions)


def snapshot() -> tuple:
    return (
        list(Enrolment.objects.order_by("pk").values_list("pk", "status", "deadline", "county_visit_on")),
        EnrolmentMember.objects.count(),
        EnrolmentEvent.objects.count(),
        list(Review.objects.order_by("pk").values_list("pk", "status")),
        ReviewEvent.objects.count(),
        list(Appeal.objects.order_by("pk").values_list("pk", "status", "assignee")),
        AppealEvent.objects.count(),
        list(Assistance.objects.order_by("pk").values_list("pk", "end_date", "monthly_amount")),
    )


@dataclass
class Case:
    id: str
    method: str
    url: Callable[[World], str]
    kind: str  # read-list, read-obj, write-obj, create
    data: Callable[[World], dict] | None = None
    fmt: str = "json"
    allowed: int = 200


def _upload(field: str, **data) -> Callable[[World], dict]:
    return lambda w: {field: pdf(), **data}


def step(path: str, state: str, data: dict | None = None, **kw) -> Case:
    return Case(
        f"enrolment-{path}",
        "post",
        lambda w: f"/api/v1/enrolments/{w.enrolment(state, **kw).pk}/{path}/",
        "write-obj",
        lambda w: dict(data or {}),
    )


def upload_step(path: str, state: str, field: str, **data) -> Case:
    return Case(
        f"enrolment-{path}",
        "post",
        lambda w: f"/api/v1/enrolments/{w.enrolment(state).pk}/{path}/",
        "write-obj",
        _upload(field, **data),
        fmt="multipart",
    )


CASES = [
    Case("enrolments", "get", lambda w: w.listed("/api/v1/enrolments/", w.enrolment("county")), "read-list"),
    Case("enrolment", "get", lambda w: f"/api/v1/enrolments/{w.enrolment('county').pk}/", "read-obj"),
    Case(
        "enrolment-create",
        "post",
        lambda w: "/api/v1/enrolments/",
        "create",
        lambda w: {"household": w.household.pk, "kind": "dibao", "external_id": "ZW-1"},
        allowed=201,
    ),
    upload_step("accept", "submitted", "authorisation"),
    upload_step("check-report", "checking", "report", summary="无异常"),
    Case(
        "enrolment-check-report-json",
        "post",
        lambda w: f"/api/v1/enrolments/{w.enrolment('checking').pk}/check-report/",
        "write-obj",
        lambda w: {"summary": "核对无异常", "reference": "HD-1"},
    ),
    step("investigate", "investigating", {"findings": "属实"}),
    step("township-opinion", "township", {"recommend": True, "comment": "建议纳入"}),
    step("objection", "notice", {"comment": "有异议"}),
    step("notice-close", "notice"),
    step("county-visit", "county", {"comment": "县级核查属实"}, staff_relative=True),
    step("approve", "county"),
    step("refuse", "county", {"comment": "收入超标"}),
    step("notify-refusal", "refused", {"method": "当面送达"}),
    step("extend", "checking", {"comment": "报告延迟"}),
    step("withdraw", "checking", {"comment": "撤回"}),
    Case("reviews", "get", lambda w: w.listed("/api/v1/enrolment-reviews/", w.review()), "read-list"),
    Case("review", "get", lambda w: f"/api/v1/enrolment-reviews/{w.review().pk}/", "read-obj"),
    Case(
        "review-continue",
        "post",
        lambda w: f"/api/v1/enrolment-reviews/{w.review().pk}/continue/",
        "write-obj",
        lambda w: {"findings": "无变化"},
    ),
    Case(
        "review-change",
        "post",
        lambda w: f"/api/v1/enrolment-reviews/{w.review().pk}/change/",
        "write-obj",
        lambda w: {"findings": "收入增加", "new_amount": "500.00"},
    ),
    Case(
        "review-end",
        "post",
        lambda w: f"/api/v1/enrolment-reviews/{w.review().pk}/end/",
        "write-obj",
        lambda w: {"end_reason": "收入超标", "end_notice": "当面告知"},
    ),
    Case("appeals", "get", lambda w: w.listed("/api/v1/appeals/", w.appeal()), "read-list"),
    Case("appeal", "get", lambda w: f"/api/v1/appeals/{w.appeal().pk}/", "read-obj"),
    Case(
        "appeal-create-review",
        "post",
        lambda w: "/api/v1/appeals/",
        "create",
        lambda w: {"kind": "review", "enrolment": w.enrolment("refused").pk, "content": "不服"},
        allowed=201,
    ),
    Case(
        "appeal-create-complaint",
        "post",
        lambda w: "/api/v1/appeals/",
        "create",
        lambda w: {"kind": "complaint", "household": w.household.pk, "content": "该户不应享受"},
        allowed=201,
    ),
    Case("appeal-take", "post", lambda w: f"/api/v1/appeals/{w.appeal().pk}/take/", "write-obj"),
    Case(
        "appeal-answer",
        "post",
        lambda w: f"/api/v1/appeals/{w.appeal().pk}/answer/",
        "write-obj",
        lambda w: {"outcome": "rejected", "comment": "不属实"},
    ),
    Case("appeal-close", "post", lambda w: f"/api/v1/appeals/{w.appeal('answered').pk}/close/", "write-obj"),
]

CALLERS = ["anonymous", "other_county", "city", "county"]


def expected(case: Case, caller: str) -> int:
    if caller == "anonymous":
        return 401
    if caller == "county":
        return case.allowed
    if caller == "other_county":
        return {"read-list": 200, "read-obj": 404, "write-obj": 404, "create": 400}[case.kind]
    return 200 if case.kind.startswith("read") else 403  # city: a read-only official


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_scoping(case, caller, api, users, api_world):
    url = case.url(api_world)
    data = case.data(api_world) if case.data else {}
    before = snapshot()
    if caller != "anonymous":
        api.force_authenticate(users[caller])
    response = api.post(url, data, format=case.fmt) if case.method == "post" else api.get(url)
    assert response.status_code == expected(case, caller), (case.id, caller, response.content[:300])
    if response.status_code >= 400:
        assert set(response.json()) == {"error"} and response.json()["error"]["message"]
    if caller != "county" and case.method == "post":
        assert snapshot() == before, "a denied write changed something"
    if caller == "county" and case.method == "post":
        assert snapshot() != before, "the allowed write did nothing"
    if caller == "other_county" and case.kind == "read-list":
        assert response.json()["count"] == 0
    if caller in ("county", "city") and case.kind == "read-list":
        assert response.json()["count"] == 1


def test_a_read_only_api_client_reads_but_cannot_post_a_report(api, users, api_world):
    e = api_world.enrolment("checking")
    api.force_authenticate(users["api_read"])
    before = snapshot()
    assert api.get(f"/api/v1/enrolments/{e.pk}/").status_code == 200
    r = api.post(f"/api/v1/enrolments/{e.pk}/check-report/", {"summary": "无异常"}, format="json")
    assert r.status_code == 403 and r.json()["error"]["message"] == "您的角色只能查看，不能修改记录"
    assert snapshot() == before


def test_a_village_worker_files_but_does_not_take_the_townships_steps(api, users, api_world):
    e = api_world.enrolment("checking")
    api.force_authenticate(users["village"])
    before = snapshot()
    r = api.post(f"/api/v1/enrolments/{e.pk}/check-report/", {"summary": "无异常"}, format="json")
    assert r.status_code == 403 and "乡镇" in r.json()["error"]["message"]
    assert snapshot() == before
    assert api.get(f"/api/v1/enrolments/{e.pk}/").json()["available_actions"] == []
