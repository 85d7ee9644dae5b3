"""The canonical digest of a stored record and of a photo, and what the audit chain says must exist.

A record's digest is the SHA-256 of ``json.dumps(record, sort_keys=True, separators=(",", ":"),
ensure_ascii=False)`` of the record without its volatile fields (``VOLATILE``: counters and session
versions that change without the record's content changing); a photo's is the SHA-256 of its file's bytes.
The audit chain carries digests, never content, in one key of an entry's details, ``digests``: a list of
traces ``<kind>:<id>:<sha256>`` (``-`` instead of the digest when the record or photo is gone); a photo's
id is ``<owner>/<photo id>``.

``trail_state`` reads the chain alone and lists every record that must exist and its current digest (the
latest trace wins; a record an entry names without a trace must exist, its digest unknown). That is what
``store check`` holds the data folder against, and what the tamper marks compare one record with.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Iterable

# Record kinds that are evidence: each stored version of one is traced in the chain.
EVIDENCE = ("inspection", "lks", "user", "followup", "concern")
PHOTO = "photo"
GONE = "-"
# Fields left out of a record's digest: they change without its content changing.
VOLATILE = {
    # how many sends were announced (set right after a send, before its entry), and the form's secret key,
    # which is not evidence and never leaves the server: the digest can be recomputed from an evidence bundle
    "inspection": ("announced", "inspection_key"),
    # bumped by every sign-out; and the second factor's state, which every code, recovery code or enrolment step
    # moves (its changes are audited as actions of their own, not as new versions of the account)
    "user": ("session_version", "totp_secret", "totp_last_step", "totp_pending", "totp_enrolled_at",
             "recovery_hashes"),
}
# Actions whose target is removed by them (the record must no longer exist).
REMOVALS = ("draft_discarded",)
KEY = "digests"


def canonical(record: dict, kind: str) -> bytes:
    """The bytes a record's digest is taken over."""
    body = {k: v for k, v in record.items() if k not in VOLATILE.get(kind, ())}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def record_digest(record: dict, kind: str) -> str:
    """SHA-256 of the record's canonical serialisation."""
    return hashlib.sha256(canonical(record, kind)).hexdigest()


def checklist_digest(source: dict) -> str:
    """The digest a checklist definition is archived by: its key, so an archived version proves itself."""
    return hashlib.sha256(json.dumps(source, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]


def file_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def trace(kind: str, record_id: str, digest: str | None) -> str:
    """One trace for an entry's ``digests``: the record's (or photo's) digest, or ``-`` when it is gone."""
    return f"{kind}:{record_id}:{digest or GONE}"


def photo_ref(owner: str, photo_id: str) -> str:
    return f"{owner}/{photo_id}"


def parse_trace(text) -> tuple[str, str, str] | None:
    """(kind, id, digest or '-') of one trace; None for anything else."""
    if not isinstance(text, str):
        return None
    kind, _, rest = text.partition(":")
    record_id, _, digest = rest.rpartition(":")
    if kind not in (*EVIDENCE, PHOTO) or not record_id or not (digest == GONE or len(digest) == 64):
        return None
    return kind, record_id, digest


@dataclass
class TrailState:
    """What the chain says must exist: {(kind, id): digest, or None when no trace gives it}; photos alike."""

    records: dict[tuple[str, str], str | None] = field(default_factory=dict)
    photos: dict[tuple[str, str], str] = field(default_factory=dict)
    # Where each record's latest trace was written: (kind, id) -> seq of the entry.
    seen_at: dict[tuple[str, str], int] = field(default_factory=dict)

    def expected(self, kind: str, record_id: str) -> str | None:
        return self.records.get((kind, record_id))

    def photos_of(self, owner: str) -> dict[str, str]:
        return {photo: digest for (who, photo), digest in self.photos.items() if who == owner}


def apply(state: TrailState, entry: dict) -> None:
    """Fold one audit entry into the state (entries must come oldest first)."""
    details = entry.get("details") if isinstance(entry.get("details"), dict) else {}
    target_kind, target_id = entry.get("target_kind"), entry.get("target_id")
    if target_kind == "submission":  # the code of an earlier version
        target_kind = "inspection"
    if target_kind in EVIDENCE and isinstance(target_id, str) and target_id:
        key = (target_kind, target_id)
        if entry.get("action") in REMOVALS:
            state.records.pop(key, None)
            for photo in [p for p in state.photos if p[0] == target_id]:
                del state.photos[photo]
        else:
            state.records.setdefault(key, None)
    if entry.get("action") == "lks_imported":
        for lks_id in _listed(details.get("lks_ids")):
            if isinstance(lks_id, str):
                state.records.setdefault(("lks", lks_id), None)
    for text in _listed(details.get(KEY)):
        parsed = parse_trace(text)
        if parsed is None:
            continue
        kind, record_id, digest = parsed
        if kind == PHOTO:
            owner, _, photo_id = record_id.partition("/")
            if digest == GONE:
                state.photos.pop((owner, photo_id), None)
            else:
                state.photos[(owner, photo_id)] = digest
        elif digest == GONE:
            state.records.pop((kind, record_id), None)
        else:
            state.records[(kind, record_id)] = digest
            state.seen_at[(kind, record_id)] = entry.get("seq", 0)


def _listed(value) -> list:
    return value if isinstance(value, list) else []


def trail_state(entries: Iterable[dict]) -> TrailState:
    """Every record and photo the chain says must exist, with its current digest, from entries oldest first."""
    state = TrailState()
    for entry in entries:
        apply(state, entry)
    return state
