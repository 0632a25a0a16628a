"""End-to-end tests: Playwright drives Debian's chromium (/usr/bin/chromium, headless) against
pytest-django's live server. Screenshots are kept in test-artifacts/e2e/. Without a chromium binary
the tests are skipped, unless REQUIRE_SERVICES=1 (CI), where that is a failure."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"
CHROMIUM = os.environ.get("CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")


@pytest.fixture
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("REQUIRE_SERVICES") == "1":
            pytest.fail(f"chromium is required here but missing at {CHROMIUM}")
        pytest.skip("no chromium (apt-get install chromium)")
    # Playwright's sync API runs an event loop in this thread; the ORM calls the test makes between
    # browser steps are still synchronous and safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield b
        b.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def new_page(browser, live_server):
    """new_page(name) -> a phone-sized page; its screenshots go to test-artifacts/e2e/<name>-*.png."""
    contexts = []

    def _new(name: str, phone: bool = True):
        ctx = browser.new_context(
            base_url=live_server.url,
            locale="zh-CN",
            viewport={"width": 390, "height": 844} if phone else {"width": 1366, "height": 900},
        )
        contexts.append(ctx)
        page = ctx.new_page()
        page.set_default_timeout(15_000)
        counter = iter(range(1, 100))
        page.shot = lambda label: page.screenshot(
            path=str(ARTIFACTS / f"{name}-{next(counter):02d}-{label}.png"), full_page=True
        )
        return page

    yield _new
    for ctx in contexts:
        ctx.close()


def login(page, username: str, password: str = "pw-for-tests-123") -> None:
    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login/" not in url)
