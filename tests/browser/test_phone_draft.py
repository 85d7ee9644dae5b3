"""A draft made on the phone without signal, in Debian's Chromium at 360 x 800: it carries where the phone was at
"Mulai inspeksi", as an online start does; it outlives the browser: closed whole and launched again on the
same profile (a phone restart), the draft and its photo are still there and are sent once when the signal
returns; a Background Sync sends it from the service worker with no outbox page open; and a draft of a
checklist version replaced meanwhile moves its answers to the new version instead of being stuck."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_prepare_offline import prepare
from tests.support.builders import ROLE_USERS
from tests.support.phone import (CHROMIUM, CHROMIUM_ARGS, PHONE, WORKER_READY_MS, answer, assert_only_local, guarded,
                                 phone_context)
from tests.support.photos import jpeg_file
from tests.support.waiting import wait_until

pytestmark = pytest.mark.browser

WAITING = "() => window.InspectorOffline.outbox.waiting().then(items => items.length)"
HERE = {"latitude": -6.1783, "longitude": 106.6319, "accuracy": 12}  # Kota Tangerang


def start_offline(page, server, lks) -> str:
    """Offline, on the kept start page: "Mulai inspeksi"; the draft's id."""
    page.goto(server.url + f"/l/{lks['code']}", timeout=WORKER_READY_MS)  # bounds for a loaded machine
    page.get_by_role("button", name="Mulai inspeksi").click()
    page.wait_for_url("**/luring/daftar-periksa/**#draf=*", timeout=WORKER_READY_MS)
    expect(page.locator("form[data-phone-ready]")).to_have_count(1)
    return page.url.split("#draf=")[1]


def answer_required(page, checklist, photo):
    for item in checklist.items():
        if item.required:
            answer(page, item, photo)
    expect(page.locator("[data-counter]")).to_have_text("0")


def sent_from(store, draft_id: str, page):
    me = store.users.by_username(ROLE_USERS["inspector"])

    def sent():
        made = [r for r in store.inspections.for_inspector(me["id"], limit=300) if r.get("start_token") == draft_id]
        return made if made and made[0]["status"] == "submitted" and page.evaluate(WAITING) == 0 else None
    return wait_until(sent, "the outbox sent and emptied", pause=lambda: page.wait_for_timeout(100))


@pytest.mark.parametrize("permission, status", [(True, "given"), (False, "refused")])
def test_a_draft_made_on_the_phone_carries_where_the_phone_was_at_the_start(browser, live_server, live_store, lksa,
                                                                          checklist, tmp_path, requests_seen,
                                                                          permission, status):
    context = phone_context(browser, requests_seen)
    try:
        if permission:
            context.grant_permissions(["geolocation"], origin=live_server.url)
            context.set_geolocation(HERE)
        page = context.new_page()
        prepare(page, live_server.url)
        context.set_offline(True)
        try:
            draft_id = start_offline(page, live_server, lksa)
            kept = page.evaluate(f"() => window.InspectorOffline.get('draft:{draft_id}')")
            assert kept["location"]["location"] == status
            answer_required(page, checklist, jpeg_file(tmp_path / "depan.jpg"))
            page.get_by_role("button", name="Kirim", exact=True).click()
            expect(page.locator("[data-outbox-count]")).to_contain_text("1 kunjungan")
        finally:
            context.set_offline(False)
        [made] = sent_from(live_store, draft_id, page)
        where = live_store.inspections.get(made["id"])["start_location"]
        assert where["status"] == status
        if permission:
            assert (where["lat"], where["lon"], where["accuracy"]) == (HERE["latitude"], HERE["longitude"], 12.0)
        else:
            assert "lat" not in where
        assert_only_local(requests_seen)
    finally:
        context.close()


def test_a_draft_with_a_photo_outlives_closing_the_browser_and_is_sent_once(browser, live_server, live_store, lksa,
                                                                           checklist, tmp_path, requests_seen):
    profile, photo = tmp_path / "profil", jpeg_file(tmp_path / "depan.jpg")
    photo_items = [item for item in checklist.items() if item.required and item.type == "photo"]

    def launch():
        return guarded(browser.browser_type.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, args=CHROMIUM_ARGS, **PHONE), requests_seen)

    first = launch()
    try:
        page = first.pages[0] if first.pages else first.new_page()
        prepare(page, live_server.url)
        first.set_offline(True)
        draft_id = start_offline(page, live_server, lksa)
        answer_required(page, checklist, photo)
        page.locator("#nomor_izin").fill("Sebelum ponsel dimatikan")
        expect(page.locator("ul.thumbs[data-phone] img")).to_have_count(len(photo_items), timeout=20000)
        draft_url = page.url
    finally:
        first.close()  # the whole browser: nothing of it runs any more

    again = launch()
    try:
        again.set_offline(True)  # restarted where there is still no signal
        page = again.pages[0] if again.pages else again.new_page()
        page.goto(draft_url, timeout=WORKER_READY_MS)
        expect(page.locator("form[data-phone-ready]")).to_have_count(1)
        assert page.locator("#nomor_izin").input_value() == "Sebelum ponsel dimatikan"
        expect(page.locator("ul.thumbs[data-phone] img")).to_have_count(len(photo_items))
        expect(page.locator("[data-counter]")).to_have_text("0")
        page.get_by_role("button", name="Kirim", exact=True).click()
        expect(page.locator("[data-outbox-count]")).to_have_text(f"1 kunjungan dan {len(photo_items)} foto menunggu dikirim")
        again.set_offline(False)
        made = sent_from(live_store, draft_id, page)
        assert len(made) == 1
        record = live_store.inspections.get(made[0]["id"])
        assert record["answers"]["nomor_izin"]["value"] == "Sebelum ponsel dimatikan"
        assert all(item.id in record["answers"] for item in checklist.items() if item.required and item.type != "photo")
        assert sorted(p["item"] for p in record["photos"]) == sorted(item.id for item in photo_items)
    finally:
        again.close()
    assert_only_local(requests_seen)


SYNC_TAGS = "() => navigator.serviceWorker.ready.then(r => r.sync ? r.sync.getTags() : null)"
DRAFTS_IN_DB = """() => new Promise(resolve => {
  const open = indexedDB.open('inspector');
  open.onsuccess = () => {
    const all = open.result.transaction('meta').objectStore('meta').getAll();
    all.onsuccess = () => { open.result.close(); resolve(all.result.filter(r => r && r.type === 'draft').length); };
  };
})"""


def test_a_background_sync_sends_the_outbox_from_the_service_worker_with_no_outbox_page_open(
        page, live_server, live_store, lksa, checklist, tmp_path, requests_seen):
    """A visit put in the outbox without signal registers a Background Sync; the only page left open is the one
    kept for everyone, which names no account and runs no outbox. When the signal returns, Chromium fires the
    sync and the worker sends the visit itself, with the pages' own code (static/outbox.js)."""
    prepare(page, live_server.url)
    page.context.set_offline(True)
    try:
        draft_id = start_offline(page, live_server, lksa)
        answer_required(page, checklist, jpeg_file(tmp_path / "depan.jpg"))
        page.get_by_role("button", name="Kirim", exact=True).click()
        expect(page.locator("[data-outbox-count]")).to_contain_text("1 kunjungan")
        wait_until(lambda: page.evaluate(SYNC_TAGS) == ["outbox"], "the sync registered",
                   pause=lambda: page.wait_for_timeout(100))
        page.goto(live_server.url + "/luring")  # names no account: no outbox runs on it
        assert page.evaluate("() => !!(window.InspectorOffline && window.InspectorOffline.outbox)") is False
        assert page.evaluate(DRAFTS_IN_DB) == 1
    finally:
        page.context.set_offline(False)
    me = live_store.users.by_username(ROLE_USERS["inspector"])

    def sent():
        made = [r for r in live_store.inspections.for_inspector(me["id"], limit=300) if r.get("start_token") == draft_id]
        return made if made and made[0]["status"] == "submitted" and page.evaluate(DRAFTS_IN_DB) == 0 else None
    made = wait_until(sent, "the worker sent the outbox", pause=lambda: page.wait_for_timeout(100))
    assert len(made) == 1
    assert len(live_store.inspections.get(made[0]["id"])["photos"]) == len(
        [i for i in checklist.items() if i.required and i.type == "photo"])
    assert page.evaluate(SYNC_TAGS) == []
    assert_only_local(requests_seen)


def next_version(checklist, dropped: str):
    """The same checklist published as the next version, without the item ``dropped``."""
    import copy

    from inspector.checklists import build

    source = copy.deepcopy(checklist.source)
    source["version"] = checklist.version + 1
    for section in source["sections"]:
        section["items"] = [item for item in section["items"] if item["id"] != dropped]
    made, problems = build(source, "next version")
    assert made is not None, problems
    return made


def test_a_draft_of_a_replaced_checklist_version_moves_its_answers_to_the_new_one(page, live_server, live_store, lksa,
                                                                               checklist, tmp_path, requests_seen):
    catalog = live_server.app.extensions["checklists"]
    kept_text = next(item for item in checklist.items() if item.type == "text" and item.id != "nomor_izin")
    prepare(page, live_server.url)
    page.context.set_offline(True)
    try:
        draft_id = start_offline(page, live_server, lksa)
        answer_required(page, checklist, jpeg_file(tmp_path / "depan.jpg"))
        page.locator("#nomor_izin").fill("Pertanyaan yang dihapus di versi baru")
        page.locator(f"#{kept_text.id}").fill("Tetap ada di versi baru")
        page.get_by_role("button", name="Kirim", exact=True).click()
        expect(page.locator("[data-outbox-count]")).to_contain_text("1 kunjungan")
    finally:
        newer = next_version(checklist, "nomor_izin")
        catalog[checklist.id] = newer  # published while the phone had no signal
        page.context.set_offline(False)
    try:
        item = page.locator("[data-outbox] li[data-outbox-state]")
        expect(item).to_have_attribute("data-outbox-state", "old_version", timeout=20000)
        expect(item).to_contain_text("daftar periksa sudah versi baru")
        with page.expect_navigation(timeout=WORKER_READY_MS):  # a bound for a loaded machine
            item.get_by_role("button", name=f"Pindahkan isian ke versi {newer.version}").click()
        assert f"/luring/daftar-periksa/{newer.id}/{newer.version}" in page.url
        expect(page.locator("form[data-phone-ready]")).to_have_count(1)
        assert page.locator(f"#{kept_text.id}").input_value() == "Tetap ada di versi baru"
        assert page.locator("#nomor_izin").count() == 0
        expect(page.locator("[data-counter]")).to_have_text("0")
        page.get_by_role("button", name="Kirim", exact=True).click()
        [made] = sent_from(live_store, draft_id, page)
        record = live_store.inspections.get(made["id"])
        assert record["checklist"]["version"] == newer.version
        assert record["answers"][kept_text.id]["value"] == "Tetap ada di versi baru"
        assert "nomor_izin" not in record["answers"]
        assert len(record["photos"]) == len([i for i in newer.items() if i.required and i.type == "photo"])
    finally:
        catalog[checklist.id] = checklist
    assert_only_local(requests_seen)
