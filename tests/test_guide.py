"""A long checklist that guides: section navigation and progress, "Simpan draf" keeping the place, and a critical
answer that says at once what to do now; through the Flask test client and the domain module."""

from __future__ import annotations

import re

import pytest

from inspector import guide
from tests.support.answers import failing, passing

PROTECTION = "perlindungan"


def start_inspection(client, code: str) -> str:
    response = client.post(f"/inspeksi/lks/{code}/mulai", data={"checklist": "lksa"})
    assert response.status_code == 303
    return response.location.rsplit("/", 1)[1]


@pytest.fixture
def lksa(app):
    return app.extensions["checklists"]["lksa"]


@pytest.fixture
def draft(app, client, auth):
    """A draft of the first seeded LKS by the signed-in inspector: (id, key)."""
    auth.login_as("inspector")
    lks = app.extensions["store"].lks.all()[0]
    inspection_id = start_inspection(client, lks["code"])
    return inspection_id, app.extensions["store"].inspections.get(inspection_id)["inspection_key"]


def save(client, inspection_id, key, data, **extra):
    return client.post(f"/kunjungan/{inspection_id}", data={"inspection_key": key, **data, **extra},
                       content_type="multipart/form-data")


# --- the domain ------------------------------------------------------------------------------------------

def test_progress_counts_answered_questions_per_section_and_overall(lksa):
    first, second = lksa.sections[0], lksa.sections[1]
    answers = {item.id: {"value": passing(item), "note": ""} for item in second.items[:3] if item.type != "photo"}
    record = {"answers": answers, "photos": [{"id": "f1", "item": first.items[0].id}]}
    found = guide.progress(lksa, record)
    assert found.sections[0].answered == (1 if first.items[0].type == "photo" else 0)
    assert found.sections[1].answered == len(answers)
    assert found.sections[1].label == f"{len(answers)}/{len(second.items)}"
    assert found.total == len(list(lksa.items()))
    assert found.answered == sum(s.answered for s in found.sections)


def test_a_note_alone_does_not_count_as_an_answer(lksa):
    item = lksa.sections[1].items[0]
    found = guide.progress(lksa, {"answers": {item.id: {"value": None, "note": "dilihat"}}, "photos": []})
    assert found.answered == 0


@pytest.mark.parametrize("posted, expected", [
    ("bagian-perlindungan", "bagian-perlindungan"),
    ("item-tanda_kekerasan", "item-tanda_kekerasan"),
    ("bagian-tidak_ada", ""),
    ("item-tidak_ada", ""),
    ("https://contoh.example/", ""),
    ("bagian-perlindungan\" onclick=\"x", ""),
    ("", ""),
    (None, ""),
])
def test_the_place_a_save_returns_to_is_one_of_this_checklist(lksa, posted, expected):
    assert guide.place(lksa, posted) == expected


def test_critical_now_lists_the_critical_items_whose_answer_fails(lksa):
    critical = [item for item in lksa.items() if item.critical]
    answers = {critical[0].id: {"value": failing(critical[0])}, critical[1].id: {"value": passing(critical[1])}}
    assert [item.id for item in guide.critical_now(lksa, answers)] == [critical[0].id]


# --- the form --------------------------------------------------------------------------------------------

def test_the_form_lists_its_sections_with_their_progress_and_keeps_the_lks_name_in_view(app, client, draft, lksa):
    inspection_id, key = draft
    item = next(i for i in lksa.sections[1].items if i.type == "yes_no")
    assert save(client, inspection_id, key, {item.id: passing(item), "action": "simpan"}).status_code == 303
    html = client.get(f"/kunjungan/{inspection_id}").get_data(as_text=True)
    lks = app.extensions["store"].lks.all()[0]
    assert re.search(r'<p class="counter" role="status"><span class="counter-lks">' + re.escape(lks["name"]), html)
    nav = html[html.index('id="daftar-bagian"'):html.index("</nav>", html.index('id="daftar-bagian"'))]
    for section in lksa.sections:
        assert f'href="#bagian-{section.id}"' in nav
    total = len(lksa.sections[1].items)
    assert f'data-section-progress="{PROTECTION}">1/{total}</span>' in nav
    assert "Perlindungan anak" in nav
    assert f"Terjawab <strong data-progress>1/{len(list(lksa.items()))}</strong>" in html


def test_a_sections_own_save_button_returns_to_that_section_without_script(client, draft, lksa):
    inspection_id, key = draft
    item = lksa.sections[1].items[0]
    response = save(client, inspection_id, key, {item.id: passing(item), "place": f"bagian-{PROTECTION}"})
    assert response.status_code == 303
    assert response.location.endswith(f"/kunjungan/{inspection_id}#bagian-{PROTECTION}")
    html = client.get(f"/kunjungan/{inspection_id}").get_data(as_text=True)
    assert f'name="place" value="bagian-{PROTECTION}"' in html


def test_simpan_draf_returns_to_the_question_the_script_last_saw(client, draft):
    inspection_id, key = draft
    response = save(client, inspection_id, key, {"action": "simpan", "place_js": "item-hukuman_fisik"})
    assert response.location.endswith("#item-hukuman_fisik")


def test_what_the_script_saw_wins_over_the_first_button_an_enter_key_presses(client, draft):
    inspection_id, key = draft
    response = save(client, inspection_id, key, {"place": "bagian-legalitas", "place_js": "item-hukuman_fisik"})
    assert response.location.endswith("#item-hukuman_fisik")


@pytest.mark.parametrize("place", ["item-tidak_ada", "//contoh.example", "bagian-" + "x" * 80, "javascript:alert(1)"])
def test_a_forged_place_returns_to_the_top_of_the_form(client, draft, place):
    inspection_id, key = draft
    response = save(client, inspection_id, key, {"action": "simpan", "place": place, "place_js": place})
    assert response.status_code == 303
    assert response.location.endswith(f"/kunjungan/{inspection_id}")


def test_going_to_the_summary_ignores_the_place(client, draft):
    inspection_id, key = draft
    response = save(client, inspection_id, key, {"action": "ringkasan", "place_js": "item-hukuman_fisik"})
    assert response.location.endswith(f"/kunjungan/{inspection_id}/ringkasan")


# --- a critical answer -----------------------------------------------------------------------------------

def critical_boxes(html: str) -> dict[str, bool]:
    """{item id: whether its "what to do now" box is shown} for every critical question of the page."""
    found = {}
    for match in re.finditer(r'id="item-([a-z0-9_]+)"[^>]*data-fails=.*?<div class="critical-now" role="alert" '
                             r'data-critical-now( hidden)?>', html, re.S):
        found[match.group(1)] = match.group(2) is None
    return found


def test_every_critical_question_carries_its_box_hidden_until_it_fails(client, draft, lksa):
    inspection_id, _ = draft
    html = client.get(f"/kunjungan/{inspection_id}").get_data(as_text=True)
    critical = [item.id for item in lksa.items() if item.critical]
    assert critical_boxes(html) == {item_id: False for item_id in critical}
    assert 'data-fails="[&#34;ya&#34;]"' in html  # what the script compares the answer with


def test_a_failing_critical_answer_shows_what_to_do_now_after_a_save(client, draft, lksa):
    inspection_id, key = draft
    item = lksa.item("tanda_kekerasan")
    save(client, inspection_id, key, {item.id: failing(item), "action": "simpan"})
    html = client.get(f"/kunjungan/{inspection_id}").get_data(as_text=True)
    shown = critical_boxes(html)
    assert shown.pop(item.id) is True
    assert not any(shown.values())
    box = html[html.index(f'id="item-{item.id}"'):]
    box = box[box.index('<div class="critical-now"'):box.index("</div>", box.index('<div class="critical-now"'))]
    assert "Temuan kritis." in box and "Polisi 110 atau SAPA 129" in box
    assert 'href="tel:129"' in box and 'href="tel:110"' in box


def test_the_sent_page_repeats_a_critical_finding_with_the_emergency_numbers(app, client, draft, lksa):
    from tests.support.inspection_builders import sent_inspection
    lks = app.extensions["store"].lks.all()[0]
    record = sent_inspection(app, lks, fail=("hukuman_fisik",), username="petugas1")
    html = client.get(f"/kunjungan/{record['id']}/ringkasan").get_data(as_text=True)
    section = html[html.index('id="temuan-kritis"'):html.index("</section>", html.index('id="temuan-kritis"'))]
    assert "Temuan kritis (1)" in section
    assert lksa.item("hukuman_fisik").question in section
    assert 'href="tel:129"' in section and 'href="tel:110"' in section


def test_a_sent_page_without_a_critical_finding_shows_no_emergency_box(app, client, draft):
    from tests.support.inspection_builders import sent_inspection
    record = sent_inspection(app, app.extensions["store"].lks.all()[0], fail=("skck_pengasuh",))
    html = client.get(f"/kunjungan/{record['id']}/ringkasan").get_data(as_text=True)
    assert 'id="temuan-kritis"' not in html


# --- the start page: what to re-check, and a stale draft thrown away ---------------------------------------

def test_the_start_page_lists_the_findings_of_the_last_approved_inspection(app, client, auth, lksa):
    from tests.support.inspection_builders import inspection_in
    store = app.extensions["store"]
    lks = store.lks.all()[0]
    inspection_in(app, lks, answers={"skck_pengasuh": "tidak"}, status="approved", when="2026-01-10T09:00:00+07:00")
    inspection_in(app, lks, answers={"tanda_kekerasan": ("ya", "Catatan rahasia tentang anak R.")},
                  status="approved", when="2026-05-10T09:00:00+07:00")
    inspection_in(app, lks, answers={"pelatihan_pengasuh": "tidak"}, status="submitted",
                  when="2026-06-10T09:00:00+07:00")  # not approved yet: not what to re-check
    auth.login_as("inspector")
    html = client.get(f"/inspeksi/lks/{lks['code']}").get_data(as_text=True)
    box = html[html.index('id="periksa-ulang"'):html.index("</section>", html.index('id="periksa-ulang"'))]
    assert lksa.item("tanda_kekerasan").question in box  # the newest approved one, confidential item included
    assert "Jawaban waktu itu: Ya" in box and "Kritis" in box
    assert "Catatan rahasia" not in html  # titles and failed answers only, never the notes
    assert lksa.item("skck_pengasuh").question not in box  # an older inspection's findings
    assert lksa.item("pelatihan_pengasuh").question not in box


def test_the_start_page_of_an_lks_never_approved_has_nothing_to_re_check(app, client, auth):
    auth.login_as("inspector")
    lks = app.extensions["store"].lks.all()[1]
    assert 'id="periksa-ulang"' not in client.get(f"/inspeksi/lks/{lks['code']}").get_data(as_text=True)


def test_an_inspector_discards_their_own_stale_draft_with_its_photos_audited(app, client, draft):
    from tests.support.photos import jpeg, upload
    inspection_id, key = draft
    store = app.extensions["store"]
    response = client.post(f"/kunjungan/{inspection_id}", data={"inspection_key": key, "action": "simpan",
                                                               "photos_general": upload(jpeg())},
                           content_type="multipart/form-data")
    assert response.status_code == 303
    photo_id = store.inspections.get(inspection_id)["photos"][0]["id"]
    lks = store.lks.all()[0]
    html = client.get(f"/inspeksi/lks/{lks['code']}").get_data(as_text=True)
    assert f'action="/kunjungan/{inspection_id}/buang"' in html
    response = client.post(f"/kunjungan/{inspection_id}/buang")
    assert response.status_code == 303 and response.location.endswith(f"/inspeksi/lks/{lks['code']}")
    assert store.inspections.get(inspection_id) is None
    assert store.photos.read(inspection_id, photo_id) is None
    assert inspection_id not in {r["id"] for r in store.inspections.for_inspector(
        store.users.by_username("petugas1")["id"])}
    entries = [e for e in store.audit.entries() if e["action"] == "draft_discarded"]
    assert [(e["target_id"], e["details"].get("photos") if "details" in e else e.get("photos")) for e in entries] == \
        [(inspection_id, 1)]
    assert "Draf dibuang" in client.get(f"/inspeksi/lks/{lks['code']}").get_data(as_text=True)


def test_a_returned_inspection_cannot_be_discarded(app, client, auth):
    from tests.support.inspection_builders import inspection_in
    store = app.extensions["store"]
    lks = store.lks.all()[0]
    record = inspection_in(app, lks, status="returned")
    auth.login_as("inspector")
    html = client.get(f"/inspeksi/lks/{lks['code']}").get_data(as_text=True)
    assert f"/kunjungan/{record['id']}/buang" not in html
    entries = len(list(store.audit.entries()))
    response = client.post(f"/kunjungan/{record['id']}/buang")
    assert response.status_code == 400
    assert "tidak bisa dibuang" in response.get_data(as_text=True)
    assert store.inspections.get(record["id"]) == record
    assert len(list(store.audit.entries())) == entries


def test_another_inspectors_draft_cannot_be_discarded(app, client, draft):
    from tests.support.auth import client_as
    from tests.support.builders import add_inspector
    inspection_id, _ = draft
    store = app.extensions["store"]
    add_inspector(store)
    other = client_as(app, "petugas2")
    assert other.post(f"/kunjungan/{inspection_id}/buang").status_code == 404
    assert store.inspections.get(inspection_id) is not None


def test_discarding_needs_the_csrf_token(app, client, draft):
    inspection_id, _ = draft
    store = app.extensions["store"]
    app.config["WTF_CSRF_ENABLED"] = True  # signed in already: now as in production
    response = client.post(f"/kunjungan/{inspection_id}/buang")
    assert response.status_code == 400
    assert store.inspections.get(inspection_id) is not None


# --- returned for revision: at the top of the inspector's home, and a reviewer's comment at an item -------

@pytest.fixture
def returned(app):
    """An inspection of the first LKS sent by petugas1 and returned by the reviewer with a general comment."""
    from inspector import review
    from inspector.auth import User
    from tests.support.inspection_builders import sent_inspection
    store = app.extensions["store"]
    record = sent_inspection(app, store.lks.all()[0])
    reviewer = User(store.users.by_username("peninjau1"))
    decided, reason = review.decide(store, record["id"], reviewer, "return", "Foto toilet kurang jelas.")
    assert reason is None
    return decided


def test_a_returned_inspection_is_at_the_top_of_the_inspectors_home(app, client, auth, returned):
    auth.login_as("inspector")
    html = client.get("/inspeksi/").get_data(as_text=True)
    top = html.index('id="perlu-perbaikan"')
    assert top < html.index("<h1>Mulai inspeksi</h1>")
    box = html[top:html.index("</section>", top)]
    assert "Perlu perbaikan (1)" in box
    assert f'href="/kunjungan/{returned["id"]}"' in box
    assert app.extensions["store"].lks.all()[0]["name"] in box
    assert "Foto toilet kurang jelas." in box


def test_a_home_without_returned_inspections_shows_no_such_box(client, auth):
    auth.login_as("inspector")
    assert 'id="perlu-perbaikan"' not in client.get("/inspeksi/").get_data(as_text=True)


def test_a_reviewer_comments_on_one_item_and_the_inspector_reads_it_there(app, client, auth, returned):
    auth.login_as("reviewer")
    page = client.get(f"/tinjau/{returned['id']}").get_data(as_text=True)
    assert 'name="item" value="toilet_layak"' in page
    response = client.post(f"/tinjau/{returned['id']}/komentar",
                           data={"komentar": "Foto toilet diambil ulang, lebih terang.", "item": "toilet_layak"})
    assert response.status_code == 303 and response.location.endswith(f"/tinjau/{returned['id']}#item-toilet_layak")
    stored = app.extensions["store"].inspections.get(returned["id"])["comments"][-1]
    assert (stored["item"], stored["text"]) == ("toilet_layak", "Foto toilet diambil ulang, lebih terang.")
    client.post("/keluar")
    auth.login_as("inspector")
    html = client.get(f"/kunjungan/{returned['id']}").get_data(as_text=True)
    at_item = html[html.index('id="item-toilet_layak"'):]
    at_item = at_item[:at_item.index("</fieldset>")]
    assert "Komentar peninjau" in at_item and "Foto toilet diambil ulang, lebih terang." in at_item
    other = html[html.index('id="item-tanda_kekerasan"'):]
    assert "Foto toilet diambil ulang" not in other[:other.index("</fieldset>")]


@pytest.mark.parametrize("item, message", [
    ("tidak_ada", "Butir pemeriksaan untuk komentar ini tidak dikenal."),
    ("x" * 65, "Butir pemeriksaan untuk komentar ini tidak dikenal."),
])
def test_a_comment_on_an_unknown_item_is_refused_and_nothing_is_stored(app, client, auth, returned, item, message):
    auth.login_as("reviewer")
    response = client.post(f"/tinjau/{returned['id']}/komentar", data={"komentar": "Periksa lagi.", "item": item})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert app.extensions["store"].inspections.get(returned["id"])["comments"] == returned["comments"]


def test_an_inspector_cannot_pin_a_comment_to_an_item(app, client, auth, returned):
    auth.login_as("inspector")
    response = client.post(f"/tinjau/{returned['id']}/komentar", data={"komentar": "Sudah.", "item": "toilet_layak"})
    assert response.status_code == 400
    assert "hanya dari peninjau" in response.get_data(as_text=True)
    assert app.extensions["store"].inspections.get(returned["id"])["comments"] == returned["comments"]


# --- where each photo was taken --------------------------------------------------------------------------

def send_photo(client, record, **fields):
    from tests.support.photos import jpeg, upload
    data = {"inspection_key": record["inspection_key"], "item": "", "photo_key": "kunci-foto-gps-1",
            "photo": upload(jpeg()), **fields}
    return client.post(f"/kunjungan/{record['id']}/foto", data=data, content_type="multipart/form-data")


def test_the_place_the_phone_read_from_the_original_is_kept_with_the_photo(app, client, draft):
    inspection_id, _ = draft
    store = app.extensions["store"]
    record = store.inspections.get(inspection_id)
    response = send_photo(client, record, gps_lat="-6.2200000", gps_lon="106.6650000")
    assert response.status_code == 201, response.get_data(as_text=True)
    assert store.inspections.get(inspection_id)["photos"][0]["gps"] == [-6.22, 106.665]


@pytest.mark.parametrize("fields, message", [
    ({"gps_lat": "-6.22"}, "Data lokasi tidak valid: lintang dan bujur foto harus lengkap."),
    ({"gps_lon": "106.66"}, "Data lokasi tidak valid: lintang dan bujur foto harus lengkap."),
    ({"gps_lat": "utara", "gps_lon": "106.66"}, "Data lokasi tidak valid: lintang foto bukan angka."),
    ({"gps_lat": "-95", "gps_lon": "106.66"}, "Data lokasi tidak valid: lintang foto di luar batas."),
    ({"gps_lat": "-6.22", "gps_lon": "181"}, "Data lokasi tidak valid: bujur foto di luar batas."),
    ({"gps_lat": "NaN", "gps_lon": "106.66"}, "Data lokasi tidak valid: lintang foto bukan angka."),
    ({"gps_lat": "1e2", "gps_lon": "106.66"}, "Data lokasi tidak valid: lintang foto bukan angka."),
    ({"gps_lat": "-6." + "1" * 40, "gps_lon": "106.66"}, "Data lokasi tidak valid: lintang foto bukan angka."),
])
def test_a_bad_photo_place_is_refused_in_indonesian_and_nothing_is_stored(app, client, draft, fields, message):
    inspection_id, _ = draft
    store = app.extensions["store"]
    response = send_photo(client, store.inspections.get(inspection_id), **fields)
    assert response.status_code == 400
    assert response.get_json()["error"] == message and response.get_json()["field"] == "gps"
    assert store.inspections.get(inspection_id)["photos"] == []


def test_a_camera_without_a_fix_gives_no_place():
    from inspector import presence
    assert presence.read_point("0", "0") is None and presence.read_point("", "") is None


def test_the_proof_of_visit_measures_each_photo_and_flags_those_taken_far_away():
    from inspector import presence
    lks = {"id": "l0123456789ab", "lat": -6.2200, "lon": 106.6650}
    photos = [{"id": "a", "gps": [-6.2201, 106.6651]},   # some 15 m
              {"id": "b", "gps": [-6.2300, 106.6650]},   # 1.1 km south
              {"id": "c", "gps": None}]
    record = {"created_at": "2026-11-27T03:00:00+00:00", "submitted_at": "2026-11-27T04:00:00+00:00",
              "start_location": {"status": "given", "lat": -6.22, "lon": 106.665, "accuracy": 10.0},
              "photos": photos, "versions": [{"n": 1, "submitted_at": "2026-11-27T04:00:00+00:00",
                                              "location": {"status": "given", "lat": -6.22, "lon": 106.665,
                                                           "accuracy": 10.0}}]}
    found = presence.assess(record, lks)
    assert [(p["n"], p["far"], p["located"]) for p in found["photos"]] == [(1, False, True), (2, True, True),
                                                                           (3, False, False)]
    assert 10 < found["photos"][0]["distance"] < 20 and 1000 < found["photos"][1]["distance"] < 1200
    assert found["flags"] == [f"1 foto diambil lebih dari {presence.FAR_METRES} m dari titik LKS."]
    assert presence.assess({**record, "photos": photos[:1]}, lks)["flags"] == []


def test_the_reviewers_card_shows_each_photos_distance_and_flags_a_far_one(app, client, auth):
    from tests.support.inspection_builders import sent_inspection
    store = app.extensions["store"]
    lks = store.lks.all()[0]
    record = sent_inspection(app, lks)
    far = [lks["lat"] + 0.01, lks["lon"]]  # about 1.1 km north
    store.inspections.modify(record["id"], lambda r: {**r, "photos": [{**r["photos"][0], "gps": far},
                                                                      *r["photos"][1:]]})
    auth.login_as("reviewer")
    html = client.get(f"/tinjau/{record['id']}").get_data(as_text=True)
    card = html[html.index('id="bukti-kunjungan"'):html.index("</section>", html.index('id="bukti-kunjungan"'))]
    assert "Lokasi foto" in card
    assert '<li class="doubt">Foto 1: ± 1,1 km dari titik LKS <span class="tag flag">Jauh</span></li>' in card
    assert "1 foto diambil lebih dari 300 m dari titik LKS." in card
