"""Alerts about the data itself, for every active admin: a damaged file, a failed store check, little free space.

One alert is open per (kind, subject): raised again while it is open, it is not repeated; closed when its cause
is gone (a check that passes, space freed), so that the next fault alerts again. Raising never raises into the
caller: it runs when something is already wrong, and an alert that cannot be stored is logged instead. Neither
the subject nor the text may hold personal data: a file of the data folder, a record id, a figure.
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)

# Kinds of alert about the data: codes in data, their Indonesian headings on the admin's pages.
KINDS = {
    "damage": "Data rusak",
    "check": "Pemeriksaan data menemukan masalah",
    "disk": "Ruang penyimpanan hampir habis",
}


def raise_alert(store, kind: str, subject: str, text: str = "") -> bool:
    """Open an alert of ``kind`` about ``subject`` and tell every active admin once: True when newly opened.

    An unknown kind is a programming error and raises ValueError; a store that cannot keep the alert is logged.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown health alert kind {kind}")
    try:
        if not store.notifications.health_opened(kind, subject, text):
            return False
        admins = [u["id"] for u in store.users.all() if u.get("role") == "admin" and u.get("active")]
        store.notifications.add(admins, {"kind": "health", "health": kind, "subject": subject, "text": text})
    except Exception:
        log.exception("health alert %s about %s could not be stored", kind, subject)
        return False
    log.warning("health alert %s opened about %s", kind, subject)
    return True


MONTH_NAMES = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
               "November", "Desember")


def _month_label(period: str) -> str:
    """'Desember 2026' for 202612; a year (2026) as it is."""
    if len(period) == 6 and period.isdigit() and 1 <= int(period[4:]) <= 12:
        return f"{MONTH_NAMES[int(period[4:]) - 1]} {period[:4]}"
    return period


def what_is_missing(damage, lks_names: dict[str, str]) -> str:
    """What a damaged place held, in the words of the page (never the file's path: that is for the admin)."""
    part, period = getattr(damage, "part", ""), _month_label(getattr(damage, "period", ""))
    if part == "inspections":
        return f"{lks_names.get(damage.lks_id) or 'LKS ' + damage.lks_id}, {period}"
    if part == "review_pending":
        return "daftar pengajuan yang menunggu tinjauan (ditampilkan dari ringkasan bulanan)"
    if part == "review_month":
        return f"ringkasan pengajuan {period}"
    if part == "inspector_index":
        return f"daftar inspeksi Anda tahun {period}"
    return "sebagian berkas data"


def contain(store, damaged: list) -> list[str]:
    """The damage a page met while listing the rest: each file logged and alerted once; the lines to show."""
    seen: dict[str, object] = {}
    for damage in damaged:
        seen.setdefault(damage.where, damage)
    if not seen:
        return []
    try:
        lks_names = {lks["id"]: lks["name"] for lks in store.lks.all()}
    except Exception:  # the register itself may be what is damaged: name the LKS by id
        lks_names = {}
    notes = []
    for where, damage in seen.items():
        log.error("damaged data skipped, the rest listed: %s: %s", where, damage.why)
        raise_alert(store, "damage", where, damage.why)
        notes.append(f"Sebagian data tidak dapat dibaca: {what_is_missing(damage, lks_names)}. "
                     "Admin sudah diberi tahu.")
    return notes


def close_alert(store, kind: str, subject: str | None = None) -> None:
    """The cause is gone: close the open alert of ``kind`` about ``subject`` (None: every one of that kind)."""
    try:
        store.notifications.health_closed(kind, subject)
    except Exception:
        log.exception("health alert %s about %s could not be closed", kind, subject)


def open_alerts(store) -> list[dict]:
    """Open alerts about the data, newest first, each with its Indonesian heading (``title``)."""
    found = store.notifications.health_open()
    return [{**a, "title": KINDS.get(a["kind"], a["kind"])} for a in sorted(found, key=lambda a: a["at"], reverse=True)]
