"""Preparing a phone for work without signal: the list of pages to keep, and the blank checklist pages.

The phone's side (IndexedDB, the worker's per-account cache) is in tests/browser/test_prepare_offline.py."""

from __future__ import annotations

import pytest

from inspector import lks as lks_rules
from inspector import offline
from inspector.checklists import for_kind
from tests.support.auth import client_as
from tests.support.builders import ROLE_USERS, add_inspector, add_lks


def snapshot(store) -> tuple:
    return (len(store.lks.all()), len(store.users.all()),
            sum(len(store.inspections.for_inspector(u["id"], limit=1000)) for u in store.users.all()))


def test_the_list_names_every_active_lks_with_its_start_page_and_the_checklists_of_its_kind(app, store):
    quiet = add_lks(store, name="Panti Wreda Contoh Damai", kind="elderly")
    closed = add_lks(store, name="Panti Asuhan Contoh Tutup")
    lks_rules.set_active(store, closed["id"], False)
    inspector = client_as(app, "inspector")
    response = inspector.get("/luring/siapkan")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    me = store.users.by_username(ROLE_USERS["inspector"])["id"]
    assert body["user"] == me and body["cache"] == f"inspector-user-{me}"
    active = [r for r in store.lks.all() if r.get("active")]
    assert {row["code"] for row in body["lks"]} == {r["code"] for r in active}
    assert closed["code"] not in {row["code"] for row in body["lks"]}
    catalog = app.extensions["checklists"]
    keys = set()
    for row in body["lks"]:
        record = store.lks.by_code(row["code"])
        assert row["start_url"] == f"/l/{row['code']}" and row["name"] == record["name"]
        assert row["checklists"] == [f"{c.id}/{c.version}" for c in for_kind(catalog, record["kind"])]
        keys.update(row["checklists"])
    assert quiet["code"] in {row["code"] for row in body["lks"]}
    assert {c["key"] for c in body["checklists"]} == keys  # each needed checklist once, none more
    for entry in body["checklists"]:
        page = inspector.get(entry["url"])
        assert page.status_code == 200, entry
        html = page.get_data(as_text=True)
        checklist = catalog[entry["id"]]
        assert f'data-phone-draft="{checklist.id}/{checklist.version}"' in html
        assert all(f'id="item-{item.id}"' in html for item in checklist.items())
        assert "inspection_key" not in html  # no record behind it: nothing to post to
    for row in body["lks"]:
        assert inspector.get(row["start_url"]).status_code == 200


def test_each_inspector_gets_a_list_naming_their_own_account(app, store):
    other = add_inspector(store)
    mine = client_as(app, "inspector").get("/luring/siapkan").get_json()
    theirs = client_as(app, "petugas2").get("/luring/siapkan").get_json()
    assert theirs["user"] == other["id"] != mine["user"]
    assert theirs["cache"] == f"inspector-user-{other['id']}"


@pytest.mark.parametrize("path", [
    "/luring/daftar-periksa/lksa/999",  # a version this server does not offer (any more)
    "/luring/daftar-periksa/tidak-ada/1",
    "/luring/daftar-periksa/" + "x" * 200 + "/1",
    "/luring/daftar-periksa/lksa/-1",
    "/luring/daftar-periksa/lksa/satu",
])
def test_a_blank_checklist_that_does_not_exist_is_not_found_in_indonesian_and_stores_nothing(app, store, path):
    before = snapshot(store)
    response = client_as(app, "inspector").get(path)
    assert response.status_code == 404
    assert "Halaman tidak ditemukan" in response.get_data(as_text=True)
    assert snapshot(store) == before


@pytest.mark.parametrize("role", ["reviewer", "operator", "admin"])
def test_only_an_inspector_prepares_a_phone(app, role):
    for path in ("/luring/siapkan", "/luring/daftar-periksa/lksa/1"):
        assert client_as(app, role).get(path).status_code == 403


def test_signed_out_the_list_sends_to_the_sign_in_page_and_names_no_one(client):
    response = client.get("/luring/siapkan")
    assert response.status_code == 302 and "/masuk" in response.headers["Location"]


def test_every_signed_page_names_its_account_for_the_phone_and_a_page_kept_for_everyone_names_none(app, client, store):
    me = store.users.by_username(ROLE_USERS["inspector"])
    inspector = client_as(app, "inspector")
    assert f'data-user="{me["id"]}"' in inspector.get("/inspeksi/").get_data(as_text=True)
    assert 'data-user=""' in client.get("/masuk").get_data(as_text=True)
    assert "data-user" not in inspector.get("/luring").get_data(as_text=True)


def test_the_prepare_card_is_on_the_home_hidden_until_the_phone_can_keep_pages(app):
    html = client_as(app, "inspector").get("/inspeksi/").get_data(as_text=True)
    assert 'data-prepare="/luring/siapkan"' in html and "Siapkan untuk tanpa sinyal" in html
    card = html[html.index('id="tanpa-sinyal"') - 60:html.index('id="tanpa-sinyal"') + 120]
    assert " hidden>" in card  # without JavaScript nothing promises what the phone cannot do


def test_the_preparation_keeps_one_blank_checklist_per_version_and_only_active_lks(app):
    catalog = app.extensions["checklists"]
    records = [{"code": "B0001", "name": "b", "kind": "lksa", "active": True},
               {"code": "A0001", "name": "A", "kind": "lksa", "active": True},
               {"code": "C0001", "name": "c", "kind": "lksa", "active": False}]
    body = offline.preparation(records, catalog, start_url=lambda code: f"/l/{code}",
                               blank_url=lambda c: f"/blank/{c.id}/{c.version}")
    assert [row["code"] for row in body["lks"]] == ["A0001", "B0001"]  # by name, inactive left out
    assert len(body["checklists"]) == len({c["key"] for c in body["checklists"]}) == len(for_kind(catalog, "lksa"))
    checklist = for_kind(catalog, "lksa")[0]
    assert offline.blank_checklist(catalog, checklist.id, checklist.version) is checklist
    assert offline.blank_checklist(catalog, checklist.id, checklist.version + 1) is None


# --- A draft made on the phone becomes an inspection, once -----------------------------------------------------

def phone_draft(store, app, **overrides) -> dict:
    lks = next(r for r in store.lks.all() if r["kind"] == "lksa" and r.get("active"))
    checklist = for_kind(app.extensions["checklists"], "lksa")[0]
    return {"phone_token": "hp-" + "a1B2" * 5, "lks": lks["code"], "checklist": checklist.id,
            "version": str(checklist.version), **overrides}


def test_a_phone_draft_becomes_one_inspection_however_often_it_is_sent(app, store):
    inspector = client_as(app, "inspector")
    posted = phone_draft(store, app)
    first = inspector.post("/luring/kunjungan", data=posted)
    assert first.status_code == 201
    made = first.get_json()
    record = store.inspections.get(made["id"])
    assert record["start_token"] == posted["phone_token"] and record["status"] == "draft"
    assert made["key"] == record["inspection_key"]
    assert made["save"] == f"/kunjungan/{made['id']}" and made["upload"] == f"/kunjungan/{made['id']}/foto"
    assert made["submit"] == f"/kunjungan/{made['id']}/kirim"
    again = inspector.post("/luring/kunjungan", data=posted)
    assert again.status_code == 200 and again.get_json() == made
    me = store.users.by_username(ROLE_USERS["inspector"])
    assert [r["id"] for r in store.inspections.for_inspector(me["id"])] == [made["id"]]

    # The rest goes through the inspection's own routes with its key: answers, then the send.
    saved = inspector.post(made["save"], data={"inspection_key": made["key"], "autosave": "1",
                                               "nomor_izin": "12/LKSA/2025"})
    assert saved.status_code == 200 and saved.get_json()["saved"]
    assert store.inspections.get(made["id"])["answers"]["nomor_izin"]["value"] == "12/LKSA/2025"


def test_another_inspector_sending_the_same_phone_token_gets_their_own_inspection(app, store):
    add_inspector(store)
    posted = phone_draft(store, app)
    mine = client_as(app, "inspector").post("/luring/kunjungan", data=posted).get_json()
    theirs = client_as(app, "petugas2").post("/luring/kunjungan", data=posted).get_json()
    assert mine["id"] != theirs["id"] and mine["key"] != theirs["key"]


@pytest.mark.parametrize("change,status,message", [
    ({"phone_token": "pendek"}, 400, "Kode kunjungan dari ponsel tidak sah"),
    ({"phone_token": "x" * 65}, 400, "Kode kunjungan dari ponsel tidak sah"),
    ({"phone_token": "<script>alert(1)</script>"}, 400, "Kode kunjungan dari ponsel tidak sah"),
    ({"checklist": "tidak-ada"}, 400, "bukan untuk jenis LKS ini"),
    ({"checklist": "umum"}, 400, "bukan untuk jenis LKS ini"),
    ({"version": "999"}, 409, "sudah diganti versi baru"),
    ({"lks": "ZZZZZ"}, 404, "tidak ada atau sudah tidak aktif"),
    ({"lks": ""}, 400, "LKS tidak disebut"),
    ({"location": "given", "lat": "999", "lon": "abc", "accuracy": "5"}, 400, "Data lokasi tidak valid"),
    ({"location": "bocor"}, 400, "Data lokasi tidak valid"),
])
def test_a_bad_phone_draft_is_refused_in_indonesian_and_stores_nothing(app, store, change, status, message):
    before = snapshot(store)
    response = client_as(app, "inspector").post("/luring/kunjungan", data=phone_draft(store, app, **change))
    assert response.status_code == status
    body = response.get_json()
    assert message in body["error"] and body["error"]
    assert snapshot(store) == before


def test_an_inactive_lks_takes_no_phone_draft(app, store):
    posted = phone_draft(store, app)
    lks_rules.set_active(store, store.lks.by_code(posted["lks"])["id"], False)
    before = snapshot(store)
    assert client_as(app, "inspector").post("/luring/kunjungan", data=posted).status_code == 404
    assert snapshot(store) == before
