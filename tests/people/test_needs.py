"""Needs found on a visit become tasks for the right role, with a deadline and a one-tap follow-up:
a temporary-assistance need is answered by filing the application the button opens pre-filled; a
child without a guardian raises urgent tasks for the township and the county the same day."""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone

from funds.models import AssistanceApplication
from people import services
from relief.models import Task, TaskState
from tests.conftest import login
from tests.people.factories import PersonFactory, household_with_head

pytestmark = pytest.mark.django_db


def test_a_temporary_assistance_need_is_the_townships_task_and_its_button_files_the_application(
    users, client
):
    household = household_with_head("510121001001", name="王大爷", birth=datetime.date(1940, 1, 2))
    head = household.head
    visit = services.visit_record(
        actor=users["village"],
        household=household,
        person=head,
        needs="取暖费用困难，想申请临时救助",
        follow_up="temp_assistance",
    )
    task = Task.objects.get(source="need", kind="temp_assistance")
    assert task.assignee_region == "510121001" and task.state == TaskState.OPEN
    assert task.due_at.date() > timezone.localdate()  # working days from policy, not "now"
    assert "想申请临时救助" in task.detail

    # the township sees it on its today page with the one-tap button
    township = login(client, users["township"])
    today = township.get("/").content.decode()
    assert "王大爷：临时救助申请" in today and "发起临时救助申请" in today
    link = re.search(r'href="(/funds/applications/new/\?[^"]+)"', today).group(1).replace("&amp;", "&")
    form = township.get(link).content.decode()
    assert head.id_number in form and household.address in form  # pre-filled from the register

    response = township.post(
        link,
        {
            "kind": "urgent",
            "cause": "other",
            "region": household.region_id,
            "place": household.address,
            "applicant_name": head.name,
            "id_number": head.id_number,
            "household_size": 1,
            "amount_requested": "800.00",
            "description": "取暖费用困难",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    app = AssistanceApplication.objects.get()
    task.refresh_from_db()
    assert task.state == TaskState.DONE and str(app.pk) in task.answer
    # the visit page shows the need and where it stands
    page = township.get(f"/people/visits/{visit.pk}/").content.decode()
    assert "王大爷：临时救助申请" in page and "已完成" in page
    # and it is gone from the township's today list
    assert "王大爷：临时救助申请" not in township.get("/").content.decode().split("我的待办", 1)[1]


def test_a_child_without_a_guardian_raises_urgent_tasks_for_township_and_county_the_same_day(users):
    household = household_with_head("510121001001", name="赵父")
    child = PersonFactory(
        household=household, name="赵小宝", relation="child", birth=datetime.date(2016, 5, 1)
    )
    services.visit_record(actor=users["village"], household=household, person=child, guardian_present=False)
    tasks = Task.objects.filter(kind="child_alone").order_by("assignee_region")
    assert [t.assignee_region for t in tasks] == ["510121", "510121001"]
    assert all(t.urgent for t in tasks)
    assert all(
        timezone.localtime(t.due_at).date() == timezone.localdate()
        or t.due_at <= timezone.now() + datetime.timedelta(hours=4)
        for t in tasks
    )


def test_no_need_no_task_and_an_adult_alone_is_no_child_case(users):
    household = household_with_head("510121001001", name="钱某")
    services.visit_record(
        actor=users["village"], household=household, person=household.head, guardian_present=False
    )
    assert not Task.objects.exists()


def test_a_forged_task_id_on_the_application_form_answers_nothing(users, client, regions):
    from relief.todo.services import due_in_working_days, task_open

    other, _ = task_open(
        source="need",
        kind="temp_assistance",
        cause_key="x",
        title="外县事项",
        region="510129001",
        due_at=due_in_working_days(3),
    )
    household = household_with_head("510121001001", name="孙某")
    township = login(client, users["township"])
    township.post(
        f"/funds/applications/new/?person={household.head.pk}&task={other.pk}",
        {
            "kind": "urgent",
            "cause": "other",
            "region": household.region_id,
            "place": "x",
            "applicant_name": household.head.name,
            "id_number": household.head.id_number,
            "household_size": 1,
            "amount_requested": "100",
        },
    )
    other.refresh_from_db()
    assert other.state == TaskState.OPEN  # outside the township's region: untouched


def test_filing_from_a_link_answers_only_the_need_it_was_made_for(users, client):
    from relief.todo.services import answer_from_request

    first = household_with_head("510121001001", name="甲户")
    second = household_with_head("510121001001", name="乙户")
    services.visit_record(
        actor=users["village"], household=first, person=first.head, needs="缺煤", follow_up="material"
    )
    services.visit_record(
        actor=users["village"],
        household=second,
        person=second.head,
        needs="要救助",
        follow_up="temp_assistance",
    )
    material = Task.objects.get(kind="material")
    assert material.assignee_region == "510121"  # the county's warehouses issue stock
    temp = Task.objects.get(kind="temp_assistance")
    # an application for the second household does not answer the first household's material need
    assert (
        answer_from_request(
            actor=users["township"],
            task_id=str(material.pk),
            note="x",
            kinds={"temp_assistance"},
            household_id=second.pk,
        )
        is None
    )
    assert (
        answer_from_request(
            actor=users["township"],
            task_id=str(temp.pk),
            note="x",
            kinds={"temp_assistance"},
            household_id=first.pk,
        )
        is None
    )
    assert (
        answer_from_request(
            actor=users["township"],
            task_id=str(temp.pk),
            note="已受理",
            kinds={"temp_assistance"},
            household_id=second.pk,
        )
        is not None
    )
