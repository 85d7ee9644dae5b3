"""The life of an inspection: its states, who may move it, and every move.

    draft --submit--> submitted --approve--> approved (final; corrections are addenda)
                          |  \\--return--> returned --resubmit--> submitted
                          \\----reject--> rejected

Views ask ``allowed`` and call the moves here. A decision also writes what it changes in the review
indexes and the oversight state (``oversight_state``).
"""

from __future__ import annotations

import secrets
from datetime import date, timedelta
from typing import Iterator

from . import announce, audit, events, oversight_state
from .store.contract import DataDamaged
from .timefmt import utcnow
from .timefmt import to_wib

LABELS = {"draft": "Draf", "submitted": "Menunggu tinjauan", "returned": "Perlu perbaikan",
          "approved": "Disetujui", "rejected": "Ditolak"}

# action -> (states it starts from, roles that may take it, whether the actor must be the inspection's inspector)
RULES = {
    "edit": (("draft", "returned"), ("inspector",), True),
    "submit": (("draft", "returned"), ("inspector",), True),
    "approve": (("submitted",), ("reviewer",), False),
    "return": (("submitted",), ("reviewer",), False),
    "reject": (("submitted",), ("reviewer",), False),
    "comment": (("submitted", "returned", "approved", "rejected"), ("reviewer", "inspector"), False),
    "addendum": (("approved",), ("reviewer",), False),
}
DECISIONS = {"approve": "approved", "return": "returned", "reject": "rejected"}
NEEDS_COMMENT = {"return", "reject"}
COMMENT_LIMIT = 2000


def allowed(record: dict, user, action: str) -> bool:
    """Whether ``user`` may take ``action`` on the inspection now."""
    rule = RULES.get(action)
    if rule is None or user is None:
        return False
    states, roles, own_only = rule
    if record["status"] not in states or user.role not in roles:
        return False
    if user.role == "inspector" and (own_only or action == "comment"):
        return record["inspector_id"] == user.record["id"]
    return True


def _signature(user) -> dict:
    return {"by": user.record["id"], "by_name": user.record.get("name", ""), "role": user.role, "at": utcnow()}


def _clean_text(text: str | None) -> str:
    return (text or "").strip()


def announcing_decision(config, user, lks: dict | None, logged_as: str | None) -> announce.Announcement:
    """What a decision announces, built from the record as written: its audit entry (the new state's code,
    or ``logged_as``: "bulk_approved") and ``review.decided``."""
    def build(record):
        return [audit.entry(user, logged_as or record["status"], "inspection", record["id"], anonymous=True,
                            lks_id=record["lks_id"]),
                *events.entries(config, "review.decided", events.facts_of(record, lks))]
    return announce.announcement(build)


def decide(store, inspection_id: str, user, action: str, comment: str = "", config=None,
           logged_as: str | None = None) -> tuple[dict | None, str | None]:
    """Approve, return or reject a waiting inspection: (record, None) or (None, Indonesian reason).

    With ``config`` (the app's settings: a decision from the pages), its audit entry and its
    ``review.decided`` event are staged in the outbox in the same atomic write as the new state, then
    delivered (see ``announce``); without it nothing is announced."""
    comment = _clean_text(comment)
    if action not in DECISIONS:
        return None, "Keputusan tidak dikenal."
    if action in NEEDS_COMMENT and not comment:
        return None, "Tulis alasan untuk inspektur saat mengembalikan atau menolak."
    if len(comment) > COMMENT_LIMIT:
        return None, f"Komentar maksimal {COMMENT_LIMIT} karakter."
    refused = []

    def change(record):
        if not allowed(record, user, action):
            refused.append("Pengajuan ini sudah diputuskan atau tidak bisa diputuskan oleh Anda.")
            return None
        signed = _signature(user)
        decision = {**signed, "action": action, "comment": comment}
        comments = record.get("comments", [])
        if comment:
            comments = comments + [{"id": secrets.token_hex(4), **signed, "text": comment}]
        return {**record, "status": DECISIONS[action], "decided_at": signed["at"], "updated_at": signed["at"],
                "decisions": record.get("decisions", []) + [decision], "comments": comments}
    announced = None
    if config is not None:
        current = store.inspections.get(inspection_id)
        announced = announcing_decision(config, user, store.lks.get(current["lks_id"]) if current else None,
                                        logged_as)
    record = store.inspections.modify(inspection_id, change, announced)
    if record is None:
        return None, refused[0] if refused else "Pengajuan tidak ditemukan."
    announce.deliver_now(store, config, announced)
    row = index_row(store, record)
    store.review_index.put(row)
    store.review_index.clear_pending(inspection_id)
    oversight_state.note_decision(store, row)
    return record, None


def add_comment(store, inspection_id: str, user, text: str, item_id: str | None = None,
                checklist=None) -> tuple[dict | None, str | None]:
    """A dated, signed comment between reviewer and inspector; a reviewer's may name one item of the inspection's
    ``checklist`` (``item_id``), and the inspector then reads it at that item on the form."""
    text = _clean_text(text)
    if not text:
        return None, "Komentar kosong."
    if len(text) > COMMENT_LIMIT:
        return None, f"Komentar maksimal {COMMENT_LIMIT} karakter."
    if item_id:
        if getattr(user, "role", None) != "reviewer":
            return None, "Komentar untuk butir tertentu hanya dari peninjau."
        if len(item_id) > 64 or checklist is None or checklist.item(item_id) is None:
            return None, "Butir pemeriksaan untuk komentar ini tidak dikenal."

    def change(record):
        if not allowed(record, user, "comment"):
            return None
        entry = {"id": secrets.token_hex(4), **_signature(user), "text": text, **({"item": item_id} if item_id else {})}
        return {**record, "comments": record.get("comments", []) + [entry], "updated_at": entry["at"]}
    record = store.inspections.modify(inspection_id, change)
    return (record, None) if record else (None, "Komentar tidak bisa ditambahkan pada pengajuan ini.")


def add_addendum(store, inspection_id: str, user, text: str) -> tuple[dict | None, str | None]:
    """A reviewer's dated correction of an approved record; the record itself never changes."""
    text = _clean_text(text)
    if not text or len(text) > COMMENT_LIMIT:
        return None, f"Isi addendum 1 sampai {COMMENT_LIMIT} karakter."

    def change(record):
        if not allowed(record, user, "addendum"):
            return None
        entry = {"id": secrets.token_hex(4), **_signature(user), "text": text}
        return {**record, "addenda": record.get("addenda", []) + [entry]}
    record = store.inspections.modify(inspection_id, change)
    return (record, None) if record else (None, "Addendum hanya untuk pengajuan yang sudah disetujui.")


def index_row(store, record: dict, lks_by_id: dict[str, dict] | None = None) -> dict:
    """The summary row of an inspection for the review indexes (``lks_by_id``: every LKS, when already read)."""
    lks = (lks_by_id.get(record["lks_id"]) if lks_by_id is not None else store.lks.get(record["lks_id"])) or {}
    score = record.get("score") or {}
    first = (record.get("versions") or [{}])[0].get("submitted_at") or record.get("submitted_at") or record["created_at"]
    return {"id": record["id"], "lks_id": record["lks_id"], "kecamatan": lks.get("kecamatan", ""),
            "inspector_id": record["inspector_id"], "status": record["status"],
            "submitted_at": record.get("submitted_at"), "first_submitted_at": first,
            "score": score.get("percent"), "failed": len(score.get("failed", [])),
            "critical": bool(record.get("critical")), "photos": len(record.get("photos", [])),
            "decided_at": record.get("decided_at"), "checklist_id": record["checklist"]["id"],
            "checklist_digest": record["checklist"].get("digest")}


def rebuild_indexes(store, records=None) -> int:
    """Recreate the review indexes from every inspection (or from ``records``, one pass over all of them);
    returns how many rows."""
    lks_by_id = {lks["id"]: lks for lks in store.lks.all()}
    rows = [index_row(store, r, lks_by_id) for r in (store.inspections.every() if records is None else records)
            if r["status"] != "draft"]
    store.review_index.rebuild(rows)
    oversight_state.fill(store)
    return len(rows)


PER_PAGE = 20


def _wib_day(moment: str | None) -> str:
    """The WIB date (yyyy-mm-dd) of a stored UTC time; '' for none."""
    return to_wib(moment).date().isoformat() if moment else ""


def _month_before(day: str) -> str:
    """The month (yyyymm) of the day before ``day``: the first hours of a WIB day are the UTC day before."""
    try:
        before = date.fromisoformat(day) - timedelta(days=1)
    except (ValueError, OverflowError):
        return "000000"
    return f"{before.year:04d}{before.month:02d}"


def queue(store, status: str = "submitted", kecamatan: str = "", lks_id: str = "", inspector_id: str = "",
          date_from: str = "", date_to: str = "", damaged: list | None = None) -> list[dict]:
    """Rows for the reviewer's queue: critical first, then oldest first.

    Waiting inspections come from the pending index, each confirmed against
    its inspection; other states come from the monthly summaries of the
    date range only. With ``damaged`` (a list), what cannot be read is left out and noted there; without, it
    raises ``DataDamaged``.
    """
    rows = list(_selected(store, store.review_index.rows, status, kecamatan, lks_id, inspector_id, date_from, date_to,
                          damaged))
    rows.sort(key=lambda r: (not r["critical"], r["submitted_at"] or ""))
    return rows


def export_selection(store, status: str = "submitted", kecamatan: str = "", lks_id: str = "", inspector_id: str = "",
                     date_from: str = "", date_to: str = "", damaged: list | None = None) -> tuple[list[str], set[str]]:
    """The queue's inspections for an export, without holding its rows: (their ids, their checklist versions).

    The same selection as ``queue``; the monthly summaries are read one month at a time and only the ids are
    kept, so 100,000 inspections cost a list of ids, not 100,000 rows.
    """
    ids, digests, older = [], set(), []
    for row in _selected(store, store.review_index.stream_rows, status, kecamatan, lks_id, inspector_id,
                         date_from, date_to, damaged):
        ids.append(row["id"])
        if row.get("checklist_digest"):
            digests.add(row["checklist_digest"])
        else:  # a row written before rows named their checklist version (until `flask index rebuild`)
            older.append(row["id"])
    digests.update(record["checklist"]["digest"] for record in store.inspections.stream(older, keep_order=False))
    return ids, digests


def _selected(store, month_rows, status: str, kecamatan: str, lks_id: str, inspector_id: str, date_from: str,
              date_to: str, damaged: list | None = None) -> Iterator[dict]:
    """The index rows the queue's filters select, in no promised order; ``month_rows(from, to, damaged)`` reads
    the monthly summaries (all at once for a page, lazily for an export)."""
    if status == "submitted":
        lks_by_id = {lks["id"]: lks for lks in store.lks.all()}
        pending = store.inspections.peek_many(_pending_ids(store, damaged), damaged)
        rows = (index_row(store, record, lks_by_id) for record in pending if record["status"] == "submitted")
    else:
        # The summaries are by the UTC month of first sending; a WIB day begins at 17.00 UTC the day before.
        month_from = _month_before(date_from) if date_from else "000000"
        month_to = date_to[:7].replace("-", "") if date_to else "999912"
        rows = (r for r in month_rows(month_from, month_to, damaged) if not status or r["status"] == status)
    for row in rows:
        # Dates are the WIB day of the first sending: the day the page shows, and the one the summaries are kept by.
        day = _wib_day(row["first_submitted_at"]) if date_from or date_to else ""
        if not ((date_from and day < date_from) or (date_to and day > date_to)
                or (kecamatan and row["kecamatan"] != kecamatan) or (lks_id and row["lks_id"] != lks_id)
                or (inspector_id and row["inspector_id"] != inspector_id)):
            yield row


def _pending_ids(store, damaged: list | None) -> list[str]:
    """The ids in the pending set; when it is damaged (and damage may be skipped), the waiting rows of the
    monthly summaries instead, the damage noted: every id is confirmed against its inspection anyway."""
    try:
        return [row["id"] for row in store.review_index.pending_rows()]
    except DataDamaged as error:
        if damaged is None:
            raise
        damaged.append(error)
        return [row["id"] for row in store.review_index.rows("000000", "999912", damaged)
                if row["status"] == "submitted"]


def last_approved(store, lks_id: str, before: str = "9999", exclude: str | None = None,
                  damaged: list | None = None) -> dict | None:
    """The latest approved inspection of an LKS (and the field reports merged into it) sent before ``before``."""
    merged = [l["id"] for l in store.lks.all() if l.get("merged_into") == lks_id]
    for other in store.inspections.newest_first([lks_id, *merged], damaged):
        if other["id"] != exclude and other["status"] == "approved" and (other.get("submitted_at") or "") < before:
            return other
    return None


def previous_approved(store, record: dict, damaged: list | None = None) -> dict | None:
    """The latest approved inspection of the same LKS before this one, for comparison."""
    return last_approved(store, record["lks_id"], record.get("submitted_at") or "9999", record["id"], damaged)


def version_changes(checklist, older: dict, newer: dict) -> list[dict]:
    """What changed between two versions: [{item, before, after}] in checklist order."""
    changes = []
    for item in checklist.items():
        before = older["answers"].get(item.id) or {}
        after = newer["answers"].get(item.id) or {}
        if before != after:
            changes.append({"item": item, "before": before, "after": after})
    before_photos, after_photos = set(older.get("photo_ids", [])), set(newer.get("photo_ids", []))
    if before_photos != after_photos:
        changes.append({"item": None, "before": {"value": f"{len(before_photos)} foto"},
                        "after": {"value": f"{len(after_photos)} foto"}})
    return changes
