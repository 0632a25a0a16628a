"""The dashboard's map in a real browser: a city official's map of its counties is drawn (a canvas,
coloured from the map API), a click on a county drills down to that county's dashboard, where the
townships have no boundaries and the page says so; the big screen draws the map at 1920×1080."""

from __future__ import annotations

import datetime
import json

import pytest

from tests.e2e.conftest import login
from tests.people.factories import AssistanceFactory, household_with_head

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_map_draws_and_a_click_drills_down(new_page, users, regions):
    for village in ("510121001001", "510129001001"):
        household = household_with_head(village)
        AssistanceFactory(household=household, category="dibao", start_date=datetime.date(2025, 1, 1))

    page = new_page("dashboard-map", phone=False)
    login(page, users["city"].username)
    page.goto("/dashboard/?region=5101&figure=people.visit_coverage")
    page.wait_for_selector("#dashboard-map[data-ready='1']")
    assert page.locator("#dashboard-map canvas").count() >= 1
    pixels = json.loads(page.get_attribute("#dashboard-map", "data-pixels"))
    assert "510121" in pixels and "510129" in pixels
    page.shot("city")
    box = page.locator("#dashboard-map").bounding_box()
    x, y = pixels["510121"]
    page.mouse.click(box["x"] + x, box["y"] + y)
    page.wait_for_url("**/dashboard/?region=510121")
    assert "金堂县" in page.locator("h1").inner_text()
    assert page.get_by_test_id("map-fallback").is_visible()  # townships: no boundaries
    assert page.get_by_test_id("ranking").is_visible()
    page.shot("county")

    screen = new_page("dashboard-screen", phone=False)
    screen.set_viewport_size({"width": 1920, "height": 1080})
    login(screen, users["city"].username)
    screen.goto("/dashboard/screen/?region=5101")
    screen.wait_for_selector("#dashboard-map[data-ready='1']")
    assert screen.evaluate("document.documentElement.scrollHeight") <= 1080  # one screen, no scrolling
    screen.shot("screen")
