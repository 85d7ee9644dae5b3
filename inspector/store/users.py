"""Accounts: one small partition holding every user record."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from .engine import Partition
from .records import Record, RecordTable, new_id
from ..timefmt import utcnow


class UserStore(RecordTable):
    """User accounts keyed by id; usernames are unique, compared lower-case."""

    def __init__(self, root: Path):
        super().__init__(Partition(root / "users.json"), "users")

    # The record table's methods under the parameter names of the contract.
    def get(self, user_id: str) -> Record | None:
        return super().get(user_id)

    def update(self, user_id: str, changes: Record) -> Record | None:
        return super().update(user_id, changes)

    def modify(self, user_id: str, change: Callable[[Record], Record | None]) -> Record | None:
        return super().modify(user_id, change)

    def by_username(self, username: str) -> Record | None:
        wanted = username.strip().lower()
        found = self.find(lambda doc: doc.get("username") == wanted)
        return found[0] if found else None

    def create(self, **fields) -> Record:
        """Insert a new account; raises ValueError when the username is taken."""
        record = {"id": new_id("u"), "created_at": utcnow(), "session_version": 1, "active": True, **fields}
        record["username"] = record["username"].strip().lower()
        with self.partition.transaction() as db:
            table = db.table(self.table)
            if any(doc.get("username") == record["username"] for doc in table.all()):
                raise ValueError("username taken")
            table.insert(record)
        return record

    def count(self) -> int:
        return len(self.partition.reader().table(self.table))
