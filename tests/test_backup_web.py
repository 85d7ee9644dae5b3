"""``flask backup`` while inspectors send inspections with photos through the web pages.

The app is served by waitress on 127.0.0.1 in this process; three inspectors (threads, each a phone's
browser: ``tests/support/field_inspector.py``, the client ``bench/soak.py`` runs too) sign in, start
inspections, save answers and photos, and send, over and over, while the backup is taken. The backup is then restored into an empty folder with ``flask restore`` and
must be one point in time between what was acknowledged before the backup began and what existed after
it ended: every sent inspection with all its photos and thumbnails, the queue and inspector indexes agreeing
with the inspections, each inspector's inspections a prefix of the ones they made, the audit trail intact.
"""

from __future__ import annotations

import io
import random
import threading

from PIL import Image

from inspector.local_server import LocalServer
from inspector.store import Store
from inspector.store.audit import AuditLog
from tests.support.builders import PASSWORD, add_inspector, make_app, seed_app
from tests.support.field_inspector import FieldRun, checklist_items, inspect
from tests.support.waiting import WAIT_SECONDS, wait_until

INSPECTORS = 3


def _readable(data: bytes | None) -> bool:
    try:
        with Image.open(io.BytesIO(data or b"")) as image:
            image.load()
        return True
    except Exception:  # noqa: BLE001 - any failure to decode counts
        return False


def test_a_backup_during_web_submits_restores_one_consistent_point_in_time(tmp_path):
    # CSRF on, as in production; a plain-http address, so that the session cookie is not "Secure"
    app = make_app(tmp_path, WTF_CSRF_ENABLED=True, INSPECTOR_BASE_URL="http://127.0.0.1")
    lks = seed_app(app)
    live = app.extensions["store"]
    names = [add_inspector(live, f"petugas-web-{n}", f"Uji petugas {n}")["username"] for n in range(INSPECTORS)]
    codes = [r["code"] for r in lks if r["kind"] == "lksa"]

    server = LocalServer(app)
    run, stop = FieldRun(server.url, PASSWORD, codes, checklist_items(), "web"), threading.Event()
    ledger, ledger_lock = run.ledger, run.ledger_lock
    threads = [threading.Thread(target=inspect, daemon=True, args=(
        run, name, 1000, random.Random(n), lambda: not stop.is_set(), stop)) for n, name in enumerate(names)]

    archive = tmp_path / "backup.tar.gz"
    try:
        for thread in threads:
            thread.start()
        wait_until(lambda: len(run.acknowledged()) >= 2, "inspections sent before the backup")
        with ledger_lock:  # what the server had acknowledged when the backup began
            sent_before = {v.inspection_id for v in ledger if v.acknowledged}
            photos_before = {(v.inspection_id, key) for v in ledger for key in v.photos_acknowledged}
        result = app.test_cli_runner().invoke(args=["backup", str(archive)])
        # What existed once it ended (nothing is ever removed, and a state only moves on)
        existing_after = {r["id"]: r["status"] for r in live.inspections.every()}
        versions_after = {r["id"]: r["updated_at"] for r in live.inspections.every()}
        wait_until(lambda: {r["id"]: r["updated_at"] for r in live.inspections.every()} != versions_after,
                    "a change after the backup")  # the server kept serving and writing
    finally:
        stop.set()
        for thread in threads:
            thread.join(WAIT_SECONDS)
        server.close()
    assert result.exit_code == 0, result.output
    assert [v.error for v in ledger if v.error] == []

    target = tmp_path / "restored"
    restored_app = make_app(tmp_path, INSPECTOR_DATA_DIR=str(target))
    outcome = restored_app.test_cli_runner().invoke(args=["restore", str(archive)])
    assert outcome.exit_code == 0, outcome.output
    assert "Audit trail: OK" in outcome.output
    store = Store(target)
    records = {r["id"]: r for r in store.inspections.every()}
    submitted = {i for i, r in records.items() if r["status"] == "submitted"}

    # Between the two moments
    assert sent_before <= submitted
    assert set(records) <= set(existing_after)
    assert all(existing_after[i] == "submitted" for i in submitted)
    assert {i: r["updated_at"] for i, r in records.items()} != {r["id"]: r["updated_at"]
                                                                for r in live.inspections.every()}
    for inspection_id, key in photos_before:
        assert key in {p.get("upload_key") for p in records[inspection_id]["photos"]}

    # Every photo of every restored inspection, and its thumbnail, is there and opens; a sent one lists them all.
    for record in records.values():
        for photo in record["photos"]:
            assert _readable(store.photos.read(record["id"], photo["id"])), (record["id"], photo["id"])
            assert _readable(store.photos.read(record["id"], photo["id"], thumb=True)), (record["id"], photo["id"])
        if record["status"] == "submitted":
            assert record["versions"][-1]["photo_ids"] == [p["id"] for p in record["photos"]]
            assert record["photos"] and record["answers"]["catatan_umum"]["value"].startswith("Uji ketahanan web")

    # One point in time: each inspector works inspection by inspection, so what the backup holds of their inspections is a
    # prefix: every inspection before the last one it holds was sent.
    by_inspector: dict[str, list] = {}
    for inspection in ledger:
        by_inspector.setdefault(inspection.inspector, []).append(inspection)
    for name, made in by_inspector.items():
        held = [n for n, v in enumerate(made) if v.inspection_id in records]
        assert held, name
        assert all(made[n].inspection_id in submitted for n in range(held[-1])), name
        assert held == list(range(len(held))), name

    # The indexes agree with the inspections. A sending in flight at the snapshot may have written its
    # queue row (before its state) or its state (before its monthly row): at most one per inspector.
    pending = {row["id"] for row in store.review_index.pending_rows()}
    assert submitted <= pending
    assert len(pending - submitted) <= INSPECTORS
    assert all(records[i]["status"] == "draft" for i in pending - submitted)
    summarised = {row["id"] for m in store.review_index.months() for row in store.review_index.rows(m, m)}
    assert len(submitted - summarised) <= INSPECTORS
    for user in store.users.all():
        if user["username"] in names:
            listed = {r["id"] for r in store.inspections.for_inspector(user["id"], limit=10 ** 6)}
            assert listed == {i for i, r in records.items() if r["inspector_id"] == user["id"]}

    # The audit trail verifies and speaks only of inspections the backup holds (an entry follows its change);
    # every sent inspection but one in flight per inspector has its "submitted" entry.
    ok, problem, _ = AuditLog(target).verify()
    assert ok, problem
    entries = AuditLog(target).entries(limit=None)
    assert {e["target_id"] for e in entries if e["target_kind"] == "inspection"} <= set(records)
    audited = {e["target_id"] for e in entries if e["action"] == "submitted"}
    assert len(submitted - audited) <= INSPECTORS
