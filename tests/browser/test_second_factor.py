"""The second factor on a phone without JavaScript: a new reviewer enrols by the QR (or the secret as text),
keeps the recovery codes, and signs in again with a code. Every page fits 360 px.

Rewrites docs/screenshots/second-factor-enrol.png and second-factor-code.png.
"""

from __future__ import annotations

import time

import pyotp
import pytest

from tests.support.builders import PASSWORD, add_account
from tests.support.phone import assert_fits_phone, assert_only_local, screenshot, small_targets

pytestmark = pytest.mark.browser


def submit(page, button: str):
    with page.expect_navigation():
        page.locator("main").get_by_role("button", name=button).click()


def test_a_new_reviewer_enrols_on_the_phone_and_signs_in_with_a_code(page_without_js, live_server, live_store,
                                                                     requests_seen):
    page = page_without_js
    # A bounded wait, not a timing claim: enrolling hashes ten recovery codes (Argon2), slow on a loaded machine.
    page.set_default_timeout(30000)
    add_account(live_store, "peninjau_hp", "reviewer", name="Peninjau Ponsel", two_step=False)
    page.goto(live_server.url + "/masuk?next=/tinjau/")
    page.get_by_label("Nama pengguna").fill("peninjau_hp")
    page.get_by_label("Kata sandi").fill(PASSWORD)
    submit(page, "Masuk")
    assert page.url == live_server.url + "/akun/dua-langkah"  # the queue waits until a second factor is set
    submit(page, "Mulai pasang")
    qr = page.locator("img.qr")
    assert qr.is_visible() and qr.bounding_box()["width"] <= 360
    secret = page.locator("code.secret").inner_text().replace(" ", "")
    assert secret == live_store.users.by_username("peninjau_hp")["totp_pending"]
    assert_fits_phone(page)
    assert small_targets(page) == []
    screenshot(page, "second-factor-enrol.png")

    page.get_by_label("Kode dari aplikasi").fill(pyotp.TOTP(secret).now())
    submit(page, "Aktifkan")
    assert page.locator("ul.recovery-codes li").count() == 10
    assert_fits_phone(page)
    with page.expect_navigation():
        page.get_by_role("link", name="Sudah saya simpan, lanjut").click()
    assert page.url == live_server.url + "/tinjau/"

    with page.expect_navigation():
        page.get_by_role("button", name="Keluar").click()
    page.goto(live_server.url + "/masuk")
    page.get_by_label("Nama pengguna").fill("peninjau_hp")
    page.get_by_label("Kata sandi").fill(PASSWORD)
    submit(page, "Masuk")
    assert page.url == live_server.url + "/masuk/kode"
    assert_fits_phone(page)
    screenshot(page, "second-factor-code.png")
    # now's code, or the next step's while now is still the step whose code confirmed the enrolment (used)
    confirmed_step = live_store.users.by_username("peninjau_hp")["totp_last_step"]
    step = max(confirmed_step + 1, int(time.time()) // 30)
    page.locator("#code").fill(pyotp.TOTP(secret).at(step * 30))
    submit(page, "Masuk")
    assert page.url == live_server.url + "/tinjau/"
    assert_only_local(requests_seen)
