"""One photo at a time (POST /kunjungan/<id>/foto): stored once per photo key, JSON answers, every refusal in
Indonesian; and the background save of the answers (autosave=1) that answers JSON."""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from PIL import Image

from inspector import inspections
from inspector.checklists import for_kind
from tests.support.auth import client_as
from tests.support.builders import ROLE_USERS, add_inspector
from tests.support.photos import jpeg, upload


@pytest.fixture
def inspection(app, store):
    """A draft inspection of the first LKS by the test inspector."""
    inspector = store.users.by_username(ROLE_USERS["inspector"])
    lks = store.lks.all()[0]
    checklist = for_kind(app.extensions["checklists"], lks["kind"])[0]
    return inspections.start(store, checklist, lks, inspector)


@pytest.fixture
def photo_item(app, store, inspection) -> str:
    checklist = inspections.checklist_of(store, inspection)
    return next(item.id for item in checklist.items() if item.type == "photo")


def send(client, inspection, photo=None, **fields):
    data = {"inspection_key": inspection["inspection_key"], "item": "", "photo_key": "kunci-foto-0001", **fields}
    if photo is not None:
        data["photo"] = upload(photo)
    return client.post(f"/kunjungan/{inspection['id']}/foto", data=data, content_type="multipart/form-data")


def photos_of(store, inspection) -> list[dict]:
    return store.inspections.get(inspection["id"])["photos"]


def audit_actions(app) -> list[dict]:
    folder = Path(app.config["INSPECTOR_DATA_DIR"]) / "audit"
    return [json.loads(line) for p in sorted(folder.glob("*.jsonl")) for line in p.read_text().splitlines() if line]


def test_a_retry_with_the_same_key_is_stored_once_and_answers_the_same(app, client, auth, store, inspection, photo_item):
    auth.login_as("inspector")
    first = send(client, inspection, jpeg(size=(800, 600)), item=photo_item)
    assert first.status_code == 201, first.get_data(as_text=True)
    body = first.get_json()
    [stored] = photos_of(store, inspection)
    assert body == {"id": stored["id"], "item": photo_item,
                    "url": f"/kunjungan/{inspection['id']}/foto/{stored['id']}",
                    "thumb": f"/kunjungan/{inspection['id']}/foto/{stored['id']}/kecil"}
    assert client.get(body["thumb"]).data[:3] == b"\xff\xd8\xff"

    again = send(client, inspection, jpeg(size=(800, 600)), item=photo_item)  # the answer was lost: the phone retries
    assert again.status_code == 200 and again.get_json() == body
    assert len(photos_of(store, inspection)) == 1
    other = send(client, inspection, jpeg((10, 200, 10)), photo_key="kunci-foto-0002")
    assert other.status_code == 201 and other.get_json()["id"] != body["id"]
    assert [(p["item"], p["upload_key"]) for p in photos_of(store, inspection)] == \
        [(photo_item, "k:kunci-foto-0001"), ("", "k:kunci-foto-0002")]
    logged = [entry for entry in audit_actions(app) if entry["action"] == "draft_saved"]
    assert len(logged) == 2  # a retry changes nothing, so it is not logged again
    assert "foto.jpg" not in json.dumps(logged)


def test_the_phone_capture_time_is_kept_and_the_photos_own_wins(client, auth, store, inspection):
    auth.login_as("inspector")
    assert send(client, inspection, jpeg(), taken_at="2025-03-04T09:10:11").status_code == 201  # no offset: WIB
    assert send(client, inspection, jpeg(), photo_key="kunci-foto-utc", taken_at="2025-03-04T09:10:11Z").status_code == 201
    assert [p["taken_at"] for p in photos_of(store, inspection)] == \
        ["2025-03-04T02:10:11+00:00", "2025-03-04T09:10:11+00:00"]

    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9003] = "2024:01:02 03:04:05"  # DateTimeOriginal in the photo itself
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "grey").save(buffer, "JPEG", exif=exif)
    assert send(client, inspection, buffer.getvalue(), photo_key="kunci-foto-exif",
                taken_at="2025-03-04T09:10:11").status_code == 201
    assert photos_of(store, inspection)[-1]["taken_at"] == "2024-01-01T20:04:05+00:00"


future = (datetime.now(timezone.utc) + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.mark.parametrize("fields, field", [
    ({"item": "tidak_ada"}, "item"),
    ({"item": "x" * 5000}, "item"),
    ({"photo_key": "pendek"}, "photo_key"),
    ({"photo_key": "kunci/../../foto"}, "photo_key"),
    ({"photo_key": "k" * 65}, "photo_key"),
    ({"photo_key": ""}, "photo_key"),
    ({"taken_at": "kemarin"}, "taken_at"),
    ({"taken_at": "2025-02-30T10:00:00"}, "taken_at"),
    ({"taken_at": "1999-12-31T23:59:59Z"}, "taken_at"),
    ({"taken_at": future}, "taken_at"),
    ({"taken_at": "2025-03-04 09:10:11"}, "taken_at"),
    ({"taken_at": "\u0662\u0660\u0662\u0665-03-04T09:10:11"}, "taken_at"),  # Arabic-Indic digits
])
def test_bad_fields_are_refused_with_an_indonesian_message(client, auth, store, inspection, fields, field):
    auth.login_as("inspector")
    response = send(client, inspection, jpeg(), **fields)
    assert response.status_code == 400
    body = response.get_json()
    assert body["field"] == field and body["error"] and body["title"] == "Permintaan tidak valid"
    assert photos_of(store, inspection) == []


@pytest.mark.parametrize("data, status, message", [
    (b"<html><script>alert(1)</script></html>", 400, "Berkas bukan foto JPEG, PNG atau WebP."),
    (jpeg(size=(400, 300))[:700], 400, "Foto rusak atau terpotong. Ambil ulang fotonya."),
])
def test_not_a_photo_is_refused_in_indonesian(client, auth, store, inspection, data, status, message):
    auth.login_as("inspector")
    response = send(client, inspection, data)
    assert response.status_code == status and response.get_json()["error"] == message
    assert photos_of(store, inspection) == []


def test_no_file_and_too_big(app, client, auth, store, inspection):
    auth.login_as("inspector")
    response = send(client, inspection)
    assert response.status_code == 400 and response.get_json()["field"] == "photo"
    app.config["INSPECTOR_MAX_PHOTO_MB"] = 0  # every photo is over a 0 MB limit
    response = send(client, inspection, jpeg())
    assert response.status_code == 413 and response.get_json()["error"].startswith("Foto terlalu besar")
    app.config["MAX_CONTENT_LENGTH"] = 1024  # the whole request over the server's limit
    response = send(client, inspection, jpeg(size=(400, 300)))
    assert response.status_code == 413 and response.get_json()["title"] == "Berkas terlalu besar"
    assert photos_of(store, inspection) == []


def test_wrong_inspection_key_other_account_unknown_inspection(app, client, auth, store, inspection):
    auth.login_as("inspector")
    for key in ("", "salah", store.inspections.get(inspection["id"])["inspection_key"][:-1]):
        response = send(client, inspection, jpeg(), inspection_key=key)
        assert response.status_code == 400 and response.get_json()["error"], key
    response = client.post("/kunjungan/s-tidak-ada/foto", data={"inspection_key": inspection["inspection_key"]})
    assert response.status_code == 404 and response.get_json()["error"] == "Kunjungan tidak ditemukan."
    add_inspector(store)
    for username in ("petugas2", ROLE_USERS["reviewer"], ROLE_USERS["admin"]):
        other = client_as(app, username)
        response = send(other, inspection, jpeg())
        assert response.status_code == 403 and response.get_json()["error"], username
    assert photos_of(store, inspection) == []


def test_a_sent_inspection_takes_no_more_photos(client, auth, store, inspection):
    auth.login_as("inspector")
    assert send(client, inspection, jpeg()).status_code == 201
    store.inspections.modify(inspection["id"], lambda r: {**r, "status": "submitted"})
    response = send(client, inspection, jpeg(), photo_key="kunci-foto-baru")
    assert response.status_code == 409
    assert response.get_json()["error"] == "Kunjungan ini sudah dikirim dan tidak bisa diubah lagi."
    assert len(photos_of(store, inspection)) == 1


def test_an_expired_sign_in_still_lands_the_photo(client, store, inspection):
    response = send(client, inspection, jpeg())  # never signed in: the inspection key alone
    assert response.status_code == 201
    assert [p["id"] for p in photos_of(store, inspection)] == [response.get_json()["id"]]


def test_the_limit_of_photos_per_inspection(app, client, auth, store, inspection):
    auth.login_as("inspector")
    app.config["INSPECTOR_MAX_PHOTOS"] = 1
    assert send(client, inspection, jpeg()).status_code == 201
    response = send(client, inspection, jpeg(), photo_key="kunci-foto-kedua")
    assert response.status_code == 400 and response.get_json()["error"] == "Batas 1 foto per kunjungan sudah tercapai."


def test_the_form_post_without_script_still_stores_photos(client, auth, store, inspection, photo_item):
    auth.login_as("inspector")
    response = client.post(f"/kunjungan/{inspection['id']}", content_type="multipart/form-data", data={
        "inspection_key": inspection["inspection_key"], f"{photo_item}__photos": [upload(jpeg()), upload(jpeg((1, 2, 3)))]})
    assert response.status_code == 303
    assert [p["item"] for p in photos_of(store, inspection)] == [photo_item, photo_item]


def test_background_save_answers_json_with_the_version_the_form_page_shows(client, auth, store, inspection):
    auth.login_as("inspector")
    page = client.get(f"/kunjungan/{inspection['id']}").get_data(as_text=True)
    before = page.split('data-version="')[1].split('"')[0]
    response = client.post(f"/kunjungan/{inspection['id']}", data={
        "inspection_key": inspection["inspection_key"], "autosave": "1", "nomor_izin": "123/ABC", "jumlah_anak_hadir": "999"})
    assert response.status_code == 200
    body = response.get_json()
    assert body["saved"] is True and body["signed_in"] is True and body["invalid"] == ["jumlah_anak_hadir"]
    answers = store.inspections.get(inspection["id"])["answers"]
    assert answers["nomor_izin"]["value"] == "123/ABC" and "jumlah_anak_hadir" not in answers
    page = client.get(f"/kunjungan/{inspection['id']}").get_data(as_text=True)
    assert body["version"] != before and f'data-version="{body["version"]}"' in page
    assert "Draf tersimpan" not in page  # a background save leaves no message for the next page

    store.inspections.modify(inspection["id"], lambda r: {**r, "status": "submitted"})
    response = client.post(f"/kunjungan/{inspection['id']}", data={"inspection_key": inspection["inspection_key"], "autosave": "1"})
    assert response.status_code == 409 and response.get_json()["error"]
