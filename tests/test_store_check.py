"""Evidence that proves itself: every write leaves its digest in the audit chain, ``flask store check`` holds the
data folder against it (records, photos, indexes, the checklist archive), and the review page, the print report
and the evidence bundle mark whatever does not match."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from inspector import evidence, health, integrity
from inspector.store import digests
from tests.support.auth import client_as
from tests.support.builders import make_app
from tests.support.traced import traced_app_data, traced_sent

MARK = "Tidak cocok dengan jejak audit"


@pytest.fixture
def app(tmp_path):
    app = make_app(tmp_path)
    app.extensions["lks"] = traced_app_data(app)
    return app


@pytest.fixture
def store(app):
    return app.extensions["store"]


@pytest.fixture
def sent(app):
    """One approved inspection with two photos, one waiting with a failing answer; every step audited."""
    lks = app.extensions["lks"]
    return (traced_sent(app, lks[0], photos=2, decide="approve"),
            traced_sent(app, lks[1], fail=("skck_pengasuh",), photos=1))


def store_check(app):
    result = app.test_cli_runner().invoke(args=["store", "check"])
    return result.exit_code, result.stderr


def partition_of(store, inspection_id: str):
    lks_id, month, _ = inspection_id.split("-")
    return store.root / "inspections" / lks_id / f"{month}.json"


def edit_answer_on_disk(store, inspection_id: str) -> str:
    """Turn one 'ya' answer of the stored inspection into 'tidak' in its file, as an editor would; the item id."""
    path = partition_of(store, inspection_id)
    data = json.loads(path.read_text())
    record = next(r for r in data["inspections"].values() if r["id"] == inspection_id)
    item_id = next(k for k, v in record["answers"].items() if v["value"] == "ya")
    record["answers"][item_id]["value"] = "tidak"
    path.write_text(json.dumps(data))
    return item_id


def swap_photo_on_disk(store, record: dict) -> str:
    photo_id = record["photos"][0]["id"]
    path = store.root / "photos" / record["id"] / f"{photo_id}.jpg"
    path.write_bytes(path.read_bytes()[:-16] + b"another picture!")
    return photo_id


# --- the chain ------------------------------------------------------------------------------------------------

def test_the_chain_alone_lists_every_record_that_must_exist_with_its_current_digest(app, store, sent):
    state = digests.trail_state(store.audit.stream())
    stored = {("user", u["id"]): u for u in store.users.all()}
    stored.update({("lks", r["id"]): r for r in store.lks.all()})
    stored.update({("inspection", r["id"]): r for r in store.inspections.every()})
    assert set(state.records) == set(stored)
    assert state.records == {key: digests.record_digest(record, key[0]) for key, record in stored.items()}
    assert state.photos == {(r["id"], p["id"]): p["sha256"] for r in sent for p in r["photos"]}


def test_a_discarded_draft_is_no_longer_a_record_that_must_exist(app, store):
    from inspector import audit, inspections
    from inspector.auth import User

    inspector = User(store.users.by_username("petugas1"))
    draft = inspections.start(store, app.extensions["checklists"]["lksa"], app.extensions["lks"][0], inspector.record)
    audit.record(store, inspector, "inspection_started", "inspection", draft["id"])
    assert ("inspection", draft["id"]) in digests.trail_state(store.audit.stream()).records
    inspections.discard(store, draft["id"], inspector.record["id"])
    audit.record(store, inspector, "draft_discarded", "inspection", draft["id"])
    assert ("inspection", draft["id"]) not in digests.trail_state(store.audit.stream()).records
    assert store_check(app) == (0, "")


def test_entries_carry_digests_never_content(app, store, sent):
    for entry in store.audit.stream():
        text = json.dumps(entry, ensure_ascii=False)
        assert "Uji petugas" not in text and '"answers"' not in text
        for trace in (entry.get("details") or {}).get("digests") or []:
            assert digests.parse_trace(trace) is not None, trace


# --- store check ----------------------------------------------------------------------------------------------

def test_a_clean_store_checks_clean(app, sent):
    assert store_check(app) == (0, "")


def test_decisions_and_comments_made_through_the_pages_keep_the_store_clean(app, store, sent):
    reviewer = client_as(app, "reviewer")
    waiting = sent[1]["id"]
    assert reviewer.post(f"/tinjau/{waiting}/komentar", data={"komentar": "Tolong lengkapi."}).status_code == 303
    assert reviewer.post(f"/tinjau/{waiting}/keputusan", data={"keputusan": "return",
                                                              "komentar": "Perbaiki."}).status_code == 303
    assert reviewer.post(f"/tinjau/{sent[0]['id']}/addendum", data={"isi": "Koreksi kecil."}).status_code == 303
    assert store.inspections.get(waiting)["status"] == "returned"
    assert store_check(app) == (0, "")


def test_an_answer_edited_on_disk_is_reported_with_its_file_and_id(app, store, sent):
    edit_answer_on_disk(store, sent[0]["id"])
    code, output = store_check(app)
    assert code == 1
    assert f"inspections/{sent[0]['lks_id']}/{sent[0]['id'].split('-')[1]}.json [{sent[0]['id']}]: digest does not " \
           "match the audit chain" in output


def test_an_answer_edited_on_disk_is_marked_on_the_review_page_and_the_print_report(app, store, sent):
    reviewer = client_as(app, "reviewer")
    clean = reviewer.get(f"/tinjau/{sent[0]['id']}").get_data(as_text=True)
    assert MARK not in clean
    edit_answer_on_disk(store, sent[0]["id"])
    page = reviewer.get(f"/tinjau/{sent[0]['id']}")
    assert page.status_code == 200 and MARK in page.get_data(as_text=True)
    assert "Rekaman kunjungan ini berbeda" in page.get_data(as_text=True)
    report = reviewer.get(f"/tinjau/{sent[0]['id']}/cetak").get_data(as_text=True)
    assert MARK in report and "data-tamper" in report
    assert MARK not in reviewer.get(f"/tinjau/{sent[1]['id']}").get_data(as_text=True)


def test_a_swapped_photo_is_reported_and_marked_on_the_review_page(app, store, sent):
    photo_id = swap_photo_on_disk(store, sent[1])
    code, output = store_check(app)
    assert code == 1
    assert f"photos/{sent[1]['id']}/{photo_id}.jpg [{sent[1]['id']}]: photo {photo_id} differs from the sha256 " \
           "in its record" in output
    assert f"photo {photo_id} differs from the audit chain" in output
    page = client_as(app, "reviewer").get(f"/tinjau/{sent[1]['id']}").get_data(as_text=True)
    assert MARK in page and page.count("data-tamper-photo") == 1
    assert evidence.marks(store, store.inspections.get(sent[1]["id"])).photos == {photo_id}


def test_the_evidence_zip_never_presents_a_swapped_photo_as_good(app, store, sent):
    photo_id = swap_photo_on_disk(store, sent[0])
    good_id = sent[0]["photos"][1]["id"]
    response = client_as(app, "reviewer").get(f"/tinjau/{sent[0]['id']}/paket.zip")
    bundle = zipfile.ZipFile(io.BytesIO(response.data))
    names = set(bundle.namelist())
    assert f"photos/{photo_id}.jpg" not in names
    assert f"photos-tidak-cocok/{photo_id}.jpg" in names and f"photos/{good_id}.jpg" in names
    assert photo_id in bundle.read("TIDAK-COCOK.txt").decode()
    manifest = bundle.read("MANIFEST.sha256").decode()
    assert f"# jejak audit: photos-tidak-cocok/{photo_id}.jpg {sent[0]['photos'][0]['sha256']} TIDAK COCOK" in manifest
    assert f"# jejak audit: photos/{good_id}.jpg {sent[0]['photos'][1]['sha256']} cocok" in manifest
    assert json.loads(bundle.read("inspection.json"))["export"]["mismatched_photo_ids"] == [photo_id]


def test_a_clean_evidence_zip_records_the_chains_digest_of_each_photo_and_of_the_record(app, store, sent):
    response = client_as(app, "reviewer").get(f"/tinjau/{sent[0]['id']}/paket.zip")
    bundle = zipfile.ZipFile(io.BytesIO(response.data))
    assert "TIDAK-COCOK.txt" not in bundle.namelist()
    notes = [line for line in bundle.read("MANIFEST.sha256").decode().splitlines() if line.startswith("# jejak")]
    assert len(notes) == 3 and all(" cocok" in line for line in notes)
    saved = json.loads(bundle.read("inspection.json"))
    # The police can recompute the record's digest from the bundle alone.
    assert digests.record_digest(saved["inspection"], "inspection") == saved["export"]["audit_chain_record_digest"]


@pytest.mark.parametrize("damage", [b"", b'{"inspections": {"1": {"id": ', b"\x00\xff garbled", b"[1, 2]"],
                         ids=["emptied", "cut short", "garbled", "not tables"])
def test_a_damaged_partition_is_a_finding_not_a_crash(app, store, sent, damage):
    path = partition_of(store, sent[0]["id"])
    path.write_bytes(damage)
    code, output = store_check(app)
    assert code == 1
    where = str(path.relative_to(store.root))
    assert f"{where}: damaged" in output
    assert f"{where} [{sent[0]['id']}]: inspection in a damaged file: the audit chain says it exists" in output


def test_a_record_whose_fields_are_not_what_inspector_writes_is_a_finding_not_a_crash(app, store, sent):
    path = partition_of(store, sent[0]["id"])
    data = json.loads(path.read_text())
    for record in data["inspections"].values():
        record.update(photos=5, versions=7)
    path.write_text(json.dumps(data))
    code, output = store_check(app)
    assert code == 1 and f"[{sent[0]['id']}]: not a record as Inspector writes it" in output


def test_a_damaged_register_is_a_finding(app, store, sent):
    (store.root / "lks.json").write_bytes(b"")
    code, output = store_check(app)
    assert code == 1 and "lks.json: damaged: empty file" in output


def remove_row(path, inspection_id, table):
    data = json.loads(path.read_text())
    data[table] = {k: v for k, v in data[table].items() if v["id"] != inspection_id}
    path.write_text(json.dumps(data))


def change_row(path, inspection_id, table, **changes):
    data = json.loads(path.read_text())
    for row in data[table].values():
        if row["id"] == inspection_id:
            row.update(changes)
    path.write_text(json.dumps(data))


def add_row(path, table, row):
    data = json.loads(path.read_text())
    data[table][str(len(data[table]) + 100)] = row
    path.write_text(json.dumps(data))


def month_index(store, record):
    first = record["versions"][0]["submitted_at"]
    return store.root / "index" / "months" / f"{first[:4]}{first[5:7]}.json"


def inspector_index(store, record):
    return store.root / "index" / "inspectors" / record["inspector_id"] / f"{record['created_at'][:4]}.json"


INDEX_DAMAGE = {
    "a missing queue row": (lambda s, r, o: remove_row(s.root / "index" / "pending.json", r["id"], "rows"),
                            "index/pending.json [{id}]: index row missing"),
    "a missing monthly row": (lambda s, r, o: remove_row(month_index(s, r), r["id"], "rows"),
                              "index/months/{month}.json [{id}]: index row missing"),
    "a missing row of the inspector's own index": (lambda s, r, o: remove_row(inspector_index(s, r), r["id"],
                                                                                "inspections"),
                                                   "index/inspectors/{inspector}/{year}.json [{id}]: index row missing"),
    "a stale queue row": (lambda s, r, o: add_row(s.root / "index" / "pending.json", "rows", {"id": o["id"]}),
                          "index/pending.json [{other}]: stale index row"),
    "a stale monthly state": (lambda s, r, o: change_row(month_index(s, r), r["id"], "rows", status="approved"),
                              "index/months/{month}.json [{id}]: stale index row: says approved"),
    "a row of the inspector's index naming no inspection": (
        lambda s, r, o: add_row(inspector_index(s, r), "inspections", {"id": r["id"][:-1] + "0", "lks_id": r["lks_id"],
                                                                          "created_at": r["created_at"]}),
        "index/inspectors/{inspector}/{year}.json [{gone}]: stale index row"),
}


@pytest.mark.parametrize("name", INDEX_DAMAGE)
def test_missing_and_stale_index_rows_are_findings(app, store, sent, name):
    approved, waiting = sent
    damage, expected = INDEX_DAMAGE[name]
    damage(store, waiting, approved)
    code, output = store_check(app)
    first = waiting["versions"][0]["submitted_at"]
    assert code == 1
    assert expected.format(id=waiting["id"], other=approved["id"], month=f"{first[:4]}{first[5:7]}",
                           inspector=waiting["inspector_id"], year=waiting["created_at"][:4],
                           gone=waiting["id"][:-1] + "0") in output


def test_an_archived_checklist_that_no_longer_matches_its_digest_is_a_finding(app, store, sent):
    path = store.root / "checklists.json"
    data = json.loads(path.read_text())
    row = next(iter(data["definitions"].values()))
    row["source"]["title"] = "Diubah"
    path.write_text(json.dumps(data))
    code, output = store_check(app)
    assert code == 1 and f"checklists.json [{row['digest']}]: archived checklist does not match its digest" in output


def test_a_record_removed_on_disk_is_reported_missing(app, store, sent):
    path = store.root / "users.json"
    data = json.loads(path.read_text())
    gone = next(iter(data["users"].values()))["id"]
    data["users"] = {k: v for k, v in data["users"].items() if v["id"] != gone}
    path.write_text(json.dumps(data))
    code, output = store_check(app)
    assert code == 1 and f"users.json [{gone}]: user missing: the audit chain says it exists" in output


# --- the admin's page and the daily check ---------------------------------------------------------------------

def test_the_daily_check_raises_the_admin_alert_and_a_clean_check_closes_it(app, store, sent):
    edit_answer_on_disk(store, sent[0]["id"])
    result, findings = integrity.run_check(store)
    assert result["findings"] == len(findings) == 1
    assert [a["kind"] for a in health.open_alerts(store)] == ["check"]
    admin_id = store.users.by_username("admin1")["id"]
    assert any(a.get("health") == "check" for a in store.notifications.for_user(admin_id))
    page = client_as(app, "admin").get("/admin/data").get_data(as_text=True)
    assert "1 temuan" in page and sent[0]["id"] in page and "utuh" in page
    path = partition_of(store, sent[0]["id"])
    data = json.loads(path.read_text())
    for record in data["inspections"].values():
        if record["id"] == sent[0]["id"]:
            record["answers"] = sent[0]["answers"]
    path.write_text(json.dumps(data))
    result, findings = integrity.run_check(store)
    assert (result["findings"], findings) == (0, [])
    assert health.open_alerts(store) == []
    assert "Tidak ada temuan" in client_as(app, "admin").get("/admin/data").get_data(as_text=True)


def test_the_scheduled_check_is_off_unless_asked(app, tmp_path):
    assert app.extensions["store_check"] is None
    asked = make_app(tmp_path / "asked", INSPECTOR_CHECK_EVERY_HOURS=24)
    thread = asked.extensions["store_check"]
    assert thread is not None and thread.daemon and thread.is_alive()


def test_the_demo_data_checks_clean(tmp_path):
    app = make_app(tmp_path)
    assert app.test_cli_runner().invoke(args=["demo", "seed"]).exit_code == 0
    assert store_check(app) == (0, "")


def test_a_broken_chain_is_a_finding_and_what_follows_the_break_still_counts(app, store, sent):
    month = store.audit.months()[-1]
    path = store.root / "audit" / f"{month}.jsonl"
    lines = path.read_text().splitlines(keepends=True)
    lines[1] = lines[1].replace('"actor_role":"system"', '"actor_role":"admin"')
    path.write_text("".join(lines))
    code, output = store_check(app)
    assert code == 1 and f"audit: chain broken: audit/{month}.jsonl line 2" in output
    assert "digest does not match" not in output and "not in the audit chain" not in output
