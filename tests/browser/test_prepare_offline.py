"""Prepared for no signal, in Debian's Chromium at 360 x 800: "Siapkan untuk tanpa sinyal" keeps each active LKS's
start page and a blank page per checklist version in a cache of the signed-in account; offline, the poster's
address opens from there, and only for that account. Sign-out, or another account on the same phone, removes it.

Each run rewrites docs/screenshots/prepare-offline.png and offline-start.png.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.support.builders import PASSWORD, ROLE_USERS, add_inspector
from tests.support.phone import WORKER_READY_MS, assert_fits_phone, assert_only_local, screenshot, sign_in
from tests.support.waiting import wait_until

pytestmark = pytest.mark.browser

USER_CACHES = "() => caches.keys().then(names => names.filter(n => n.startsWith('inspector-user-')))"


def prepare(page, base_url: str, role_or_username: str = "inspector"):
    """Signed in (by role, or as a named inspector), on the home, tap "Siapkan" and wait until it is ready."""
    if role_or_username == "inspector":
        sign_in(page, base_url, "inspector", next_path="/inspeksi/")
    else:
        sign_in_as(page, base_url, role_or_username, "/inspeksi/")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=WORKER_READY_MS)
    card = page.locator("#tanpa-sinyal")
    expect(card).to_be_visible()
    card.get_by_role("button", name="Siapkan untuk tanpa sinyal").click()
    expect(card.locator("[data-prepare-status]")).to_contain_text("Siap tanpa sinyal", timeout=WORKER_READY_MS)
    return card


def sign_in_as(page, base_url: str, username: str, next_path: str):
    page.goto(base_url + "/masuk?next=" + next_path)
    page.get_by_label("Nama pengguna").fill(username)
    page.get_by_label("Kata sandi").fill(PASSWORD)
    with page.expect_navigation():
        page.locator("main").get_by_role("button", name="Masuk").click()


def second_inspector(store, username: str) -> dict:
    return store.users.by_username(username) or add_inspector(store, username, name=f"Uji {username}")


def offline_title(page, url: str) -> str:
    page.goto(url)
    return page.locator("main h1").inner_text()


def test_prepared_online_a_prepared_lks_opens_offline_with_its_checklist(page, live_server, live_store, lksa,
                                                                        checklist, requests_seen):
    card = prepare(page, live_server.url)
    active = [r for r in live_store.lks.all() if r.get("active")]
    status = card.locator("[data-prepare-status]").inner_text()
    assert f"{len(active)} LKS" in status and "WIB" in status and "gagal" not in status
    card.locator("summary").click()
    expect(card.locator("[data-prepare-list] li").first).to_be_visible()
    assert any(lksa["name"] in text for text in card.locator("[data-prepare-list] li").all_inner_texts())
    assert_fits_phone(page)
    screenshot(page, "prepare-offline.png")
    me = live_store.users.by_username(ROLE_USERS["inspector"])
    assert page.evaluate(USER_CACHES) == [f"inspector-user-{me['id']}"]

    page.context.set_offline(True)
    try:
        assert offline_title(page, live_server.url + f"/l/{lksa['code']}") == lksa["name"]
        expect(page.get_by_role("button", name="Mulai inspeksi")).to_be_visible()
        brand = page.evaluate("() => getComputedStyle(document.querySelector('header.top')).backgroundColor")
        assert brand == "rgb(11, 83, 148)"
        assert_fits_phone(page)
        screenshot(page, "offline-start.png")
        page.goto(live_server.url + f"/luring/daftar-periksa/{checklist.id}/{checklist.version}")
        assert page.locator("main form[data-phone-draft] fieldset.question[id^=item-]").count() == len(list(checklist.items()))
        # A page that was not prepared: the phone's own offline page, never the browser's error.
        assert offline_title(page, live_server.url + "/kunjungan/saya") == "Tidak ada sinyal"
    finally:
        page.context.set_offline(False)

    # Opened again with signal, the home refreshes what it kept by itself.
    page.goto(live_server.url + "/inspeksi/")
    expect(page.locator("#tanpa-sinyal [data-prepare-status]")).to_contain_text("Terakhir diperbarui")
    assert_only_local(requests_seen)


def test_sign_out_removes_what_the_phone_kept(page, live_server, lksa, requests_seen):
    prepare(page, live_server.url)
    assert len(page.evaluate(USER_CACHES)) == 1
    with page.expect_navigation():
        page.locator("header").get_by_role("button", name="Keluar").click()
    assert page.url.endswith("/masuk")
    assert page.evaluate(USER_CACHES) == []
    page.context.set_offline(True)
    try:
        assert offline_title(page, live_server.url + f"/l/{lksa['code']}") == "Tidak ada sinyal"
    finally:
        page.context.set_offline(False)
    assert_only_local(requests_seen)


def test_two_accounts_on_one_phone_never_see_each_others_kept_pages(page, live_server, live_store, lksa,
                                                                   requests_seen):
    other = second_inspector(live_store, "petugas_hp")
    prepare(page, live_server.url)
    [first_cache] = page.evaluate(USER_CACHES)

    # The sign-in lapses (no "Keluar"): whoever holds the phone now is nobody, and offline nothing is served.
    page.context.clear_cookies()
    page.goto(live_server.url + "/masuk")
    page.context.set_offline(True)
    try:
        assert offline_title(page, live_server.url + f"/l/{lksa['code']}") == "Tidak ada sinyal"
    finally:
        page.context.set_offline(False)

    # Another inspector signs in on the same phone: the first account's cache is gone before anything else.
    sign_in_as(page, live_server.url, "petugas_hp", "/inspeksi/")
    wait_until(lambda: first_cache not in page.evaluate("() => caches.keys()"), "the first account's cache gone",
               pause=lambda: page.wait_for_timeout(50))
    page.context.set_offline(True)
    try:
        assert offline_title(page, live_server.url + f"/l/{lksa['code']}") == "Tidak ada sinyal"
    finally:
        page.context.set_offline(False)

    # Prepared by the second account: its own cache, its own pages.
    page.goto(live_server.url + "/inspeksi/")
    page.locator("#tanpa-sinyal").get_by_role("button", name="Siapkan untuk tanpa sinyal").click()
    expect(page.locator("#tanpa-sinyal [data-prepare-status]")).to_contain_text("Siap tanpa sinyal", timeout=WORKER_READY_MS)
    assert page.evaluate(USER_CACHES) == [f"inspector-user-{other['id']}"]
    page.context.set_offline(True)
    try:
        assert offline_title(page, live_server.url + f"/l/{lksa['code']}") == lksa["name"]
        assert "Uji petugas_hp" in page.locator("header .who").inner_text()
    finally:
        page.context.set_offline(False)
    assert_only_local(requests_seen)


SHELL_CACHES = "() => caches.keys().then(names => names.filter(n => n.startsWith('inspector-shell-')))"


def test_an_update_of_the_service_worker_keeps_the_prepared_pages(page, live_server, lksa, tmp_path):
    prepare(page, live_server.url)
    kept, [old_shell] = page.evaluate(USER_CACHES), page.evaluate(SHELL_CACHES)
    app = live_server.app
    served_from = app.static_folder
    for file in Path(served_from).iterdir():  # the same files, and a changed worker: a new version
        if file.is_file():
            shutil.copy2(file, tmp_path / file.name)
    (tmp_path / "sw.js").write_text((tmp_path / "sw.js").read_text() + "\n// versi baru\n")
    app.static_folder = str(tmp_path)
    try:
        page.evaluate("() => navigator.serviceWorker.getRegistration().then(r => r.update())")
        wait_until(lambda: page.evaluate("() => navigator.serviceWorker.getRegistration().then(r => !!r.waiting)"),
                   "the new worker installed", pause=lambda: page.wait_for_timeout(50))
        page.goto("about:blank")  # the last page of the old worker closes: the new one takes over
        page.goto(live_server.url + "/inspeksi/")
        wait_until(lambda: page.evaluate(SHELL_CACHES) not in ([], [old_shell]), "the new worker's shell cache",
                   pause=lambda: page.wait_for_timeout(50))
        assert len(page.evaluate(SHELL_CACHES)) == 1
    finally:
        app.static_folder = served_from
    assert page.evaluate(USER_CACHES) == kept
    page.context.set_offline(True)
    try:
        assert offline_title(page, live_server.url + f"/l/{lksa['code']}") == lksa["name"]
    finally:
        page.context.set_offline(False)
