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
