"""The inspection form on a weak network, in a real browser at 360 x 800: photos made smaller on the phone and sent
one by one as soon as they are chosen, a lost answer retried without a second copy, answers kept on the phone
across a reload, and the form waiting for a photo still on its way.

Each run rewrites docs/screenshots/inspection-upload-progress.png.
"""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import expect

from tests.support.phone import SCREENSHOTS, TEXT, assert_fits_phone, assert_only_local, go, start_inspection
from tests.support.photos import jpeg_file
from tests.support.waiting import wait_until

pytestmark = pytest.mark.browser

UPLOAD = "**/kunjungan/*/foto"


def camera_photo(path, size=(4000, 3000)):
    """A 12 MP camera-like JPEG: shapes under sensor noise, stored sideways with EXIF Orientation 6 (the
    phone was held upright) and DateTimeOriginal. A red block marks the stored top-left corner."""
    width, height = size
    image = Image.linear_gradient("L").resize(size).convert("RGB")
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, width // 5, height // 5), fill=(220, 20, 20))
    draw.ellipse((width // 3, height // 3, width // 3 * 2, height // 3 * 2), fill=(40, 150, 70))
    noise = Image.effect_noise((width // 4, height // 4), 24).resize(size, Image.Resampling.NEAREST).convert("RGB")
    image = Image.blend(image, noise, 0.15)
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to view
    exif.get_ifd(0x8769)[0x9003] = "2025:06:30 09:15:00"  # DateTimeOriginal, camera on WIB
    image.save(path, "JPEG", quality=92, exif=exif)
    return path


def uploads_to(page, url_part: str = "/foto") -> list:
    posts = []
    page.on("request", lambda r: posts.append(r) if r.method == "POST" and r.url.endswith(url_part) else None)
    return posts


def copy_in_phone(page, inspection_id: str):
    return page.evaluate("(id) => localStorage.getItem('inspector:visit:' + id)", inspection_id)


# --- (a) A 12 MP photo travels at most ~400 KB, upright, with its capture time -------------------------------

def test_a_camera_photo_is_made_small_upright_and_keeps_its_time(page, live_server, live_store, lksa, tmp_path,
                                                                 requests_seen):
    original = camera_photo(tmp_path / "IMG_20250630_091500.jpg")
    assert original.stat().st_size > 1_000_000
    inspection_id = start_inspection(page, live_server, lksa)
    posts = uploads_to(page)
    field = page.locator("#foto_depan__photos")
    field.set_input_files(original)
    thumb = page.locator("#item-foto_depan .thumbs img")
    expect(thumb).to_have_count(1, timeout=20000)
    expect(page.locator("#item-foto_depan .upload")).to_have_count(0)
    assert field.evaluate("input => input.files.length") == 0  # the form's own post will not carry it again
    assert thumb.evaluate("img => img.complete && img.naturalWidth") > 0

    [post] = posts
    body = post.post_data_buffer
    assert len(body) <= 400 * 1024, len(body)
    assert b'name="taken_at"\r\n\r\n2025-06-30T09:15:00\r\n' in body
    [stored] = live_store.inspections.get(inspection_id)["photos"]
    assert stored["item"] == "foto_depan" and stored["upload_key"].startswith("k:")
    assert stored["taken_at"] == "2025-06-30T02:15:00+00:00"  # 09:15 WIB, read by the phone from the original
    with Image.open(io.BytesIO(live_store.photos.read(inspection_id, stored["id"]))) as image:
        assert image.size == (1200, 1600)  # upright (portrait), long side 1600
        rgb = image.convert("RGB")
        red, green, blue = rgb.getpixel((1200 - 60, 60))  # the stored top-left block, turned to the top right
        assert red > 150 and green < 90 and blue < 90, (red, green, blue)
        for corner in ((60, 60), (60, 1600 - 60), (1200 - 60, 1600 - 60)):  # the other corners: not red
            red, green, blue = rgb.getpixel(corner)
            assert not (red > 150 and green < 90), (corner, red, green, blue)

    go(page, "Simpan draf")
    assert len(live_store.inspections.get(inspection_id)["photos"]) == 1
    assert len(posts) == 1
    assert_only_local(requests_seen)


# --- (b) The answer to an upload is lost once: retried, stored once ------------------------------------------

def test_a_lost_upload_answer_is_retried_and_stored_once(page, live_server, live_store, lksa, tmp_path, requests_seen):
    inspection_id = start_inspection(page, live_server, lksa)
    calls = []

    def lose_the_first_answer(route):
        calls.append(route.request.url)
        if len(calls) == 1:
            route.fetch()  # the server receives and stores it; the phone never hears back
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route(UPLOAD, lose_the_first_answer)
    page.locator("#foto_depan__photos").set_input_files(jpeg_file(tmp_path / "depan.jpg"))
    row = page.locator("#item-foto_depan .upload")
    expect(row).to_contain_text("dicoba lagi")  # said, not hidden
    expect(page.locator("#item-foto_depan .thumbs img")).to_have_count(1, timeout=15000)
    expect(row).to_have_count(0)
    assert len(calls) == 2
    photos = live_store.inspections.get(inspection_id)["photos"]
    assert [p["item"] for p in photos] == ["foto_depan"]
    go(page, "Lanjut ke ringkasan")
    assert page.get_by_text("1 foto terlampir.").is_visible()
    assert len(live_store.inspections.get(inspection_id)["photos"]) == 1
    assert_only_local(requests_seen)


# --- (c) Answers kept on the phone across a reload; gone once the server has them -----------------------------

def test_answers_survive_a_reload_and_leave_the_phone_once_saved(page, live_server, live_store, lksa, checklist,
                                                                 requests_seen):
    inspection_id = start_inspection(page, live_server, lksa)
    form_url = page.url
    page.locator("#nomor_izin").fill(TEXT)
    page.locator("#item-tanda_kekerasan").get_by_role("radio", name="Tidak", exact=True).check()
    page.locator("#nomor_izin__note").evaluate("el => el.closest('details').open = true")
    page.locator("#nomor_izin__note").fill("Izin diperpanjang tahun ini")
    counter = page.locator("form.inspection [data-counter]").inner_text()
    kept = copy_in_phone(page, inspection_id)
    assert TEXT in kept and "inspection_key" not in kept and live_store.inspections.get(inspection_id)["inspection_key"] not in kept

    # The connection drops and the page is closed (no background save gets through); later it is loaded
    # again: a new load, as after a crash, not the browser's own form restore.
    page.context.set_offline(True)
    page.goto("about:blank")
    page.context.set_offline(False)
    page.goto(form_url)
    note = page.locator("[data-restored]")
    expect(note).to_be_visible()
    assert note.inner_text() == "Isian yang belum tersimpan dipulihkan dari perangkat ini."
    assert page.locator("#nomor_izin").input_value() == TEXT
    assert page.locator("#item-tanda_kekerasan").get_by_role("radio", name="Tidak", exact=True).is_checked()
    assert page.locator("#nomor_izin__note").is_visible()  # its closed note opened to show what came back
    assert page.locator("#nomor_izin__note").input_value() == "Izin diperpanjang tahun ini"
    assert page.locator("form.inspection [data-counter]").inner_text() == counter
    assert live_store.inspections.get(inspection_id)["answers"] == {}  # all of it from the phone
    assert_fits_phone(page)

    go(page, "Simpan draf")
    assert live_store.inspections.get(inspection_id)["answers"]["nomor_izin"]["value"] == TEXT
    assert copy_in_phone(page, inspection_id) is None
    expect(page.locator("[data-restored]")).to_be_hidden()

    # A copy typed on answers the server has since replaced is dropped, never laid over them.
    page.evaluate("""(id) => localStorage.setItem('inspector:visit:' + id, JSON.stringify(
        {version: 'lama', at: Date.now(), values: {nomor_izin: ['ketikan lama']}}))""", inspection_id)
    page.goto(form_url)
    assert page.locator("#nomor_izin").input_value() == TEXT
    expect(page.locator("[data-restored]")).to_be_hidden()
    assert copy_in_phone(page, inspection_id) is None

    # Typed, then the phone locks its screen: saved in the background, and the copy leaves the phone.
    page.locator("#nomor_izin").fill("123/LKSA/2025")
    assert copy_in_phone(page, inspection_id) is not None
    page.evaluate("""() => { Object.defineProperty(document, 'visibilityState', {value: 'hidden', configurable: true});
                             document.dispatchEvent(new Event('visibilitychange')); }""")
    page.wait_for_function("(id) => localStorage.getItem('inspector:visit:' + id) === null", arg=inspection_id)
    assert live_store.inspections.get(inspection_id)["answers"]["nomor_izin"]["value"] == "123/LKSA/2025"

    # Signing out removes every copy this phone kept.
    page.locator("#nomor_izin").fill("belum disimpan")
    assert copy_in_phone(page, inspection_id) is not None
    with page.expect_navigation():
        page.locator("header").get_by_role("button", name="Keluar").click()
    assert page.evaluate("() => Object.keys(localStorage).filter(k => k.startsWith('inspector:'))") == []
    assert_only_local(requests_seen)


# --- (d) 'Lanjut ke ringkasan' waits for a photo still on its way --------------------------------------------

def test_the_form_waits_for_a_slow_photo(page, live_server, live_store, lksa, tmp_path, requests_seen):
    inspection_id = start_inspection(page, live_server, lksa)
    held = []
    page.route(UPLOAD, lambda route: held.append(route))  # the network holds the photo until the test lets it go
    page.locator("#foto_depan__photos").set_input_files(camera_photo(tmp_path / "depan.jpg", size=(2000, 1500)))
    wait_until(lambda: held, "the photo held on its way", pause=lambda: page.wait_for_timeout(50))
    row = page.locator("#item-foto_depan .upload")
    expect(row.locator("progress")).to_be_visible()
    expect(row.locator(".upload-text")).to_contain_text("Mengirim")

    page.get_by_role("button", name="Lanjut ke ringkasan", exact=True).click()
    waiting = page.locator("[data-upload-text]")
    expect(waiting).to_have_text("Menunggu 1 foto terkirim, lalu formulir dikirim.")
    assert page.url.endswith(f"/kunjungan/{inspection_id}")
    page.locator("#item-foto_depan legend").evaluate("el => el.scrollIntoView({block: 'start'})")
    page.evaluate("() => window.scrollBy(0, -60)")  # under the sticky counter
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "inspection-upload-progress.png"))
    assert_fits_phone(page)

    with page.expect_navigation(timeout=15000):
        held[0].continue_()
    assert page.url == f"{live_server.url}/kunjungan/{inspection_id}/ringkasan"
    assert page.get_by_text("1 foto terlampir.").is_visible()
    assert [p["item"] for p in live_store.inspections.get(inspection_id)["photos"]] == ["foto_depan"]
    assert_only_local(requests_seen)


# --- (e) A photo that cannot be sent: retried, then named, and the inspector chooses -------------------------

def test_a_photo_that_cannot_be_sent_is_named_and_tried_again_on_request(page, live_server, live_store, lksa,
                                                                         tmp_path, requests_seen):
    page.clock.install()
    inspection_id = start_inspection(page, live_server, lksa)
    page.clock.pause_at(page.evaluate("Date.now()") + 1000)  # from here the waits pass when the test says so
    tries = []
    page.route(UPLOAD, lambda route: (tries.append(1), route.abort("internetdisconnected")))
    page.locator("#foto_depan__photos").set_input_files(jpeg_file(tmp_path / "depan.jpg"))
    row = page.locator("#item-foto_depan .upload")
    for delay in (2, 5, 12):  # each failed try says how long the phone waits; then that time passes, no more
        expect(row.locator(".upload-text")).to_have_text(f"Sinyal lemah, dicoba lagi dalam {delay} detik…")
        page.clock.run_for(delay * 1000)
    expect(row.locator(".upload-text")).to_have_text("Gagal terkirim. Periksa sinyal lalu coba lagi.")
    assert len(tries) == 4  # the first try and three more, waiting longer each time
    expect(row.get_by_role("button", name="Coba lagi")).to_be_visible()

    page.get_by_role("button", name="Lanjut ke ringkasan", exact=True).click()
    expect(page.locator("[data-upload-text]")).to_have_text(
        "1 foto gagal terkirim: depan.jpg. Coba lagi, atau lanjutkan: foto itu ikut dikirim bersama formulir.")
    assert page.url == f"{live_server.url}/kunjungan/{inspection_id}"
    assert live_store.inspections.get(inspection_id)["photos"] == []

    page.unroute(UPLOAD)  # the signal is back
    with page.expect_navigation():
        page.locator("[data-upload-state]").get_by_role("button", name="Coba lagi").click()
    assert page.url == f"{live_server.url}/kunjungan/{inspection_id}/ringkasan"  # sent, then the form went on by itself
    assert [p["item"] for p in live_store.inspections.get(inspection_id)["photos"]] == ["foto_depan"]
    assert_only_local(requests_seen)
