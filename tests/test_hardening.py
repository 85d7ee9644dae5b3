"""Rules that hold against an attacker who knows the app: the last active admin survives two admins racing,
an inspection key does not outlive its inspector's account, every ``next`` ends in a safe redirect, every
photo is sent with Content-Disposition, and the data folder is private to the server's account."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

from inspector import inspections
from inspector.checklists import for_kind
from inspector.photos import process
from tests.support.auth import client_as, finish_sign_in
from tests.support.builders import PASSWORD, ROLE_USERS, add_account, make_app, seed_app
from tests.support.photos import jpeg


# --- The last active admin -------------------------------------------------------------------------------

def race(app, requests: list) -> list[int]:
    """Run each (client, path, data) in its own thread; every thread has read the accounts before any writes
    (the store's ``all`` waits for the others), so a check made apart from its write lets both through."""
    store = app.extensions["store"]
    barrier = threading.Barrier(len(requests), timeout=5)
    real_all = store.users.all

    def all_then_wait():
        accounts = real_all()
        if threading.current_thread() is not threading.main_thread():
            try:
                barrier.wait()
            except threading.BrokenBarrierError:
                pass
        return accounts

    store.users.all = all_then_wait
    statuses = [None] * len(requests)

    def send(index, client, path, data):
        statuses[index] = client.post(path, data=data).status_code

    threads = [threading.Thread(target=send, args=(i, *r)) for i, r in enumerate(requests)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    finally:
        del store.users.all
    return statuses


def active_admins(store) -> list[dict]:
    return [u for u in store.users.all() if u["role"] == "admin" and u.get("active")]


@pytest.mark.parametrize("action", ["demote", "disable"])
def test_two_admins_acting_on_each_other_at_once_leave_one_active_admin(app, store, action):
    add_account(store, "admin2", "admin", name="Admin Kedua")
    first, second = store.users.by_username(ROLE_USERS["admin"]), store.users.by_username("admin2")
    one, two = client_as(app, "admin"), client_as(app, "admin2")
    if action == "demote":
        fields = {"name": "Admin Diturunkan", "role": "reviewer", "agency": "Dinas Sosial"}
        requests = [(one, f"/admin/akun/{second['id']}/ubah", fields), (two, f"/admin/akun/{first['id']}/ubah", fields)]
    else:
        requests = [(one, f"/admin/akun/{second['id']}/status", {}), (two, f"/admin/akun/{first['id']}/status", {})]
    race(app, requests)
    assert len(active_admins(store)) == 1


# --- The inspection key alone ----------------------------------------------------------------------------

@pytest.fixture
def keyed(app, store):
    """A draft by the inspector, its key, and an anonymous client (the sign-in has lapsed)."""
    inspector = store.users.by_username(ROLE_USERS["inspector"])
    lks = store.lks.all()[0]
    checklist = for_kind(app.extensions["checklists"], lks["kind"])[0]
    record = inspections.start(store, checklist, lks, inspector)
    return record, app.test_client()


def save(client, record):
    return client.post(f"/kunjungan/{record['id']}", data={"inspection_key": record["inspection_key"],
                                                           "action": "simpan"})


def photo(client, record):
    return client.post(f"/kunjungan/{record['id']}/foto", content_type="multipart/form-data", data={
        "inspection_key": record["inspection_key"], "item": inspections.GENERAL, "photo_key": "foto-uji-0001",
        "photo": (__import__("io").BytesIO(jpeg()), "a.jpg", "image/jpeg")})


def test_the_key_alone_saves_while_the_account_is_as_it_was(keyed):
    record, anonymous = keyed
    assert save(anonymous, record).status_code in (302, 303)
    assert photo(anonymous, record).status_code == 201


@pytest.mark.parametrize("change", ["disabled", "password reset"])
def test_the_key_alone_no_longer_saves_once_the_account_is_disabled_or_its_password_reset(app, store, keyed, change):
    record, anonymous = keyed
    admin = client_as(app, "admin")
    if change == "disabled":
        assert admin.post(f"/admin/akun/{record['inspector_id']}/status").status_code == 302
    else:
        assert admin.post(f"/admin/akun/{record['inspector_id']}/sandi",
                          data={"password": "sandi-baru-kuat-456"}).status_code == 302
    before = store.inspections.get(record["id"])
    response = save(anonymous, record)
    assert response.status_code == 403 and "Masuk lagi untuk menyimpan" in response.get_data(as_text=True)
    response = photo(anonymous, record)
    assert response.status_code == 403 and "Masuk lagi untuk menyimpan" in response.get_json()["error"]
    assert store.inspections.get(record["id"]) == before


# --- next= -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("next_path", ["/tinjau/\r\nSet-Cookie: x=1", "/tinjau/%0d%0aX: y", "/tinjau/\n", "/\t/evil.example",
                                       "/tinjau/\x7f", "//evil.example", "https://evil.example/", "/\\evil.example",
                                       "/tinjau/\u0085x", "/" + "a" * 600])
def test_any_next_value_ends_in_a_safe_redirect_after_signing_in(app, next_path):
    client = app.test_client()
    response = client.post("/masuk", query_string={"next": next_path},
                           data={"username": ROLE_USERS["reviewer"], "password": PASSWORD})
    response = finish_sign_in(client, response, ROLE_USERS["reviewer"])  # the reviewer's second step
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location in ("/tinjau/", next_path) and "\r" not in location and "\n" not in location
    assert not location.startswith("//") and "evil" not in location.split("?")[0].replace("/tinjau/", "")


# --- Photos ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("size", ["", "/besar", "/kecil"])
def test_the_lks_front_photo_is_sent_with_content_disposition(app, store, size):
    lks = store.lks.all()[0]
    processed = process(jpeg())
    photo_id = store.photos.save(lks["id"], processed.jpeg, processed.thumb)
    store.lks.change(lks["id"], {"front_photo": {"id": photo_id, "taken_at": None, "gps": None, "sha256": ""}})
    response = client_as(app, "reviewer").get(f"/admin/lks/{lks['id']}/foto-depan{size}")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith('inline; filename="lks-')


# --- The data folder ---------------------------------------------------------------------------------------

def test_the_data_folder_and_every_folder_in_it_are_made_0700(tmp_path):
    old = os.umask(0o022)  # the usual umask, which would make them 0755
    try:
        app = make_app(tmp_path / "data")
        seed_app(app)
        store = app.extensions["store"]
        lks = store.lks.all()[0]
        processed = process(jpeg())
        store.photos.save(lks["id"], processed.jpeg, processed.thumb)
    finally:
        os.umask(old)
    root = Path(app.config["INSPECTOR_DATA_DIR"])
    folders = [root, *(p for p in root.rglob("*") if p.is_dir())]
    assert len(folders) > 2
    for folder in folders:
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
