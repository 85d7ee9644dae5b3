"""The inspection on a phone, through the Flask test client: start, fill, save, resume, summary, send once, photos.

Also the LKS an inspector finds in the field that is not in the register,
and what the admin does with it.
"""

from __future__ import annotations

from datetime import datetime
import re
import shutil
import threading
import time
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import itsdangerous.timed
import pytest
from argon2 import PasswordHasher

from inspector import passwords, inspections
from inspector import timefmt
from inspector.store import engine
from tests.support.answers import complete_form
from tests.support.auth import client_as, sign_in
from tests.support.builders import PASSWORD, ROLE_USERS, add_inspector, add_lks, make_app, seed_app
from tests.support.photos import jpeg, upload

REPO_FORMS = Path(__file__).resolve().parent.parent / "forms"
NOT_A_PHOTO = "Berkas bukan foto JPEG, PNG atau WebP."
OLD_QUESTION = "Apakah setiap anak punya tempat tidur atau kasur sendiri?"
NEW_QUESTION = "Apakah setiap anak tidur di kasurnya sendiri (pertanyaan versi 2)?"


# --- helpers -------------------------------------------------------------------

def start_inspection(client, code: str, checklist: str = "lksa") -> str:
    response = client.post(f"/inspeksi/lks/{code}/mulai", data={"checklist": checklist})
    assert response.status_code == 303, response.status_code
    match = re.fullmatch(r"/kunjungan/([a-z0-9-]+)", response.location)
    assert match, response.location
    return match.group(1)


def record_of(app, sid: str) -> dict:
    return app.extensions["store"].inspections.get(sid)


def post_inspection(client, sid: str, data: dict, key: str, action: str = "simpan", url_suffix: str = ""):
    return client.post(f"/kunjungan/{sid}{url_suffix}", data={"inspection_key": key, "action": action, **data},
                       content_type="multipart/form-data")


def checklist(app, checklist_id: str = "lksa"):
    return app.extensions["checklists"][checklist_id]


class Page(HTMLParser):
    """What a rendered page shows, grouped by the question (fieldset) it is in."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.fieldset = None
        self.inputs: list[tuple[str | None, dict]] = []
        self.textareas: dict[str, str] = {}
        self.errors: dict[str | None, list[str]] = {}
        self.images: dict[str | None, list[str]] = {}
        self.links: list[str] = []
        self._textarea = None
        self._error = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "fieldset":
            self.fieldset = attrs.get("id")
        elif tag == "input":
            self.inputs.append((self.fieldset, attrs))
        elif tag == "textarea":
            self._textarea = attrs.get("name")
            self.textareas[self._textarea] = ""
        elif tag == "p" and "error" in (attrs.get("class") or "").split():
            self._error = True
            self.errors.setdefault(self.fieldset, []).append("")
        elif tag == "img":
            self.images.setdefault(self.fieldset, []).append(attrs.get("src"))
        elif tag == "a":
            self.links.append(attrs.get("href"))

    def handle_endtag(self, tag):
        if tag == "fieldset":
            self.fieldset = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "p":
            self._error = False

    def handle_data(self, data):
        if self._textarea:
            self.textareas[self._textarea] += data
        if self._error:
            self.errors[self.fieldset][-1] += data.strip()

    def checked(self, name: str) -> list[str]:
        return [a.get("value") for _, a in self.inputs if a.get("name") == name and "checked" in a]

    def value(self, name: str) -> str | None:
        return next((a.get("value") for _, a in self.inputs if a.get("name") == name), None)

    def error(self, item_id: str) -> list[str]:
        return self.errors.get(f"item-{item_id}", [])


def page(response) -> Page:
    return Page(response.get_data(as_text=True))


@pytest.fixture(autouse=True)
def quick(monkeypatch):
    """Speed only: cheap Argon2 parameters for the many sign-ins, and no fsync (durability is not tested here)."""
    monkeypatch.setattr(passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    monkeypatch.setattr(engine.os, "fsync", lambda fd: None)


@pytest.fixture
def lks(app):
    """The seeded LKS, in seed order (the first and third are LKSA)."""
    records = app.extensions["store"].lks.all()
    assert [r["kind"] for r in records][0] == "lksa"
    return records


@pytest.fixture
def inspector(client, auth):
    auth.login_as("inspector")
    return client


@pytest.fixture
def draft(app, inspector, lks):
    """A fresh LKSA inspection by petugas1: (inspection id, inspection key)."""
    sid = start_inspection(inspector, lks[0]["code"])
    return sid, record_of(app, sid)["inspection_key"]


# --- starting --------------------------------------------------------------------

def test_start_page_lists_the_applicable_checklist_and_own_open_drafts(app, inspector, lks):
    lansia = add_lks(app.extensions["store"], "LKS Uji Lansia", "elderly", "LNS01", address="Jl. Uji No. 2")
    lksa_page = page(inspector.get(f"/l/{lks[0]['code']}"))
    assert [a["value"] for _, a in lksa_page.inputs if a.get("name") == "checklist"] == ["lksa"]
    lansia_response = inspector.get(f"/inspeksi/lks/{lansia['code']}")
    assert [a["value"] for _, a in page(lansia_response).inputs if a.get("name") == "checklist"] == ["umum"]
    assert "Mulai inspeksi" in lansia_response.get_data(as_text=True)

    mine = start_inspection(inspector, lks[0]["code"])
    sent = start_inspection(inspector, lks[0]["code"])
    app.extensions["store"].inspections.modify(sent, lambda r: {**r, "status": "submitted"})
    other = client_as(app, add_inspector(app.extensions["store"])["username"])
    theirs = start_inspection(other, lks[0]["code"])

    html = inspector.get(f"/inspeksi/lks/{lks[0]['code']}").get_data(as_text=True)
    assert "Lanjutkan draf" in html and f"/kunjungan/{mine}" in html
    assert f"/kunjungan/{sent}" not in html and f"/kunjungan/{theirs}" not in html
    assert "Lanjutkan draf" not in inspector.get(f"/inspeksi/lks/{lks[2]['code']}").get_data(as_text=True)


@pytest.mark.parametrize("code_index, checklist_id", [(0, "umum"), (None, "lksa"), (0, "tidak-ada"), (0, "")])
def test_starting_with_a_checklist_that_does_not_apply_is_refused(app, inspector, lks, code_index, checklist_id):
    code = lks[code_index]["code"] if code_index is not None else add_lks(
        app.extensions["store"], "LKS Uji Lansia", "elderly", "LNS02", address="Jl. Uji No. 2")["code"]
    response = inspector.post(f"/inspeksi/lks/{code}/mulai", data={"checklist": checklist_id})
    assert response.status_code == 400
    assert app.extensions["store"].inspections.for_inspector(app.extensions["store"].users.by_username(
        "petugas1")["id"]) == []


# --- required items and submitting ---------------------------------------------------

def test_submit_with_required_items_unanswered_is_refused_and_lists_them(app, inspector, draft):
    sid, key = draft
    assert post_inspection(inspector, sid, {"kasur_sendiri": "ya"}, key).status_code == 303
    response = inspector.post(f"/kunjungan/{sid}/kirim", data={"inspection_key": key})
    assert response.status_code == 400
    shown = page(response)
    lksa = checklist(app)
    required = [i.id for i in lksa.items() if i.required and i.id != "kasur_sendiri"]
    assert [link.rsplit("#item-", 1)[1] for link in shown.links if "#item-" in link] == required
    html = response.get_data(as_text=True)
    assert "Foto wajib diambil." in html and "Wajib dijawab." in html
    assert record_of(app, sid)["status"] == "draft" and "submitted_at" not in record_of(app, sid)


def test_a_failing_photo_on_fail_item_without_photo_blocks_the_submit(app, inspector, draft):
    sid, key = draft
    answers = {**complete_form(checklist(app)), "toilet_layak": "tidak"}
    response = post_inspection(inspector, sid, {**answers, "foto_depan__photos": upload(jpeg())}, key, "ringkasan")
    assert response.status_code == 303 and response.location == f"/kunjungan/{sid}/ringkasan"
    refused = inspector.post(f"/kunjungan/{sid}/kirim", data={"inspection_key": key})
    assert refused.status_code == 400
    # Linked twice: as missing (the photo) and as a finding.
    assert [link for link in page(refused).links if "#item-" in link] == [f"/kunjungan/{sid}#item-toilet_layak"] * 2
    assert "Jawaban ini perlu bukti foto." in refused.get_data(as_text=True)
    assert record_of(app, sid)["status"] == "draft"

    post_inspection(inspector, sid, {**answers, "toilet_layak__photos": upload(jpeg((200, 40, 40)))}, key)
    assert inspector.post(f"/kunjungan/{sid}/kirim", data={"inspection_key": key}).status_code == 303
    assert record_of(app, sid)["status"] == "submitted"


def test_a_complete_inspection_submits_with_score_critical_flag_and_checklist(app, inspector, draft):
    sid, key = draft
    lksa = checklist(app)
    answers = {**complete_form(lksa), "tanda_kekerasan": "ya", "tanda_kekerasan__note": "memar di lengan"}
    post_inspection(inspector, sid, {**answers, "foto_depan__photos": upload(jpeg())}, key)
    response = inspector.post(f"/kunjungan/{sid}/kirim", data={"inspection_key": key})
    assert response.status_code == 303 and response.location == f"/kunjungan/{sid}/ringkasan"

    record = record_of(app, sid)
    weights = sum(i.weight for i in lksa.items() if i.required and i.scored())
    assert record["status"] == "submitted" and record["submitted_at"]
    assert record["critical"] is True and record["score"]["critical_failed"] == ["tanda_kekerasan"]
    assert record["score"]["percent"] == round(100 * (weights - 3) / weights, 1)
    assert record["checklist"] == {"id": "lksa", "version": lksa.version, "digest": lksa.digest}
    assert record["answers"]["tanda_kekerasan"] == {"value": "ya", "note": "memar di lengan"}
    # Sent: the form now leads to the summary, and a save changes nothing.
    assert inspector.get(f"/kunjungan/{sid}").status_code == 302
    assert post_inspection(inspector, sid, {"tanda_kekerasan": "tidak"}, key).status_code == 303
    assert record_of(app, sid) == record


# --- errors keep everything ----------------------------------------------------------

def test_an_invalid_number_keeps_the_other_answers_and_the_photo(app, inspector, draft):
    sid, key = draft
    response = post_inspection(inspector, sid, {
        "kasur_sendiri": "ya", "kondisi_kamar": "baik", "keluhan_anak": ["makanan", "dibentak"],
        "pengurus_ditemui": "Bu Sari, ketua", "catatan_umum": "Halaman bersih.",
        "jumlah_anak_hadir": "25", "jumlah_anak_diajak_bicara": "99",
        "toilet_layak__photos": upload(jpeg())}, key)
    assert response.status_code == 400
    shown = page(response)
    assert shown.error("jumlah_anak_diajak_bicara") == ["Angka harus antara 0 dan 30."]
    assert shown.value("jumlah_anak_diajak_bicara") == "99"
    assert shown.checked("kasur_sendiri") == ["ya"] and shown.checked("kondisi_kamar") == ["baik"]
    assert shown.checked("keluhan_anak") == ["makanan", "dibentak"]
    assert shown.value("pengurus_ditemui") == "Bu Sari, ketua" and shown.value("jumlah_anak_hadir") == "25"
    assert shown.textareas["catatan_umum"].strip() == "Halaman bersih."
    assert all(not shown.error(i) for i in ("kasur_sendiri", "toilet_layak", "jumlah_anak_hadir"))

    record = record_of(app, sid)
    assert [p["item"] for p in record["photos"]] == ["toilet_layak"]
    photo_id = record["photos"][0]["id"]
    assert shown.images["item-toilet_layak"] == [f"/kunjungan/{sid}/foto/{photo_id}/kecil"]
    thumb = inspector.get(shown.images["item-toilet_layak"][0])
    assert thumb.status_code == 200 and thumb.mimetype == "image/jpeg"
    assert {k: v["value"] for k, v in record["answers"].items()} == {
        "kasur_sendiri": "ya", "kondisi_kamar": "baik", "keluhan_anak": ["makanan", "dibentak"],
        "pengurus_ditemui": "Bu Sari, ketua", "catatan_umum": "Halaman bersih.", "jumlah_anak_hadir": 25}
    assert record["status"] == "draft"


def test_a_text_file_named_jpg_is_refused_next_to_its_item_and_not_stored(app, inspector, draft):
    sid, key = draft
    response = post_inspection(inspector, sid, {
        "kasur_sendiri": "tidak", "apar__photos": upload(b"ini bukan foto\n" * 20, "apar.jpg"),
        "photos_general": upload(b"juga bukan", "umum.jpg")}, key)
    assert response.status_code == 400
    shown = page(response)
    assert shown.error("apar") == [NOT_A_PHOTO]
    assert shown.errors["foto"] == [NOT_A_PHOTO]
    assert shown.checked("kasur_sendiri") == ["tidak"]
    record = record_of(app, sid)
    assert record["photos"] == [] and record["answers"]["kasur_sendiri"]["value"] == "tidak"
    folder = app.extensions["store"].photos.root / sid
    assert not folder.exists() or not any(folder.iterdir())


@pytest.mark.parametrize("field, forged", [("kasur_sendiri", "maybe"), ("kondisi_kamar", "hancur"),
                                           ("keluhan_anak", ["makanan", "disiksa"])])
def test_forged_option_values_are_refused(app, inspector, draft, field, forged):
    sid, key = draft
    response = post_inspection(inspector, sid, {field: forged, "dapur_bersih": "ya"}, key)
    assert response.status_code == 400
    assert page(response).error(field) == ["Pilihan tidak valid."]
    answers = record_of(app, sid)["answers"]
    assert field not in answers and answers["dapur_bersih"]["value"] == "ya"


# --- drafts across devices and roles ----------------------------------------------------

def test_a_saved_draft_resumes_on_another_device_and_only_its_inspector_edits_it(app, inspector, draft):
    sid, key = draft
    response = post_inspection(inspector, sid, {"kasur_sendiri": "ya", "kasur_sendiri__note": "kasur baru",
                                           "jumlah_anak_hadir": "17"}, key)
    assert response.status_code == 303 and response.location == f"/kunjungan/{sid}"

    phone = client_as(app, "inspector")
    assert f'href="/kunjungan/{sid}"' in phone.get("/inspeksi/kunjungan").get_data(as_text=True)
    resumed = phone.get(f"/kunjungan/{sid}")
    assert resumed.status_code == 200
    shown = page(resumed)
    assert shown.checked("kasur_sendiri") == ["ya"] and shown.value("jumlah_anak_hadir") == "17"
    assert shown.textareas["kasur_sendiri__note"].strip() == "kasur baru"
    assert shown.value("inspection_key") == key

    other = client_as(app, add_inspector(app.extensions["store"])["username"])
    assert other.get(f"/kunjungan/{sid}").status_code == 404
    assert other.get(f"/kunjungan/{sid}/ringkasan").status_code == 404
    assert f"/kunjungan/{sid}" not in other.get("/inspeksi/kunjungan").get_data(as_text=True)
    operator = client_as(app, "operator")
    assert operator.get(f"/kunjungan/{sid}").status_code == 403
    assert operator.get(f"/kunjungan/{sid}/ringkasan").status_code == 403
    anonymous = app.test_client().get(f"/kunjungan/{sid}")
    assert anonymous.status_code == 302 and urlsplit(anonymous.location).path == "/masuk"
    for role in ("reviewer", "admin"):
        reader = client_as(app, role)
        assert reader.get(f"/kunjungan/{sid}/ringkasan").status_code == 200, role
        assert reader.get(f"/kunjungan/{sid}").status_code == 403, role
    assert record_of(app, sid)["answers"]["kasur_sendiri"] == {"value": "ya", "note": "kasur baru"}


# --- sending once ----------------------------------------------------------------------

def test_two_concurrent_identical_submits_create_one_inspection(app, inspector, draft, lks, monkeypatch):
    sid, key = draft
    post_inspection(inspector, sid, {**complete_form(checklist(app)), "foto_depan__photos": upload(jpeg())}, key)
    phones = [client_as(app, "inspector"), client_as(app, "inspector")]
    barrier, responses = threading.Barrier(2), []

    def send(phone):
        barrier.wait()
        responses.append(phone.post(f"/kunjungan/{sid}/kirim", data={"inspection_key": key}))
    threads = [threading.Thread(target=send, args=(phone,)) for phone in phones]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [(r.status_code, r.location) for r in responses] == [(303, f"/kunjungan/{sid}/ringkasan")] * 2
    records = [r for r in app.extensions["store"].inspections.for_lks(lks[0]["id"]) if r["id"] == sid]
    assert len(records) == 1 and records[0]["status"] == "submitted"
    # one transition to 'submitted': one version sent; the other request found it sent
    assert [v["n"] for v in records[0]["versions"]] == [1]
    assert records[0]["submitted_at"] == records[0]["updated_at"]


def test_a_repeated_submit_after_success_changes_nothing(app, inspector, draft, monkeypatch):
    sid, key = draft
    post_inspection(inspector, sid, {**complete_form(checklist(app)), "foto_depan__photos": upload(jpeg())}, key)
    assert inspector.post(f"/kunjungan/{sid}/kirim", data={"inspection_key": key}).status_code == 303
    sent = record_of(app, sid)
    app.config["INSPECTOR_SESSION_MAX_HOURS"] = 10 ** 6  # the clock jumps 73 years: the sign-in must outlive it
    monkeypatch.setattr(timefmt, "now", lambda: datetime.fromisoformat("2099-12-31T00:00:00+00:00"))
    again = inspector.post(f"/kunjungan/{sid}/kirim", data={"inspection_key": key})
    assert again.status_code == 303 and again.location == f"/kunjungan/{sid}/ringkasan"
    assert record_of(app, sid) == sent and sent["updated_at"] != "2099-12-31T00:00:00+00:00"


def submitted_entries(app, sid: str) -> list[dict]:
    return [e for e in app.extensions["store"].audit.entries(action="submitted") if e["target_id"] == sid]


def test_a_send_cut_off_before_its_announcement_is_announced_by_the_repeat_once(app, inspector, draft):
    """The server died after writing the sent inspection but before the audit entry and alerts: the phone repeats Kirim."""
    sid, key = draft
    post_inspection(inspector, sid, {**complete_form(checklist(app)), "foto_depan__photos": upload(jpeg())}, key)
    store = app.extensions["store"]
    sent, problems = inspections.submit(store, checklist(app), sid)  # the write that landed before the crash
    assert sent["status"] == "submitted" and not problems and submitted_entries(app, sid) == []

    for _ in range(2):  # the repeat announces it; a further repeat does not again
        assert inspector.post(f"/kunjungan/{sid}/kirim", data={"inspection_key": key}).status_code == 303
    assert len(submitted_entries(app, sid)) == 1


def test_two_concurrent_sends_are_announced_once(app, inspector, draft):
    sid, key = draft
    post_inspection(inspector, sid, {**complete_form(checklist(app)), "foto_depan__photos": upload(jpeg())}, key)
    phones = [client_as(app, "inspector"), client_as(app, "inspector")]
    barrier = threading.Barrier(2)

    def send(phone):
        barrier.wait()
        phone.post(f"/kunjungan/{sid}/kirim", data={"inspection_key": key})
    threads = [threading.Thread(target=send, args=(phone,)) for phone in phones]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(submitted_entries(app, sid)) == 1


def test_the_same_photo_saved_twice_on_one_item_is_stored_once(app, inspector, draft):
    sid, key = draft
    data = jpeg((10, 120, 200))
    for _ in range(2):
        assert post_inspection(inspector, sid, {"dapur_bersih__photos": upload(data)}, key).status_code == 303
    assert [p["item"] for p in record_of(app, sid)["photos"]] == ["dapur_bersih"]
    post_inspection(inspector, sid, {"apar__photos": upload(data)}, key)  # the same picture for another question
    assert [p["item"] for p in record_of(app, sid)["photos"]] == ["dapur_bersih", "apar"]
    files = sorted(path.name for path in (app.extensions["store"].photos.root / sid).iterdir())
    assert len(files) == 4 and len([name for name in files if name.endswith(".thumb.jpg")]) == 2


# --- who may post ------------------------------------------------------------------------

@pytest.mark.parametrize("suffix", ["", "/kirim"])
@pytest.mark.parametrize("key", [None, "", "salah"])
def test_a_wrong_or_missing_inspection_key_is_refused(app, inspector, draft, suffix, key):
    sid, real_key = draft
    post_inspection(inspector, sid, {**complete_form(checklist(app)), "foto_depan__photos": upload(jpeg())}, real_key)
    before = record_of(app, sid)
    data = {"kasur_sendiri": "tidak", "dapur_bersih__photos": upload(jpeg((1, 1, 1)))}
    if key is not None:
        data["inspection_key"] = key if key != "salah" else real_key[:-2] + "xx"
    response = inspector.post(f"/kunjungan/{sid}{suffix}", data=data, content_type="multipart/form-data")
    assert response.status_code == 400
    assert record_of(app, sid) == before


@pytest.mark.parametrize("suffix", ["", "/kirim"])
def test_another_signed_in_account_with_the_right_key_is_forbidden(app, draft, suffix):
    sid, key = draft
    before = record_of(app, sid)
    for who in (add_inspector(app.extensions["store"])["username"], "reviewer", "admin", "operator"):
        response = post_inspection(client_as(app, who), sid, {"kasur_sendiri": "tidak"}, key, url_suffix=suffix)
        assert response.status_code == 403, who
    assert record_of(app, sid) == before


def test_a_save_after_the_session_expired_is_kept_and_leads_back_after_sign_in(app, inspector, auth, draft):
    sid, key = draft
    auth.logout()
    assert inspector.get(f"/kunjungan/{sid}").status_code == 302  # really signed out
    response = post_inspection(inspector, sid, {"kasur_sendiri": "ya", "jumlah_anak_hadir": "31",
                                           "kondisi_kamar__photos": upload(jpeg())}, key, "ringkasan")
    assert response.status_code == 303
    target = urlsplit(response.location)
    assert target.path == "/masuk" and parse_qs(target.query) == {"next": [f"/kunjungan/{sid}"]}
    record = record_of(app, sid)
    assert record["answers"]["kasur_sendiri"]["value"] == "ya" and record["answers"]["jumlah_anak_hadir"]["value"] == 31
    assert [p["item"] for p in record["photos"]] == ["kondisi_kamar"]

    assert sign_in(inspector, "petugas1", f"/kunjungan/{sid}").location == f"/kunjungan/{sid}"
    shown = page(inspector.get(f"/kunjungan/{sid}"))
    assert shown.checked("kasur_sendiri") == ["ya"] and shown.value("jumlah_anak_hadir") == "31"
    assert len(shown.images["item-kondisi_kamar"]) == 1


def test_a_submit_after_the_session_expired_does_not_send(app, draft):
    sid, key = draft
    anonymous = app.test_client()
    response = anonymous.post(f"/kunjungan/{sid}/kirim", data={"inspection_key": key})
    assert response.status_code == 303
    target = urlsplit(response.location)
    assert target.path == "/masuk" and parse_qs(target.query) == {"next": [f"/kunjungan/{sid}/ringkasan"]}
    assert record_of(app, sid)["status"] == "draft"


# --- CSRF over a long inspection -------------------------------------------------------------

def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def test_a_csrf_token_older_than_an_hour_still_starts_a_inspection(tmp_path, monkeypatch):
    app = make_app(tmp_path, WTF_CSRF_ENABLED=True)
    code = seed_app(app)[0]["code"]
    client = app.test_client()
    login_token = csrf_token(client.get("/masuk").get_data(as_text=True))
    assert client.post("/masuk", data={"username": "petugas1", "password": PASSWORD,
                                       "csrf_token": login_token}).status_code == 302
    start_page = client.get(f"/inspeksi/lks/{code}").get_data(as_text=True)
    assert "Mulai inspeksi" in start_page
    token = csrf_token(start_page)
    assert client.post(f"/inspeksi/lks/{code}/mulai", data={"checklist": "lksa"}).status_code == 400  # CSRF is on

    clock = SimpleNamespace(offset=61 * 60)  # itsdangerous dates and checks its signatures with time.time()
    monkeypatch.setattr(itsdangerous.timed, "time", SimpleNamespace(time=lambda: time.time() + clock.offset))
    response = client.post(f"/inspeksi/lks/{code}/mulai", data={"checklist": "lksa", "csrf_token": token})
    assert response.status_code == 303 and response.location.startswith("/kunjungan/")

    # The clock really moved: under Flask-WTF's default one-hour limit the same wait is refused.
    app.config["WTF_CSRF_TIME_LIMIT"] = 3600
    token = csrf_token(client.get(f"/inspeksi/lks/{code}").get_data(as_text=True))
    clock.offset += 61 * 60
    refused = client.post(f"/inspeksi/lks/{code}/mulai", data={"checklist": "lksa", "csrf_token": token})
    assert refused.status_code == 400 and "kedaluwarsa" in refused.get_data(as_text=True)


# --- checklist versions ---------------------------------------------------------------------

def test_an_old_inspection_keeps_its_checklist_version_after_the_file_changes(tmp_path):
    forms = tmp_path / "forms"
    shutil.copytree(REPO_FORMS, forms)
    first = make_app(tmp_path, INSPECTOR_FORMS_DIR=str(forms))
    code = seed_app(first)[0]["code"]
    old_sid = start_inspection(client_as(first, "inspector"), code)

    source = (forms / "lksa.toml").read_text(encoding="utf-8")
    assert OLD_QUESTION in source and re.search(r"^version = 1$", source, re.M)
    source = re.sub(r"^version = 1$", "version = 2", source.replace(OLD_QUESTION, NEW_QUESTION), flags=re.M)
    (forms / "lksa.toml").write_text(source, encoding="utf-8")
    second = make_app(tmp_path, INSPECTOR_FORMS_DIR=str(forms))  # a restart on the same data folder
    assert second.extensions["checklists"]["lksa"].version == 2

    client = client_as(second, "inspector")
    old_html = client.get(f"/kunjungan/{old_sid}").get_data(as_text=True)
    assert OLD_QUESTION in old_html and NEW_QUESTION not in old_html and "versi 1" in old_html
    new_sid = start_inspection(client, code)
    new_html = client.get(f"/kunjungan/{new_sid}").get_data(as_text=True)
    assert NEW_QUESTION in new_html and OLD_QUESTION not in new_html and "versi 2" in new_html
    store = second.extensions["store"]
    assert store.inspections.get(old_sid)["checklist"]["version"] == 1
    assert store.inspections.get(new_sid)["checklist"] == second.extensions["checklists"]["lksa"].ref

    old_key = store.inspections.get(old_sid)["inspection_key"]
    assert post_inspection(client, old_sid, {"kasur_sendiri": "ya"}, old_key).status_code == 303
    assert "versi 1" in client.get(f"/kunjungan/{old_sid}/ringkasan").get_data(as_text=True)
    assert store.inspections.get(old_sid)["answers"]["kasur_sendiri"]["value"] == "ya"


# --- photos -----------------------------------------------------------------------------------

def test_the_photo_cap_refuses_the_third_photo(tmp_path):
    app = make_app(tmp_path, INSPECTOR_MAX_PHOTOS=2)
    code = seed_app(app)[0]["code"]
    client = client_as(app, "inspector")
    sid = start_inspection(client, code)
    key = record_of(app, sid)["inspection_key"]
    assert post_inspection(client, sid, {"apar__photos": upload(jpeg((1, 2, 3))),
                                    "photos_general": upload(jpeg((4, 5, 6)))}, key).status_code == 303
    response = post_inspection(client, sid, {"dapur_bersih__photos": upload(jpeg((7, 8, 9)))}, key)
    assert response.status_code == 400
    assert page(response).error("dapur_bersih") == ["Batas 2 foto per kunjungan sudah tercapai."]
    assert [p["item"] for p in record_of(app, sid)["photos"]] == ["apar", inspections.GENERAL]


def test_a_inspection_photo_is_served_only_to_its_inspector_reviewers_and_admins(app, inspector, draft, lks):
    sid, key = draft
    post_inspection(inspector, sid, {"apar__photos": upload(jpeg())}, key)
    photo_id = record_of(app, sid)["photos"][0]["id"]
    other_sid = start_inspection(inspector, lks[2]["code"])
    post_inspection(inspector, other_sid, {"apar__photos": upload(jpeg((0, 99, 0)))}, record_of(app, other_sid)["inspection_key"])
    other_photo = record_of(app, other_sid)["photos"][0]["id"]
    url = f"/kunjungan/{sid}/foto/{photo_id}"

    for who, client in (("owner", inspector), ("reviewer", client_as(app, "reviewer")),
                        ("admin", client_as(app, "admin"))):
        for size_url in (url, url + "/besar", url + "/kecil"):
            response = client.get(size_url)
            assert response.status_code == 200 and response.mimetype == "image/jpeg", (who, size_url)
            assert response.data[:2] == b"\xff\xd8"
        big, thumb = client.get(url).data, client.get(url + "/kecil").data
        assert big == app.extensions["store"].photos.read(sid, photo_id)
        assert thumb == app.extensions["store"].photos.read(sid, photo_id, thumb=True) and thumb != big
    assert inspector.get(f"/kunjungan/{sid}/foto/{other_photo}").status_code == 404
    assert inspector.get(f"/kunjungan/{sid}/foto/{other_photo}/kecil").status_code == 404
    assert inspector.get(url + "/sedang").status_code == 404
    assert inspector.get(f"/kunjungan/{sid}/foto/p000000000000").status_code == 404
    assert client_as(app, add_inspector(app.extensions["store"])["username"]).get(url).status_code == 404
    assert client_as(app, "operator").get(url).status_code == 403
    anonymous = app.test_client().get(url)
    assert anonymous.status_code == 302 and urlsplit(anonymous.location).path == "/masuk"


# --- the summary ---------------------------------------------------------------------------------

def test_the_summary_shows_score_findings_critical_flag_and_links_to_missing_items(app, inspector):
    lansia = add_lks(app.extensions["store"], "LKS Uji Lansia", "elderly", "LNS03", address="Jl. Uji No. 2")
    sid = start_inspection(inspector, lansia["code"], "umum")
    key = record_of(app, sid)["inspection_key"]
    response = post_inspection(inspector, sid, {
        "terdaftar_dinsos": "ya", "daftar_penghuni": "ya", "izin_operasional": "ya", "pemeriksaan_kesehatan": "ya",
        "tanda_kekerasan": "ya", "tanda_kekerasan__note": "luka di kaki", "makan_minum": "tidak"}, key, "ringkasan")
    assert response.status_code == 303 and response.location == f"/kunjungan/{sid}/ringkasan"
    summary = inspector.get(response.location)
    html = summary.get_data(as_text=True)
    # Passed 3 + 3 + 2 + 2 of those plus tanda_kekerasan (3) and makan_minum (2): 10 / 15.
    assert '<p class="big">67%</p>' in html
    assert "Temuan kritis: 1." in html and "Temuan (2)" in html
    umum = checklist(app, "umum")
    for failed in ("tanda_kekerasan", "makan_minum"):
        assert f'#item-{failed}">{umum.item(failed).question}</a>' in html
    assert "luka di kaki" in html
    missing = [i.id for i in umum.items() if i.required and
               i.id not in {"terdaftar_dinsos", "daftar_penghuni", "izin_operasional", "pemeriksaan_kesehatan",
                            "tanda_kekerasan", "makan_minum"}]
    assert f"Belum lengkap ({len(missing)})" in html
    links = [link for link in page(summary).links if "#item-" in link]
    assert links[:len(missing)] == [f"/kunjungan/{sid}#item-{i}" for i in missing]
    assert re.search(r'<button type="submit" class="button" disabled>Kirim</button>', html)


# --- an LKS not in the register ---------------------------------------------------------------------

NEW_LKS = {"name": "Panti Werdha Temuan Lapangan", "kind": "elderly", "address": "Jl. Temuan No. 5",
           "kecamatan": "Pinang", "kelurahan": "Kunciran Indah"}


def report(client, name: str, photo: bytes | None = b"jpeg"):
    data = {**NEW_LKS, "name": name}
    if photo is not None:
        data["front_photo"] = upload(jpeg() if photo == b"jpeg" else photo, "depan.jpg")
    return client.post("/inspeksi/lks-baru", data=data, content_type="multipart/form-data")


def test_an_unregistered_lks_is_reported_with_a_photo_and_inspected_at_once(app, inspector):
    store = app.extensions["store"]
    response = report(inspector, NEW_LKS["name"])
    assert response.status_code == 303
    match = re.fullmatch(r"/inspeksi/lks/([A-Z0-9]+)", response.location)
    assert match, response.location
    record = store.lks.by_code(match.group(1))
    assert record["name"] == NEW_LKS["name"] and record["kind"] == "elderly"
    assert record["provisional"] is True and record["registered"] is False and record["active"] is True
    assert record["reported_by"] == store.users.by_username("petugas1")["id"]
    assert store.photos.read(record["id"], record["front_photo"]["id"])[:2] == b"\xff\xd8"

    start = inspector.get(response.location)
    assert start.status_code == 200 and NEW_LKS["name"] in start.get_data(as_text=True)
    assert [a["value"] for _, a in page(start).inputs if a.get("name") == "checklist"] == ["umum"]
    assert start_inspection(inspector, record["code"], "umum")

    listing = client_as(app, "admin").get("/admin/lks/sementara")
    assert listing.status_code == 200 and NEW_LKS["name"] in listing.get_data(as_text=True)


@pytest.mark.parametrize("photo, message", [(None, "Foto bagian depan wajib diambil."),
                                            (b"bukan foto", NOT_A_PHOTO)])
def test_reporting_an_lks_needs_a_real_front_photo(app, inspector, photo, message):
    before = len(app.extensions["store"].lks.all())
    response = report(inspector, "Panti Tanpa Foto", photo)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert len(app.extensions["store"].lks.all()) == before


def test_the_admin_confirms_merges_or_rejects_a_reported_lks(app, inspector, lks):
    store = app.extensions["store"]
    reported = {}
    for name in ("Panti Konfirmasi", "Panti Gabung", "Panti Tolak"):
        code = report(inspector, name).location.rsplit("/", 1)[1]
        reported[name] = store.lks.by_code(code)
    ids = {name: record["id"] for name, record in reported.items()}
    urls = [f"/admin/lks/{ids['Panti Konfirmasi']}/konfirmasi", f"/admin/lks/{ids['Panti Gabung']}/gabung",
            f"/admin/lks/{ids['Panti Tolak']}/tolak"]

    for role in ("inspector", "reviewer", "operator"):
        other = inspector if role == "inspector" else client_as(app, role)
        assert other.get("/admin/lks/sementara").status_code == 403, role
        for url in urls:
            assert other.post(url, data={"target": lks[0]["code"]}).status_code == 403, (role, url)
    assert all(store.lks.get(i)["provisional"] for i in ids.values())

    admin = client_as(app, "admin")
    confirmed = admin.post(urls[0])
    assert confirmed.status_code == 302 and confirmed.location == f"/admin/lks/{ids['Panti Konfirmasi']}/ubah"
    record = store.lks.get(ids["Panti Konfirmasi"])
    assert record["provisional"] is False and record["active"] is True and record["confirmed_at"]

    assert admin.post(urls[1], data={"target": "ZZZZZ"}).status_code == 400
    assert admin.post(urls[1], data={"target": reported["Panti Tolak"]["code"]}).status_code == 400
    assert store.lks.get(ids["Panti Gabung"])["provisional"] is True
    assert admin.post(urls[1], data={"target": lks[0]["code"]}).status_code == 302
    record = store.lks.get(ids["Panti Gabung"])
    assert record["merged_into"] == lks[0]["id"] and record["active"] is False and record["provisional"] is False

    assert admin.post(urls[2]).status_code == 302
    record = store.lks.get(ids["Panti Tolak"])
    assert record["active"] is False and record["provisional"] is False and record["rejected_at"]
    assert "merged_into" not in record

    assert admin.post(urls[2]).status_code == 404  # no longer provisional
    assert admin.post(f"/admin/lks/{lks[0]['id']}/konfirmasi").status_code == 404  # never was
    listing = admin.get("/admin/lks/sementara").get_data(as_text=True)
    assert not any(name in listing for name in reported)


def started_lksa_inspection(app, store):
    """The inspector signed in and an LKSA inspection started through the page: (client, its URL, id, key)."""
    client = app.test_client()
    client.post("/masuk", data={"username": ROLE_USERS["inspector"], "password": PASSWORD})
    lks = next(r for r in store.lks.all() if r["kind"] == "lksa")
    location = client.post(f"/inspeksi/lks/{lks['code']}/mulai", data={"checklist": "lksa"}).headers["Location"]
    inspection_id = location.rsplit("/", 1)[1]
    return client, location, inspection_id, store.inspections.get(inspection_id)["inspection_key"]


def test_an_invalid_re_entry_keeps_the_answer_saved_before(app, store):
    """Saving 5, then posting 999 (out of bounds), leaves 5 in the draft and shows the error."""
    from inspector import inspections as inspection_rules

    client, location, inspection_id, key = started_lksa_inspection(app, store)
    number_item = next(i for i in inspection_rules.checklist_of(store, store.inspections.get(inspection_id)).items()
                       if i.type == "number")
    first = client.post(location, data={"inspection_key": key, "action": "simpan", number_item.id: "5"})
    assert first.status_code == 303
    again = client.post(location, data={"inspection_key": key, "action": "simpan", number_item.id: "99999"})
    assert again.status_code == 400
    assert store.inspections.get(inspection_id)["answers"][number_item.id]["value"] == 5


def test_a_post_without_some_questions_keeps_their_saved_answers(app, store):
    """Only questions that were on the posted page change: a cut-short post erases nothing."""
    client, location, inspection_id, key = started_lksa_inspection(app, store)
    saved = client.post(location, data={"inspection_key": key, "action": "simpan", "izin_operasional": "ya",
                                         "izin_operasional__note": "", "kasur_sendiri": "ya",
                                         "kasur_sendiri__note": "kasur baru"})
    assert saved.status_code == 303
    partial = client.post(location, data={"inspection_key": key, "action": "simpan", "kasur_sendiri": "tidak",
                                           "kasur_sendiri__note": ""})
    assert partial.status_code == 303
    answers = store.inspections.get(inspection_id)["answers"]
    assert answers["izin_operasional"] == {"value": "ya", "note": ""}
    assert answers["kasur_sendiri"] == {"value": "tidak", "note": ""}
