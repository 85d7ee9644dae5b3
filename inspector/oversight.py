"""What the reviewer watches: overdue and never-inspected LKS, counts per kecamatan, open critical findings, long waits.

Read from the review index (the months within the window, and the pending
set), the LKS register and the small oversight state kept by ``events``
(each LKS's latest approved inspection; inspections with an open critical
finding), so the cost follows the window, the register and the backlog, not
the whole history. The one exception: the first dashboard on a data folder
fills the oversight state once from every month of the index.

An inspection counts from the time it was first sent (the inspection), and an
LKS merged into another counts for the one it was merged into.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from . import timefmt
from . import review
from .places import KECAMATAN
from .timefmt import stored_time

OPEN = ("submitted", "returned")


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


def latest_approved(rows: list[dict], owner: dict[str, str]) -> dict[str, str]:
    """{lks id: first-sent time of its latest approved inspection} from index rows."""
    found: dict[str, str] = {}
    for row in rows:
        if row["status"] == "approved" and row.get("first_submitted_at"):
            lks_id = owner.get(row["lks_id"], row["lks_id"])
            if row["first_submitted_at"] > found.get(lks_id, ""):
                found[lks_id] = row["first_submitted_at"]
    return found


def build(store, overdue_days: int = 90, waiting_days: int = 7, now: datetime | None = None,
          kecamatan: str = "") -> Dashboard:
    """The dashboard as of ``now``; ``kecamatan`` narrows the lists, not the per-kecamatan counts."""
    now = now or timefmt.now()
    board = Dashboard(now=now, overdue_days=overdue_days, waiting_days=waiting_days)
    cutoff = now - timedelta(days=overdue_days)
    register = store.lks.all()
    by_id = {lks["id"]: lks for lks in register}
    owner = {lks["id"]: lks.get("merged_into") or lks["id"] for lks in register}

    window = store.review_index.rows(_month(cutoff), "999912")
    known, built = store.notifications.inspected()
    if not built:  # once per data folder: what was approved before the events were recorded
        store.notifications.note_inspected(latest_approved(store.review_index.rows("000000", "999912"), owner),
                                           built=True)
    else:
        store.notifications.note_inspected(latest_approved(window, owner))  # heals decisions made elsewhere
    known, _ = store.notifications.inspected()
    last: dict[str, str] = {}
    for lks_id, at in known.items():
        target = owner.get(lks_id, lks_id)
        last[target] = max(last.get(target, ""), at)

    pending = review.queue(store, "submitted")  # confirmed against each inspection
    watched = [lks for lks in register if lks.get("active") and not lks.get("provisional")]
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

    board.critical = [r for r in _open_critical(store, pending, window) if not kecamatan or r["kecamatan"] == kecamatan]
    for row in board.critical + board.waiting_long:
        row["lks"] = by_id.get(row["lks_id"], {})
    board.per_kecamatan = [row for row in counts.values() if row["lks"] or row["waiting"] or row["kecamatan"]]
    board.totals = {key: sum(row[key] for row in board.per_kecamatan) for key in ("lks", "overdue", "never", "waiting")}
    return board


def _open_critical(store, pending: list[dict], window: list[dict]) -> list[dict]:
    """Waiting or returned inspections with a critical finding: the pending set, the window's months, and
    the ones the events marked open (which reach back before the window), each confirmed."""
    found = {r["id"]: r for r in pending if r["critical"]}
    found.update({r["id"]: r for r in window if r["critical"] and r["status"] == "returned" and r["id"] not in found})
    unseen = [i for i in dict.fromkeys(store.notifications.open_critical()) if i not in found]
    records = {r["id"]: r for r in store.inspections.peek_many(unseen)}
    register = {lks["id"]: lks for lks in store.lks.all()} if records else {}
    closed = []
    for inspection_id in unseen:
        record = records.get(inspection_id)
        if record is not None and record["status"] in OPEN and record.get("critical"):
            found[inspection_id] = review.index_row(store, record, register)
        else:
            closed.append(inspection_id)
    if closed:
        store.notifications.critical_closed(closed)
    return sorted(found.values(), key=lambda r: r["submitted_at"] or "")
