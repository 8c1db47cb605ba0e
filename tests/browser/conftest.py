"""Browser tests: Playwright driving Debian's Chromium (headless) against the app on 127.0.0.1.

Chromium is found with ``shutil.which("chromium")``; without it every browser
test is skipped with a message saying how to install it. One browser serves the
whole session; each test gets a fresh context (its own cookies). Requests to
anything but 127.0.0.1 are refused, so a page that needs the network fails.
Screenshots go to ``test-output/screenshots/<test>-<page>.png``.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.conftest import PASSWORD

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def chromium_path() -> str | None:
    return shutil.which("chromium")


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the session (Playwright gives it a fresh temporary profile)."""
    path = chromium_path()
    if path is None:
        pytest.skip(
            "Chromium not found on PATH: install it with `apt-get install -y chromium` to run browser tests"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Visitor:
    """One person at a browser: a page, sign-in, and screenshots named after the test."""

    def __init__(self, page, base_url: str, test_name: str):
        self.page, self.base_url, self.test_name = page, base_url, test_name
        self.off_site: list[str] = []

    def open(self, path: str = "/"):
        self.page.goto(self.base_url + path)
        return self.page

    def sign_in(self, email: str, password: str = PASSWORD):
        page = self.open("/sign-in")
        page.get_by_label("E-mail address").fill(email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state()
        return page

    def shot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{self.test_name}-{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def no_horizontal_scroll(self) -> None:
        # Measure the page as shown: after a form post the new document's text
        # is there before its stylesheet has loaded, and unstyled it is wider.
        self.page.wait_for_load_state("load")
        width = self.page.evaluate("document.documentElement.scrollWidth")
        viewport = self.page.viewport_size["width"]
        assert width <= viewport, f"the page is {width}px wide on a {viewport}px screen"


def _local_only(off_site: list[str]):
    def handle(route):
        host = urlsplit(route.request.url).hostname
        if host in ("127.0.0.1", None) or route.request.url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            off_site.append(route.request.url)
            route.abort()

    return handle


@pytest.fixture
def visit(browser, live_server, request):
    """A factory of visitors: ``visit(viewport=PHONE)`` opens a fresh browser context on the live app."""
    contexts = []
    visitors = []
    test_name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)

    def factory(viewport=DESKTOP):
        context = browser.new_context(viewport=viewport, timezone_id="America/New_York", locale="en-US")
        context.set_default_timeout(15_000)
        contexts.append(context)
        visitor = Visitor(context.new_page(), live_server, test_name)
        context.route("**/*", _local_only(visitor.off_site))
        visitor.page.on("pageerror", lambda exc: visitor.off_site.append(f"script error: {exc}"))
        visitors.append(visitor)
        return visitor

    yield factory
    for context in contexts:
        context.close()
    for visitor in visitors:
        assert not visitor.off_site, f"pages asked for the network or failed: {visitor.off_site}"


@pytest.fixture
def field_day(app, world):
    """Tomorrow's dispatch day in a fresh region (see ``tests/web/field_day.py``)."""
    from tests.web.field_day import FieldDay

    return FieldDay(app, world)
