"""The inspection: a draft made when an inspection starts, its answers and photos, and the one inspection it becomes.

An inspection is an inspection record in state ``draft``. It carries a secret
``inspection_key`` made when it started: the form sends it back with every save,
so a save or a submit is tied to this inspection (and a save still lands when the
sign-in has expired), and a repeated submit of the same inspection creates
nothing new. Likewise a start form carries a one-time ``start_token``: the
same token again returns the inspection it started (see ``begin``). Where the
phone was at the start and at each send is kept too (see ``presence``).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from functools import lru_cache

from . import announce, audit, events
from .checklists import Checklist, build, score
from .timefmt import utcnow

EDITABLE = ("draft", "returned")
GENERAL = ""  # the item id of photos not tied to one item


START_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")
_SETTLE_SECONDS = 2.0  # how long a repeated start waits for the first one's record to be written


def start_token() -> str:
    """A fresh one-time token for a start form: the page carries it, the inspection it starts keeps it."""
    return secrets.token_urlsafe(16)


def begin(store, checklist: Checklist, lks: dict, inspector: dict, token: str | None = None,
          location: dict | None = None) -> tuple[dict, bool]:
    """Open an inspection of ``lks`` with ``checklist`` by ``inspector``, once per ``token``: (record, made now).

    A start form carries a one-time ``token`` (see ``start_token``). The same
    token from the same inspector at the same LKS (a double tap, a retry after
    a dropped connection or a restart) returns the inspection it already started.
    Its id is derived from the token, so two requests at the same moment
    collide on one id and the store's unique-id check lets only one through.
    """
    if token is not None and not START_TOKEN.fullmatch(token):
        raise ValueError("bad start token")
    now = utcnow()
    record = {"lks_id": lks["id"], "inspector_id": inspector["id"], "status": "draft", "checklist": checklist.ref,
              "inspection_key": secrets.token_urlsafe(24), "answers": {}, "photos": [], "created_at": now,
              "updated_at": now}
    if location is not None:
        record["start_location"] = {**location, "at": now}
    if token is None:
        store.checklists.keep(checklist.digest, checklist.source)
        return store.inspections.insert(record), True
    found = _started_with(store, lks, inspector, token, now)
    if found is not None:
        return found, False
    store.checklists.keep(checklist.digest, checklist.source)
    record.update(id=_token_id(lks, inspector, token, now), start_token=token)
    try:
        return store.inspections.insert(record), True
    except ValueError:  # the same token at the same moment: the other request made the inspection
        deadline = time.monotonic() + _SETTLE_SECONDS
        while time.monotonic() < deadline:
            found = _started_with(store, lks, inspector, token, now)
            if found is not None:
                return found, False
            time.sleep(0.05)
        # Its record never came (a crash between the inspector's index and the inspection): start afresh.
        record["id"] = store.inspections.new_id(lks["id"], now[:4] + now[5:7])
        return store.inspections.insert(record), True


def start(store, checklist: Checklist, lks: dict, inspector: dict, token: str | None = None,
          location: dict | None = None) -> dict:
    """Open a new inspection (a draft) of ``lks``, or the one this start ``token`` already opened (see ``begin``)."""
    return begin(store, checklist, lks, inspector, token, location)[0]


def _token_id(lks: dict, inspector: dict, token: str, now: str) -> str:
    digest = hashlib.sha256(f"{inspector['id']}\0{lks['id']}\0{token}".encode()).hexdigest()
    return f"{lks['id']}-{now[:4]}{now[5:7]}-{digest[:12]}"


def _started_with(store, lks: dict, inspector: dict, token: str, now: str) -> dict | None:
    """The inspection this inspector started at this LKS with ``token``: its derived id first, then the recent ones
    (a retry in a new month derives another id)."""
    def mine(record):
        return record is not None and record.get("start_token") == token and \
            record["inspector_id"] == inspector["id"] and record["lks_id"] == lks["id"]
    record = store.inspections.get(_token_id(lks, inspector, token, now))
    if mine(record):
        return record
    return next((r for r in store.inspections.for_inspector(inspector["id"], limit=20, lks_id=lks["id"])
                 if mine(r)), None)


@lru_cache(maxsize=64)
def _checklist_from_archive(digest: str, source_json: str) -> Checklist:
    import json

    checklist, problems = build(json.loads(source_json), f"archive:{digest}")
    if checklist is None:  # pragma: no cover - archived definitions were valid when kept
        raise RuntimeError("; ".join(problems))
    return checklist


def checklist_of(store, inspection: dict) -> Checklist:
    """The exact checklist an inspection was filled against, from the archive."""
    import json

    digest = inspection["checklist"]["digest"]
    source = store.checklists.get(digest)
    if source is None:
        raise LookupError(f"checklist {digest} missing from the archive")
    return _checklist_from_archive(digest, json.dumps(source, sort_keys=True))


def key_matches(inspection: dict, key: str | None) -> bool:
    return bool(key) and hmac.compare_digest(str(inspection.get("inspection_key", "")), str(key))


def key_alone_accepted(inspection: dict, account: dict | None) -> bool:
    """The inspection key without a sign-in stands for its inspector only while that account is active and its
    password has not been set anew (reset by an admin, or changed) since the inspection began."""
    if account is None or not account.get("active"):
        return False
    changed = account.get("password_changed_at")
    return not changed or changed < inspection.get("created_at", "")


def save_answers(store, inspection_id: str, answers: dict) -> dict | None:
    """Merge answers into an editable inspection (one atomic write); None when it is no longer editable."""
    def change(record):
        if record["status"] not in EDITABLE:
            return None
        merged = {**record["answers"], **answers}
        return {**record, "answers": {k: v for k, v in merged.items() if v}, "updated_at": utcnow()}
    return store.inspections.modify(inspection_id, change)


def add_photo(store, inspection_id: str, item_id: str, processed, upload_key: str, max_photos: int,
              taken_at: str | None = None, gps: tuple[float, float] | None = None) -> str | None:
    """Attach a processed photo to an editable inspection; the same upload twice is stored once.

    ``taken_at`` and ``gps`` are the capture time and place read elsewhere (by the phone, from the
    original before it was made smaller), kept when the photo carries none.
    Returns None on success or an Indonesian reason.
    """
    current = store.inspections.get(inspection_id)
    if current is None or current["status"] not in EDITABLE:
        return "Kunjungan ini sudah tidak bisa diubah."
    if any(p.get("upload_key") == upload_key for p in current["photos"]):
        return None
    if len(current["photos"]) >= max_photos:
        return f"Batas {max_photos} foto per kunjungan sudah tercapai."
    photo_id = store.photos.save(inspection_id, processed.jpeg, processed.thumb)
    entry = {"id": photo_id, "item": item_id, "upload_key": upload_key, "taken_at": processed.taken_at or taken_at,
             "gps": list(processed.gps or gps) if (processed.gps or gps) else None, "width": processed.width,
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
    if store.inspections.modify(inspection_id, change) is None:
        store.photos.delete(inspection_id, photo_id)  # a retry won the race, or the inspection closed meanwhile
    return refused[0] if refused else None


def remove_photo(store, inspection_id: str, photo_id: str) -> bool:
    def change(record):
        if record["status"] not in EDITABLE or not any(p["id"] == photo_id for p in record["photos"]):
            return None
        return {**record, "photos": [p for p in record["photos"] if p["id"] != photo_id], "updated_at": utcnow()}
    return store.inspections.modify(inspection_id, change) is not None


def discard(store, inspection_id: str, inspector_id: str) -> tuple[dict | None, str | None]:
    """Throw away a draft its own inspector no longer wants: (the removed record, None) or (None, Indonesian reason).

    Only a draft never sent: an inspection returned for revision has been read by Dinas Sosial and stays.
    Its photos go with it.
    """
    def removable(record):
        return record["status"] == "draft" and record["inspector_id"] == inspector_id and not record.get("versions")
    removed = store.inspections.remove(inspection_id, removable)
    if removed is None:
        return None, "Draf ini tidak bisa dibuang: sudah dikirim, atau bukan draf Anda."
    for photo in removed.get("photos", []):
        store.photos.delete(inspection_id, photo["id"])
    return removed, None


def photos_by_item(inspection: dict) -> dict[str, list[dict]]:
    grouped: dict[str, list[dict]] = {}
    for photo in inspection.get("photos", []):
        grouped.setdefault(photo.get("item", GENERAL), []).append(photo)
    return grouped


def missing(checklist: Checklist, inspection: dict) -> dict[str, str]:
    """What stops a submit: {item id: Indonesian reason}, in checklist order."""
    answers, photos = inspection.get("answers", {}), photos_by_item(inspection)
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


def summary(checklist: Checklist, inspection: dict) -> dict:
    """What the inspector sees before sending: score, failed items, what is missing."""
    result = score(checklist, inspection.get("answers", {}))
    return {"score": result, "missing": missing(checklist, inspection),
            "failed_items": [checklist.item(i) for i in result.failed],
            "photo_count": len(inspection.get("photos", []))}


def _sent(checklist: Checklist, record: dict, now: str, location: dict | None = None) -> dict:
    """The record as sent now: scored, and its answers kept as a new version (with where it was sent from)."""
    result = score(checklist, record["answers"])
    scored = {"percent": result.percent, "failed": list(result.failed),
              "critical_failed": list(result.critical_failed), "per_section": [list(p) for p in result.per_section]}
    versions = record.get("versions", [])
    version = {"n": len(versions) + 1, "submitted_at": now, "answers": record["answers"],
               "photo_ids": [p["id"] for p in record["photos"]], "score": scored}
    if location is not None:
        version["location"] = {**location, "at": now}
    return {**record, "status": "submitted", "submitted_at": now, "updated_at": now, "score": scored,
            "critical": bool(result.critical_failed), "versions": versions + [version], "announced": len(versions) + 1}


def announcing_send(config, user, lks: dict | None) -> announce.Announcement:
    """What a send announces, built from the record as written: its audit entry ("submitted", or
    "resubmitted" from the second send on), ``inspection.created`` and, with a critical finding,
    ``inspection.critical``."""
    def build(record):
        sends = record["versions"]
        made = [audit.entry(user, "resubmitted" if len(sends) > 1 else "submitted", "inspection", record["id"],
                            anonymous=user is not None, version=len(sends), critical=bool(record.get("critical")),
                            location=(sends[-1].get("location") or {}).get("status", "none"))]
        found = events.facts_of(record, lks)
        made += events.entries(config, "inspection.created", found)
        if record.get("critical"):
            made += events.entries(config, "inspection.critical", found)
        return made
    return announce.announcement(build)


def claim_announcement(store, inspection_id: str, config=None, user=None) -> dict | None:
    """A send stored by an earlier version between its state write and its announcement (``announced`` behind
    its versions): announce it now, in one write that also marks it announced. None when nothing is owed.

    Sends made now are announced in their own write (see ``submit``); an inspection stored without the field
    was announced when it was sent.
    """
    current = store.inspections.get(inspection_id)
    sent = len((current or {}).get("versions", []))
    if config is None or current is None or current["status"] != "submitted" or current.get("announced", sent) >= sent:
        return None
    announced = announcing_send(config, user, store.lks.get(current["lks_id"]))

    def change(record):
        sent = len(record.get("versions", []))
        if record["status"] != "submitted" or record.get("announced", sent) >= sent:
            return None
        return {**record, "announced": sent}
    record = store.inspections.modify(inspection_id, change, announced)
    if record is not None:
        announce.deliver_now(store, config, announced)
    return record


def submit(store, checklist: Checklist, inspection_id: str, location: dict | None = None, user=None,
           config=None) -> tuple[dict | None, dict[str, str]]:
    """Turn an editable inspection into an inspection, once. (record, problems); a repeat returns the record as is.

    ``location`` (see ``presence.read``) is kept on the version this send makes,
    so an inspection returned for revision and sent again has one per send.

    With ``config`` (the app's settings: a send from the pages), the send's audit entry (by ``user``) and
    its events are staged in the outbox in the same atomic write as the state (see ``announcing_send``),
    then delivered (``announce.deliver_now``): a decision landing right after the state write, a trail that
    cannot be appended or a crash cannot lose them. Without it (builders, data made by commands) nothing is
    announced.

    The review queue learns of it first (see ``ReviewIndex``): a crash right
    after can leave a queue row to be confirmed, never a sent inspection unseen. A
    crash after the state is written but before the monthly summary is leaves
    the summary row out; the repeat of the same submit adds it.
    """
    from .review import index_row

    current = store.inspections.get(inspection_id)
    if current is None or current["status"] not in EDITABLE:
        if current is not None and current["status"] == "submitted":
            # A repeat (a retry after a lost answer): finish the indexing a crash may have cut short.
            store.review_index.put_missing(index_row(store, current))
            claim_announcement(store, inspection_id, config, user)
        return current, {}
    problems: dict[str, str] = dict(missing(checklist, current))
    if problems:
        return current, problems
    # A provisional row (its times are replaced once the inspection is written)
    store.review_index.mark_pending(index_row(store, _sent(checklist, current, current["updated_at"])))

    def change(record):
        if record["status"] not in EDITABLE:
            return None  # a concurrent repeat sent it first: this one changes nothing
        problems.update(missing(checklist, record))
        if problems:
            return None
        made = _sent(checklist, record, utcnow(), location)
        # Not announced in this write: left owed, so that a repeat from the pages announces it.
        return made if announced is not None else {**made, "announced": len(made["versions"]) - 1}
    announced = announcing_send(config, user, store.lks.get(current["lks_id"])) if config is not None else None
    sent = store.inspections.modify(inspection_id, change, announced)
    if sent is not None:
        announce.deliver_now(store, config, announced)
        row = index_row(store, sent)
        store.review_index.mark_pending(row)
        store.review_index.put(row)
    return store.inspections.get(inspection_id), problems
