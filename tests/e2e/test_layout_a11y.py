"""Every main page reads well on a 390 px phone and a 1,366 px office screen, in Chinese and English:
no horizontal scroll, navigation labels on one line, no one-character table columns. axe-core
(vendored) finds no serious or critical accessibility violation on the main pages, and the visit form
can be filled and sent with the keyboard alone. The pages are those of the demo data (seed_demo), as
the demo users see them."""

from __future__ import annotations

import os
import time

import pytest
from django.core.management import call_command
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from people.models import Household, Visit
from relief.demo import DEMO_PASSWORD
from relief.models import User
from tests.e2e.checks import axe_problems, install_axe, layout_problems
from tests.e2e.conftest import login
from tests.e2e.pages import LISTS, record_pages

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 768}
LANGUAGES = ["zh-hans", "en"]

# the pages field workers and officials use most: checked by axe, and by the layout check for roles
# other than the administrator (who sees every page)
MAIN = [
    "/",
    "/tasks/",
    "/alerts/",
    "/dashboard/",
    "/people/",
    "/funds/",
    "/funds/applications/new/",
    "/enrolments/",
    "/patrols/",
    "/patrols/clues/new/",
    "/coldwaves/",
    "/institutions/",
    "/institutions/hazards/",
    "/campaigns/households/",
]
MAIN_RECORDS = (
    "/people/households/",
    "/people/visits/",
    "/funds/applications/",
    "/coldwaves/",
    "/enrolments/",
)


def _seed() -> None:
    with open(os.devnull, "w") as quiet:
        call_command("seed_demo", "--people", "150", stdout=quiet)


def _context(browser, live_server, language: str, axe: bool = False):
    ctx = browser.new_context(base_url=live_server.url, viewport=DESKTOP)
    ctx.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    if axe:
        install_axe(ctx)
    page = ctx.new_page()
    page.set_default_timeout(15_000)
    return ctx, page


def _pages_for(user, everything: bool) -> list[str]:
    records = record_pages(user)
    if everything:
        return LISTS + records
    return MAIN + [url for url in records if url.startswith(MAIN_RECORDS)]


def test_every_main_page_fits_a_phone_and_a_desktop_in_both_languages(browser, live_server):
    _seed()
    started = time.monotonic()
    problems: list[str] = []
    checked = 0
    for username in ["admin", "county", "township", "village"]:
        user = User.objects.get(username=username)
        urls = _pages_for(user, everything=username == "admin")
        for language in LANGUAGES:
            ctx, page = _context(browser, live_server, language)
            if username == "admin":  # the sign-in page once per language
                page.goto("/login/")
                for size in (DESKTOP, PHONE):
                    page.set_viewport_size(size)
                    problems += [f"{language} {size['width']} /login/: {p}" for p in layout_problems(page)]
                page.set_viewport_size(DESKTOP)
            login(page, username, DEMO_PASSWORD)
            assert page.locator("html").get_attribute("lang") == language
            for url in urls:
                response = page.goto(url)
                if response.status == 403 or "/login/" in page.url:
                    continue  # not this role's page (no link leads there)
                assert response.status == 200, f"{username} {url}: {response.status}"
                for size in (DESKTOP, PHONE):
                    page.set_viewport_size(size)
                    problems += [
                        f"{username} {language} {size['width']} {url}: {p}" for p in layout_problems(page)
                    ]
                    checked += 1
                page.set_viewport_size(DESKTOP)
            ctx.close()
    print(f"layout: {checked} page views in {time.monotonic() - started:.0f} s")
    assert checked > 200
    assert problems == []


def test_the_main_pages_have_no_serious_accessibility_violation(browser, live_server):
    _seed()
    problems: list[str] = []
    ctx, page = _context(browser, live_server, "zh-hans", axe=True)
    page.goto("/login/")
    problems += [f"/login/: {p}" for p in axe_problems(page)]
    for username in ["county", "village"]:
        user = User.objects.get(username=username)
        login(page, username, DEMO_PASSWORD)
        for url in _pages_for(user, everything=False):
            if page.goto(url).status != 200:
                continue
            problems += [f"{username} {url}: {p}" for p in axe_problems(page)]
        page.set_viewport_size(PHONE)  # the phone layout too: the cards, the collapsed menu opened
        page.goto("/people/")
        page.locator(".navbar-toggler").click()
        page.locator("#mainnav.show").wait_for()
        problems += [f"{username} /people/ (phone): {p}" for p in axe_problems(page)]
        page.set_viewport_size(DESKTOP)
        page.context.clear_cookies()
        page.context.add_cookies([{"name": "django_language", "value": "zh-hans", "url": live_server.url}])
    ctx.close()
    assert problems == []


FOCUS_SHOWN = """() => {
  let el = document.activeElement;
  if (el.classList.contains("btn-check") && el.nextElementSibling) el = el.nextElementSibling;
  const style = getComputedStyle(el);
  return (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0) || style.boxShadow !== "none";
}"""


def test_the_visit_form_can_be_filled_and_sent_with_the_keyboard_alone(new_page, users, regions):
    from tests.people.factories import household_with_head

    household: Household = household_with_head("510121001001", name="王秀英")
    page = new_page("keyboard")
    login(page, users["township"].username)
    page.goto(f"/people/households/{household.pk}/visits/new/")

    # the skip link comes first and takes the focus past the navigation
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('href')") == "#main"
    page.keyboard.press("Enter")

    seen: list[str] = []
    for _ in range(60):
        page.keyboard.press("Tab")
        name = page.evaluate("document.activeElement.name || document.activeElement.tagName")
        seen.append(name)
        try:  # the ring is drawn with the focus; a loaded machine may take a frame or two
            page.wait_for_function(FOCUS_SHOWN, timeout=3000)
        except PlaywrightTimeout:
            shown = page.evaluate(
                "() => { const e = document.activeElement; const s = getComputedStyle(e);"
                " return [e.outerHTML.slice(0, 300), s.outlineStyle, s.outlineWidth, s.boxShadow]; }"
            )
            raise AssertionError(f"no visible focus on {name}: {shown}") from None
        if name == "needs":
            page.keyboard.type("煤不够，需要临时救助")
        elif name == "follow_up":
            page.keyboard.press("ArrowDown")
        elif page.evaluate("document.activeElement.type") == "submit":
            with page.expect_navigation():
                page.keyboard.press("Enter")
            break
    else:
        pytest.fail(f"the submit button was never reached: {seen}")
    assert "needs" in seen and "follow_up" in seen
    visit = Visit.objects.get(household=household)
    assert visit.needs == "煤不够，需要临时救助"
    assert visit.follow_up
    assert "煤不够" in page.content()
