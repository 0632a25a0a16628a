"""The REST API end to end: lists with filters and a fixed number of queries, the workflow actions."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from institutions import services
from institutions.models import Hazard, HazardState, Inspection, Institution
from tests.institutions.factories import InstitutionFactory, evidence, move_to, today


def _url(name, *args):
    return reverse(f"api:{name}", args=args)


def test_institution_list_scoped_and_filtered(api, users, institution, other_institution, regions):
    InstitutionFactory(region=regions["county"], name="金堂县社会福利院", type="public_elderly")
    api.force_authenticate(users["county"])
    data = api.get(_url("institution-list")).json()
    assert {r["name"] for r in data["results"]} == {"赵镇敬老院", "金堂县社会福利院"}
    data = api.get(_url("institution-list"), {"type": "public_elderly"}).json()
    assert [r["name"] for r in data["results"]] == ["金堂县社会福利院"]


def test_institution_create_and_update(api, users, regions):
    api.force_authenticate(users["county"])
    resp = api.post(
        _url("institution-list"),
        {
            "name": "新建敬老院",
            "type": "rural_home",
            "region": "510121001",
            "capacity": 30,
            "nursing_beds": 10,
        },
    )
    assert resp.status_code == 201, resp.json()
    pk = resp.json()["id"]
    resp = api.patch(_url("institution-detail", pk), {"residents": 25})
    assert resp.status_code == 200 and resp.json()["residents"] == 25


def test_institution_create_in_other_region_refused(api, users, regions):
    api.force_authenticate(users["county"])
    resp = api.post(_url("institution-list"), {"name": "外县", "type": "rural_home", "region": "510129001"})
    assert resp.status_code == 403
    assert not Institution.objects.filter(name="外县").exists()


def test_institution_constraint_message(api, users, regions):
    api.force_authenticate(users["county"])
    resp = api.post(
        _url("institution-list"),
        {"name": "超额", "type": "rural_home", "region": "510121", "capacity": 5, "nursing_beds": 9},
    )
    assert resp.status_code == 400
    assert resp.json()["error"]["code"] == "invalid"


def test_inspection_create_raises_hazards(api, users, institution, checklist):
    template, items = checklist
    api.force_authenticate(users["township"])
    resp = api.post(
        _url("inspection-list"),
        {
            "institution": institution.pk,
            "template": template.pk,
            "results": [
                {"item": items[0].pk, "result": "fail", "note": "暖气不热", "severity": "major"},
                {"item": items[1].pk, "result": "pass"},
                {"item": items[2].pk, "result": "na"},
            ],
        },
    )
    assert resp.status_code == 201, resp.json()
    body = resp.json()
    failed = [r for r in body["results"] if r["result"] == "fail"]
    assert failed[0]["hazard"]
    hazard = Hazard.objects.get(pk=failed[0]["hazard"])
    assert hazard.severity == "major" and hazard.inspection_id == body["id"]


def test_inspection_create_missing_item_gives_chinese_error(api, users, institution, checklist):
    template, items = checklist
    api.force_authenticate(users["township"])
    resp = api.post(
        _url("inspection-list"),
        {
            "institution": institution.pk,
            "template": template.pk,
            "results": [{"item": items[0].pk, "result": "pass"}],
        },
    )
    assert resp.status_code == 400
    assert "未填写检查结果" in resp.json()["error"]["message"]
    assert not Inspection.objects.exists()


def test_inspection_create_for_other_region_institution_not_found(api, users, other_institution, checklist):
    template, items = checklist
    api.force_authenticate(users["county"])
    resp = api.post(
        _url("inspection-list"),
        {
            "institution": other_institution.pk,
            "template": template.pk,
            "results": [{"item": i.pk, "result": "pass"} for i in items],
        },
    )
    assert resp.status_code == 400
    assert "institution" in resp.json()["error"]["fields"]
    assert not Inspection.objects.exists()


def test_hazard_workflow_through_actions(api, users, hazard):
    owner, second = users["township"], users["county"]
    api.force_authenticate(second)
    resp = api.post(
        _url("hazard-start", hazard.pk), {"owner": owner.pk, "measures": "重新布线", "funds": "800.00"}
    )
    assert resp.status_code == 200, resp.json()
    assert resp.json()["state"] == "rectifying" and resp.json()["funds"] == "800.00"

    api.force_authenticate(owner)
    new = (hazard.deadline + datetime.timedelta(days=10)).isoformat()
    resp = api.post(_url("hazard-request-extension", hazard.pk), {"new_deadline": new, "reason": "暴雪"})
    assert resp.json()["state"] == "extension_requested"
    resp = api.post(_url("hazard-decide-extension", hazard.pk), {"approve": True})
    assert resp.status_code == 400 and "申请人以外" in resp.json()["error"]["message"]

    api.force_authenticate(second)
    resp = api.post(_url("hazard-decide-extension", hazard.pk), {"approve": True})
    assert resp.json()["deadline"] == new

    api.force_authenticate(owner)
    resp = api.post(
        _url("hazard-rectify", hazard.pk), {"evidence": evidence(), "comment": "已整改"}, format="multipart"
    )
    assert resp.status_code == 200, resp.json()
    assert resp.json()["state"] == "rectified"
    resp = api.post(_url("hazard-verify", hazard.pk), {})
    assert resp.status_code == 400 and "整改责任人以外" in resp.json()["error"]["message"]

    api.force_authenticate(second)
    assert api.post(_url("hazard-verify", hazard.pk), {}).json()["state"] == "verified"
    body = api.post(_url("hazard-close", hazard.pk), {"comment": "销号"}).json()
    assert body["state"] == "closed" and body["available_actions"] == []
    history = api.get(_url("hazard-transitions", hazard.pk)).json()
    assert [t["action"] for t in history] == [
        "raise",
        "start",
        "request_extension",
        "approve_extension",
        "rectify",
        "verify",
        "close",
    ]


def test_hazard_create(api, users, institution):
    api.force_authenticate(users["county"])
    resp = api.post(
        _url("hazard-list"),
        {"institution": institution.pk, "title": "使用彩钢板搭建厨房", "severity": "major"},
    )
    assert resp.status_code == 201, resp.json()
    assert resp.json()["deadline"] == (today() + datetime.timedelta(days=30)).isoformat()


def test_hazard_filters(api, users, institution):
    county, township = users["county"], users["township"]
    late = services.hazard_raise(
        actor=county,
        institution=institution,
        title="逾期隐患",
        severity="general",
        found_on=today() - datetime.timedelta(days=30),
    )
    services.hazard_raise(actor=county, institution=institution, title="重大", severity="major")
    done = services.hazard_raise(actor=county, institution=institution, title="已销号", severity="general")
    move_to(done, "closed", owner=township, second=county)
    api.force_authenticate(county)

    def titles(**params):
        return {r["title"] for r in api.get(_url("hazard-list"), params).json()["results"]}

    assert titles(overdue="true") == {"逾期隐患"}
    assert titles(severity="major") == {"重大"}
    assert titles(state="closed") == {"已销号"}
    assert titles(open="true") == {"逾期隐患", "重大"}
    assert late.pk in {r["id"] for r in api.get(_url("hazard-list")).json()["results"]}


def _many_hazards(users, n):
    county, township = users["county"], users["township"]
    for i in range(n):
        inst = InstitutionFactory(region=users["township"].region)
        h = services.hazard_raise(actor=county, institution=inst, title=f"隐患{i}", severity="major")
        if i % 2:
            move_to(h, "verified", owner=township, second=county)


@pytest.mark.parametrize("n", [2, 6])
def test_hazard_list_queries_do_not_grow(api, users, django_assert_num_queries, n):
    _many_hazards(users, n)
    api.force_authenticate(users["county"])
    # count, page of hazards (with institution, region, owner, verifier joined), criteria prefetch
    with django_assert_num_queries(3):
        resp = api.get(_url("hazard-list"))
    assert resp.json()["count"] == n


@pytest.mark.parametrize("n", [1, 4])
def test_inspection_list_queries_do_not_grow(api, users, checklist, django_assert_num_queries, n):
    template, items = checklist
    for _ in range(n):
        inst = InstitutionFactory(region=users["township"].region)
        services.inspection_record(
            actor=users["county"],
            institution=inst,
            template=template,
            results=[services.ResultInput(item_id=i.pk, result="fail", note="问题") for i in items],
        )
    api.force_authenticate(users["county"])
    # count, page of inspections, results prefetch (with item and hazard joined)
    with django_assert_num_queries(3):
        resp = api.get(_url("inspection-list"))
    assert resp.json()["count"] == n


@pytest.mark.parametrize("n", [1, 5])
def test_institution_list_queries_do_not_grow(api, users, django_assert_num_queries, n):
    for _ in range(n):
        InstitutionFactory(region=users["township"].region)
    api.force_authenticate(users["county"])
    with django_assert_num_queries(2):
        resp = api.get(_url("institution-list"))
    assert resp.json()["count"] == n


def test_hazard_state_visible_in_detail(api, users, hazard):
    api.force_authenticate(users["city"])
    body = api.get(_url("hazard-detail", hazard.pk)).json()
    assert body["state"] == HazardState.OPEN and body["institution_name"] == "赵镇敬老院"
