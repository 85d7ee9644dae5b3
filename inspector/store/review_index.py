"""Indexes of submitted inspections for the review queue: the pending set, and one summary file per month.

The pending index holds only what waits for review (bounded by the backlog,
not by history); the monthly summaries hold one row per inspection, by the
month it was first sent, so a date-range filter reads only those months.
A row is added to the pending index *before* its inspection is marked
submitted, and removed *after* it leaves that state: a crash in between
leaves an extra row (readers confirm rows against the inspection), never a
missing one. ``rebuild`` recreates both from the inspections themselves.
A damaged index file raises ``DataDamaged`` naming it (``review_pending``, ``review_month``); ``rows`` and
``stream_rows`` given a ``damaged`` list skip a damaged month and note it there.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

from tinydb import Query

from .contract.kinds import DataDamaged, skip_or_raise
from .engine import Partition


class ReviewIndex:
    """Summary rows of inspections, for the queue and its filters."""

    def __init__(self, root: Path):
        self.root = root / "index"
        self.pending = Partition(self.root / "pending.json")

    def _month(self, month: str) -> Partition:
        if not (len(month) == 6 and month.isdigit()):
            raise ValueError("bad month")
        return Partition(self.root / "months" / f"{month}.json")

    @staticmethod
    def _upsert(partition: Partition, row: dict) -> None:
        with partition.transaction() as db:
            db.table("rows").upsert(row, Query().id == row["id"])

    def mark_pending(self, row: dict) -> None:
        self._upsert(self.pending, row)

    def clear_pending(self, inspection_id: str) -> None:
        with self.pending.transaction() as db:
            db.table("rows").remove(Query().id == inspection_id)

    def put(self, row: dict) -> None:
        """Record the current state of one inspection in its month's summary."""
        month = row["first_submitted_at"][:4] + row["first_submitted_at"][5:7]
        self._upsert(self._month(month), row)

    def put_missing(self, row: dict) -> bool:
        """Add an inspection's row to its month's summary if none is there (a sending cut short by a crash).

        Never replaces a row, which may hold a later state. Returns whether it added one.
        """
        month = self._month(row["first_submitted_at"][:4] + row["first_submitted_at"][5:7])
        if any(r["id"] == row["id"] for r in month.reader().table("rows").all()):
            return False
        with month.transaction() as db:
            rows = db.table("rows")
            if rows.contains(Query().id == row["id"]):
                return False
            rows.insert(row)
        return True

    def pending_rows(self) -> list[dict]:
        try:
            return [dict(r) for r in self.pending.reader().table("rows").all()]
        except DataDamaged as error:
            raise error.about("review_pending")

    def months(self) -> list[str]:
        folder = self.root / "months"
        return sorted(p.stem for p in folder.glob("*.json")) if folder.is_dir() else []

    def rows(self, month_from: str, month_to: str, damaged: list[DataDamaged] | None = None) -> list[dict]:
        """Every row of the months from ``month_from`` to ``month_to`` (yyyymm, inclusive)."""
        found = []
        for month in self.months():
            if month_from <= month <= month_to:
                try:
                    found.extend(dict(r) for r in self._month(month).reader().table("rows").all())
                except DataDamaged as error:
                    skip_or_raise(error.about("review_month", period=month), damaged)
        return found

    def stream_rows(self, month_from: str, month_to: str,
                    damaged: list[DataDamaged] | None = None) -> Iterator[dict]:
        """The rows of ``rows``, lazily, one month at a time and none into the shared cache (an export)."""
        for month in self.months():
            if month_from <= month <= month_to:
                try:
                    data = self._month(month).read_once()
                except DataDamaged as error:
                    skip_or_raise(error.about("review_month", period=month), damaged)
                    continue
                yield from (data.get("rows") or {}).values()

    def rebuild(self, rows: list[dict]) -> None:
        """Replace every index with these rows (from a scan of all inspections)."""
        by_month: dict[str, list[dict]] = {}
        for row in rows:
            by_month.setdefault(row["first_submitted_at"][:4] + row["first_submitted_at"][5:7], []).append(row)
        for month in set(self.months()) | set(by_month):
            with self._month(month).transaction() as db:
                db.table("rows").truncate()
                db.table("rows").insert_multiple(by_month.get(month, []))
        with self.pending.transaction() as db:
            db.table("rows").truncate()
            db.table("rows").insert_multiple([r for r in rows if r["status"] == "submitted"])
