"""Evidence that proves itself: which writes leave a digest in the audit chain, and the marks of a mismatch.

Every audit entry of an action that writes an evidence record (``WRITES``) carries the digest of each record
and photo that write changed (``store.digests``: the digest, never the content), taken while the entry is
chained, so the chain's latest trace of a record is its current version. Evidence is: inspections (every
stored version from the start, every send and decision), LKS register entries, accounts, follow-ups and
concerns from the public, and every photo of an inspection or a follow-up. The checklist archive is
addressed by the digest of each definition, so it proves itself without the chain. Alerts, webhook
deliveries, the oversight state, sign-in throttling and the indexes are derived or operational, not evidence.

``marks`` compares one inspection (and its photos) with the chain, for the review page, the print report and
the evidence bundle: a mismatch is shown, never hidden.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .store import digests

# Shown wherever a record or photo does not match the chain.
MISMATCH_TEXT = "Tidak cocok dengan jejak audit: data ini mungkin diubah di luar Inspector"
# action -> the kind of its target whose new version it records.
WRITES = {
    **dict.fromkeys(("account_created", "account_changed", "password_changed", "password_reset",
                     "account_disabled", "account_enabled"), "user"),
    **dict.fromkeys(("lks_created", "lks_changed", "lks_deactivated", "lks_activated", "lks_reported",
                     "lks_confirmed", "lks_merged", "lks_rejected", "lks_imported"), "lks"),
    **dict.fromkeys(("inspection_started", "draft_saved", "draft_discarded", "submitted", "resubmitted", "approved",
                     "returned", "rejected", "bulk_approved", "comment_added", "addendum_added"), "inspection"),
    **dict.fromkeys(("followup_added", "followup_accepted"), "followup"),
    **dict.fromkeys(("concern_received", "concern_handled"), "concern"),
}
SENDS = ("submitted", "resubmitted")


def _record(store, kind: str, record_id: str, details: dict) -> dict | None:
    if kind == "inspection":
        return store.inspections.get(record_id)
    if kind == "lks":
        return store.lks.get(record_id)
    if kind == "user":
        return store.users.get(record_id)
    if kind == "concern":
        return store.concerns.get(record_id)
    return store.followups.get(details.get("lks_id") or "", record_id)


def _trace(store, kind: str, record_id: str, details: dict, action: str) -> str | None:
    """The record's trace now; ``-`` when the action removed it; None when there is no such record."""
    record = _record(store, kind, record_id, details)
    if record is None:
        return digests.trace(kind, record_id, None) if action in digests.REMOVALS else None
    return digests.trace(kind, record_id, digests.record_digest(record, kind))


def traces(store, action: str, target_id: str | None, details: dict | None):
    """A function giving the traces ``action``'s entry carries (for ``store.audit.append``), or None."""
    kind = WRITES.get(action)
    if kind is None:
        return None
    details = details or {}

    def found() -> list[str]:
        ids = {"followup": [details.get("followup_id")], "lks": [target_id, details.get("into_id"),
                                                                *(details.get("lks_ids") or [])]}.get(kind, [target_id])
        out = [t for i in dict.fromkeys(ids) if isinstance(i, str) and i
               for t in [_trace(store, kind, i, details, action)] if t]
        if kind == "inspection" and target_id:
            out += _inspection_photos(store, action, target_id, details)
        if kind == "followup" and details.get("followup_id"):
            followup = store.followups.get(details.get("lks_id") or "", details["followup_id"])
            photo = (followup or {}).get("photo") or {}
            if photo.get("id"):
                out.append(digests.trace("photo", digests.photo_ref(followup["id"], photo["id"]), photo.get("sha256")))
        return out
    return found


def _inspection_photos(store, action: str, inspection_id: str, details: dict) -> list[str]:
    """Traces of the photos this write added or removed; on a send, of every photo it sent."""
    removed = details.get("photo_removed")
    if isinstance(removed, str):
        return [digests.trace("photo", digests.photo_ref(inspection_id, removed), None)]
    if action not in SENDS and not details.get("photo"):
        return []
    record = store.inspections.get(inspection_id) or {}
    return [digests.trace("photo", digests.photo_ref(inspection_id, p["id"]), p.get("sha256"))
            for p in record.get("photos", []) if action in SENDS or p["id"] == details.get("photo")]


@dataclass
class Marks:
    """What of one inspection does not match the chain: the record itself, and which photos."""

    record: bool = False
    photos: set[str] = field(default_factory=set)
    text: str = MISMATCH_TEXT

    def __bool__(self) -> bool:
        return self.record or bool(self.photos)


def latest_traces(store, inspection_id: str) -> tuple[str | None, dict[str, str]]:
    """(the chain's latest digest of the inspection, {photo id: the chain's latest digest}), read newest first."""
    record_digest, photos, gone = None, {}, set()
    for entry in store.audit.stream(newest_first=True):
        if entry.get("target_id") != inspection_id:
            continue
        for text in (entry.get("details") or {}).get(digests.KEY) or []:
            parsed = digests.parse_trace(text)
            if parsed is None:
                continue
            kind, ref, digest = parsed
            if kind == "inspection" and ref == inspection_id and record_digest is None:
                record_digest = digest
            elif kind == "photo" and ref.startswith(inspection_id + "/"):
                photo_id = ref.split("/", 1)[1]
                if photo_id not in photos and photo_id not in gone:
                    (gone.add(photo_id) if digest == digests.GONE else photos.__setitem__(photo_id, digest))
        if entry.get("action") == "inspection_started":
            break  # nothing about it is older than its start
    return record_digest, photos


def marks(store, record: dict) -> Marks:
    """Compare a stored inspection and its photo files with the chain (a record never traced is not marked)."""
    expected, photo_digests = latest_traces(store, record["id"])
    found = Marks(record=expected is not None and expected != digests.record_digest(record, "inspection"))
    for photo in record.get("photos", []):
        data = store.photos.read(record["id"], photo["id"])
        actual = digests.file_digest(data) if data is not None else None
        wanted = {photo_digests.get(photo["id"]), photo.get("sha256")} - {None}
        if actual is None or any(actual != digest for digest in wanted):
            found.photos.add(photo["id"])
    return found
