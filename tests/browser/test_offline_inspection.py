"""A whole inspection without signal, in Debian's Chromium at 360 x 800: prepared online, then offline the poster's
address opens, "Mulai inspeksi" makes a draft on the phone, every required question is answered and photos
added, the page reloads, an answer is edited, "Kirim" puts it in the outbox; back online the outbox sends by
itself, and the server holds exactly one inspection with every answer and photo. Signing out with the outbox
full is in test_prepare_offline.py's neighbours below.

Each run rewrites docs/screenshots/outbox-waiting.png.
"""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from tests.browser.test_prepare_offline import prepare
from tests.support.phone import SCREENSHOTS, TEXT, answer, assert_fits_phone, assert_only_local
from tests.support.builders import ROLE_USERS
from tests.support.photos import jpeg_file
from tests.support.waiting import wait_until

pytestmark = pytest.mark.browser

WAITING = "() => window.InspectorOffline.outbox.waiting().then(items => items.length)"


def test_offline_start_answer_photo_reload_edit_send_then_exactly_one_inspection(page, live_server, live_store, lksa,
                                                                                checklist, tmp_path, requests_seen):
    prepare(page, live_server.url)
    page.context.set_offline(True)
    photo = jpeg_file(tmp_path / "depan.jpg")
    required = [item for item in checklist.items() if item.required]
    try:
        page.goto(live_server.url + f"/l/{lksa['code']}")
        page.get_by_role("button", name="Mulai inspeksi").click()
        page.wait_for_url("**/luring/daftar-periksa/**#draf=*")
        form = page.locator("form[data-phone-ready]")
        expect(form).to_have_count(1)
        assert page.locator("main h1").inner_text() == lksa["name"]
        draft_id = page.url.split("#draf=")[1]
        page.get_by_role("button", name="Kirim", exact=True).click()  # nothing answered yet: the summary says what
        expect(page.locator("[data-phone-text]")).to_have_text(
            f"Belum bisa dikirim: {len(required)} pertanyaan wajib belum terjawab atau perlu bukti foto.")
        expect(page.locator("[data-phone-missing] a")).to_have_count(len(required))
        for item in required:
            answer(page, item, photo)
        page.locator("#nomor_izin").fill(TEXT)
        critical = next(item for item in checklist.items() if item.critical and item.type == "yes_no")
        failing = "Ya" if critical.fail_answer == "ya" else "Tidak"
        page.locator(f"#item-{critical.id}").get_by_role("radio", name=failing, exact=True).check()
        # A failing answer that asks for a photo is missing until it has one, as the server counts it.
        evidence = next(i for i in checklist.items() if i.photo_on_fail and i.type == "yes_no" and not i.critical)
        labels = ("Ya", "Tidak") if evidence.fail_answer == "ya" else ("Tidak", "Ya")
        page.locator(f"#item-{evidence.id}").get_by_role("radio", name=labels[0], exact=True).check()
        expect(page.locator("[data-phone-missing] a")).to_have_count(1)
        assert page.locator("[data-phone-missing] a").get_attribute("href") == f"#item-{evidence.id}"
        page.locator(f"#item-{evidence.id}").get_by_role("radio", name=labels[1], exact=True).check()
        expect(page.locator("[data-phone-missing] a")).to_have_count(0)
        expect(page.locator("[data-phone-critical]")).to_contain_text("SAPA 129")
        phone_score = page.locator("[data-phone-score]").inner_text()
        page.locator("#nomor_izin__note").evaluate("el => el.closest('details').open = true")
        page.locator("#nomor_izin__note").fill("Izin diperpanjang tahun ini")
        photo_items = [item for item in required if item.type == "photo"]
        expect(page.locator("ul.thumbs[data-phone] img")).to_have_count(len(photo_items), timeout=20000)
        expect(page.locator("[data-counter]")).to_have_text("0")

        page.reload()  # still offline: the page and the draft come from the phone
        expect(page.locator("form[data-phone-ready]")).to_have_count(1)
        assert page.locator("#nomor_izin").input_value() == TEXT
        for item in required:
            if item.type == "yes_no" and item.id != critical.id:
                passing = "Tidak" if item.fail_answer == "ya" else "Ya"
                assert page.locator(f"#item-{item.id}").get_by_role("radio", name=passing, exact=True).is_checked()
        assert page.locator("#nomor_izin__note").input_value() == "Izin diperpanjang tahun ini"
        expect(page.locator("ul.thumbs[data-phone] img")).to_have_count(len(photo_items))
        page.locator("#nomor_izin").fill("Diubah di lokasi")
        page.get_by_role("button", name="Kirim", exact=True).click()
        outbox = page.locator("[data-outbox-count]")
        expect(outbox).to_have_text(f"1 kunjungan dan {len(photo_items)} foto menunggu dikirim")
        expect(page.locator("[data-outbox] li")).to_contain_text("menunggu sinyal")
        assert_fits_phone(page)
        page.evaluate("() => window.scrollTo(0, 0)")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "outbox-waiting.png"))  # the top of the page: the outbox
    finally:
        page.context.set_offline(False)

    me = live_store.users.by_username(ROLE_USERS["inspector"])

    def sent():
        made = [r for r in live_store.inspections.for_inspector(me["id"], limit=200) if r.get("start_token") == draft_id]
        return made if made and made[0]["status"] == "submitted" and page.evaluate(WAITING) == 0 else None
    made = wait_until(sent, "the outbox sent and emptied", pause=lambda: page.wait_for_timeout(100))
    assert len(made) == 1
    record = made[0]
    record = live_store.inspections.get(record["id"])
    assert record["status"] == "submitted", (len(record["answers"]), record["photos"])
    assert record["answers"]["nomor_izin"]["value"] == "Diubah di lokasi"
    assert record["answers"]["nomor_izin"]["note"] == "Izin diperpanjang tahun ini"
    for item in required:
        if item.type != "photo":
            assert item.id in record["answers"], item.id
    assert record["answers"][critical.id]["value"] == critical.fail_answer
    assert sorted(p["item"] for p in record["photos"]) == sorted(item.id for item in photo_items)
    assert all(p["upload_key"].startswith("k:") for p in record["photos"])
    # The phone scored it as the server does.
    assert phone_score.startswith(f"Skor sementara: {record['score']['percent']:g}".replace(".", ","))
    assert record["critical"] and critical.id in record["score"]["critical_failed"]

    page.goto(live_server.url + "/inspeksi/")  # the outbox is empty: nothing shown, nothing kept
    expect(page.locator("[data-outbox]")).to_have_count(0)
    assert page.evaluate(WAITING) == 0
    assert_only_local(requests_seen)


OUTBOX_IN_DB = """() => new Promise(resolve => {
  const open = indexedDB.open('inspector');
  open.onsuccess = () => {
    const db = open.result;
    if (!db.objectStoreNames.contains('meta')) { db.close(); resolve(0); return; }
    const all = db.transaction('meta').objectStore('meta').getAll();
    all.onsuccess = () => { db.close(); resolve(all.result.filter(r => r && r.type === 'draft').length); };
  };
})"""


def fill_outbox(page, server, lksa, checklist, photo) -> str:
    """Prepared, then offline: a draft made on the phone, every required question answered, "Kirim"."""
    prepare(page, server.url)
    page.context.set_offline(True)
    page.goto(server.url + f"/l/{lksa['code']}")
    page.get_by_role("button", name="Mulai inspeksi").click()
    page.wait_for_url("**/luring/daftar-periksa/**#draf=*")
    expect(page.locator("form[data-phone-ready]")).to_have_count(1)
    for item in checklist.items():
        if item.required:
            answer(page, item, photo)
    expect(page.locator("[data-counter]")).to_have_text("0")
    page.get_by_role("button", name="Kirim", exact=True).click()
    expect(page.locator("[data-outbox-count]")).to_contain_text("1 kunjungan")
    return page.url.split("#draf=")[1]


def test_sign_out_with_a_full_outbox_warns_and_sends_first(page, live_server, live_store, lksa, checklist, tmp_path,
                                                            requests_seen):
    draft_id = fill_outbox(page, live_server, lksa, checklist, jpeg_file(tmp_path / "depan.jpg"))
    page.route("**/luring/kunjungan", lambda route: route.abort("internetdisconnected"))  # a signal too weak to send
    page.context.set_offline(False)
    page.locator("header").get_by_role("button", name="Keluar").click()
    warning = page.locator("[data-signout-warning]")
    expect(warning).to_contain_text("1 kunjungan di ponsel ini belum terkirim")
    assert "/luring/daftar-periksa/" in page.url  # not signed out
    page.unroute("**/luring/kunjungan")
    warning.get_by_role("button", name="Kirim dulu").click()
    expect(warning.locator("[data-signout-state]")).to_have_text(
        "Semua kunjungan terkirim. Sekarang Anda bisa keluar.", timeout=20000)
    me = live_store.users.by_username(ROLE_USERS["inspector"])
    [record] = [r for r in live_store.inspections.for_inspector(me["id"], limit=200) if r.get("start_token") == draft_id]
    assert live_store.inspections.get(record["id"])["status"] == "submitted"
    with page.expect_navigation():
        page.locator("header").get_by_role("button", name="Keluar").click()
    assert page.url.endswith("/masuk")
    assert page.evaluate(OUTBOX_IN_DB) == 0
    assert_only_local(requests_seen)


def test_sign_out_anyway_deletes_what_waited_on_the_phone(page, live_server, lksa, checklist, tmp_path):
    fill_outbox(page, live_server, lksa, checklist, jpeg_file(tmp_path / "depan.jpg"))
    page.route("**/luring/kunjungan", lambda route: route.abort("internetdisconnected"))
    page.context.set_offline(False)
    page.locator("header").get_by_role("button", name="Keluar").click()
    warning = page.locator("[data-signout-warning]")
    expect(warning).to_be_visible()
    assert page.evaluate(OUTBOX_IN_DB) == 1
    with page.expect_navigation():
        warning.get_by_role("button", name="Tetap keluar dan hapus").click()
    assert page.url.endswith("/masuk")
    assert page.evaluate(OUTBOX_IN_DB) == 0
    assert page.evaluate("() => caches.keys().then(n => n.filter(x => x.startsWith('inspector-user-')))") == []


def test_a_refused_visit_shows_the_servers_reason_and_is_tried_again_on_the_next_page(page, live_server, live_store,
                                                                                     lksa, checklist, tmp_path):
    draft_id = fill_outbox(page, live_server, lksa, checklist, jpeg_file(tmp_path / "depan.jpg"))
    refusals = []

    def refuse(route):
        refusals.append(route.request.url)
        route.fulfill(status=409, content_type="application/json",
                      body=json.dumps({"error": "Daftar periksa ini sudah diganti versi baru."}))

    page.route("**/luring/kunjungan", refuse)
    page.context.set_offline(False)
    expect(page.locator("[data-outbox] li")).to_contain_text("ditolak server (Daftar periksa ini sudah diganti versi baru.)")
    assert len(refusals) == 1  # a refusal is not retried in a loop
    page.unroute("**/luring/kunjungan")
    page.goto(live_server.url + "/inspeksi/")  # the next page tries it again
    me = live_store.users.by_username(ROLE_USERS["inspector"])

    def sent():
        made = [r for r in live_store.inspections.for_inspector(me["id"], limit=200) if r.get("start_token") == draft_id]
        return made if made and made[0]["status"] == "submitted" and page.evaluate(WAITING) == 0 else None
    assert len(wait_until(sent, "the refused visit sent on the next page", pause=lambda: page.wait_for_timeout(100))) == 1
    assert len(refusals) == 1
