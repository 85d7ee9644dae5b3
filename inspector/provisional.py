"""LKS found in the field but not in the register: reported by an inspector as a provisional record with a
photo of its front, inspected at once, then confirmed, merged into a registered LKS or rejected by an admin.

Each move validates first and returns (record, errors or reason); the inspections made at a reported LKS
stay whatever the admin decides.
"""

from __future__ import annotations

from . import lks
from .photos import ProcessedPhoto
from .timefmt import utcnow

NOT_FOUND = "Kode LKS tujuan tidak ditemukan di daftar."


def report(store, raw: dict, front_photo: ProcessedPhoto | None, reporter_id: str,
           photo_reason: str | None = None) -> tuple[dict | None, dict[str, str]]:
    """Record a new LKS from the field with its front photo: (record, {}) or (None, {field: reason}).

    ``photo_reason`` is why the sent photo was refused, if it was; without a photo nothing is stored.
    """
    fields, errors = lks.clean({**raw, "code": ""})
    if photo_reason:
        errors["front_photo"] = photo_reason
    elif front_photo is None:
        errors["front_photo"] = "Foto bagian depan wajib diambil."
    if errors:
        return None, errors
    fields["code"] = lks.new_code(store.lks.codes())
    record = store.lks.create(**{**fields, "active": True, "registered": False, "provisional": True,
                                 "reported_by": reporter_id, "reported_at": utcnow()})
    photo_id = store.photos.save(record["id"], front_photo.jpeg, front_photo.thumb)
    record = store.lks.change(record["id"], {"front_photo": {
        "id": photo_id, "taken_at": front_photo.taken_at, "gps": list(front_photo.gps) if front_photo.gps else None,
        "sha256": front_photo.sha256}})
    return record, {}


def waiting(store) -> list[dict]:
    """The reported LKS still waiting for an admin, oldest report first."""
    return sorted((r for r in store.lks.all() if r.get("provisional")), key=lambda r: r["reported_at"])


def confirm(store, lks_id: str) -> dict | None:
    """The reported LKS joins the register as it is (the admin completes it next); its code stays."""
    return store.lks.change(lks_id, {"provisional": False, "confirmed_at": utcnow()})


def merge(store, lks_id: str, target_code: str) -> tuple[dict | None, str | None]:
    """The reported LKS is one already registered (``target_code``): its inspections count for that one.

    (the registered target, None) or (None, Indonesian reason).
    """
    target = store.lks.by_code(target_code) if target_code else None
    if target is None or target["id"] == lks_id or target.get("provisional"):
        return None, NOT_FOUND
    store.lks.change(lks_id, {"provisional": False, "active": False, "merged_into": target["id"],
                              "merged_at": utcnow()})
    return target, None


def reject(store, lks_id: str) -> dict | None:
    """The report is not an LKS to keep: it leaves the lists; the inspections made there stay stored."""
    return store.lks.change(lks_id, {"provisional": False, "active": False, "rejected_at": utcnow()})
