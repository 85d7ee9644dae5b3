"""Browser fixtures: the real app behind waitress on 127.0.0.1, and Debian's Chromium as a phone.

Nothing here downloads a browser: Playwright drives /usr/bin/chromium. Every request the page
makes is recorded, and anything not addressed to 127.0.0.1 is aborted (and so fails the tests).
The helpers the tests call on these (signing in, screenshots, page checks) are in tests/support/phone.py.
"""

from __future__ import annotations

import pytest

from inspector.local_server import LocalServer
from tests.support.builders import make_app, seed_app
from tests.support.phone import CHROMIUM, CHROMIUM_ARGS, Requests, phone_context, register


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """3 LKS and one account per role; CSRF on, as in production, because the browser posts real forms."""
    app = make_app(tmp_path_factory.mktemp("browser"), WTF_CSRF_ENABLED=True)
    lks = seed_app(app)
    server = register(LocalServer(app))
    server.lks = lks
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(scope="session")
def first_lks(live_server):
    return live_server.lks[0]


@pytest.fixture(scope="session")
def live_store(live_server):
    """The store behind the live server: what the browser's posts actually wrote."""
    return live_server.app.extensions["store"]


@pytest.fixture(scope="session")
def lksa(live_server):
    """A seeded LKS of kind 'lksa' (the demo data makes the first one an LKSA)."""
    return next(lks for lks in live_server.lks if lks["kind"] == "lksa")


@pytest.fixture(scope="session")
def checklist(live_server):
    return live_server.app.extensions["checklists"]["lksa"]


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


@pytest.fixture
def requests_seen():
    return Requests()


@pytest.fixture
def page(browser, live_server, requests_seen):
    """A phone (360 x 800, touch, Indonesian locale, WIB) with JavaScript on."""
    context = phone_context(browser, requests_seen)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def page_without_js(browser, live_server, requests_seen):
    """The same phone with JavaScript disabled: every page must still work."""
    context = phone_context(browser, requests_seen, java_script_enabled=False)
    try:
        yield context.new_page()
    finally:
        context.close()
