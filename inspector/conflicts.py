"""A save typed on a phone lands only on the inspection it was typed on: never silently over a changed one.

A page (or a phone's kept copy of it) carries the ``revision`` of the inspection it shows: its status, how
often it was sent, and its answers. A save from the phone's outbox names that revision as its ``base``; when
the inspection has changed since (a reviewer returned it, another device saved other answers), the save is
refused as a conflict and nothing is stored, unless it is the repeat of a save already stored (a retry after a
lost answer), which changes nothing. The inspector then sees both sides and chooses: the phone's answers are
saved on top of the inspection as it is now (``keep_phone``), or the phone's copy is dropped.
"""

from __future__ import annotations

import hashlib
import json

from .checklists import Checklist
from .inspections import EDITABLE
from .timefmt import utcnow

CHANGED = ("Kunjungan ini berubah di server sejak ponsel menyimpan salinannya (misalnya dikembalikan peninjau "
           "untuk perbaikan). Lihat kedua isian lalu pilih yang dipakai.")
CLOSED = "Kunjungan ini sudah dikirim dan tidak bisa diubah lagi."
REVISION_LENGTH = 16


def revision(record: dict) -> str:
    """Which state of the inspection a page shows: its status, its number of sends and its answers."""
    body = json.dumps([record.get("status"), len(record.get("versions", [])), record.get("answers", {})],
                      sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(body.encode()).hexdigest()[:REVISION_LENGTH]


def _merged(record: dict, answers: dict) -> dict:
    merged = {**record["answers"], **answers}
    return {k: v for k, v in merged.items() if v}


def save_on(store, inspection_id: str, answers: dict, base: str) -> tuple[dict | None, str]:
    """Merge ``answers`` into the inspection only if it is still at revision ``base`` (one atomic write).

    (record, "") when saved or when the same answers are already stored; (the record as it is, reason) when
    the inspection changed since ``base`` (``CHANGED``) or can no longer be edited (``CLOSED``).
    """
    refused: list[str] = []

    def change(record):
        if record["status"] not in EDITABLE:
            refused.append(CLOSED)
            return None
        merged = _merged(record, answers)
        if revision(record) != base:
            if merged != record["answers"]:
                refused.append(CHANGED)
            return None  # changed since, or a repeat of what is already stored
        return {**record, "answers": merged, "updated_at": utcnow()}
    saved = store.inspections.modify(inspection_id, change)
    return (saved or store.inspections.get(inspection_id)), (refused[0] if refused else "")


def keep_phone(store, inspection_id: str, answers: dict, base: str) -> tuple[dict | None, str]:
    """The inspector chose the phone's answers: saved on top of the inspection as the conflict page showed it
    (``base`` is that page's revision), so a change made after the page was shown is again a conflict."""
    return save_on(store, inspection_id, answers, base)


def sides(checklist: Checklist, record: dict) -> list[dict]:
    """What the conflict page shows per section: each question with the server's answer in words, and the
    words of every option so the page's script can write the phone's answers the same way."""
    out = []
    for section in checklist.sections:
        rows = []
        for item in section.items:
            labels = dict(item.options) if item.options else {}
            if item.type == "yes_no":
                labels = {"ya": "Ya", "tidak": "Tidak"}
            answer = record.get("answers", {}).get(item.id) or {}
            value = answer.get("value")
            values = value if isinstance(value, list) else ([value] if value not in (None, "") else [])
            rows.append({"id": item.id, "question": item.question, "type": item.type, "labels": labels,
                         "server": ", ".join(labels.get(str(v), str(v)) for v in values),
                         "server_values": [str(v) for v in values],
                         "server_note": answer.get("note", "")})
        out.append({"id": section.id, "title": section.title, "items": rows})
    return out
