"""The work loop in a real browser, on a phone: a village worker sees an overdue old man on today's
list, records the visit with a need; the township sees the task, opens the pre-filled application
and files it; both today lists empty; a dashboard figure and the list behind it agree."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from funds.models import AssistanceApplication
from people.models import Person
from people.services import person_refresh_next_visit
from relief.alerts.sweeps import sweep_county
from relief.models import Task, TaskState
from tests.e2e.conftest import login
from tests.people.factories import household_with_head

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _mine(page):
    return page.get_by_test_id("section-mine")


def test_a_need_found_on_a_visit_reaches_the_township_as_a_prefilled_application(new_page, users, regions):
    household = household_with_head("510121001001", name="刘长贵", birth=datetime.date(1938, 2, 1))
    head = household.head
    Person.objects.filter(pk=head.pk).update(
        lives_alone=True, created_at=timezone.now() - datetime.timedelta(days=40)
    )
    person_refresh_next_visit(region_code="510121")  # as the nightly recompute does
    sweep_county("people.visit_overdue", "510121")

    # The village worker's today page: 刘长贵 is overdue, with the one tap that answers it.
    page = new_page("loop-village")
    login(page, users["village"].username)
    line = page.get_by_test_id("section-visits_due").get_by_test_id("today-line").filter(has_text="刘长贵")
    assert line.count() == 1
    page.shot("today")
    line.get_by_test_id("today-action").click()
    page.wait_for_url("**/visits/new/**")
    page.fill("textarea[name=needs]", "取暖费用困难，想申请临时救助")
    page.select_option("select[name=follow_up]", "temp_assistance")
    page.shot("visit-form")
    page.get_by_role("button", name="保存探访记录").click()
    page.wait_for_load_state()
    page.goto("/")
    page.shot("today-after")
    assert page.get_by_text("刘长贵").count() == 0  # neither due nor a task any more

    # The township's today page: the need, due in working days, with its button.
    township = new_page("loop-township")
    login(township, users["township"].username)
    need = _mine(township).get_by_test_id("task-line").filter(has_text="刘长贵：临时救助申请")
    assert need.count() == 1
    township.shot("today")
    need.get_by_test_id("task-action").click()
    township.wait_for_url("**/funds/applications/new/**")
    assert township.input_value("input[name=id_number]") == head.id_number
    assert township.input_value("input[name=applicant_name]") == "刘长贵"
    township.select_option("select[name=cause]", index=1)
    township.fill("input[name=amount_requested]", "800")
    township.shot("application-form")
    township.locator("form button[type=submit]").last.click()
    township.wait_for_url("**/funds/applications/*/")
    app = AssistanceApplication.objects.get(applicant_name="刘长贵")
    assert app.household_id == household.pk  # linked to the register
    task = Task.objects.get(source="need", kind="temp_assistance")
    assert task.state == TaskState.DONE
    township.goto("/")
    assert _mine(township).get_by_test_id("task-line").filter(has_text="刘长贵：临时救助申请").count() == 0


def test_a_dashboard_figure_and_the_list_behind_it_agree(new_page, users, regions):
    for i in range(3):
        household_with_head("510121001001", name=f"测试户{i}")
    official = new_page("loop-dashboard", phone=False)
    login(official, users["county"].username)
    official.goto("/dashboard/")
    official.get_by_role("button", name="立即刷新").click()
    official.wait_for_load_state()
    official.goto("/dashboard/")
    figure = official.get_by_test_id("figure-link-people.households")
    shown = int(figure.inner_text().replace(",", ""))
    figure.click()
    official.wait_for_load_state()
    official.shot("list")
    assert int(official.get_by_test_id("list-total").get_attribute("data-count")) == shown
