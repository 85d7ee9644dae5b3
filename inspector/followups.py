"""What an LKS operator may see of an approved inspection, and the follow-ups (tindak lanjut) they record.

An operator never receives an inspection record: ``operator_view`` builds an
``OperatorInspection`` holding only what is theirs to read -- items that are
not confidential, their answers, notes and photos, and a score counted over
those items alone (a score over every item would let a hidden failing
answer show through). Templates, photo routes and anything else an operator
reaches read that view, never the record.

Follow-ups answer a failed, visible finding: what was done, by when, and
optionally a photo. They live in their own partition per LKS (the approved
record is never edited); a reviewer accepts them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from . import inspections
from .checklists import Checklist, Item, score
from .timefmt import utcnow
from .timefmt import to_wib

TEXT_LIMIT = 1000
PER_ITEM_LIMIT = 20  # follow-ups of one finding: enough for progress reports, not a flood
DUE_YEARS_AHEAD = 2


@dataclass(frozen=True)
class Entry:
    """One visible item of an inspection: its question, answer, note and photo ids."""
    item_id: str
    question: str
    answer: str
    note: str
    photo_ids: tuple[str, ...]


@dataclass(frozen=True)
class OperatorInspection:
    """An approved inspection as its LKS operator may see it: nothing confidential is in here."""
    id: str
    lks_id: str
    day: date  # the inspection's date in WIB
    checklist_title: str
    percent: float | None  # over visible items only
    findings: tuple[Entry, ...]  # failed visible items, in checklist order
    remarks: tuple[Entry, ...]  # other visible items with a note, a written answer or photos
    general_photo_ids: tuple[str, ...]

    @property
    def photo_ids(self) -> frozenset[str]:
        """Every photo id the operator may open."""
        ids = set(self.general_photo_ids)
        for entry in self.findings + self.remarks:
            ids.update(entry.photo_ids)
        return frozenset(ids)

    def finding(self, item_id: str) -> Entry | None:
        return next((f for f in self.findings if f.item_id == item_id), None)


def family(store, lks_ids: list[str]) -> dict[str, list[str]]:
    """For each LKS id: itself and the provisional records merged into it."""
    merged: dict[str, list[str]] = {lks_id: [lks_id] for lks_id in lks_ids}
    for record in store.lks.all():
        if record.get("merged_into") in merged:
            merged[record["merged_into"]].append(record["id"])
    return merged


def operator_view(checklist: Checklist, record: dict) -> OperatorInspection:
    """The visible part of an approved inspection (the caller has checked it is approved and theirs)."""
    visible = {item.id: item for item in checklist.items() if not item.confidential}
    answers = {item_id: a for item_id, a in (record.get("answers") or {}).items() if item_id in visible}
    result = score(checklist, answers)
    photos: dict[str, list[str]] = {}
    for photo in record.get("photos", []):
        item_id = photo.get("item", inspections.GENERAL)
        if item_id == inspections.GENERAL or item_id in visible:  # an unknown item is hidden: fail closed
            photos.setdefault(item_id, []).append(photo["id"])
    findings, remarks = [], []
    failed = set(result.failed)
    for item in visible.values():
        answer = answers.get(item.id) or {}
        value = answer.get("value")
        entry = Entry(item.id, item.question, item.label_of(value), (answer.get("note") or "").strip(),
                      tuple(photos.get(item.id, ())))
        if item.id in failed:
            findings.append(entry)
        elif entry.note or entry.photo_ids or (item.type in ("text", "longtext") and entry.answer):
            remarks.append(entry)
    return OperatorInspection(
        id=record["id"], lks_id=record["lks_id"], day=to_wib(record["created_at"]).date(),
        checklist_title=checklist.title, percent=result.percent, findings=tuple(findings), remarks=tuple(remarks),
        general_photo_ids=tuple(photos.get(inspections.GENERAL, ())))


def approved_for(store, lks_ids: list[str], damaged: list | None = None) -> list[OperatorInspection]:
    """The operator's view of every approved inspection of these LKS records, newest first (with ``damaged``, a
    month that cannot be read is left out and noted there)."""
    return [operator_view(inspections.checklist_of(store, r), r) for r in store.inspections.for_lks(lks_ids, damaged)
            if r["status"] == "approved"]


# --- follow-ups ------------------------------------------------------------------

def clean(view: OperatorInspection, item_id: str, text: str | None, due: str | None,
          today: date) -> tuple[dict, dict[str, str]]:
    """Check a follow-up's fields: ({item_id, text, due}, {}) or ({}, {field: Indonesian reason})."""
    errors: dict[str, str] = {}
    text = (text or "").strip()
    due = (due or "").strip()
    if view.finding(item_id or "") is None:
        errors["butir"] = "Tindak lanjut hanya untuk temuan pada inspeksi ini."
    if not text:
        errors["isi"] = "Tulis apa yang sudah atau akan dilakukan."
    elif len(text) > TEXT_LIMIT:
        errors["isi"] = f"Maksimal {TEXT_LIMIT} karakter."
    try:
        day = date.fromisoformat(due) if len(due) == 10 else None
    except ValueError:
        day = None
    if not due:
        errors["tanggal"] = "Isi tanggal target selesai."
    elif day is None:
        errors["tanggal"] = "Tanggal tidak valid (TTTT-BB-HH)."
    elif day < view.day:
        errors["tanggal"] = "Tanggal tidak boleh sebelum tanggal inspeksi."
    elif day > today + timedelta(days=365 * DUE_YEARS_AHEAD):
        errors["tanggal"] = f"Tanggal paling jauh {DUE_YEARS_AHEAD} tahun dari sekarang."
    if errors:
        return {}, errors
    return {"item_id": item_id, "text": text, "due": due}, {}


def add(store, view: OperatorInspection, user, values: dict, photo=None) -> tuple[dict | None, str | None]:
    """Store a checked follow-up (and its processed photo): (record, None) or (None, Indonesian reason)."""
    existing = [f for f in store.followups.for_inspection(view.lks_id, view.id) if f["item_id"] == values["item_id"]]
    if len(existing) >= PER_ITEM_LIMIT:
        return None, f"Temuan ini sudah punya {PER_ITEM_LIMIT} tindak lanjut."
    followup_id = store.followups.new_id()
    record = {"id": followup_id, "lks_id": view.lks_id, "inspection_id": view.id, **values, "photo": None,
              "by": user.record["id"], "by_name": user.record.get("name", ""), "at": utcnow(), "accepted": None}
    if photo is not None:
        photo_id = store.photos.save(followup_id, photo.jpeg, photo.thumb)
        record["photo"] = {"id": photo_id, "sha256": photo.sha256, "width": photo.width, "height": photo.height,
                           "taken_at": photo.taken_at}
    try:
        store.followups.insert(view.lks_id, record)
    except BaseException:
        if record["photo"]:
            store.photos.delete(followup_id, record["photo"]["id"])
        raise
    return record, None


def for_inspection(store, inspection: dict) -> list[dict]:
    """Every follow-up of one inspection's findings, oldest first."""
    return store.followups.for_inspection(inspection["lks_id"], inspection["id"])


def by_item(store, checklist: Checklist, inspection: dict) -> list[tuple[Item, list[dict]]]:
    """Follow-ups grouped under their item, in checklist order (for the reviewer's page)."""
    grouped: dict[str, list[dict]] = {}
    for followup in for_inspection(store, inspection):
        grouped.setdefault(followup["item_id"], []).append(followup)
    return [(item, grouped[item.id]) for item in checklist.items() if item.id in grouped]


def accept(store, inspection: dict, followup_id: str, user) -> tuple[dict | None, bool]:
    """A reviewer accepts a follow-up of this approved inspection: (record, whether it changed now).

    (None, False) when there is no such follow-up of this inspection or the
    user may not accept; accepting one already accepted changes nothing.
    """
    if user.role != "reviewer" or inspection.get("status") != "approved":
        return None, False
    changed = []

    def change(record):
        if record["inspection_id"] != inspection["id"] or record.get("accepted"):
            return None
        changed.append(True)
        return {**record, "accepted": {"by": user.record["id"], "by_name": user.record.get("name", ""),
                                       "at": utcnow()}}
    updated = store.followups.modify(inspection["lks_id"], followup_id, change)
    if updated is not None:
        return updated, True
    current = store.followups.get(inspection["lks_id"], followup_id)
    if current is None or current["inspection_id"] != inspection["id"]:
        return None, False
    return current, False
