"""An inspection already open on the server, continued without signal, in Debian's Chromium at 360 x 800: its form
page, opened with signal, keeps itself on the phone; offline the same address opens with its saved answers, and
every edit waits in the outbox as a save of that inspection. Back online the save lands, unless a reviewer
returned the inspection meanwhile: then the outbox shows "Bentrok", and a page shows both sides and lets the
inspector choose, never overwriting the returned inspection by itself.

The conflict run that keeps the phone's answers rewrites docs/screenshots/conflict.png.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from inspector import conflicts, inspections, review
from inspector.auth import User
from tests.support.builders import ROLE_USERS
from tests.support.inspection_builders import inspection_in
from tests.support.phone import SCREENSHOTS, WORKER_READY_MS, assert_fits_phone, assert_only_local, sign_in
from tests.support.waiting import wait_until

pytestmark = pytest.mark.browser

WAITING = "() => window.InspectorOffline.outbox.waiting().then(items => items.length)"
COMMENT = "Nomor izin belum sesuai dokumen, periksa lagi."
PHONE_ANSWER = "503/IZIN-LKSA/2026 diperiksa di lokasi"


def keep_on_phone(page, server, record):
    """Signed in, the inspection's form page opened with signal: kept on the phone (page and copy)."""
    sign_in(page, server.url, "inspector", next_path=f"/kunjungan/{record['id']}")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=WORKER_READY_MS)
    page.reload()  # now under the worker's control, as every later visit is
    expect(page.locator("form[data-kept=kept]")).to_have_count(1, timeout=WORKER_READY_MS)


def returned_meanwhile(app, store, record):
    """Sent from another device and returned by the reviewer with a comment, while the phone had no signal."""
    checklist = inspections.checklist_of(store, record)
    sent, problems = inspections.submit(store, checklist, record["id"])
    assert problems == {}, problems
    reviewer = User(store.users.by_username(ROLE_USERS["reviewer"]))
    back, reason = review.decide(store, record["id"], reviewer, "return", COMMENT)
    assert reason is None and back["status"] == "returned"
    return back


def test_a_draft_opened_online_opens_offline_with_its_answers_and_its_edits_are_saved_when_online(
        page, live_server, live_store, lksa, requests_seen):
    record = inspection_in(live_server.app, lksa, answers={"nomor_izin": "111/LAMA"}, status="draft")
    keep_on_phone(page, live_server, record)
    page.goto(live_server.url + "/inspeksi/")
    page.context.set_offline(True)
    try:
        page.goto(live_server.url + f"/kunjungan/{record['id']}")  # from the phone: the server is out of reach
        expect(page.locator("form[data-kept]")).to_have_count(1)
        assert page.locator("main h1").inner_text() == lksa["name"]
        assert page.locator("#nomor_izin").input_value() == "111/LAMA"  # its saved answers
        page.locator("#nomor_izin").fill(PHONE_ANSWER)
        expect(page.locator("[data-outbox-count]")).to_have_text("1 kunjungan dan 0 foto menunggu dikirim")
        expect(page.locator("[data-outbox] li")).to_contain_text("simpanan draf")
        page.get_by_role("button", name="Simpan draf", exact=True).click()
        expect(page.locator("[data-kept-text]")).to_contain_text("masuk kotak keluar")
        assert page.url.endswith(f"/kunjungan/{record['id']}")  # no browser error page: still the form
        page.reload()  # still offline: the phone's edit is there
        expect(page.locator("form[data-kept]")).to_have_count(1)
        assert page.locator("#nomor_izin").input_value() == PHONE_ANSWER
        assert live_store.inspections.get(record["id"])["answers"]["nomor_izin"]["value"] == "111/LAMA"
        assert_fits_phone(page)
    finally:
        page.context.set_offline(False)

    def saved():
        stored = live_store.inspections.get(record["id"])["answers"].get("nomor_izin") or {}
        return stored.get("value") == PHONE_ANSWER and page.evaluate(WAITING) == 0
    wait_until(saved, "the outbox saved the edit on the inspection", pause=lambda: page.wait_for_timeout(100))
    stored = live_store.inspections.get(record["id"])
    assert stored["status"] == "draft"
    assert {k: v for k, v in stored["answers"].items() if k != "nomor_izin"} == \
        {k: v for k, v in record["answers"].items() if k != "nomor_izin"}
    expect(page.locator("[data-outbox]")).to_be_hidden()
    assert_only_local(requests_seen)


@pytest.mark.parametrize("choice, button", [("phone", "Pakai isian ponsel"), ("server", "Pakai isian server")])
def test_a_save_over_an_inspection_returned_meanwhile_is_a_conflict_the_inspector_resolves(
        page, live_server, live_store, lksa, requests_seen, choice, button):
    record = inspection_in(live_server.app, lksa, status="draft")
    keep_on_phone(page, live_server, record)
    page.context.set_offline(True)
    try:
        page.locator("#nomor_izin").fill(PHONE_ANSWER)
        expect(page.locator("[data-outbox-count]")).to_have_text("1 kunjungan dan 0 foto menunggu dikirim")
        back = returned_meanwhile(live_server.app, live_store, record)
    finally:
        page.context.set_offline(False)

    state = page.locator("[data-outbox] li[data-outbox-state]")
    expect(state).to_have_attribute("data-outbox-state", "conflict", timeout=20000)
    expect(state).to_contain_text("Bentrok")
    assert live_store.inspections.get(record["id"]) == back  # never overwritten by itself
    assert page.evaluate(WAITING) == 1

    with page.expect_navigation(timeout=WORKER_READY_MS):  # a bound for a loaded machine
        state.get_by_role("link", name="Lihat kedua isian dan pilih").click()
    root = page.locator("[data-conflict-ready='1']")
    expect(root).to_have_count(1)
    expect(page.locator("main")).to_contain_text(COMMENT)
    expect(page.locator("[data-conflict-count]")).to_have_text("1 jawaban berbeda antara server dan ponsel ini:")
    row = page.locator("[data-conflict-item=nomor_izin]")
    expect(row).to_be_visible()
    expect(row.locator("[data-server]")).to_have_text("(kosong)")
    expect(row.locator("[data-phone]")).to_have_text(PHONE_ANSWER)
    assert page.locator("[data-conflict-item]:visible").count() == 1  # answers that agree are not repeated
    assert_fits_phone(page)
    if choice == "phone":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "conflict.png"), full_page=True)

    with page.expect_navigation(timeout=WORKER_READY_MS):  # a bound for a loaded machine
        page.get_by_role("button", name=button).click()
    assert page.url.endswith(f"/kunjungan/{record['id']}")
    stored = live_store.inspections.get(record["id"])
    assert stored["status"] == "returned" and stored["comments"] == back["comments"]
    if choice == "phone":
        assert stored["answers"]["nomor_izin"]["value"] == PHONE_ANSWER
        assert {k: v for k, v in stored["answers"].items() if k != "nomor_izin"} == back["answers"]
        expect(page.locator("#nomor_izin")).to_have_value(PHONE_ANSWER)
    else:
        assert stored == back
        expect(page.locator("#nomor_izin")).to_have_value("")
    entries = [e for e in live_store.audit.entries(action="conflict_resolved") if e["target_id"] == record["id"]]
    assert [e["details"]["kept"] for e in entries] == [choice]
    assert page.evaluate(WAITING) == 0
    expect(page.locator("[data-outbox]")).to_have_count(0)
    assert conflicts.revision(stored) == page.locator("form.inspection").get_attribute("data-version")
    assert_only_local(requests_seen)
