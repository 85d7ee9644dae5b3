"""Free space on the data folder's disk (inspector.disk, inspector.web.space), with the probe patched.

* a write that would leave less than INSPECTOR_MIN_FREE_MB is refused with 507 and stores nothing: the form
  comes back with what was posted (no script), the phone's scripts get JSON (their outbox keeps the item);
* the request's own size counts;
* the admin's page shows the free space, and below INSPECTOR_WARN_FREE_MB every admin is alerted once, the
  alert closing when space returns.
"""

from __future__ import annotations

import pytest

from inspector import health, inspections
from inspector.checklists import for_kind
from inspector.store import space
from tests.support.auth import client_as
from tests.support.builders import ROLE_USERS
from tests.support.photos import jpeg, upload

MB = 1024 * 1024
TOTAL = 50_000 * MB
FULL = "Penyimpanan server penuh; jawaban Anda belum tersimpan"


@pytest.fixture
def free(monkeypatch):
    """Set the disk's free space in MB: ``free(150)``; plenty (10 GB) until then."""
    state = {"bytes": 10_000 * MB}
    monkeypatch.setattr(space, "usage", lambda root: (state["bytes"], TOTAL))

    def set_free(mb: float) -> None:
        state["bytes"] = int(mb * MB)
    return set_free


@pytest.fixture
def draft(app, store):
    inspector = store.users.by_username(ROLE_USERS["inspector"])
    lks = store.lks.all()[0]
    checklist = for_kind(app.extensions["checklists"], lks["kind"])[0]
    return inspections.start(store, checklist, lks, inspector)


@pytest.fixture
def inspector(app):
    return client_as(app, "inspector")


def text_item(store, draft) -> str:
    return next(i.id for i in inspections.checklist_of(store, draft).items() if i.type == "text")


@pytest.mark.parametrize("free_mb, status", [(150, 507), (10_000, 303)])
def test_the_form_posted_without_script_comes_back_with_what_was_posted_when_the_disk_is_full(
        store, draft, inspector, free, free_mb, status):
    free(free_mb)
    item = text_item(store, draft)
    before = store.inspections.get(draft["id"])
    response = inspector.post(f"/kunjungan/{draft['id']}", data={
        "inspection_key": draft["inspection_key"], item: "Jawaban yang diketik di lapangan", "action": "ringkasan"})
    assert response.status_code == status
    if status == 507:
        page = response.get_data(as_text=True)
        assert FULL in page
        assert "Jawaban yang diketik di lapangan" in page  # the posted answer, back in its field
        assert store.inspections.get(draft["id"]) == before  # nothing stored
    else:
        assert store.inspections.get(draft["id"])["answers"][item]["value"] == "Jawaban yang diketik di lapangan"


@pytest.mark.parametrize("free_mb, status", [(150, 507), (10_000, 200)])
def test_the_background_save_answers_json_507_and_stores_nothing_when_the_disk_is_full(
        store, draft, inspector, free, free_mb, status):
    free(free_mb)
    item = text_item(store, draft)
    response = inspector.post(f"/kunjungan/{draft['id']}", data={
        "inspection_key": draft["inspection_key"], "autosave": "1", item: "isi"},
        headers={"Accept": "application/json"})
    assert response.status_code == status
    if status == 507:
        assert FULL in response.get_json()["error"]
        assert item not in store.inspections.get(draft["id"])["answers"]


@pytest.mark.parametrize("path, data", [
    ("/kunjungan/{id}/foto", lambda d, lks: {"inspection_key": d["inspection_key"], "item": "", "photo_key": "k-1",
                                             "photo": upload(jpeg())}),
    ("/kunjungan/{id}/kirim", lambda d, lks: {"inspection_key": d["inspection_key"]}),
    ("/luring/kunjungan", lambda d, lks: {"phone_token": "ponsel-1", "lks": lks["code"], "checklist": "lksa",
                                          "version": "1"}),
])
def test_the_phones_outbox_gets_json_507_for_photos_sends_and_new_inspections_and_nothing_is_stored(
        store, draft, inspector, free, path, data):
    free(150)
    before = store.inspections.get(draft["id"])
    count = len(list(store.inspections.every()))
    lks = store.lks.get(draft["lks_id"])
    response = inspector.post(path.format(id=draft["id"]), data=data(draft, lks), content_type="multipart/form-data",
                              headers={"Accept": "application/json"})
    assert response.status_code == 507
    assert FULL in response.get_json()["error"]
    assert store.inspections.get(draft["id"]) == before and len(list(store.inspections.every())) == count


def test_a_photo_that_would_fill_the_disk_below_the_minimum_is_refused_though_smaller_posts_pass(
        store, draft, inspector, free, app):
    minimum = app.config["INSPECTOR_MIN_FREE_MB"]
    free(minimum + 0.01)  # about 10 kB above the minimum: an answer fits, a 64 kB photo does not
    photo = jpeg(size=(640, 480)) + bytes(64 * 1024)
    item = text_item(store, draft)
    assert inspector.post(f"/kunjungan/{draft['id']}", data={
        "inspection_key": draft["inspection_key"], "autosave": "1", item: "isi"}).status_code == 200
    response = inspector.post(f"/kunjungan/{draft['id']}/foto", content_type="multipart/form-data", data={
        "inspection_key": draft["inspection_key"], "item": "", "photo_key": "kunci-2", "photo": upload(photo)})
    assert response.status_code == 507
    assert store.inspections.get(draft["id"])["photos"] == []


def test_a_page_posted_without_script_gets_the_indonesian_error_page(app, store, free):
    free(150)
    admin = client_as(app, "admin")
    response = admin.post("/admin/lks/baru", data={"code": "Z1", "name": "Panti Uji"})
    assert response.status_code == 507
    assert FULL in response.get_data(as_text=True) and response.mimetype == "text/html"


def test_signing_in_still_works_on_a_full_disk_so_the_admin_can_see_why(app, free):
    free(150)
    client = client_as(app, "admin")  # signs in through POST /masuk
    page = client.get("/admin/data")
    assert page.status_code == 200


def test_the_admin_page_shows_free_space_and_an_alert_opens_below_the_warning_and_closes_when_space_returns(
        app, store, free):
    admin = client_as(app, "admin")
    free(5_000)
    page = admin.get("/admin/data").get_data(as_text=True)
    assert "5.000 MB" in page and "Hampir habis" not in page
    assert [a for a in health.open_alerts(store) if a["kind"] == "disk"] == []
    free(700)  # below the warning (1000 MB), above the refusal (200 MB)
    page = admin.get("/admin/data").get_data(as_text=True)
    assert "700 MB" in page and "Hampir habis" in page and health.KINDS["disk"] in page
    assert [a["kind"] for a in health.open_alerts(store)] == ["disk"]
    admins = [u for u in store.users.all() if u["role"] == "admin"]
    assert any(n.get("health") == "disk" for n in store.notifications.for_user(admins[0]["id"]))
    free(5_000)
    admin.get("/admin/data")
    assert health.open_alerts(store) == []


def test_a_write_seeing_the_space_low_alerts_the_admins_without_the_admin_page(app, store, draft, inspector, free):
    free(700)
    item = text_item(store, draft)
    assert inspector.post(f"/kunjungan/{draft['id']}", data={
        "inspection_key": draft["inspection_key"], "autosave": "1", item: "isi"}).status_code == 200  # accepted
    assert [a["kind"] for a in health.open_alerts(store)] == ["disk"]
