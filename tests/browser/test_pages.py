"""The phone-first pages in a real browser (Debian's Chromium at 360 px): flows, layout, touch targets.

Each run rewrites the screenshots in docs/screenshots/.
"""

from __future__ import annotations

import pytest

from tests.support.builders import PASSWORD, ROLE_USERS
from tests.support.phone import assert_fits_phone, assert_only_local, screenshot, sign_in, small_targets

pytestmark = pytest.mark.browser


# --- Flows ---------------------------------------------------------------------------------------

def test_poster_qr_to_inspector_start(page, live_server, first_lks, requests_seen):
    """Anyone scanning the poster sees the LKS and SAPA 129; an inspector signs in and lands back on it."""
    lks_path = f"/l/{first_lks['code']}"
    response = page.goto(live_server.url + lks_path)
    assert response.status == 200
    main = page.locator("main")
    assert main.get_by_role("heading", level=1).inner_text() == first_lks["name"]
    assert main.get_by_text("SAPA 129").first.is_visible()
    sign_in_link = main.get_by_role("link", name="Masuk sebagai petugas")
    assert sign_in_link.is_visible()

    with page.expect_navigation():
        sign_in_link.click()
    assert page.url.startswith(live_server.url + "/masuk")
    assert page.get_by_role("heading", name="Masuk petugas").is_visible()

    page.get_by_label("Nama pengguna").fill(ROLE_USERS["inspector"])
    page.get_by_label("Kata sandi").fill(PASSWORD)
    with page.expect_navigation():
        main.get_by_role("button", name="Masuk").click()
    assert page.url == live_server.url + lks_path
    assert main.get_by_role("button", name="Mulai inspeksi").is_visible()
    assert main.get_by_role("heading", level=1).inner_text() == first_lks["name"]
    assert page.locator("header .who").inner_text().startswith("Uji inspector")
    assert_only_local(requests_seen)


def test_sign_in_and_out_without_javascript(page_without_js, live_server, first_lks, requests_seen):
    page = page_without_js
    assert page.evaluate("() => 1") == 1  # Playwright's own world still runs; the page's scripts do not
    lks_path = f"/l/{first_lks['code']}"
    page.goto(live_server.url + lks_path)
    with page.expect_navigation():
        page.get_by_role("link", name="Masuk sebagai petugas").click()
    page.get_by_label("Nama pengguna").fill(ROLE_USERS["inspector"])
    page.get_by_label("Kata sandi").fill(PASSWORD)
    with page.expect_navigation():
        page.locator("main").get_by_role("button", name="Masuk").click()
    assert page.url == live_server.url + lks_path
    assert page.get_by_role("button", name="Mulai inspeksi").is_visible()

    with page.expect_navigation():
        page.get_by_role("button", name="Keluar").click()
    assert page.url == live_server.url + "/masuk"
    assert page.get_by_text("Anda sudah keluar.").is_visible()
    response = page.goto(live_server.url + "/inspeksi/")
    assert response.url.startswith(live_server.url + "/masuk")
    assert_only_local(requests_seen)


def test_wrong_password_shows_error_next_to_field(page, live_server, requests_seen):
    sign_in(page, live_server.url, "reviewer", password="bukan-sandinya")
    assert page.url.startswith(live_server.url + "/masuk")
    field = page.locator(".field.has-error")
    assert field.count() == 1
    password = field.get_by_label("Kata sandi")
    assert password.get_attribute("aria-invalid") == "true"
    error = field.locator(".error")
    assert error.inner_text() == "Nama pengguna atau kata sandi salah, atau akun tidak aktif."
    assert password.get_attribute("aria-describedby") == error.get_attribute("id")
    # directly under its input, not somewhere else on the page
    input_box, error_box = password.bounding_box(), error.bounding_box()
    assert 0 <= error_box["y"] - (input_box["y"] + input_box["height"]) < 24
    assert page.get_by_label("Nama pengguna").input_value() == ROLE_USERS["reviewer"]
    assert_fits_phone(page)
    assert_only_local(requests_seen)


# --- Layout at 360 px, touch targets, screenshots ---------------------------------------------------

def open_login(page, server, lks):
    page.goto(server.url + "/masuk")
    assert page.get_by_role("heading", name="Masuk petugas").is_visible()


def open_public(page, server, lks):
    page.goto(server.url + f"/l/{lks['code']}")
    assert page.get_by_role("link", name="Masuk sebagai petugas").is_visible()


def open_inspector_start(page, server, lks):
    sign_in(page, server.url, "inspector", next_path=f"/l/{lks['code']}")
    assert page.get_by_role("button", name="Mulai inspeksi").is_visible()


def open_inspector_search(page, server, lks):
    sign_in(page, server.url, "inspector")
    page.goto(server.url + "/inspeksi/?q=Contoh")
    assert page.get_by_role("heading", name="3 LKS ditemukan").is_visible()
    assert page.locator("main ul.list > li > a").count() == 3
    assert page.get_by_label("Nama, kelurahan atau kode").input_value() == "Contoh"


def open_admin_lks_list(page, server, lks):
    sign_in(page, server.url, "admin")
    page.goto(server.url + "/admin/lks")
    assert page.get_by_text("3 LKS.").is_visible()
    assert page.get_by_text(lks["name"]).is_visible()


def open_admin_lks_form_errors(page, server, lks):
    sign_in(page, server.url, "admin")
    page.goto(server.url + "/admin/lks/baru")
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Simpan").click()
    assert navigation.value.status == 400
    assert page.get_by_role("alert").inner_text().startswith("Ada isian yang perlu diperbaiki")
    name_field = page.locator(".field.has-error", has=page.get_by_label("Nama LKS", exact=True))
    assert name_field.locator(".error").inner_text() == "Nama wajib diisi."
    address_field = page.locator(".field.has-error", has=page.get_by_label("Alamat", exact=True))
    assert address_field.locator(".error").inner_text() == "Alamat wajib diisi."
    assert page.locator(".field.has-error").count() >= 4


PAGES = {
    "login.png": open_login,
    "public-lks.png": open_public,
    "inspector-start.png": open_inspector_start,
    "inspector-search.png": open_inspector_search,
    "admin-lks-list.png": open_admin_lks_list,
    "admin-lks-form-errors.png": open_admin_lks_form_errors,
}


@pytest.mark.parametrize("name", PAGES)
def test_phone_layout(name, page, live_server, first_lks, requests_seen):
    """No sideways scrolling at 360 px, 44 px touch targets, nothing fetched from elsewhere."""
    PAGES[name](page, live_server, first_lks)
    assert page.locator("html").get_attribute("lang") == "id"
    path = screenshot(page, name)
    assert path.stat().st_size > 1000
    assert_fits_phone(page)
    assert small_targets(page) == []
    assert_only_local(requests_seen)
