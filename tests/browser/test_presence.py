"""Proof of visit in a real browser: the phone's location at "Mulai inspeksi" and "Kirim", as the reviewer sees it.

The live server is http://127.0.0.1, a secure context, so Chromium offers geolocation there. Headless
Chromium without the permission answers at once with PERMISSION_DENIED (code 1): recorded as ``refused``.
Each run rewrites docs/screenshots/review-presence.png (the reviewer's "Bukti kunjungan" card at 360 x 800).
"""

from __future__ import annotations

import pytest

from inspector import inspections
from inspector.photos import process
from tests.support.answers import required_answers
from tests.support.phone import (SCREENSHOTS, Requests, assert_fits_phone, assert_only_local, go, phone_context,
                                 sign_in, small_targets, start_inspection)
from tests.support.photos import jpeg

pytestmark = pytest.mark.browser

METRES_PER_DEGREE = 111195.0  # of latitude, on the sphere the server measures on


START_TWICE_JS = """async () => {
  const form = document.querySelector('form[action$="/mulai"]');
  const tap = () => fetch(form.action, {method: 'POST', body: new FormData(form)}).then(r => r.url);
  return Promise.all([tap(), tap()]);
}"""


@pytest.fixture(scope="module")
def lksa(live_server):
    lks = next(lks for lks in live_server.lks if lks["kind"] == "lksa")
    assert isinstance(lks["lat"], float) and isinstance(lks["lon"], float), lks
    return lks


@pytest.fixture
def phone_at(browser, requests_seen):
    """phone_at(lks, metres_north, accuracy) -> a page whose geolocation is granted and set there."""
    contexts = []

    def make(lks, metres: float, accuracy: float = 20):
        context = phone_context(browser, requests_seen, permissions=["geolocation"], geolocation={
            "latitude": lks["lat"] + metres / METRES_PER_DEGREE, "longitude": lks["lon"], "accuracy": accuracy})
        contexts.append(context)
        return context.new_page()
    yield make
    for context in contexts:
        context.close()


@pytest.fixture(scope="module")
def reviewer(browser, live_server):
    """One reviewer's phone for the module, signed in once."""
    seen = Requests()
    context = phone_context(browser, seen)
    try:
        page = context.new_page()
        sign_in(page, live_server.url, "reviewer")
        page.seen = seen
        yield page
    finally:
        context.close()


def fill_in_store(store, checklist, inspection_id: str) -> None:
    """The answers and photos, straight into the draft: the form itself is tested in test_inspection.py."""
    answers = required_answers(checklist)
    assert inspections.save_answers(store, inspection_id, answers) is not None
    for item in checklist.items():
        if item.type == "photo" and item.required:
            assert inspections.add_photo(store, inspection_id, item.id, process(jpeg()), f"uji-{item.id}", 20) is None


def send(page, server, store, checklist, inspection_id: str) -> dict:
    """Answer the started inspection in the store, send it from the summary; the record as the server kept it."""
    fill_in_store(store, checklist, inspection_id)
    page.goto(f"{server.url}/kunjungan/{inspection_id}/ringkasan")
    note = page.get_by_text("Lokasi Anda dicatat sebagai bukti kunjungan dan hanya dilihat peninjau Dinas Sosial")
    assert note.is_visible()
    go(page, "Kirim")
    assert page.get_by_text("Inspeksi terkirim ke Dinas Sosial. Terima kasih.").is_visible()
    record = store.inspections.get(inspection_id)
    assert record["status"] == "submitted"
    return record


def inspection_and_send(page, server, store, checklist, lks) -> dict:
    """Start at the LKS's page (signing in), then ``send``."""
    return send(page, server, store, checklist, start_inspection(page, server, lks))


def card_of(page, server, record):
    page.goto(f"{server.url}/tinjau/{record['id']}")
    card = page.locator("#bukti-kunjungan")
    assert card.get_by_role("heading", name="Bukti kunjungan").is_visible()
    assert_only_local(page.seen)
    return card


def test_a_phone_at_the_lks_is_recorded_without_a_flag(phone_at, reviewer, live_server, lksa, requests_seen):
    store, checklist = live_server.app.extensions["store"], live_server.app.extensions["checklists"]["lksa"]
    page = phone_at(lksa, 40, accuracy=20)
    record = inspection_and_send(page, live_server, store, checklist, lksa)
    start, sent = record["start_location"], record["versions"][-1]["location"]
    for kept in (start, sent):
        assert kept["status"] == "given" and kept["accuracy"] == 20.0
        assert kept["lat"] == pytest.approx(lksa["lat"] + 40 / METRES_PER_DEGREE, abs=1e-6)
        assert kept["lon"] == pytest.approx(lksa["lon"], abs=1e-6)

    card = card_of(reviewer, live_server, record)
    text = card.inner_text()
    assert text.count("± 40 m dari titik LKS, akurasi 20 m") == 2  # at start and at send
    assert card.locator(".tag.flag").count() == 0
    assert card.locator(".tag.ok").inner_text() == "Sesuai"
    assert_only_local(requests_seen)


def test_a_phone_far_from_the_lks_is_flagged_for_the_reviewer(phone_at, reviewer, live_server, lksa,
                                                              requests_seen):
    store, checklist = live_server.app.extensions["store"], live_server.app.extensions["checklists"]["lksa"]
    page = phone_at(lksa, 1300, accuracy=35)
    record = inspection_and_send(page, live_server, store, checklist, lksa)
    assert record["start_location"]["status"] == record["versions"][-1]["location"]["status"] == "given"

    card = card_of(reviewer, live_server, record)
    flags = card.locator("ul.flags li").all_inner_texts()
    assert flags == ["Perlu dicek Saat mulai: 1,3 km dari titik LKS (lebih dari 300 m).",
                     "Perlu dicek Saat kirim: 1,3 km dari titik LKS (lebih dari 300 m)."]
    assert "± 1,3 km dari titik LKS, akurasi 35 m" in card.inner_text()
    assert_fits_phone(reviewer)
    assert small_targets(reviewer) == []
    card.evaluate("el => el.scrollIntoView({block: 'start'})")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    reviewer.screenshot(path=str(SCREENSHOTS / "review-presence.png"))  # the 360 x 800 viewport, card on top
    assert_only_local(requests_seen)


def test_without_the_permission_the_inspection_goes_on_and_refused_is_recorded(page, reviewer, live_server, lksa,
                                                                          requests_seen):
    """The default context has no geolocation permission: headless Chromium refuses at once (code 1)."""
    store, checklist = live_server.app.extensions["store"], live_server.app.extensions["checklists"]["lksa"]
    inspection_id = start_inspection(page, live_server, lksa)
    told = page.get_by_role("status").filter(has_text="Lokasi tidak tercatat")
    assert told.inner_text().startswith("Lokasi tidak tercatat: izin lokasi ditolak di ponsel.")
    record = send(page, live_server, store, checklist, inspection_id)
    assert record["start_location"] == {"status": "refused", "at": record["created_at"]}
    assert record["versions"][-1]["location"] == {"status": "refused", "at": record["submitted_at"]}

    card = card_of(reviewer, live_server, record)
    assert card.locator("ul.flags li").all_inner_texts() == [
        "Perlu dicek Saat mulai: izin lokasi ditolak di ponsel.",
        "Perlu dicek Saat kirim: izin lokasi ditolak di ponsel."]
    assert card.inner_text().count("Lokasi ditolak di ponsel") == 2

    # Two taps of one start form at the same moment (a slow phone, a retry): one inspection.
    page.goto(f"{live_server.url}/l/{lksa['code']}")
    before = len(store.inspections.for_lks(lksa["id"]))
    landed = page.evaluate(START_TWICE_JS)
    assert landed[0] == landed[1] and "/kunjungan/" in landed[0]
    assert len(store.inspections.for_lks(lksa["id"])) == before + 1

    # A phone without the geolocation API (or a page on plain http, which the script treats alike): unavailable.
    page.context.add_init_script("Object.defineProperty(Navigator.prototype, 'geolocation', {get: () => undefined})")
    page.goto(f"{live_server.url}/l/{lksa['code']}")
    with page.expect_navigation():
        page.get_by_role("button", name="Mulai inspeksi").click()
    inspection_id = page.url.rsplit("/", 1)[1]
    assert store.inspections.get(inspection_id)["start_location"]["status"] == "unavailable"
    assert page.get_by_role("status").filter(has_text="ponsel tidak bisa menentukan lokasi").is_visible()
    assert_only_local(requests_seen)
