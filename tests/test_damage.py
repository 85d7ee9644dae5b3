"""Damaged data files are loud and contained: never read as empty, the page that needs one says in Indonesian that
its data cannot be read (503, not a 500 and not an empty list), the log names the file, the file is left as it was,
and pages that do not need it keep working."""

from __future__ import annotations

import logging

import pytest

from inspector import export
from inspector.store import engine
from inspector.store.contract import DataDamaged
from tests.support.auth import client_as
from tests.support.damage import DAMAGE, emptied
from tests.support.inspection_builders import sent_inspection

UNREADABLE = "Data tidak dapat dibaca"


@pytest.fixture
def site(app):
    store = app.extensions["store"]
    lks = next(r for r in store.lks.all() if r["kind"] == "lksa")
    record = sent_inspection(app, lks)
    return app, store, lks, record


def partition_of(store, record):
    return store.root / "inspections" / record["lks_id"] / f"{record['created_at'][:4]}{record['created_at'][5:7]}.json"


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_a_damaged_inspections_partition_makes_its_pages_say_so_and_leaves_the_rest_working(site, damage, caplog):
    app, store, lks, record = site
    path = partition_of(store, record)
    DAMAGE[damage](path)
    engine._cache.clear()
    damaged = path.read_bytes()
    reviewer = client_as(app, "reviewer")
    with caplog.at_level(logging.ERROR):
        response = reviewer.get(f"/tinjau/{record['id']}")  # the record itself cannot be read
        assert response.status_code == 503 and UNREADABLE in response.get_data(as_text=True)
        for url in ("/tinjau/", "/tinjau/pantauan"):  # lists name what is missing instead
            response = reviewer.get(url)
            assert response.status_code == 200, url
            assert f"Sebagian data tidak dapat dibaca: {lks['name']}, " in response.get_data(as_text=True), url
        with reviewer.get("/tinjau/ekspor/csv") as export_response:
            assert export_response.status_code == 200
            assert export_response.get_data().endswith(export.INCOMPLETE_LINE)
    assert str(path) in caplog.text  # the log names the file
    assert "Traceback" not in caplog.text
    assert path.read_bytes() == damaged  # nothing rewritten over the evidence
    assert reviewer.get("/akun/sandi").status_code == 200
    assert client_as(app, "admin").get("/admin/lks").status_code == 200


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_a_damaged_register_is_never_read_as_an_empty_one(site, damage):
    app, store, lks, _record = site
    DAMAGE[damage](store.root / "lks.json")
    engine._cache.clear()
    response = app.test_client().get(f"/l/{lks['code']}")
    assert response.status_code == 503 and UNREADABLE in response.get_data(as_text=True)  # not "LKS tidak ditemukan"
    with pytest.raises(DataDamaged, match="lks.json"):
        store.lks.all()
    with pytest.raises(DataDamaged):  # a write is refused too: it would replace the damaged file with an empty one
        store.lks.create_many([{k: v for k, v in lks.items() if k not in ("id", "code")} | {"code": "ZZ999"}])
    assert app.test_client().get("/masuk").status_code == 200


def test_an_export_that_meets_damage_part_way_says_so_in_its_last_line(app, caplog):
    store = app.extensions["store"]
    lks = [r for r in store.lks.all() if r["kind"] == "lksa"]
    records = [sent_inspection(app, lks[0])]
    other = store.lks.create_many([{k: v for k, v in lks[0].items() if k not in ("id", "code")} | {"code": "ZZ998"}])[0]
    records.append(sent_inspection(app, other))
    reviewer = client_as(app, "reviewer")
    with reviewer.get("/tinjau/ekspor/csv") as whole:
        assert whole.status_code == 200 and whole.get_data().count(b"\r\n") == 3
    later = max(records, key=lambda r: r["submitted_at"])  # the queue lists it after the other one
    emptied(partition_of(store, later))
    engine._cache.clear()
    # The waiting queue reads its inspections before answering: the rest, then the incomplete line.
    with reviewer.get("/tinjau/ekspor/csv") as waiting:
        body = waiting.get_data()
    assert waiting.status_code == 200 and body.count(b"\r\n") == 3 and body.endswith(export.INCOMPLETE_LINE)
    assert later["id"].encode() not in body
    # Every state reads the queue from the index: the damage is met while the file is already on its way.
    with caplog.at_level(logging.ERROR):
        with reviewer.get("/tinjau/ekspor/csv?status=") as response:
            body = response.get_data()
    # Both inspections are in one chunk, read before either is written: the header, then the incomplete line
    assert response.status_code == 200 and body.count(b"\r\n") == 2
    assert body.endswith(export.INCOMPLETE_LINE) and later["id"].encode() not in body
    assert str(partition_of(store, later)) in caplog.text


def test_a_stream_cut_by_damage_ends_with_the_incomplete_line(app, caplog):
    from inspector.web.export import _until_damage

    def lines():
        yield b"row\r\n"
        raise DataDamaged("/data/inspections/x/202612.json", "empty file")

    with app.app_context(), caplog.at_level(logging.ERROR):
        assert b"".join(_until_damage(b"header\r\n", lines())) == b"header\r\nrow\r\n" + export.INCOMPLETE_LINE
    assert "/data/inspections/x/202612.json" in caplog.text


def test_the_store_never_writes_an_empty_file(tmp_path):
    partition = engine.Partition(tmp_path / "p.json")
    with partition.transaction() as db:
        db.table("t").insert({"x": 1})
    with partition.transaction() as db:
        db.drop_tables()
    assert partition.path.read_bytes().strip() not in (b"",)
    assert partition.snapshot() == {}


def test_damage_alerts_every_admin_once_and_the_admin_page_names_the_file(site):
    app, store, lks, record = site
    path = partition_of(store, record)
    emptied(path)
    engine._cache.clear()
    reviewer = client_as(app, "reviewer")
    for _ in range(2):
        assert reviewer.get(f"/tinjau/{record['id']}").status_code == 503
    admin_ids = [u["id"] for u in store.users.all() if u["role"] == "admin" and u.get("active")]
    assert admin_ids
    for admin_id in admin_ids:
        alerts = [a for a in store.notifications.for_user(admin_id) if a["kind"] == "health"]
        assert [(a["health"], a["subject"]) for a in alerts] == [("damage", str(path))]  # once, not per request
    reviewer_id = next(u["id"] for u in store.users.all() if u["role"] == "reviewer")
    assert not [a for a in store.notifications.for_user(reviewer_id) if a["kind"] == "health"]
    admin = client_as(app, "admin")
    page = admin.get("/admin/data").get_data(as_text=True)
    assert "Data rusak" in page and str(path) in page
    assert "1 peringatan" in admin.get("/admin/").get_data(as_text=True)
    notes = admin.get("/tinjau/notifikasi").get_data(as_text=True)
    assert "Data rusak" in notes and str(path) in notes


def test_a_closed_damage_alert_opens_again_on_the_next_fault(site):
    from inspector import health

    app, store, _lks, _record = site
    assert health.raise_alert(store, "damage", "/data/x.json", "empty file") is True
    assert health.raise_alert(store, "damage", "/data/x.json", "empty file") is False
    health.close_alert(store, "damage", "/data/x.json")
    assert health.open_alerts(store) == []
    assert health.raise_alert(store, "damage", "/data/x.json", "empty file") is True
    with pytest.raises(ValueError):
        health.raise_alert(store, "nonsense", "x")


def test_an_alert_that_cannot_be_stored_is_logged_and_never_raised_into_the_request(site, caplog, monkeypatch):
    from inspector import health

    app, store, _lks, _record = site

    def broken(*args):
        raise DataDamaged("/data/notify/state.json", "empty file")

    monkeypatch.setattr(store.notifications, "health_opened", broken)
    with caplog.at_level(logging.ERROR):
        assert health.raise_alert(store, "damage", "/data/x.json") is False
    assert "/data/x.json" in caplog.text
