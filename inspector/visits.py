"""The visit: a draft made when an inspection starts, its answers and photos, and the one submission it becomes.

A visit is a submission record in state ``draft``. It carries a secret
``visit_key`` made when it started: the form sends it back with every save,
so a save or a submit is tied to this visit (and a save still lands when the
sign-in has expired), and a repeated submit of the same visit creates
nothing new.
"""

from __future__ import annotations

import hmac
import secrets
from functools import lru_cache

from .checklists import Checklist, build, score
from .store.records import utcnow

EDITABLE = ("draft", "returned")
GENERAL = ""  # the item id of photos not tied to one item


def start(store, checklist: Checklist, lks: dict, inspector: dict) -> dict:
    """Open a new visit (a draft) of ``lks`` with ``checklist`` by ``inspector``."""
    store.checklists.keep(checklist.digest, checklist.source)
    now = utcnow()
    return store.submissions.insert({
        "lks_id": lks["id"], "inspector_id": inspector["id"], "status": "draft", "checklist": checklist.ref,
        "visit_key": secrets.token_urlsafe(24), "answers": {}, "photos": [], "created_at": now, "updated_at": now,
    })


@lru_cache(maxsize=64)
def _checklist_from_archive(digest: str, source_json: str) -> Checklist:
    import json

    checklist, problems = build(json.loads(source_json), f"archive:{digest}")
    if checklist is None:  # pragma: no cover - archived definitions were valid when kept
        raise RuntimeError("; ".join(problems))
    return checklist


def checklist_of(store, submission: dict) -> Checklist:
    """The exact checklist a submission was filled against, from the archive."""
    import json

    digest = submission["checklist"]["digest"]
    source = store.checklists.get(digest)
    if source is None:
        raise LookupError(f"checklist {digest} missing from the archive")
    return _checklist_from_archive(digest, json.dumps(source, sort_keys=True))


def key_matches(submission: dict, key: str | None) -> bool:
    return bool(key) and hmac.compare_digest(str(submission.get("visit_key", "")), str(key))


def save_answers(store, submission_id: str, answers: dict) -> dict | None:
    """Merge answers into an editable visit (one atomic write); None when it is no longer editable."""
    def change(record):
        if record["status"] not in EDITABLE:
            return None
        merged = {**record["answers"], **answers}
        return {**record, "answers": {k: v for k, v in merged.items() if v}, "updated_at": utcnow()}
    return store.submissions.modify(submission_id, change)


def add_photo(store, submission_id: str, item_id: str, processed, upload_key: str, max_photos: int,
              taken_at: str | None = None) -> str | None:
    """Attach a processed photo to an editable visit; the same upload twice is stored once.

    ``taken_at`` is the capture time read elsewhere (by the phone, from the
    original before it was made smaller), kept when the photo carries none.
    Returns None on success or an Indonesian reason.
    """
    current = store.submissions.get(submission_id)
    if current is None or current["status"] not in EDITABLE:
        return "Kunjungan ini sudah tidak bisa diubah."
    if any(p.get("upload_key") == upload_key for p in current["photos"]):
        return None
    if len(current["photos"]) >= max_photos:
        return f"Batas {max_photos} foto per kunjungan sudah tercapai."
    photo_id = store.photos.save(submission_id, processed.jpeg, processed.thumb)
    entry = {"id": photo_id, "item": item_id, "upload_key": upload_key, "taken_at": processed.taken_at or taken_at,
             "gps": list(processed.gps) if processed.gps else None, "width": processed.width,
             "height": processed.height, "sha256": processed.sha256, "received_at": utcnow()}
    refused = []

    def change(record):
        if record["status"] not in EDITABLE:
            refused.append("Kunjungan ini sudah tidak bisa diubah.")
            return None
        if any(p.get("upload_key") == upload_key for p in record["photos"]):
            return None  # a concurrent retry stored it first
        if len(record["photos"]) >= max_photos:
            refused.append(f"Batas {max_photos} foto per kunjungan sudah tercapai.")
            return None
        return {**record, "photos": record["photos"] + [entry], "updated_at": utcnow()}
    if store.submissions.modify(submission_id, change) is None:
        store.photos.delete(submission_id, photo_id)  # a retry won the race, or the visit closed meanwhile
    return refused[0] if refused else None


def remove_photo(store, submission_id: str, photo_id: str) -> bool:
    def change(record):
        if record["status"] not in EDITABLE or not any(p["id"] == photo_id for p in record["photos"]):
            return None
        return {**record, "photos": [p for p in record["photos"] if p["id"] != photo_id], "updated_at": utcnow()}
    return store.submissions.modify(submission_id, change) is not None


def photos_by_item(submission: dict) -> dict[str, list[dict]]:
    grouped: dict[str, list[dict]] = {}
    for photo in submission.get("photos", []):
        grouped.setdefault(photo.get("item", GENERAL), []).append(photo)
    return grouped


def missing(checklist: Checklist, submission: dict) -> dict[str, str]:
    """What stops a submit: {item id: Indonesian reason}, in checklist order."""
    answers, photos = submission.get("answers", {}), photos_by_item(submission)
    problems: dict[str, str] = {}
    for item in checklist.items():
        value = (answers.get(item.id) or {}).get("value")
        if item.type == "photo":
            if item.required and not photos.get(item.id):
                problems[item.id] = "Foto wajib diambil."
        elif item.required and value in (None, "", []):
            problems[item.id] = "Wajib dijawab."
        elif item.photo_on_fail and item.fails(value) and not photos.get(item.id):
            problems[item.id] = "Jawaban ini perlu bukti foto."
    return problems


def summary(checklist: Checklist, submission: dict) -> dict:
    """What the inspector sees before sending: score, failed items, what is missing."""
    result = score(checklist, submission.get("answers", {}))
    return {"score": result, "missing": missing(checklist, submission),
            "failed_items": [checklist.item(i) for i in result.failed],
            "photo_count": len(submission.get("photos", []))}


def _sent(checklist: Checklist, record: dict, now: str) -> dict:
    """The record as sent now: scored, and its answers kept as a new version."""
    result = score(checklist, record["answers"])
    scored = {"percent": result.percent, "failed": list(result.failed),
              "critical_failed": list(result.critical_failed), "per_section": [list(p) for p in result.per_section]}
    versions = record.get("versions", [])
    version = {"n": len(versions) + 1, "submitted_at": now, "answers": record["answers"],
               "photo_ids": [p["id"] for p in record["photos"]], "score": scored}
    return {**record, "status": "submitted", "submitted_at": now, "updated_at": now, "score": scored,
            "critical": bool(result.critical_failed), "versions": versions + [version]}


def submit(store, checklist: Checklist, submission_id: str) -> tuple[dict | None, dict[str, str]]:
    """Turn an editable visit into a submission, once. (record, problems); a repeat returns the record as is.

    The review queue learns of it first (see ``ReviewIndex``): a crash right
    after can leave a queue row to be confirmed, never a sent visit unseen.
    """
    from .review import index_row

    current = store.submissions.get(submission_id)
    if current is None or current["status"] not in EDITABLE:
        return current, {}
    problems: dict[str, str] = dict(missing(checklist, current))
    if problems:
        return current, problems
    # A provisional row (its times are replaced once the submission is written)
    store.review_index.mark_pending(index_row(store, _sent(checklist, current, current["updated_at"])))

    def change(record):
        if record["status"] not in EDITABLE:
            return None  # a concurrent repeat sent it first: this one changes nothing
        problems.update(missing(checklist, record))
        return None if problems else _sent(checklist, record, utcnow())
    sent = store.submissions.modify(submission_id, change)
    if sent is not None:
        row = index_row(store, sent)
        store.review_index.mark_pending(row)
        store.review_index.put(row)
    return store.submissions.get(submission_id), problems
