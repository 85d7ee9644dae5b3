"""The inspection as a domain object: inspector.inspections against a real Store in a temporary folder.

A small checklist is built here so every rule (required, photo items,
photo_on_fail, critical, weights) has exactly one item to test it by.
"""

from __future__ import annotations

from datetime import datetime
import copy
import itertools
import threading

import pytest

from inspector import inspections
from inspector import timefmt
from inspector.checklists import build
from inspector.photos import process
from inspector.store import Store
from tests.support.photos import jpeg

SOURCE = {
    "id": "uji", "title": "Daftar uji", "version": 1, "kinds": ["lksa"],
    "sections": [
        {"id": "umum", "title": "Umum", "items": [
            {"id": "foto_depan", "question": "Foto depan", "type": "photo", "required": True},
            {"id": "izin", "question": "Ada izin?", "type": "yes_no", "required": True, "weight": 2},
            {"id": "kekerasan", "question": "Ada kekerasan?", "type": "yes_no", "required": True,
             "critical": True, "fail_answer": "ya", "weight": 3},
            {"id": "jumlah", "question": "Berapa anak?", "type": "number", "required": True, "min": 0, "max": 30},
        ]},
        {"id": "sarana", "title": "Sarana", "items": [
            {"id": "toilet", "question": "Toilet layak?", "type": "yes_no", "photo_on_fail": True},
            {"id": "kamar", "question": "Kondisi kamar?", "type": "choice", "photo_on_fail": True,
             "options": [{"value": "baik", "label": "Baik"}, {"value": "buruk", "label": "Buruk"}],
             "fail_values": ["buruk"], "weight": 1},
            {"id": "catatan", "question": "Catatan", "type": "longtext"},
        ]},
    ],
}
LKS = {"id": "l0123456789ab", "code": "UJI01", "kind": "lksa"}
INSPECTOR = {"id": "u0123456789ab"}
COMPLETE = {"izin": {"value": "ya", "note": ""}, "kekerasan": {"value": "tidak", "note": ""},
            "jumlah": {"value": 12, "note": ""}}


@pytest.fixture
def checklist():
    made, problems = build(copy.deepcopy(SOURCE), "uji.toml")
    assert made is not None, problems
    return made


@pytest.fixture
def store(tmp_path):
    return Store(tmp_path / "data")


@pytest.fixture
def inspection(store, checklist):
    return inspections.start(store, checklist, LKS, INSPECTOR)


def photo(store, inspection, item, colour=(90, 110, 130), max_photos=10):
    data = jpeg(colour)
    return inspections.add_photo(store, inspection["id"], item, process(data), f"{item}:{colour}", max_photos)


def test_start_makes_a_keyed_draft_tied_to_the_exact_checklist(store, checklist, inspection):
    stored = store.inspections.get(inspection["id"])
    assert stored["status"] == "draft" and stored["answers"] == {} and stored["photos"] == []
    assert stored["checklist"] == {"id": "uji", "version": 1, "digest": checklist.digest}
    assert len(stored["inspection_key"]) >= 24
    assert store.checklists.get(checklist.digest) == SOURCE
    assert [r["id"] for r in store.inspections.for_inspector(INSPECTOR["id"])] == [inspection["id"]]
    other = inspections.start(store, checklist, LKS, INSPECTOR)
    assert other["inspection_key"] != inspection["inspection_key"] and other["id"] != inspection["id"]


def test_checklist_of_reads_the_archive_not_the_current_definition(store, checklist, inspection):
    changed = copy.deepcopy(SOURCE)
    changed["version"] = 2
    changed["sections"][0]["items"][1]["question"] = "Pertanyaan baru?"
    newer, _ = build(changed, "uji.toml")
    newer_inspection = inspections.start(store, newer, LKS, INSPECTOR)

    old = inspections.checklist_of(store, store.inspections.get(inspection["id"]))
    new = inspections.checklist_of(store, store.inspections.get(newer_inspection["id"]))
    assert old.digest == checklist.digest and old.item("izin").question == "Ada izin?"
    assert new.digest == newer.digest != checklist.digest and new.item("izin").question == "Pertanyaan baru?"
    with pytest.raises(LookupError):
        inspections.checklist_of(store, {"checklist": {"digest": "0" * 16}})


def test_key_matches_only_the_inspections_own_key(inspection):
    assert inspections.key_matches(inspection, inspection["inspection_key"])
    key = inspection["inspection_key"]
    assert not inspections.key_matches(inspection, key[:-1] + ("x" if key[-1] != "x" else "y"))
    assert not inspections.key_matches(inspection, "")
    assert not inspections.key_matches(inspection, None)
    assert not inspections.key_matches({"inspection_key": ""}, "")


def test_save_answers_merges_drops_emptied_answers_and_stops_after_submit(store, checklist, inspection):
    inspections.save_answers(store, inspection["id"], {"izin": {"value": "ya", "note": ""}, "catatan": None})
    inspections.save_answers(store, inspection["id"], {"jumlah": {"value": 0, "note": "tidak ada anak"}})
    assert store.inspections.get(inspection["id"])["answers"] == {
        "izin": {"value": "ya", "note": ""}, "jumlah": {"value": 0, "note": "tidak ada anak"}}
    inspections.save_answers(store, inspection["id"], {"izin": None})  # the inspector cleared it
    assert "izin" not in store.inspections.get(inspection["id"])["answers"]

    inspections.save_answers(store, inspection["id"], COMPLETE)
    photo(store, inspection, "foto_depan")
    record, problems = inspections.submit(store, checklist, inspection["id"])
    assert problems == {} and record["status"] == "submitted"
    assert inspections.save_answers(store, inspection["id"], {"izin": {"value": "tidak", "note": ""}}) is None
    assert store.inspections.get(inspection["id"])["answers"]["izin"]["value"] == "ya"


def test_add_photo_stores_files_once_per_upload_and_respects_the_cap(store, inspection):
    assert photo(store, inspection, "foto_depan", max_photos=2) is None
    assert photo(store, inspection, "foto_depan", max_photos=2) is None  # the same upload again
    photos = store.inspections.get(inspection["id"])["photos"]
    assert len(photos) == 1 and photos[0]["item"] == "foto_depan" and photos[0]["width"] == 64
    assert store.photos.read(inspection["id"], photos[0]["id"])[:2] == b"\xff\xd8"
    assert store.photos.read(inspection["id"], photos[0]["id"], thumb=True)[:2] == b"\xff\xd8"

    assert photo(store, inspection, inspections.GENERAL, colour=(200, 0, 0), max_photos=2) is None
    assert photo(store, inspection, "toilet", colour=(0, 200, 0), max_photos=2) == \
        "Batas 2 foto per kunjungan sudah tercapai."
    assert [p["item"] for p in store.inspections.get(inspection["id"])["photos"]] == ["foto_depan", inspections.GENERAL]
    assert set(inspections.photos_by_item(store.inspections.get(inspection["id"]))) == {"foto_depan", inspections.GENERAL}


def test_a_retry_arriving_while_the_first_upload_is_written_is_stored_once(store, inspection, monkeypatch):
    processed, saved = process(jpeg()), []
    real_save = store.photos.save

    def save_with_a_retry_meanwhile(owner, data, thumb):
        saved.append(owner)
        if len(saved) == 1:  # the phone retries while the first request is still writing the file
            assert inspections.add_photo(store, inspection["id"], "toilet", processed, "same-upload", 10) is None
        return real_save(owner, data, thumb)
    monkeypatch.setattr(store.photos, "save", save_with_a_retry_meanwhile)
    assert inspections.add_photo(store, inspection["id"], "toilet", processed, "same-upload", 10) is None
    assert len(saved) == 2
    kept = store.inspections.get(inspection["id"])["photos"]
    assert [p["upload_key"] for p in kept] == ["same-upload"]
    # the losing request's file is removed: only the kept photo and its thumbnail stay on disk
    files = sorted(path.name for path in (store.root / "photos" / inspection["id"]).iterdir())
    assert files == sorted([f"{kept[0]['id']}.jpg", f"{kept[0]['id']}.thumb.jpg"])


def test_no_photo_is_added_or_removed_after_submit(store, checklist, inspection):
    inspections.save_answers(store, inspection["id"], COMPLETE)
    photo(store, inspection, "foto_depan")
    first = store.inspections.get(inspection["id"])["photos"][0]["id"]
    inspections.submit(store, checklist, inspection["id"])
    assert photo(store, inspection, "toilet", colour=(1, 2, 3)) == "Kunjungan ini sudah tidak bisa diubah."
    assert not inspections.remove_photo(store, inspection["id"], first)
    assert [p["id"] for p in store.inspections.get(inspection["id"])["photos"]] == [first]


def test_remove_photo_only_removes_a_photo_of_this_inspection(store, inspection):
    photo(store, inspection, "toilet")
    photo_id = store.inspections.get(inspection["id"])["photos"][0]["id"]
    assert not inspections.remove_photo(store, inspection["id"], "p000000000000")
    assert inspections.remove_photo(store, inspection["id"], photo_id)
    assert store.inspections.get(inspection["id"])["photos"] == []


def test_missing_lists_required_items_and_unproven_failures_in_order(store, checklist, inspection):
    assert inspections.missing(checklist, inspection) == {
        "foto_depan": "Foto wajib diambil.", "izin": "Wajib dijawab.", "kekerasan": "Wajib dijawab.",
        "jumlah": "Wajib dijawab."}
    inspections.save_answers(store, inspection["id"], {**COMPLETE, "toilet": {"value": "tidak", "note": ""},
                                             "kamar": {"value": "buruk", "note": ""}})
    photo(store, inspection, "foto_depan")
    record = store.inspections.get(inspection["id"])
    assert inspections.missing(checklist, record) == {
        "toilet": "Jawaban ini perlu bukti foto.", "kamar": "Jawaban ini perlu bukti foto."}
    photo(store, inspection, "toilet", colour=(10, 10, 10))
    photo(store, inspection, "kamar", colour=(20, 20, 20))
    assert inspections.missing(checklist, store.inspections.get(inspection["id"])) == {}


def test_a_photo_for_another_item_does_not_prove_a_failure(store, checklist, inspection):
    inspections.save_answers(store, inspection["id"], {**COMPLETE, "toilet": {"value": "tidak", "note": ""}})
    photo(store, inspection, "foto_depan")
    photo(store, inspection, inspections.GENERAL, colour=(0, 0, 200))
    assert inspections.missing(checklist, store.inspections.get(inspection["id"])) == {
        "toilet": "Jawaban ini perlu bukti foto."}


def test_submit_refuses_an_incomplete_inspection_and_keeps_it_a_draft(store, checklist, inspection):
    inspections.save_answers(store, inspection["id"], {"izin": {"value": "ya", "note": ""}})
    record, problems = inspections.submit(store, checklist, inspection["id"])
    assert set(problems) == {"foto_depan", "kekerasan", "jumlah"}
    assert record["status"] == "draft" and "submitted_at" not in record and "score" not in record


def test_submit_scores_flags_and_freezes_a_complete_inspection(store, checklist, inspection, monkeypatch):
    inspections.save_answers(store, inspection["id"], {
        "izin": {"value": "ya", "note": ""}, "kekerasan": {"value": "ya", "note": "memar"},
        "jumlah": {"value": 12, "note": ""}, "toilet": {"value": "tb", "note": ""}})
    photo(store, inspection, "foto_depan")
    record, problems = inspections.submit(store, checklist, inspection["id"])
    assert problems == {}
    assert record["status"] == "submitted" and record["submitted_at"] == record["updated_at"]
    assert record["critical"] is True
    assert record["score"]["percent"] == 40.0  # izin passed (2) of izin + kekerasan (2 + 3); 'tb' not scored
    assert record["score"]["failed"] == ["kekerasan"] and record["score"]["critical_failed"] == ["kekerasan"]
    assert record["score"]["per_section"] == [["umum", 40.0], ["sarana", None]]
    assert record["checklist"] == checklist.ref

    monkeypatch.setattr(timefmt, "now", lambda: datetime.fromisoformat("2099-01-01T00:00:00+00:00"))
    again, problems = inspections.submit(store, checklist, inspection["id"])
    assert problems == {} and again == record


def test_a_clean_inspection_is_not_critical(store, checklist, inspection):
    inspections.save_answers(store, inspection["id"], COMPLETE)
    photo(store, inspection, "foto_depan")
    record, _ = inspections.submit(store, checklist, inspection["id"])
    assert record["critical"] is False and record["score"]["percent"] == 100.0 and record["score"]["failed"] == []


def test_concurrent_submits_of_one_inspection_submit_once(store, checklist, inspection, monkeypatch):
    inspections.save_answers(store, inspection["id"], COMPLETE)
    photo(store, inspection, "foto_depan")
    stamps = itertools.count(1)
    monkeypatch.setattr(timefmt, "now", lambda: datetime.fromisoformat(f"2030-01-01T00:00:{next(stamps):02d}+00:00"))
    barrier, results = threading.Barrier(4), []

    def send():
        barrier.wait()
        results.append(inspections.submit(store, checklist, inspection["id"], config={}))
    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [problems for _, problems in results] == [{}] * 4
    stored = store.inspections.get(inspection["id"])
    assert len(stored["versions"]) == 1  # exactly one transition to 'submitted'
    assert [e["action"] for e in store.audit.entries(action="submitted")] == ["submitted"]
    assert stored["status"] == "submitted" and stored["submitted_at"] == "2030-01-01T00:00:01+00:00"
    assert all(record == stored for record, _ in results)
    assert [r["id"] for r in store.inspections.for_lks(LKS["id"])] == [inspection["id"]]


def test_summary_reports_score_findings_missing_and_photos(store, checklist, inspection):
    inspections.save_answers(store, inspection["id"], {"izin": {"value": "tidak", "note": ""},
                                             "kamar": {"value": "baik", "note": ""}})
    photo(store, inspection, inspections.GENERAL)
    result = inspections.summary(checklist, store.inspections.get(inspection["id"]))
    assert result["score"].percent == pytest.approx(33.3)  # kamar (1) of izin + kamar (2 + 1)
    assert [item.id for item in result["failed_items"]] == ["izin"]
    assert list(result["missing"]) == ["foto_depan", "kekerasan", "jumlah"]
    assert result["photo_count"] == 1
