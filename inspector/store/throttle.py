"""Failure counters under opaque keys (the sign-in and report throttles' keyed hashes), shared by every process.

Keys arrive already hashed: this file never learns a client address or a username. A count whose last
failure is older than the caller's ``forget_before`` is removed in the same write that records a new one.
"""

from __future__ import annotations

from pathlib import Path

from tinydb import Query

from .engine import Partition


class ThrottleStore:
    """Consecutive failures and the time of the last one, per username."""

    def __init__(self, root: Path):
        self.partition = Partition(root / "throttle.json")

    def get(self, username: str) -> dict:
        doc = self.partition.reader().table("failures").get(Query().username == username)
        return dict(doc) if doc else {"username": username, "failures": 0, "last": 0.0}

    def record_failure(self, username: str, when: float, forget_before: float | None = None) -> dict:
        with self.partition.transaction() as db:
            table = db.table("failures")
            if forget_before is not None:
                table.remove((Query().last < forget_before) & (Query().username != username))
            doc = table.get(Query().username == username)
            failures = (doc["failures"] if doc else 0) + 1
            table.upsert({"username": username, "failures": failures, "last": when}, Query().username == username)
        return {"username": username, "failures": failures, "last": when}

    def clear(self, username: str) -> None:
        if self.get(username)["failures"]:
            with self.partition.transaction() as db:
                db.table("failures").remove(Query().username == username)
