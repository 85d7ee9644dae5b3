"""The inspection inspection in a real browser at 360 x 800: fill, summary, send once; with and without JavaScript.

Each run rewrites inspection-form.png, inspection-form-errors.png, inspection-summary.png, inspection-sent.png and
my-inspections.png in docs/screenshots/.
"""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from playwright.sync_api import expect

from inspector.checklists import score
from tests.support.phone import (DATE, MIN_TARGET, PHONE_WIDTH, SCREENSHOTS, TEXT, answer, assert_fits_phone,
                                 assert_only_local, go, passing_number, screenshot, small_targets, start_inspection)
from tests.support.photos import jpeg_file

pytestmark = pytest.mark.browser


# --- Fixtures and helpers ------------------------------------------------------------------------

@pytest.fixture
def photos(tmp_path):
    return [jpeg_file(tmp_path / "depan.jpg"), jpeg_file(tmp_path / "toilet.jpg", colour=(30, 60, 140))]


def submitted_of(store, lks) -> list[dict]:
    return [r for r in store.inspections.for_lks(lks["id"]) if r["status"] != "draft"]


def tall_screenshot(page, name: str):
    """A full-page screenshot with the viewport as tall as the page, so a sticky bar sits where it rests
    at the end of the page instead of floating over the middle of the picture."""
    height = page.evaluate("() => document.documentElement.scrollHeight")
    page.set_viewport_size({"width": PHONE_WIDTH, "height": max(height, 800)})
    try:
        return screenshot(page, name)
    finally:
        page.set_viewport_size({"width": PHONE_WIDTH, "height": 800})


def below_counter(page, locator) -> bool:
    """Whether the element's top is in view and not under the sticky counter."""
    counter = page.locator("form.inspection p.counter").bounding_box()
    box = locator.bounding_box()
    return counter["y"] + counter["height"] <= box["y"] < 800


def view_top_of(page, locator) -> None:
    """Scroll so the element sits just under the sticky counter (as a link to #item-… would)."""
    locator.evaluate("el => el.scrollIntoView({block: 'start'})")


OPTION_BOXES_JS = """(selector) => Array.from(document.querySelectorAll(selector)).map(el => {
  const r = el.getBoundingClientRect();
  return {text: el.textContent.trim().replace(/\\s+/g, ' '), width: r.width, height: r.height};
})"""


# --- 1. The whole inspection with JavaScript ------------------------------------------------------------

def test_full_inspection_with_javascript(page, live_server, live_store, lksa, checklist, photos, requests_seen):
    sent_before = len(submitted_of(live_store, lksa))
    inspection_id = start_inspection(page, live_server, lksa)

    counter = page.locator("form.inspection [data-counter]")
    required = [item for item in checklist.items() if item.required]
    expect(counter).to_have_text(str(len(required)))
    remaining = len(required)
    for item in checklist.items():
        answer(page, item, photos[0])
        if item.required:
            remaining -= 1
            expect(counter).to_have_text(str(remaining))  # counted in the page, nothing posted yet
    assert remaining == 0
    page.locator("#toilet_layak__photos").set_input_files(photos[1])  # one more photo, on a passing item
    expect(counter).to_have_text("0")

    page.evaluate("() => window.scrollTo(0, 0)")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "inspection-form.png"))  # the viewport: the whole form is ~60 questions

    go(page, "Lanjut ke ringkasan")
    assert page.url == f"{live_server.url}/kunjungan/{inspection_id}/ringkasan"
    assert page.get_by_role("heading", level=1).inner_text() == f"Ringkasan: {lksa['name']}"
    record = live_store.inspections.get(inspection_id)
    assert record["status"] == "draft"
    expected = score(checklist, record["answers"])
    assert expected.failed == ()
    assert page.locator(".score .big").inner_text() == f"{expected.percent:.0f}%" == "100%"
    assert page.get_by_text("Belum lengkap").count() == 0
    assert page.get_by_text("Tidak ada temuan.").is_visible()
    assert page.get_by_text("2 foto terlampir.").is_visible()
    send = page.get_by_role("button", name="Kirim", exact=True)
    assert send.is_enabled()
    assert_fits_phone(page)
    tall_screenshot(page, "inspection-summary.png")

    go(page, "Kirim")
    assert page.url == f"{live_server.url}/kunjungan/{inspection_id}/ringkasan"
    assert page.get_by_role("status").filter(has_text="Inspeksi terkirim").inner_text() == \
        "Inspeksi terkirim ke Dinas Sosial. Terima kasih."
    assert page.get_by_text("Status: menunggu tinjauan.").is_visible()
    assert page.get_by_role("button", name="Kirim", exact=True).count() == 0
    assert_fits_phone(page)
    tall_screenshot(page, "inspection-sent.png")

    with page.expect_navigation():
        page.get_by_role("link", name="Ke beranda").click()
    with page.expect_navigation():
        page.locator("main").get_by_role("link", name=re.compile("^Kunjungan saya")).click()
    assert page.get_by_role("heading", level=1).inner_text() == "Kunjungan saya"
    entry = page.locator("main ul.list > li").filter(
        has=page.locator(f"a[href='/kunjungan/{inspection_id}/ringkasan']"))
    expect(entry).to_have_count(1)
    assert entry.locator(".tag").first.inner_text() == "Menunggu tinjauan"
    assert lksa["name"] in entry.inner_text()
    assert "skor 100%" in entry.inner_text()
    assert_fits_phone(page)
    assert small_targets(page) == []
    screenshot(page, "my-inspections.png")

    # What the server kept: one inspection of this inspection, scored, with both photos stored as JPEGs.
    sent = submitted_of(live_store, lksa)
    assert len(sent) == sent_before + 1
    [record] = [r for r in sent if r["id"] == inspection_id]
    assert record["status"] == "submitted" and record["submitted_at"]
    assert record["score"]["percent"] == 100.0 and record["critical"] is False
    assert {i.id for i in required if i.type != "photo"} <= set(record["answers"])
    assert record["answers"]["jumlah_anak_hadir"]["value"] == int(passing_number(checklist.item("jumlah_anak_hadir")))
    assert record["answers"]["akreditasi_berlaku_sampai"]["value"] == DATE
    assert sorted(p["item"] for p in record["photos"]) == ["foto_depan", "toilet_layak"]
    for stored in record["photos"]:
        data = live_store.photos.read(inspection_id, stored["id"])
        assert data[:3] == b"\xff\xd8\xff", stored
        with Image.open(io.BytesIO(data)) as image:
            assert image.format == "JPEG" and image.size == (640, 480)
    assert_only_local(requests_seen)


# --- 2. The same inspection without JavaScript ------------------------------------------------------------

def test_inspection_without_javascript_lists_missing_items_then_sends(page_without_js, live_server, live_store, lksa,
                                                                 checklist, photos, requests_seen):
    page = page_without_js
    inspection_id = start_inspection(page, live_server, lksa)
    required = [item for item in checklist.items() if item.required]
    counter = page.locator("form.inspection [data-counter]")
    assert counter.inner_text() == str(len(required))  # from the server: no script counts here

    first = checklist.sections[0]
    for item in first.items:  # the first section only, the front photo included
        answer(page, item, photos[0])
    assert counter.inner_text() == str(len(required))  # nothing counts until the page is posted
    go(page, "Lanjut ke ringkasan")
    assert page.url == f"{live_server.url}/kunjungan/{inspection_id}/ringkasan"

    still_missing = [item for item in required if item not in first.items]
    missing_box = page.locator("section.card.alert")
    assert missing_box.get_by_role("heading").inner_text() == f"Belum lengkap ({len(still_missing)})"
    links = missing_box.get_by_role("link")
    assert links.all_inner_texts() == [item.question for item in still_missing]
    assert links.first.get_attribute("href") == f"/kunjungan/{inspection_id}#item-{still_missing[0].id}"
    assert page.get_by_role("button", name="Kirim", exact=True).is_disabled()
    assert_fits_phone(page)

    with page.expect_navigation():
        page.get_by_role("link", name="Kembali ke isian").click()
    assert counter.inner_text() == str(len(still_missing))
    for item in first.items:  # kept: the answers, and the photo as a thumbnail
        if item.type == "yes_no":
            assert page.locator(f"#item-{item.id}").get_by_role("radio", name="Ya", exact=True).is_checked()
    assert page.locator("#item-foto_depan .thumbs img").is_visible()

    for item in still_missing:
        answer(page, item, photos[0])
    go(page, "Lanjut ke ringkasan")
    assert page.locator("section.card.alert").count() == 0
    assert page.locator(".score .big").inner_text() == "100%"
    go(page, "Kirim")
    assert page.get_by_text("Inspeksi terkirim ke Dinas Sosial. Terima kasih.").is_visible()
    record = live_store.inspections.get(inspection_id)
    assert record["status"] == "submitted"
    assert [p["item"] for p in record["photos"]] == ["foto_depan"]
    assert set(record["answers"]) == {item.id for item in first.items + tuple(still_missing) if item.type != "photo"}
    assert_only_local(requests_seen)


# --- 3. A validation error keeps every other answer and the photos ---------------------------------

def test_an_out_of_range_number_shows_its_error_and_keeps_answers_and_photo(page, live_server, live_store, lksa,
                                                                             checklist, photos, requests_seen):
    inspection_id = start_inspection(page, live_server, lksa)
    counter = page.locator("form.inspection [data-counter]")
    first = checklist.sections[0]
    for item in first.items:
        answer(page, item, photos[0])
    page.locator("#item-tanda_kekerasan").get_by_role("radio", name="Tidak", exact=True).check()
    page.locator("#jumlah_anak_hadir").fill("999")
    before = int(counter.inner_text())

    go(page, "Simpan draf", status=400)
    assert page.get_by_role("alert").filter(has_text="perlu diperbaiki").inner_text() == \
        "Ada isian yang perlu diperbaiki. Jawaban lain sudah disimpan."
    number = page.locator("#item-jumlah_anak_hadir")
    # the top of the page links to the question to fix, which may be far down
    to_fix = page.get_by_role("navigation", name="Isian yang perlu diperbaiki").get_by_role("link")
    assert to_fix.all_inner_texts() == [checklist.item("jumlah_anak_hadir").question]
    assert small_targets(page) == []
    to_fix.click()
    assert page.url.endswith("#item-jumlah_anak_hadir")
    assert below_counter(page, number.locator("legend"))
    assert "has-error" in number.get_attribute("class")
    assert page.locator("fieldset.question.has-error").count() == 1
    error = number.locator(".error")
    assert error.inner_text() == "Angka harus antara 0 dan 300."
    field = number.locator("#jumlah_anak_hadir")
    assert field.input_value() == "999"  # what was typed stays, to be corrected
    field_box, error_box = field.bounding_box(), error.bounding_box()
    assert 0 <= error_box["y"] - (field_box["y"] + field_box["height"]) < 48  # under its input (past the hint)

    for item in first.items:
        if item.type == "yes_no":
            assert page.locator(f"#item-{item.id}").get_by_role("radio", name="Ya", exact=True).is_checked(), item.id
    assert page.locator("#item-tanda_kekerasan").get_by_role("radio", name="Tidak", exact=True).is_checked()
    assert page.locator("#nomor_izin").input_value() == TEXT
    assert page.locator("#akreditasi_berlaku_sampai").input_value() == DATE
    thumb = page.locator("#item-foto_depan .thumbs img")
    expect(thumb).to_have_count(1)
    thumb.scroll_into_view_if_needed()
    expect(thumb).to_be_visible()
    assert thumb.evaluate("img => img.complete && img.naturalWidth") > 0  # really loaded, not a broken image
    # the number was not stored, so the counter still counts it; the photo and the answers were
    assert int(counter.inner_text()) == before

    record = live_store.inspections.get(inspection_id)
    assert "jumlah_anak_hadir" not in record["answers"]
    assert record["answers"]["tanda_kekerasan"]["value"] == "tidak"
    assert [p["item"] for p in record["photos"]] == ["foto_depan"]

    view_top_of(page, number)
    assert below_counter(page, number.locator("legend"))
    page.screenshot(path=str(SCREENSHOTS / "inspection-form-errors.png"))  # the viewport, where the error is
    assert_fits_phone(page)
    assert_only_local(requests_seen)


# --- 4. A double tap on 'Kirim' sends once --------------------------------------------------------

SEND_TWICE_JS = """async () => {
  const form = document.querySelector('form[action$="/kirim"]');
  const send = () => fetch(form.action, {method: 'POST', body: new FormData(form)})
    .then(async r => ({status: r.status, url: r.url, sent: (await r.text()).includes('Terkirim')}));
  return Promise.all([send(), send()]);
}"""


def test_a_double_tap_on_send_makes_one_inspection(page, live_server, live_store, lksa, checklist, photos,
                                                   requests_seen):
    inspection_id = start_inspection(page, live_server, lksa)
    for item in checklist.items():
        if item.required:
            answer(page, item, photos[0])
    go(page, "Lanjut ke ringkasan")
    records_before = [r["id"] for r in live_store.inspections.for_lks(lksa["id"])]
    sent_before = len(submitted_of(live_store, lksa))
    posts = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" and r.url.endswith("/kirim") else None)

    # Two sends of the same form at the same moment (the second tap of a slow phone, a retry).
    answers = page.evaluate(SEND_TWICE_JS)
    assert len(posts) == 2
    summary_url = f"{live_server.url}/kunjungan/{inspection_id}/ringkasan"
    assert answers == [{"status": 200, "url": summary_url, "sent": True}] * 2
    record = live_store.inspections.get(inspection_id)
    assert record["status"] == "submitted"
    first_sent_at = record["submitted_at"]

    # The page still shows 'Kirim' (the sends above did not navigate): tap it twice quickly as well.
    send = page.get_by_role("button", name="Kirim", exact=True)
    assert send.is_enabled()
    send.dblclick()  # the second tap may abort the first tap's navigation: wait for the page, not for one of them
    expect(page.get_by_text("Status: menunggu tinjauan.")).to_be_visible()
    assert page.url == summary_url
    assert len(posts) >= 3

    assert [r["id"] for r in live_store.inspections.for_lks(lksa["id"])] == records_before  # nothing new
    assert len(submitted_of(live_store, lksa)) == sent_before + 1
    record = live_store.inspections.get(inspection_id)
    assert record["status"] == "submitted" and record["submitted_at"] == first_sent_at
    assert len(record.get("versions", [None])) == 1  # each send keeps a version of the answers: one send, one
    page.goto(live_server.url + "/inspeksi/kunjungan")
    expect(page.locator(f"main a[href='/kunjungan/{inspection_id}/ringkasan']")).to_have_count(1)
    assert_only_local(requests_seen)


# --- 5. The form and the summary fit a 360 px phone ------------------------------------------------

def test_form_and_summary_fit_the_phone_with_big_targets(page, live_server, lksa, checklist, requests_seen):
    inspection_id = start_inspection(page, live_server, lksa)
    assert_fits_phone(page)
    yes_no = page.evaluate(OPTION_BOXES_JS, ".options.yesno label.option")
    assert len(yes_no) == 3 * sum(item.type == "yes_no" for item in checklist.items())
    assert [o for o in yes_no if o["height"] < MIN_TARGET] == []
    others = page.evaluate(OPTION_BOXES_JS, "label.option, input[type=file], details > summary, .bar button")
    assert [o for o in others if o["height"] < MIN_TARGET] == []
    assert small_targets(page) == []

    go(page, "Lanjut ke ringkasan")  # nothing answered: the summary lists every required question
    missing_box = page.locator("section.card.alert")
    assert missing_box.get_by_role("heading").inner_text().startswith("Belum lengkap")
    assert_fits_phone(page)
    assert small_targets(page) == []

    # A missing question far down the form: its link lands on it, below the sticky counter.
    target = next(item for item in checklist.items() if item.id == "pengasuh_cukup")
    with page.expect_navigation():
        missing_box.get_by_role("link", name=target.question).click()
    assert page.url == f"{live_server.url}/kunjungan/{inspection_id}#item-{target.id}"
    legend = page.locator(f"#item-{target.id} legend")
    expect(legend).to_be_in_viewport()
    assert page.evaluate("() => window.scrollY") > 2000
    assert page.locator("form.inspection p.counter").bounding_box()["y"] == 0  # stuck to the top
    assert below_counter(page, legend)
    assert_fits_phone(page)
    assert_only_local(requests_seen)
