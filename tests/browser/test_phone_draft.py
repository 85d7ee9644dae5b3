"""A draft made on the phone without signal, in Debian's Chromium at 360 x 800: it carries where the phone was at
"Mulai inspeksi", as an online start does; and it outlives the browser: closed whole and launched again on the
same profile (a phone restart), the draft and its photo are still there and are sent once when the signal
returns."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_prepare_offline import prepare
from tests.support.builders import ROLE_USERS
from tests.support.phone import CHROMIUM, CHROMIUM_ARGS, PHONE, answer, assert_only_local, guarded, phone_context
from tests.support.photos import jpeg_file
from tests.support.waiting import wait_until

pytestmark = pytest.mark.browser

WAITING = "() => window.InspectorOffline.outbox.waiting().then(items => items.length)"
HERE = {"latitude": -6.1783, "longitude": 106.6319, "accuracy": 12}  # Kota Tangerang


def start_offline(page, server, lks) -> str:
    """Offline, on the kept start page: "Mulai inspeksi"; the draft's id."""
    page.goto(server.url + f"/l/{lks['code']}")
    page.get_by_role("button", name="Mulai inspeksi").click()
    page.wait_for_url("**/luring/daftar-periksa/**#draf=*")
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
        page.goto(draft_url)
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
