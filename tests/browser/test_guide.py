"""A long checklist that guides, in a real browser at 360 x 800: the section list and its live progress,
"Simpan draf" keeping the place (with and without JavaScript), and a critical answer shown at once.

Each run rewrites inspection-sections.png and inspection-critical.png in docs/screenshots/.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.support.phone import SCREENSHOTS, assert_fits_phone, assert_only_local, go, small_targets, \
    start_inspection

pytestmark = pytest.mark.browser


def screenshot(page, name: str) -> None:
    """What the phone shows now: the viewport (the whole form is some thirty screens)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name))

PROTECTION = "perlindungan"


def test_sections_to_jump_to_with_live_progress_and_the_lks_name_in_view(page, live_server, lksa, checklist,
                                                                          requests_seen):
    inspection_id = start_inspection(page, live_server, lksa)
    section = next(s for s in checklist.sections if s.id == PROTECTION)
    nav = page.locator("nav#daftar-bagian")
    link = nav.get_by_role("link", name=section.title)
    expect(link).to_contain_text(f"0/{len(section.items)}")
    expect(page.locator(".counter-lks")).to_have_text(lksa["name"])
    nav.evaluate("el => el.scrollIntoView({block: 'start'})")
    screenshot(page, "inspection-sections.png")

    link.click()
    assert page.url.endswith(f"/kunjungan/{inspection_id}#bagian-{PROTECTION}")
    first = next(item for item in section.items if item.type == "yes_no" and not item.critical)
    page.locator(f"#item-{first.id} label.option").first.click()
    expect(link).to_contain_text(f"1/{len(section.items)}")  # counted in the page, nothing posted
    expect(page.locator(f"details#bagian-{PROTECTION} [data-section-progress]")).to_have_text(
        f"1/{len(section.items)}")
    expect(page.locator("[data-progress]")).to_have_text(f"1/{len(list(checklist.items()))}")
    counter = page.locator("form.inspection p.counter")
    assert counter.bounding_box()["y"] == 0  # the LKS name stays in view while scrolled down
    expect(page.locator(".counter-lks")).to_be_in_viewport()

    # "Simpan draf" at the bottom bar returns to the question last answered.
    go(page, "Simpan draf")
    assert page.url.endswith(f"/kunjungan/{inspection_id}#item-{first.id}")
    expect(page.locator(f"#item-{first.id} legend")).to_be_in_viewport()
    assert page.evaluate("() => window.scrollY") > 1000
    expect(link).to_contain_text(f"1/{len(section.items)}")  # now from the server
    assert_fits_phone(page)
    assert small_targets(page) == []
    assert_only_local(requests_seen)


def test_a_sections_save_button_keeps_the_place_without_javascript(page_without_js, live_server, lksa, checklist):
    page = page_without_js
    inspection_id = start_inspection(page, live_server, lksa)
    section = next(s for s in checklist.sections if s.id == PROTECTION)
    first = next(item for item in section.items if item.type == "yes_no")
    page.locator(f"#item-{first.id} label.option").first.click()
    with page.expect_navigation():
        page.locator(f"details#bagian-{PROTECTION}").get_by_role("button", name="Simpan draf bagian ini").click()
    assert page.url.endswith(f"/kunjungan/{inspection_id}#bagian-{PROTECTION}")
    expect(page.locator(f"details#bagian-{PROTECTION} > summary")).to_be_in_viewport()
    nav = page.locator("nav#daftar-bagian")
    expect(nav.get_by_role("link", name=section.title)).to_contain_text(f"1/{len(section.items)}")


def test_a_critical_answer_shows_at_once_what_to_do_now(page, live_server, lksa, checklist):
    inspection_id = start_inspection(page, live_server, lksa)
    item = checklist.item("tanda_kekerasan")
    question = page.locator(f"#item-{item.id}")
    box = question.locator("[data-critical-now]")
    expect(box).to_be_hidden()
    question.get_by_text("Ya", exact=True).click()  # "ya" fails this item: signs of violence
    expect(box).to_be_visible()
    expect(box.get_by_role("link", name="Telepon SAPA 129")).to_have_attribute("href", "tel:129")
    expect(box.get_by_role("link", name="Polisi 110")).to_have_attribute("href", "tel:110")
    question.evaluate("el => el.scrollIntoView({block: 'start'})")
    screenshot(page, "inspection-critical.png")
    question.get_by_text("Tidak", exact=True).click()
    expect(box).to_be_hidden()

    question.get_by_text("Ya", exact=True).click()
    go(page, "Simpan draf")  # from the server too, after the save
    assert page.url.endswith(f"/kunjungan/{inspection_id}#item-{item.id}")
    expect(page.locator(f"#item-{item.id} [data-critical-now]")).to_be_visible()
    assert_fits_phone(page)
    assert small_targets(page) == []


def test_a_returned_inspection_leads_the_home_page_and_its_item_comment_shows_at_the_item(page, live_server,
                                                                                         live_store, checklist):
    from inspector import review
    from inspector.auth import User
    from tests.support.inspection_builders import sent_inspection
    lks = [r for r in live_server.lks if r["kind"] == "lksa"][-1]
    record = sent_inspection(live_server.app, lks)
    reviewer = User(live_store.users.by_username("peninjau1"))
    assert review.add_comment(live_store, record["id"], reviewer, "Foto toilet gelap: ambil ulang dengan lampu.",
                              "toilet_layak", checklist)[1] is None
    assert review.decide(live_store, record["id"], reviewer, "return", "Mohon perbaiki foto toilet.")[1] is None

    from tests.support.phone import sign_in
    sign_in(page, live_server.url, "inspector")
    assert page.url == f"{live_server.url}/inspeksi/"
    box = page.locator("#perlu-perbaikan")
    expect(box).to_be_in_viewport()  # at the top, not behind the Notifikasi badge
    link = box.get_by_role("link").filter(has_text=lks["name"])
    expect(link).to_contain_text("Mohon perbaiki foto toilet.")
    screenshot(page, "inspector-home-returned.png")

    with page.expect_navigation():
        link.first.click()
    assert page.url == f"{live_server.url}/kunjungan/{record['id']}"
    note = page.locator("#item-toilet_layak .item-comment")
    expect(note).to_contain_text("Foto toilet gelap: ambil ulang dengan lampu.")
    expect(page.locator("#item-tanda_kekerasan .item-comment")).to_have_count(0)
    assert_fits_phone(page)
    assert small_targets(page) == []


def gps_jpeg(path, lat: float, lon: float, size=(2000, 1500)):
    """A camera's photo: JPEG with the place it was taken in its EXIF (degrees, minutes, seconds)."""
    from PIL import ExifTags, Image, ImageDraw
    from PIL.TiffImagePlugin import IFDRational

    def dms(value):
        value = abs(value)
        degrees, minutes = int(value), int(value * 60) % 60
        return (IFDRational(degrees), IFDRational(minutes), IFDRational(round((value * 3600) % 60 * 1000), 1000))
    image = Image.new("RGB", size, (40, 110, 60))
    ImageDraw.Draw(image).rectangle((100, 100, 900, 700), fill=(200, 180, 40))
    exif = image.getexif()
    exif.get_ifd(ExifTags.IFD.GPSInfo).update({1: "S" if lat < 0 else "N", 2: dms(lat),
                                                3: "W" if lon < 0 else "E", 4: dms(lon)})
    image.save(path, "JPEG", quality=95, exif=exif)
    return path


def test_the_phone_sends_the_place_read_from_the_original_before_making_it_smaller(
        page, live_server, live_store, lksa, tmp_path):
    inspection_id = start_inspection(page, live_server, lksa)
    far = gps_jpeg(tmp_path / "jauh.jpg", lksa["lat"] + 0.01, lksa["lon"])  # about 1.1 km north of the LKS
    with page.expect_request(lambda r: r.url.endswith(f"/kunjungan/{inspection_id}/foto")) as sent:
        page.locator("#photos_general").set_input_files(str(far))
    body = sent.value.post_data_buffer
    assert b'name="gps_lat"' in body and b'name="gps_lon"' in body
    page.wait_for_function("() => document.querySelectorAll('#foto .thumbs img').length === 1")
    [photo] = live_store.inspections.get(inspection_id)["photos"]
    assert abs(photo["gps"][0] - (lksa["lat"] + 0.01)) < 1e-5 and abs(photo["gps"][1] - lksa["lon"]) < 1e-5
    assert b"Exif" not in body.split(b'name="photo"')[1][:400]  # the photo itself travelled without its EXIF


def test_the_start_page_shows_what_to_re_check_and_discards_a_stale_draft_without_javascript(
        page_without_js, live_server, live_store, checklist):
    from tests.support.inspection_builders import inspection_in
    page = page_without_js
    lks = live_server.lks[1]
    kind_checklist = next(c for c in live_server.app.extensions["checklists"].values() if lks["kind"] in c.kinds)
    failing = next(item for item in kind_checklist.items() if item.type == "yes_no" and not item.critical)
    inspection_in(live_server.app, lks, answers={failing.id: failing.fail_answer}, status="approved",
                  checklist_id=kind_checklist.id)
    inspection_id = start_inspection(page, live_server, lks)
    page.goto(f"{live_server.url}/inspeksi/lks/{lks['code']}")
    recheck = page.locator("#periksa-ulang")
    expect(recheck).to_contain_text(failing.question)
    row = page.locator("main ul.list > li").filter(has=page.locator(f"a[href='/kunjungan/{inspection_id}']"))
    row.get_by_text("Buang draf ini").click()  # <details>: opens without a script
    with page.expect_navigation() as navigation:
        row.get_by_role("button", name="Ya, buang draf").click()
    assert navigation.value.status == 200
    assert page.url == f"{live_server.url}/inspeksi/lks/{lks['code']}"
    expect(page.locator("main p.flash").filter(has_text="Draf dibuang")).to_be_visible()
    assert live_store.inspections.get(inspection_id) is None
    expect(page.locator(f"a[href='/kunjungan/{inspection_id}']")).to_have_count(0)
    assert_fits_phone(page)
    assert small_targets(page) == []


def test_a_sections_save_button_returns_to_its_section_with_javascript(page, live_server, lksa, checklist):
    inspection_id = start_inspection(page, live_server, lksa)
    first = checklist.sections[0].items[1]
    page.locator(f"#item-{first.id} label.option").first.click()  # last touched: a question of section 1
    with page.expect_navigation():
        page.locator(f"details#bagian-{PROTECTION}").get_by_role("button", name="Simpan draf bagian ini").click()
    assert page.url.endswith(f"/kunjungan/{inspection_id}#bagian-{PROTECTION}")
