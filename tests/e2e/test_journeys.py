"""The main journeys in a real browser."""

from __future__ import annotations

import pytest

from people.models import Visit
from tests.e2e.conftest import login
from tests.people.factories import household_with_head

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_township_worker_finds_a_household_and_records_a_visit_with_a_need(new_page, users, regions):
    household = household_with_head("510121001001", name="王秀英")
    page = new_page("visit")
    login(page, users["township"].username)
    page.shot("home")

    page.goto("/people/?q=王秀英")
    page.shot("search")
    page.get_by_role("link", name="王秀英").first.click()
    page.wait_for_url(f"**/people/households/{household.pk}/")
    page.shot("household")

    page.goto(f"/people/households/{household.pk}/visits/new/")
    page.fill("textarea[name=needs]", "取暖煤不够，需要临时救助")
    page.select_option("select[name=follow_up]", index=1)
    page.shot("visit-form")
    page.get_by_role("button", name="保存探访记录").click()
    page.wait_for_load_state()
    page.shot("visit-saved")

    visit = Visit.objects.get(household=household)
    assert visit.needs == "取暖煤不够，需要临时救助"
    assert visit.visitor == users["township"]
    assert visit.follow_up
    assert "取暖煤不够" in page.content()
