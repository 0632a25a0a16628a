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


def _figure(page, key: str) -> int:
    return int(page.get_by_test_id(f"figure-{key}").inner_text().split()[0].replace(",", ""))


def test_assistance_from_township_to_county_to_the_provincial_dashboard(new_page, users, regions):
    from funds.models import AppStatus, AssistanceApplication
    from tests.people.factories import make_id_number

    # The provincial official looks at the dashboard first.
    official = new_page("dashboard", phone=False)
    login(official, users["province"].username)
    official.goto("/dashboard/")
    official.get_by_role("button", name="立即刷新").click()
    official.wait_for_load_state()
    official.goto("/dashboard/")
    paid_before = _figure(official, "funds.ta_paid")
    official.shot("before")

    # A township worker opens an emergency (急难型) application where the fire happened.
    page = new_page("assistance")
    login(page, users["township"].username)
    page.goto("/funds/applications/new/")
    page.check("input[name=kind][value=urgent]")
    page.select_option("select[name=cause]", "fire")
    page.select_option("select[name=region]", "510121001001")
    page.fill("input[name=place]", "滨河社区3组")
    page.fill("input[name=applicant_name]", "李桂兰")
    page.fill("input[name=id_number]", make_id_number("510121"))
    page.fill("input[name=household_size]", "3")
    page.fill("input[name=amount_requested]", "5000")
    page.fill("textarea[name=description]", "房屋失火，衣被全部烧毁")
    page.shot("application-form")
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url("**/funds/applications/*/")
    app = AssistanceApplication.objects.get(applicant_name="李桂兰")
    page.get_by_role("button", name="乡镇审核").click()
    page.wait_for_load_state()
    page.shot("reviewed")
    app.refresh_from_db()
    assert app.status == AppStatus.REVIEWED

    # 5,000 yuan is above the township's limit: the county approves it (from the county's 临时救助
    # allocation), asked first with the amount; the township, not the approver, pays it.
    from tests.funds.factories import AllocationFactory, program

    AllocationFactory(
        region=regions["county"], program=program("temporary_assistance"), amount="50000", year=app.year
    )
    asked: list[str] = []
    county = new_page("county")
    county.on("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    login(county, users["county"].username)
    county.goto(f"/funds/applications/{app.pk}/")
    county.get_by_role("button", name="审批").click()
    county.wait_for_load_state()
    assert asked and "5000" in asked[-1]
    app.refresh_from_db()
    assert app.status == AppStatus.APPROVED
    assert county.get_by_role("button", name="登记发放").count() == 0  # separation of duties
    page.on("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    page.goto(f"/funds/applications/{app.pk}/")
    page.get_by_role("button", name="登记发放").click()
    page.wait_for_load_state()
    assert "5000.00" in asked[-1]
    page.shot("paid")
    app.refresh_from_db()
    assert app.status == AppStatus.PAID

    # The provincial official refreshes the dashboard and sees one more payment.
    official.goto("/dashboard/")
    official.get_by_role("button", name="立即刷新").click()
    official.wait_for_load_state()
    official.goto("/dashboard/")
    official.shot("after")
    assert _figure(official, "funds.ta_paid") == paid_before + 1
