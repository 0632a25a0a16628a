"""The pages of 慈善 for each role: every page renders for the county, the township and a province
official (who reads but gets no write form, and whose writes are refused); another county gets 404
on every record; the matching page's queries do not grow with the needs on it."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from charity import services
from charity.models import CharityNeed, NeedState
from tests.charity import factories as f
from tests.funds.factories import dibao_household

pytestmark = pytest.mark.django_db


@pytest.fixture
def records(users):
    county = users["county"]
    giver = f.donor(
        county, kind="individual", name="王爱心", phone="13912345678", id_number="510121193112174250"
    )
    project = f.project(county)
    money = f.money(county, giver, "1000.00")
    goods = f.goods(county, f.donor(county))
    assigned = f.need(county, dibao_household("510121001001", name="周大爷"))
    services.need_assign(
        actor=county, need=assigned, project=project, shares=[services.Share(donation=money, amount="100.00")]
    )
    open_need = f.need(county, dibao_household("510121001001", name="吴奶奶"), "clothing", "缺棉被")
    return {
        "donor": giver,
        "project": project,
        "money": money,
        "goods": goods,
        "assigned": assigned,
        "open": open_need,
    }


def urls(r) -> list[str]:
    return [
        "/charity/",
        "/charity/donors/",
        f"/charity/donors/{r['donor'].pk}/",
        "/charity/donations/",
        f"/charity/donations/{r['money'].pk}/",
        f"/charity/donations/{r['goods'].pk}/",
        "/charity/projects/",
        f"/charity/projects/{r['project'].pk}/",
        f"/charity/needs/{r['assigned'].pk}/",
        f"/charity/needs/{r['open'].pk}/",
    ]


@pytest.mark.parametrize("role", ["county", "township", "village", "province"])
def test_every_page_renders_for_each_role(as_user, users, records, role):
    client = as_user(users[role])
    for url in urls(records):
        response = client.get(url)
        assert response.status_code == 200, (role, url)
    matching = client.get("/charity/").content.decode()
    assert "吴奶奶" in matching
    has_form = f"/charity/needs/{records['open'].pk}/assign/" in matching
    assert has_form == (role == "county")  # only the county coordinator assigns
    deliver = client.get(f"/charity/needs/{records['assigned'].pk}/deliver/")
    assert deliver.status_code == 200


def test_another_county_gets_404_and_officials_cannot_write(as_user, users, records):
    client = as_user(users["other_county"])
    for url in urls(records)[2:]:
        if url.endswith(("/donors/", "/donations/", "/projects/")):
            continue
        assert client.get(url).status_code == 404, url
    assert "吴奶奶" not in client.get("/charity/").content.decode()
    official = as_user(users["province"])
    need = records["assigned"]
    response = official.post(
        f"/charity/needs/{need.pk}/deliver/", {"received_by_name": "某", "delivered_on": "2026-12-01"}
    )
    assert response.status_code == 403
    assert official.get("/charity/donors/new/").status_code == 403
    response = official.post(f"/charity/needs/{records['open'].pk}/close/", {"reason": "x"})
    assert response.status_code == 403
    need.refresh_from_db()
    assert need.state == NeedState.ASSIGNED
    assert CharityNeed.objects.get(pk=records["open"].pk).state == NeedState.OPEN


def test_the_county_creates_donors_donations_and_projects_on_its_pages(as_user, users):
    client = as_user(users["county"])
    response = client.post(
        "/charity/donors/new/",
        {
            "kind": "enterprise",
            "name": "暖源能源",
            "credit_code": "91510121MA6CXXXX1T",
            "phone": "13800000002",
        },
    )
    assert response.status_code == 302
    from charity.models import CharityProject, Donation, Donor

    donor = Donor.objects.get(name="暖源能源")
    response = client.post(
        "/charity/projects/new/",
        {
            "name": "助暖",
            "budget": "5000",
            "starts_on": "2026-11-01",
            "ends_on": "2027-03-15",
            "need_kinds": ["heating"],
        },
    )
    assert response.status_code == 302, response.content.decode()[:500]
    project = CharityProject.objects.get(name="助暖")
    response = client.post(
        "/charity/donations/new/",
        {
            "donor": donor.pk,
            "received_on": "2026-12-01",
            "receipt_number": "CS-P-1",
            "amount": "",
            "project": project.pk,
            "item_1": "取暖煤",
            "unit_1": "公斤",
            "quantity_1": "800",
            "unit_value_1": "1.2",
            "serves_1": "heating",
        },
    )
    assert response.status_code == 302, response.content.decode()[:500]
    donation = Donation.objects.get(receipt_number="CS-P-1")
    assert donation.project == project and donation.items.get().quantity == 800
    # the same receipt again: the form says so in Chinese
    response = client.post(
        "/charity/donations/new/",
        {"donor": donor.pk, "received_on": "2026-12-01", "receipt_number": "CS-P-1", "amount": "10"},
    )
    assert "该捐赠票据号已登记" in response.content.decode()


def test_the_matching_page_queries_do_not_grow_with_the_needs(as_user, users, records):
    client = as_user(users["county"])
    client.get("/charity/")
    with CaptureQueriesContext(connection) as few:
        client.get("/charity/")
    for i in range(5):
        f.need(users["county"], dibao_household("510121001001"), "heating", f"缺煤{i}")
    with CaptureQueriesContext(connection) as many:
        assert "缺煤4" in client.get("/charity/").content.decode()
    assert len(many) == len(few)


def test_an_open_need_is_the_county_coordinator_s_task_until_matched_or_closed(as_user, users, records):
    from relief.models import Task

    tasks = {t.subject_id: t for t in Task.objects.live().filter(kind="charity.need.match")}
    open_need, assigned = records["open"], records["assigned"]
    assert set(tasks) == {str(open_need.pk)}, "the need already assigned has no matching task"
    matched = Task.objects.get(kind="charity.need.match", subject_id=str(assigned.pk))
    assert not matched.is_live and "已对接待送达" in matched.answer  # done by the assignment itself
    task = tasks[str(open_need.pk)]
    assert task.assignee_region == "510121" and task.action_url == f"/charity/needs/{open_need.pk}/"
    today = as_user(users["county"]).get("/").content.decode()
    assert "吴奶奶户" in today and "：慈善需求待对接（衣被）" in today
    assert "慈善需求待对接" not in as_user(users["other_county"]).get("/").content.decode()
    services.need_close(actor=users["county"], need=open_need, reason="已由亲属解决")
    task.refresh_from_db()
    assert not task.is_live and "已办理" in task.answer
