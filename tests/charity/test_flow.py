"""A need found on a visit met by a project, through the pages: the visit opens the need task and
the charity need; the county's coordinator sees it on /charity/ beside the project and donations
that fit and assigns it in one form; the township finds the delivery task on its today page, whose
one tap opens the delivery form; recording the delivery closes the need and the task, and the
household's assistance chain (page and API) shows it with donor and project."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from charity.models import CharityNeed, NeedOrigin, NeedState
from people import services as people
from relief.models import Task, TaskState
from tests.charity import factories as f
from tests.conftest import login
from tests.funds.factories import dibao_household

pytestmark = pytest.mark.django_db


def test_a_need_from_a_visit_is_met_by_a_project(users, client, api):
    county, township = users["county"], users["township"]
    household = dibao_household("510121001001", name="王大爷")
    project = f.project(county, name="爱心助暖")
    money = f.money(county, f.donor(county), "2000.00")
    goods = f.goods(
        county, f.donor(county, kind="enterprise", name="暖源能源", credit_code="91510121MA6CXXXX1T")
    )
    coal = goods.items.get(name="取暖煤")

    visit = people.visit_record(
        actor=users["village"],
        household=household,
        person=household.head,
        heating_ok=False,
        needs="家中没有取暖煤，屋里很冷",
        follow_up="material",
    )
    need = CharityNeed.objects.get(visit=visit)
    assert (need.kind, need.origin, need.state) == ("heating", NeedOrigin.VISIT, NeedState.OPEN)
    source = Task.objects.get(source="need", kind="material")
    assert need.source_task == source
    # the hook is idempotent: the same visit's need once
    from charity.services import needs_from_visit

    needs_from_visit(visit, [source])
    assert CharityNeed.objects.filter(visit=visit).count() == 1

    # the county coordinator's matching page: the need beside the project and both donations
    coordinator = login(client, county)
    page = coordinator.get("/charity/").content.decode()
    block = re.search(rf'id="n{need.pk}".*?</li>', page, re.S).group(0)
    assert "王大爷" in block and "爱心助暖" in block
    assert f'name="amount_{money.pk}"' in block and f'name="quantity_{coal.pk}"' in block
    assert f'name="quantity_{goods.items.get(name="棉被").pk}"' not in block  # quilts do not heat
    response = coordinator.post(
        f"/charity/needs/{need.pk}/assign/",
        {
            "project": project.pk,
            f"amount_{money.pk}": "300",
            f"quantity_{coal.pk}": "250",
            "next": "/charity/",
        },
    )
    assert response.status_code == 302
    need.refresh_from_db()
    assert need.state == NeedState.ASSIGNED and need.project == project
    source.refresh_from_db()
    assert source.state == TaskState.DONE  # the visit's need task is answered by the assignment
    task = need.delivery_task
    assert task.assignee_region == "510121001" and task.state == TaskState.OPEN

    # the township's today page: the delivery task, its one tap opens the delivery form
    client.logout()
    today = login(client, township).get("/").content.decode()
    assert "慈善救助送达" in today and "王大爷" in today
    assert f'href="/charity/needs/{need.pk}/deliver/?task={task.pk}"' in today
    form = client.get(f"/charity/needs/{need.pk}/deliver/?task={task.pk}").content.decode()
    assert "取暖煤 250公斤" in form and "300.00" in form
    today_str = need.assigned_at.astimezone().date().isoformat()
    response = client.post(
        f"/charity/needs/{need.pk}/deliver/", {"received_by_name": "王大爷", "delivered_on": today_str}
    )
    assert response.status_code == 302
    need.refresh_from_db()
    task.refresh_from_db()
    assert need.state == NeedState.DELIVERED and need.received_by_name == "王大爷"
    assert task.state == TaskState.DONE
    # a second submission of the delivery changes nothing
    client.post(f"/charity/needs/{need.pk}/deliver/", {"received_by_name": "别人", "delivered_on": today_str})
    need.refresh_from_db()
    assert need.received_by_name == "王大爷"

    # the household page: the charity panel and the chain's entries with donor and project
    household_page = client.get(f"/people/households/{household.pk}/").content.decode()
    assert 'data-testid="household-charity"' in household_page and "已送达" in household_page
    assert 'data-kind="charity"' in household_page and "暖源能源 · 爱心助暖" in household_page
    api.force_authenticate(county)
    chain = api.get(f"/api/v1/households/{household.pk}/assistance-chain/").json()
    charity = [e for e in chain["entries"] if e["kind"] == "charity"]
    assert {(e["label"], e["state"], e["kind_display"]) for e in charity} == {
        ("慈善救助金（取暖）", "paid", "慈善救助"),
        ("取暖煤", "paid", "慈善救助"),
    }
    assert Decimal(chain["totals"]["received"]) == Decimal("300.00")
    assert {"item": "取暖煤", "unit": "公斤", "quantity": "250.00"} in chain["totals"]["items"]

    # the donation's and the project's pages
    client.logout()
    login(client, county)
    donation_page = client.get(f"/charity/donations/{money.pk}/").content.decode()
    assert f'data-household="{household.pk}"' in donation_page and "王大爷" in donation_page
    assert re.search(r'data-testid="delivered">300\.00', donation_page)
    assert re.search(r'data-testid="balance">1,?700\.00', donation_page)
    project_page = client.get(f"/charity/projects/{project.pk}/").content.decode()
    assert re.search(r'data-testid="served">1 ', project_page)


def test_a_need_added_by_hand_from_the_household_page(users, client):
    household = dibao_household("510121001001", name="赵婆婆")
    c = login(client, users["village"])
    page = c.get(f"/people/households/{household.pk}/").content.decode()
    assert f'href="/charity/needs/new/?household={household.pk}"' in page
    response = c.post(
        f"/charity/needs/new/?household={household.pk}", {"kind": "clothing", "description": "缺棉被"}
    )
    assert response.status_code == 302
    need = CharityNeed.objects.get(household=household)
    assert (need.kind, need.origin, need.region_id) == ("clothing", "manual", "510121001001")
    # no coordinator's form for a village worker
    assert f"/charity/needs/{need.pk}/assign/" not in c.get("/charity/").content.decode()


def test_a_need_from_a_hotline_call_once_per_call_and_kind(users, client, regions):
    from coldwaves.services.duty import hotline_call_log

    household = dibao_household("510121001001", name="钱大妈")
    call = hotline_call_log(
        actor=users["county"],
        region=regions["county"],
        place="滨河社区",
        asked="钱大妈家没有棉被",
        kind="report",
        household=household,
    )
    c = login(client, users["county"])
    form = c.get(f"/charity/needs/new/?call={call.pk}").content.decode()
    assert "钱大妈家没有棉被" in form
    for _twice in range(2):
        c.post(f"/charity/needs/new/?call={call.pk}", {"kind": "clothing", "description": "钱大妈家没有棉被"})
    need = CharityNeed.objects.get(household=household)
    assert (need.origin, need.call, need.cause_key) == ("hotline", call, f"call:{call.pk}:clothing")
    client.logout()
    assert login(client, users["other_county"]).get(f"/charity/needs/new/?call={call.pk}").status_code == 404
