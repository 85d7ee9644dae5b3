"""Concerns the public reported about an LKS: one partition, apart from every inspection record.

``<data>/concerns.json``, table ``concerns``. A record: ``id``, ``lks_id``,
``created_at``, ``what``, ``when``, ``contact``, ``form_token`` (the one-time
token of the form it came from: a second tap on "Kirim" finds it and stores
nothing), ``status`` ("open" or "handled"), ``handled_at``, ``handled_by``,
``handled_note``. No client address is ever stored here.
"""

from __future__ import annotations

import re
from contextlib import nullcontext
from pathlib import Path
from typing import Callable

from tinydb import Query

from .contract.outbox import Announcement
from .engine import Partition
from .outbox import OutboxStore
from .records import Record, RecordTable, new_id

_CONCERN_ID = re.compile(r"^c[0-9a-f]{12}$")
TABLE = "concerns"


class ConcernStore:
    """Public concerns keyed by id, in one small file."""

    def __init__(self, root: Path, outbox: OutboxStore | None = None):
        self.partition = Partition(root / "concerns.json")
        self.records = RecordTable(self.partition, TABLE)
        self.outbox = outbox or OutboxStore(root)

    @staticmethod
    def new_id() -> str:
        return new_id("c")

    def add_once(self, record: Record, announce: Announcement | None = None) -> tuple[Record, bool]:
        """Store ``record`` unless one from the same form is stored already: (the stored one, whether new).

        The check and the insert share one lock, so two posts of one form racing each other store one record.
        What ``announce`` builds for a new record goes into the outbox table of the same file, in the same write.
        """
        with self.outbox.staging(self.partition, announce) if announce is not None else nullcontext(), \
                self.partition.transaction() as db:
            table = db.table(TABLE)
            existing = table.get(Query().form_token == record["form_token"])
            if existing is not None:
                return dict(existing), False
            table.insert(record)
            self.outbox.stage(db, announce, record)
        return record, True

    def get(self, concern_id: str) -> Record | None:
        if not _CONCERN_ID.fullmatch(concern_id or ""):
            return None
        return self.records.get(concern_id)

    def by_token(self, form_token: str) -> Record | None:
        """The report sent from the form with this one-time token, if any."""
        doc = self.partition.reader().table(TABLE).get(Query().form_token == form_token)
        return dict(doc) if doc is not None else None

    def all(self) -> list[Record]:
        """Every concern, newest first."""
        return sorted(self.records.all(), key=lambda r: r["created_at"], reverse=True)

    def open_count(self) -> int:
        return sum(1 for doc in self.partition.reader().table(TABLE).all() if doc.get("status") == "open")

    def modify(self, concern_id: str, change: Callable[[Record], Record | None]) -> Record | None:
        """Read, change and write one concern under the lock (``change`` may veto with None)."""
        if not _CONCERN_ID.fullmatch(concern_id or ""):
            return None
        return self.records.modify(concern_id, change)
