"""A data folder written by an older Inspector: refused by the server, brought up to date by `flask db upgrade`.

The version-1 folder is written here file by file, in the layout and the codes that version used:
``submissions/`` with ``visit_key``, the inspectors' index tables ``visits``, ``submission_id`` in follow-ups,
alerts and webhook deliveries, Indonesian codes for LKS kinds, concern timing and delivery states.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from inspector import create_app, inspections
from inspector.store import Store, engine, upgrade
from inspector.store.contract import DataDamaged

LKS, USER, ID = "l0123456789ab", "u0123456789ab", "l0123456789ab-202611-0123456789ab"
KEY = "kunci-lama-dari-versi-satu"


def tinydb(path: Path, tables: dict[str, list[dict]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({name: {str(n): doc for n, doc in enumerate(docs, 1)} for name, docs in tables.items()}))


def version_1_folder(root: Path) -> Path:
    tinydb(root / "users.json", {"users": [{"id": USER, "username": "petugas1", "role": "inspector", "active": True,
                                            "session_version": 1, "created_at": "2026-11-02T01:00:00+00:00"}]})
    tinydb(root / "lks.json", {"lks": [
        {"id": LKS, "code": "H7SMB", "name": "Panti Werdha Contoh", "kind": "lansia", "active": True},
        {"id": "l0000000000aa", "code": "K3TRN", "name": "Panti Asuhan Contoh", "kind": "lksa", "active": True},
        {"id": "l0000000000bb", "code": "M4PQR", "name": "Rumah Contoh", "kind": "disabilitas", "active": True},
        {"id": "l0000000000cc", "code": "N5XYZ", "name": "LKS Contoh", "kind": "lainnya", "active": True}]})
    tinydb(root / "submissions" / LKS / "202611.json", {"submissions": [
        {"id": ID, "lks_id": LKS, "inspector_id": USER, "status": "approved", "visit_key": KEY, "answers": {},
         "photos": [], "created_at": "2026-11-03T02:00:00+00:00", "checklist": {"id": "umum"}}]})
    (root / "submissions" / LKS / "202611.json.lock").write_text("")
    tinydb(root / "index" / "inspectors" / USER / "2026.json",
           {"visits": [{"id": ID, "lks_id": LKS, "created_at": "2026-11-03T02:00:00+00:00"}]})
    tinydb(root / "followups" / f"{LKS}.json", {"followups": [{"id": "f0123456789ab", "lks_id": LKS,
                                                              "submission_id": ID, "accepted": False,
                                                              "at": "2026-11-04T02:00:00+00:00"}]})
    tinydb(root / "notify" / "users" / f"{USER}.json", {"alerts": [
        {"id": "n0123456789ab", "kind": "critical", "submission_id": ID, "lks_id": LKS, "read_at": None,
         "created_at": "2026-11-03T02:05:00+00:00"}]})
    tinydb(root / "notify" / "webhooks.json", {"deliveries": [
        {"id": f"w00000000000{n}", "event": event, "submission_id": ID, "state": state, "tries": 1,
         "created_at": "2026-11-03T02:05:00+00:00", "updated_at": "2026-11-03T02:05:00+00:00"}
        for n, (event, state) in enumerate([("submission.created", "terkirim"), ("submission.critical", "gagal"),
                                            ("review.decided", "menunggu"), ("review.decided", "mencoba ulang")])]})
    tinydb(root / "concerns.json", {"concerns": [{"id": "c0123456789ab", "lks_id": LKS, "when": "hari-ini",
                                                 "what": "Uji", "status": "open",
                                                 "created_at": "2026-11-05T02:00:00+00:00"}]})
    return root


def test_a_new_folder_is_stamped_with_the_current_layout(tmp_path):
    Store(tmp_path / "data")
    assert json.loads((tmp_path / "data" / "schema.json").read_text())["version"] == upgrade.CURRENT
    assert upgrade.upgrade(tmp_path / "data") == []


def test_the_server_refuses_a_folder_whose_layout_is_behind_and_names_the_command(tmp_path):
    root = version_1_folder(tmp_path / "data")
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    with pytest.raises(upgrade.SchemaBehind, match="flask --app wsgi db upgrade"):
        create_app({"INSPECTOR_DATA_DIR": str(root), "TESTING": True})
    assert all(path.read_bytes() == data for path, data in before.items())
    assert not (root / "schema.json").exists()


def test_a_folder_newer_than_this_inspector_is_refused(tmp_path):
    root = tmp_path / "data"
    Store(root)
    upgrade.mark(root, upgrade.CURRENT + 1)
    with pytest.raises(RuntimeError, match="newer than this Inspector"):
        Store(root)


def test_other_commands_refuse_a_folder_that_is_behind_and_db_status_says_so(tmp_path):
    root = version_1_folder(tmp_path / "data")
    app = create_app({"INSPECTOR_DATA_DIR": str(root), "TESTING": True}, strict=False)
    runner = app.test_cli_runner()
    refused = runner.invoke(args=["users", "list"])
    assert refused.exit_code != 0 and "db upgrade" in refused.output
    status = runner.invoke(args=["db", "status"])
    assert status.exit_code == 0 and "layout version 1" in status.output and "behind" in status.output


def test_db_upgrade_brings_every_record_kind_to_the_current_layout(tmp_path):
    root = version_1_folder(tmp_path / "data")
    app = create_app({"INSPECTOR_DATA_DIR": str(root), "TESTING": True}, strict=False)
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert f"upgraded to layout version {upgrade.CURRENT}" in result.output
    assert not (root / "submissions").exists()

    store = Store(root)  # as the server opens it: no refusal now
    record = store.inspections.get(ID)
    assert record["inspection_key"] == KEY and "visit_key" not in record
    assert inspections.key_matches(record, KEY)
    assert [r["id"] for r in store.inspections.for_inspector(USER)] == [ID]
    assert [r["id"] for r in store.inspections.for_lks(LKS)] == [ID]
    assert [f["id"] for f in store.followups.for_inspection(LKS, ID)] == ["f0123456789ab"]
    assert [a["inspection_id"] for a in store.notifications.for_user(USER)] == [ID]
    deliveries = {d["id"]: d for d in store.notifications.delivery_list()}
    assert {(d["event"], d["state"]) for d in deliveries.values()} == {
        ("inspection.created", "sent"), ("inspection.critical", "failed"), ("review.decided", "pending"),
        ("review.decided", "retrying")}
    assert all(d["inspection_id"] == ID and "submission_id" not in d for d in deliveries.values())
    assert [c["when"] for c in store.concerns.all()] == ["today"]
    assert sorted(r["kind"] for r in store.lks.all()) == ["disability", "elderly", "lksa", "other"]

    again = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert again.exit_code == 0 and "already at layout version" in again.output
    assert store.inspections.get(ID) == record


def test_an_upgrade_cut_off_halfway_is_finished_by_running_it_again(tmp_path, monkeypatch):
    root = version_1_folder(tmp_path / "data")
    tinydb(root / "submissions" / LKS / "202612.json", {"submissions": [
        {"id": f"{LKS}-202612-0123456789ac", "lks_id": LKS, "inspector_id": USER, "status": "submitted",
         "visit_key": "kunci-kedua", "answers": {}, "photos": [], "created_at": "2026-12-01T02:00:00+00:00"}]})
    real_write, writes = engine.atomic_write, []

    def fail_on_the_second(path, data, after_mtime_ns=0):
        writes.append(path)
        if len(writes) == 2:
            raise OSError(28, "No space left on device")
        real_write(path, data, after_mtime_ns)

    monkeypatch.setattr(upgrade, "atomic_write", fail_on_the_second)
    with pytest.raises(OSError):
        upgrade.upgrade(root)
    assert upgrade.version(root) == 1  # the version is raised only after the last file
    monkeypatch.setattr(upgrade, "atomic_write", real_write)
    assert upgrade.upgrade(root) == [2]
    store = Store(root)
    assert store.inspections.get(ID)["inspection_key"] == KEY
    assert store.inspections.get(f"{LKS}-202612-0123456789ac")["inspection_key"] == "kunci-kedua"
    assert len(store.inspections.for_inspector(USER)) == 1  # the index names only the first; nothing doubled


def test_an_unreadable_layout_stamp_is_named_not_guessed(tmp_path):
    root = tmp_path / "data"
    Store(root)
    (root / "schema.json").write_text("{garbled")
    with pytest.raises(ValueError, match="schema.json is unreadable"):
        Store(root)


def test_a_damaged_partition_stops_the_upgrade_naming_it_and_is_left_where_it_was(tmp_path):
    root = version_1_folder(tmp_path / "data")
    damaged = root / "submissions" / LKS / "202611.json"
    damaged.write_bytes(b"")
    with pytest.raises(DataDamaged, match="202611.json"):
        upgrade.upgrade(root)
    assert damaged.exists() and damaged.read_bytes() == b"" and upgrade.version(root) == 1
