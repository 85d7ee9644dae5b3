"""A worried neighbour on a phone (360 px): from the poster's page to a sent report, with and without JavaScript.

Rewrites docs/screenshots/public-concern.png and public-concern-sent.png.
"""

from __future__ import annotations

import pytest

from tests.support.phone import assert_fits_phone, assert_only_local, screenshot, sign_in, small_targets

pytestmark = pytest.mark.browser

WHAT = "Tadi malam anak-anak terdengar menangis lama, pengasuh membentak dan memukul meja."


def test_report_a_concern_one_handed(page, live_server, first_lks, requests_seen):
    page.goto(live_server.url + f"/l/{first_lks['code']}")
    link = page.locator("main").get_by_role("link", name="Laporkan kekhawatiran")
    assert link.is_visible()
    with page.expect_navigation():
        link.tap()
    assert page.url == live_server.url + f"/l/{first_lks['code']}/lapor"
    assert page.get_by_role("heading", level=1).inner_text() == first_lks["name"]
    page.get_by_label("Apa yang terjadi?").fill(WHAT)
    page.get_by_text("Hari ini", exact=True).tap()  # the whole row is the target, not just the small circle
    assert page.get_by_label("Hari ini").is_checked()
    page.get_by_label("Nama atau nomor telepon Anda").fill("Tetangga, 0812-0000-1111")
    assert_fits_phone(page)
    assert small_targets(page) == []
    screenshot(page, "public-concern.png")

    with page.expect_navigation():
        page.get_by_role("button", name="Kirim laporan").tap()
    assert page.url == live_server.url + f"/l/{first_lks['code']}/lapor/terkirim"
    assert page.get_by_role("heading", level=1).inner_text().startswith("Terima kasih")
    sapa = page.locator("main").get_by_role("link", name="Telepon SAPA 129")
    assert sapa.is_visible() and sapa.get_attribute("href") == "tel:129"
    assert sapa.bounding_box()["y"] + sapa.bounding_box()["height"] < 800  # on the first screen, no scrolling
    assert page.locator("main").get_by_role("link", name="Polisi 110").get_attribute("href") == "tel:110"
    assert page.locator("main").get_by_role("link", name="WhatsApp 08111-129-129").is_visible()
    assert_fits_phone(page)
    assert small_targets(page) == []
    screenshot(page, "public-concern-sent.png")
    assert_only_local(requests_seen)

    sign_in(page, live_server.url, "reviewer")
    top = page.locator("main section.public-concerns")
    assert "laporan belum ditangani" in top.inner_text()
    with page.expect_navigation():
        top.get_by_role("link").tap()
    with page.expect_navigation():
        page.locator("main .concerns li a").first.tap()
    assert WHAT in page.locator("main").inner_text()


def test_report_without_javascript_shows_errors_then_sends(page_without_js, live_server, first_lks, requests_seen):
    page = page_without_js
    page.goto(live_server.url + f"/l/{first_lks['code']}/lapor")
    with page.expect_navigation():
        page.get_by_role("button", name="Kirim laporan").click()
    assert page.locator("#what-error").inner_text() == "Ceritakan apa yang terjadi."
    assert page.locator("#when-error").is_visible()
    page.get_by_label("Apa yang terjadi?").fill("Anak-anak tidak berangkat sekolah sejak seminggu ini.")
    page.get_by_text("Minggu ini", exact=True).click()
    with page.expect_navigation():
        page.get_by_role("button", name="Kirim laporan").click()
    assert page.url.endswith("/lapor/terkirim")
    assert page.locator("main").get_by_role("link", name="Telepon SAPA 129").is_visible()
    assert_only_local(requests_seen)
