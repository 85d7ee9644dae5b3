"""The oversight state, written where it changes: per LKS the first-sent time of its latest approved
inspection, and the inspections with an open critical finding.

A decision writes it (``note_decision``, from ``review.decide`` and the ``review.decided`` event); a
critical inspection's event opens its finding (``events``). A data folder from before the state was kept
is filled once from every month of the review index: by its first decision, or by ``flask store repair``
(``flask index rebuild``).
Until then the dashboard reads the whole index instead; it never writes.
"""

from __future__ import annotations

CLOSING = ("approved", "rejected")  # decisions after which a critical finding is no longer open


def latest_approved(rows: list[dict], owner: dict[str, str]) -> dict[str, str]:
    """{lks id: first-sent time of its latest approved inspection} from index rows (``owner``: an LKS merged
    into another counts for that one)."""
    found: dict[str, str] = {}
    for row in rows:
        if row["status"] == "approved" and row.get("first_submitted_at"):
            lks_id = owner.get(row["lks_id"], row["lks_id"])
            if row["first_submitted_at"] > found.get(lks_id, ""):
                found[lks_id] = row["first_submitted_at"]
    return found


def owners(every_lks: list[dict]) -> dict[str, str]:
    """{lks id: the id it counts for}: its own, or the one it was merged into."""
    return {lks["id"]: lks.get("merged_into") or lks["id"] for lks in every_lks}


def fill(store) -> None:
    """Fill the latest approved inspections from every month of the review index, and mark the state built."""
    rows = store.review_index.rows("000000", "999912")
    store.notifications.note_inspected(latest_approved(rows, owners(store.lks.all())), built=True)


def note_decision(store, row: dict) -> None:
    """What a decision changes (``row``: the inspection's review index row, as decided)."""
    _, built = store.notifications.inspected()
    if not built:
        fill(store)  # the row is in the index already
    elif row["status"] == "approved" and row.get("first_submitted_at"):
        store.notifications.note_inspected({row["lks_id"]: row["first_submitted_at"]})
    if row["status"] in CLOSING:
        store.notifications.critical_closed([row["id"]])


def last_inspected(store, window: list[dict], owner: dict[str, str]) -> dict[str, str]:
    """{lks id: first-sent time of its latest approved inspection}, read only: the state, with the window's
    rows on top (a decision whose state write was cut short); the whole index while the state is not built."""
    known, built = store.notifications.inspected()
    rows = window if built else store.review_index.rows("000000", "999912")
    last: dict[str, str] = {}
    for found in (known, latest_approved(rows, owner)):
        for lks_id, at in found.items():
            target = owner.get(lks_id, lks_id)
            last[target] = max(last.get(target, ""), at)
    return last
