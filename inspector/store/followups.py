"""Follow-ups (tindak lanjut) of an LKS's findings: one partition per LKS, apart from the approved inspections.

An approved inspection is never edited: what the LKS did about a finding,
and the reviewer's acceptance of it, live here, in ``followups/<lks id>.json``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Callable

from .engine import Partition
from .records import Record, RecordTable, new_id

_LKS_ID = re.compile(r"^l[0-9a-f]{12}$")
_FOLLOWUP_ID = re.compile(r"^f[0-9a-f]{12}$")


class FollowupStore:
    """Follow-up records keyed by id, one small file per LKS."""

    def __init__(self, root: Path):
        self.root = root / "followups"

    def _table(self, lks_id: str) -> RecordTable:
        if not _LKS_ID.fullmatch(lks_id or ""):
            raise ValueError("bad lks id")
        return RecordTable(Partition(self.root / f"{lks_id}.json"), "followups")

    @staticmethod
    def new_id() -> str:
        """A fresh follow-up id; also the folder its photo is stored under."""
        return new_id("f")

    def insert(self, lks_id: str, record: Record) -> Record:
        return self._table(lks_id).insert(record)

    def get(self, lks_id: str, followup_id: str) -> Record | None:
        if not _FOLLOWUP_ID.fullmatch(followup_id or "") or not _LKS_ID.fullmatch(lks_id or ""):
            return None
        return self._table(lks_id).get(followup_id)

    def for_lks(self, lks_id: str) -> list[Record]:
        """Every follow-up of one LKS, oldest first."""
        if not _LKS_ID.fullmatch(lks_id or ""):
            return []
        return sorted(self._table(lks_id).all(), key=lambda r: r["at"])

    def for_inspection(self, lks_id: str, inspection_id: str) -> list[Record]:
        """The follow-ups of one inspection's findings, oldest first."""
        return [r for r in self.for_lks(lks_id) if r["inspection_id"] == inspection_id]

    def modify(self, lks_id: str, followup_id: str, change: Callable[[Record], Record | None]) -> Record | None:
        """Read, change and write one follow-up under its partition's lock (``change`` may veto with None)."""
        if not _FOLLOWUP_ID.fullmatch(followup_id or "") or not _LKS_ID.fullmatch(lks_id or ""):
            return None
        return self._table(lks_id).modify(followup_id, change)
