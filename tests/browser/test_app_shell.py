"""The service worker in Debian's Chromium: without signal, a page the phone has not kept shows the phone's own
"Tidak ada sinyal" page (styled, with the emergency numbers), never the browser's error."""

from __future__ import annotations

import pytest

from tests.support.phone import WORKER_READY_MS, screenshot

pytestmark = pytest.mark.browser


def test_without_signal_a_page_not_kept_shows_the_offline_page_then_the_real_one_when_signal_returns(
        page, live_server, first_lks, requests_seen):
    page.goto(live_server.url + "/")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=WORKER_READY_MS)
    page.context.set_offline(True)
    try:
        page.goto(live_server.url + f"/l/{first_lks['code']}")
        assert page.locator("h1").inner_text() == "Tidak ada sinyal"
        assert page.locator("a[href='tel:129']").count() >= 1 and page.locator("a[href='tel:110']").count() >= 1
        brand = page.evaluate("getComputedStyle(document.querySelector('header.top')).backgroundColor")
        assert brand == "rgb(11, 83, 148)"  # the stylesheet came from the worker's cache
        screenshot(page, "offline-page.png")
    finally:
        page.context.set_offline(False)
    page.goto(live_server.url + f"/l/{first_lks['code']}")
    assert first_lks["name"] in page.locator("main").inner_text()
    assert requests_seen.foreign() == []
