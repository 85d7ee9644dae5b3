"""Accounts: one small partition holding every user record."""

from __future__ import annotations

import copy
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

    def modify_among(self, user_id: str, change: Callable[[Record, list[Record]], Record | None]) -> Record | None:
        """``modify`` whose ``change`` also sees every account as it stands under the same lock."""
        with self.partition.transaction() as db:
            table = db.table(self.table)
            accounts = [copy.deepcopy(dict(doc)) for doc in table.all()]
            current = next((doc for doc in table.all() if doc.get("id") == user_id), None)
            if current is None:
                return None
            updated = change(copy.deepcopy(dict(current)), accounts)
            if updated is None:
                return None
            if updated.get("id") != user_id:
                raise ValueError(f"a change may not alter the id of {user_id}")
            stored = copy.deepcopy(updated)
            table.update(lambda doc: (doc.clear(), doc.update(stored)), doc_ids=[current.doc_id])
            return copy.deepcopy(updated)

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
