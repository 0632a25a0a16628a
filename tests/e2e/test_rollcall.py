"""寒潮点名 in a real browser on a 390 px phone: a yellow warning puts the village's high-risk people
on the roll call; the village worker opens one from today's list and ticks her safe in one tap, marks
another not reached, and records a third who needs help; the county official sees the progress."""

from __future__ import annotations

import datetime

import pytest

from coldwaves.models import Outcome, RollCallEntry
from coldwaves.services import rollcall_tick
from patrols.services import cold_warning_issue
from people.models import Household
from relief.models import Task
from tests.e2e.conftest import login
from tests.people.factories import household_with_head

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _at_risk(name: str, **head) -> None:
    household = household_with_head("510121001001", name=name, **head)
    Household.objects.filter(pk=household.pk).update(heating_type="electric")


def _no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_a_worker_ticks_off_the_roll_call_on_a_phone(new_page, users, regions):
    _at_risk("赵桂兰", birth=datetime.date(1936, 1, 9), lives_alone=True)
    _at_risk("钱守义", birth=datetime.date(1941, 4, 2), unable_self_care=True)
    _at_risk("孙秀英", birth=datetime.date(1939, 8, 3), lives_alone=True)
    cold_warning_issue(actor=users["county"], region=regions["county"], level=2)
    rollcall_tick()

    page = new_page("rollcall-village")
    login(page, users["village"].username)
    line = page.get_by_test_id("task-line").filter(has_text="赵桂兰")
    assert line.count() == 1
    page.shot("today")
    line.get_by_test_id("task-action").click()
    page.wait_for_url("**/coldwaves/entries/**")
    _no_sideways_scroll(page)
    page.shot("entry")
    page.get_by_role("button", name="电话联系·安全").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("outcome").inner_text() == "安全"

    page.get_by_role("link", name="寒潮点名").first.click()
    page.wait_for_url("**/coldwaves/*/")
    _no_sideways_scroll(page)
    page.shot("rollcall")
    row = page.get_by_test_id("entry").filter(has_text="钱守义")
    row.get_by_role("button", name="未联系上").click()
    page.wait_for_load_state()
    row = page.get_by_test_id("entry").filter(has_text="孙秀英")
    row.get_by_role("link", name="需要帮助").click()
    page.wait_for_url("**/coldwaves/entries/**")
    page.fill("textarea[name=needs]", "家中取暖器坏了，屋里很冷")
    page.select_option("select[name=follow_up]", "material")
    page.shot("needs-help")
    page.get_by_role("button", name="记录并转交跟进").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("outcome").inner_text() == "需要帮助"

    outcomes = {e.person.name: e.outcome for e in RollCallEntry.objects.select_related("person")}
    assert outcomes == {"赵桂兰": Outcome.SAFE, "钱守义": Outcome.NOT_REACHED, "孙秀英": Outcome.NEEDS_HELP}
    assert Task.objects.filter(source="need", title__contains="孙秀英").exists()

    county = new_page("rollcall-county")
    login(county, users["county"].username)
    county.goto("/coldwaves/")
    county.get_by_test_id("rollcalls").get_by_role("link").first.click()
    row = county.get_by_test_id("progress").locator("tr[data-region='510121001']")
    cells = row.locator("td").all_inner_texts()
    assert cells[1:] == ["3", "2", "1", "1", "0"]
    _no_sideways_scroll(county)
    county.shot("progress")
