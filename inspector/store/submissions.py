"""Submissions, partitioned by LKS and year so no write or history read touches the whole archive.

A submission id carries its partition (``<lks id>-<year>-<random>``), so a
lookup by id opens exactly one small file.
"""

from __future__ import annotations

import re
from pathlib import Path

from .engine import Partition
from .records import Record, RecordTable, new_id, utcnow

_ID = re.compile(r"^(l[0-9a-f]{12})-(\d{4})-([0-9a-f]{12})$")


class SubmissionStore:
    """Inspection submissions of every LKS."""

    def __init__(self, root: Path):
        self.root = root / "submissions"

    def _table(self, lks_id: str, year: str) -> RecordTable:
        return RecordTable(Partition(self.root / lks_id / f"{year}.json"), "submissions")

    def new_id(self, lks_id: str, year: str) -> str:
        return f"{lks_id}-{year}-{new_id()}"

    def insert(self, record: Record) -> Record:
        """Store a new submission; fills id and created_at when missing."""
        record.setdefault("created_at", utcnow())
        year = record["created_at"][:4]
        record.setdefault("id", self.new_id(record["lks_id"], year))
        lks_id, id_year = self._locate(record["id"])
        return self._table(lks_id, id_year).insert(record)

    def get(self, submission_id: str) -> Record | None:
        located = self._locate(submission_id)
        return self._table(*located).get(submission_id) if located else None

    def for_lks(self, lks_id: str) -> list[Record]:
        """Every submission of one LKS, newest first."""
        folder = self.root / lks_id
        if not _ID.match(f"{lks_id}-2000-{'0' * 12}") or not folder.is_dir():
            return []
        records: list[Record] = []
        for path in sorted(folder.glob("*.json"), reverse=True):
            records.extend(self._table(lks_id, path.stem).all())
        records.sort(key=lambda r: r["created_at"], reverse=True)
        return records

    def _locate(self, submission_id: str) -> tuple[str, str] | None:
        match = _ID.match(submission_id or "")
        return (match.group(1), match.group(2)) if match else None
