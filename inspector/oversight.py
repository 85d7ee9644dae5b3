"""What the reviewer watches: overdue and never-inspected LKS, counts per kecamatan, open critical findings,
long waits; and each account's in-app alerts, read and marked read.

Read from the review index (the months within the window, and the pending
set), the LKS register and the small oversight state (``oversight_state``:
each LKS's latest approved inspection; inspections with an open critical
finding), so the cost follows the window, the register and the backlog, not
the whole history. Building the dashboard writes nothing: the state is
written where it changes.

An inspection counts from the time it was first sent, and an LKS merged into
another counts for the one it was merged into.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from . import timefmt
from . import review
from .oversight_state import last_inspected, owners
from .places import KECAMATAN
from .timefmt import stored_time

OPEN = ("submitted", "returned")
ALERTED = ("reviewer", "inspector", "admin")  # the roles that receive in-app alerts (admins: about the data)


@dataclass
class Dashboard:
    """The figures of one dashboard; lists hold LKS records or review index rows."""

    now: datetime
    overdue_days: int
    waiting_days: int
    overdue: list[dict] = field(default_factory=list)  # {"lks", "last"} oldest inspection first
    never: list[dict] = field(default_factory=list)  # LKS records
    critical: list[dict] = field(default_factory=list)  # index rows, oldest first
    waiting_long: list[dict] = field(default_factory=list)  # index rows, oldest first
    per_kecamatan: list[dict] = field(default_factory=list)
    totals: dict = field(default_factory=dict)


def _month(moment: datetime) -> str:
    return f"{moment.year:04d}{moment.month:02d}"


def build(store, overdue_days: int = 90, waiting_days: int = 7, now: datetime | None = None,
          kecamatan: str = "", damaged: list | None = None) -> Dashboard:
    """The dashboard as of ``now``; ``kecamatan`` narrows the lists, not the per-kecamatan counts.

    With ``damaged`` (a list), inspections and summaries that cannot be read are left out and noted there."""
    now = now or timefmt.now()
    board = Dashboard(now=now, overdue_days=overdue_days, waiting_days=waiting_days)
    cutoff = now - timedelta(days=overdue_days)
    every_lks = store.lks.all()
    by_id = {lks["id"]: lks for lks in every_lks}
    window = store.review_index.rows(_month(cutoff), "999912", damaged)
    last = last_inspected(store, window, owners(every_lks))

    pending = review.queue(store, "submitted", damaged=damaged)  # confirmed against each inspection
    watched = [lks for lks in every_lks if lks.get("active") and not lks.get("provisional")]
    counts = {name: {"kecamatan": name, "lks": 0, "overdue": 0, "never": 0, "waiting": 0} for name in KECAMATAN}

    def count(name: str) -> dict:
        return counts.setdefault(name or "", {"kecamatan": name or "", "lks": 0, "overdue": 0, "never": 0,
                                              "waiting": 0})

    for lks in sorted(watched, key=lambda l: (l.get("kecamatan", ""), l["name"].lower())):
        row = count(lks.get("kecamatan", ""))
        row["lks"] += 1
        at = stored_time(last.get(lks["id"]))
        if at is None:
            row["never"] += 1
            if not kecamatan or lks.get("kecamatan") == kecamatan:
                board.never.append(lks)
        elif at < cutoff:
            row["overdue"] += 1
            if not kecamatan or lks.get("kecamatan") == kecamatan:
                board.overdue.append({"lks": lks, "last": last[lks["id"]]})
    board.overdue.sort(key=lambda item: item["last"])

    waited = now - timedelta(days=waiting_days)
    for row in pending:
        count(row["kecamatan"])["waiting"] += 1
        sent = stored_time(row["submitted_at"])
        if sent is not None and sent < waited and (not kecamatan or row["kecamatan"] == kecamatan):
            board.waiting_long.append(row)
    board.waiting_long.sort(key=lambda r: r["submitted_at"] or "")

    board.critical = [r for r in _open_critical(store, pending, window, damaged)
                      if not kecamatan or r["kecamatan"] == kecamatan]
    for row in board.critical + board.waiting_long:
        row["lks"] = by_id.get(row["lks_id"], {})
    board.per_kecamatan = [row for row in counts.values() if row["lks"] or row["waiting"] or row["kecamatan"]]
    board.totals = {key: sum(row[key] for row in board.per_kecamatan) for key in ("lks", "overdue", "never", "waiting")}
    return board


def _open_critical(store, pending: list[dict], window: list[dict], damaged: list | None = None) -> list[dict]:
    """Waiting or returned inspections with a critical finding: the pending set, the window's months, and
    the ones the state holds open (which reach back before the window), each confirmed against its record."""
    found = {r["id"]: r for r in pending if r["critical"]}
    found.update({r["id"]: r for r in window if r["critical"] and r["status"] == "returned" and r["id"] not in found})
    unseen = [i for i in dict.fromkeys(store.notifications.open_critical()) if i not in found]
    records = {r["id"]: r for r in store.inspections.peek_many(unseen, damaged)}
    lks_by_id = {lks["id"]: lks for lks in store.lks.all()} if records else {}
    for inspection_id in unseen:
        record = records.get(inspection_id)
        if record is not None and record["status"] in OPEN and record.get("critical"):
            found[inspection_id] = review.index_row(store, record, lks_by_id)
    return sorted(found.values(), key=lambda r: r["submitted_at"] or "")


def read_all_alerts(store, user_id: str) -> int:
    """Mark every alert of the account read; returns how many were unread."""
    return store.notifications.mark_read(user_id)


def read_alert(store, user_id: str, alert_id: str) -> dict | None:
    """Mark one alert of the account read; the alert, or None when the account has no such alert."""
    alert = store.notifications.get_alert(user_id, alert_id) if alert_id else None
    if alert is not None:
        store.notifications.mark_read(user_id, alert_id)
    return alert
