"""Browser fixtures: the real app behind waitress on 127.0.0.1, and Debian's Chromium as a phone.

Nothing here downloads a browser: Playwright drives /usr/bin/chromium. Every request the page
makes is recorded, and anything not addressed to 127.0.0.1 is aborted (and so fails the tests).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest

from inspector.local_server import LocalServer

try:  # tests/ is on sys.path when pytest loads the top-level conftest as a rootdir module
    from conftest import PASSWORD, ROLE_USERS, make_app, seed_app
except ImportError:  # pragma: no cover - if tests/ ever becomes a package
    from tests.conftest import PASSWORD, ROLE_USERS, make_app, seed_app

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PHONE = {"viewport": {"width": 360, "height": 800}, "device_scale_factor": 1, "is_mobile": True,
         "has_touch": True, "locale": "id-ID", "timezone_id": "Asia/Jakarta"}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
LOCAL_HOSTS = {"127.0.0.1"}


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """3 LKS and one account per role; CSRF on, as in production, because the browser posts real forms."""
    app = make_app(tmp_path_factory.mktemp("browser"), WTF_CSRF_ENABLED=True)
    lks = seed_app(app)
    server = LocalServer(app)
    server.lks = lks
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(scope="session")
def first_lks(live_server):
    return live_server.lks[0]


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
    finally:
        playwright.stop()


class Requests(list):
    """Every URL the context asked for, and those that were refused for leaving 127.0.0.1."""

    def __init__(self):
        super().__init__()
        self.blocked: list[str] = []

    def foreign(self) -> list[str]:
        return [url for url in self if urlsplit(url).scheme not in ("data", "blob", "about")
                and urlsplit(url).hostname not in LOCAL_HOSTS]


def guarded(context, requests: Requests):
    """Only 127.0.0.1: anything else is aborted and recorded."""
    context.set_default_timeout(5000)

    def guard(route):
        if urlsplit(route.request.url).hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            requests.blocked.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    context.on("request", lambda request: requests.append(request.url))
    return context


def _phone_context(browser, requests: Requests, **options):
    return guarded(browser.new_context(**PHONE, **options), requests)


@pytest.fixture
def requests_seen():
    return Requests()


@pytest.fixture
def page(browser, live_server, requests_seen):
    """A phone (360 x 800, touch, Indonesian locale, WIB) with JavaScript on."""
    context = _phone_context(browser, requests_seen)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def page_without_js(browser, live_server, requests_seen):
    """The same phone with JavaScript disabled: every page must still work."""
    context = _phone_context(browser, requests_seen, java_script_enabled=False)
    try:
        yield context.new_page()
    finally:
        context.close()


def sign_in(page, base_url: str, role: str, password: str = PASSWORD, next_path: str | None = None):
    """Sign in through the real form (CSRF token and all)."""
    page.goto(base_url + "/masuk" + (f"?next={next_path}" if next_path else ""))
    page.get_by_label("Nama pengguna").fill(ROLE_USERS[role])
    page.get_by_label("Kata sandi").fill(password)
    with page.expect_navigation():
        page.locator("main").get_by_role("button", name="Masuk").click()


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    page.screenshot(path=str(path), full_page=True)
    return path
