"""A table of records with string ids inside one partition: the shape every store module reuses."""

from __future__ import annotations

import copy
import secrets
from contextlib import nullcontext
from typing import Callable, Iterable

from tinydb import Query

from .engine import Partition

Record = dict


def new_id(prefix: str = "") -> str:
    """A random, URL-safe, unguessable record id."""
    return prefix + secrets.token_hex(6)


class RecordTable:
    """Records keyed by their ``id`` field in one table of one partition."""

    def __init__(self, partition: Partition, table: str):
        self.partition = partition
        self.table = table

    def all(self) -> list[Record]:
        """Every record, as shallow copies: read nested values, never change them."""
        return [dict(doc) for doc in self.partition.reader().table(self.table).all()]

    def find(self, predicate: Callable[[Record], bool]) -> list[Record]:
        """Records for which ``predicate`` holds, as shallow copies (see ``all``)."""
        docs = self.partition.reader().table(self.table).search(_Predicate(predicate))
        return [dict(doc) for doc in docs]

    def get(self, record_id: str) -> Record | None:
        """The record with this id, or None; a deep copy the caller may change."""
        doc = self.partition.reader().table(self.table).get(Query().id == record_id)
        return copy.deepcopy(dict(doc)) if doc is not None else None

    def insert(self, record: Record) -> Record:
        """Store a new record (it must carry an unused ``id``)."""
        with self.partition.transaction() as db:
            table = db.table(self.table)
            if table.contains(Query().id == record["id"]):
                raise ValueError(f"duplicate id {record['id']}")
            table.insert(record)
        return record

    def insert_many(self, records: Iterable[Record]) -> None:
        """Store several new records in one write."""
        records = list(records)
        with self.partition.transaction() as db:
            db.table(self.table).insert_multiple(records)

    def update(self, record_id: str, changes: Record) -> Record | None:
        """Apply ``changes`` to one record in one atomic write; None when there is no such record."""
        with self.partition.transaction() as db:
            table = db.table(self.table)
            if not table.contains(Query().id == record_id):
                return None
            table.update(changes, Query().id == record_id)
            return copy.deepcopy(dict(table.get(Query().id == record_id)))

    def modify(self, record_id: str, change: Callable[[Record], Record | None], announce=None,
               outbox=None) -> Record | None:
        """Read, change and write one record under the lock; ``change`` may veto by returning None.

        The record becomes what ``change`` returns (a key left out is removed); ValueError, and nothing
        written, when that has another id. With ``announce`` (and the ``outbox`` store), the entries it builds
        for the new record are written in the same atomic write (see ``outbox``).
        """
        with outbox.staging(self.partition, announce) if announce is not None else nullcontext(), \
                self.partition.transaction() as db:
            table = db.table(self.table)
            current = table.get(Query().id == record_id)
            if current is None:
                return None
            updated = change(copy.deepcopy(dict(current)))
            if updated is None:
                return None
            if updated.get("id") != record_id:
                raise ValueError(f"a change may not alter the id of {record_id}")
            stored = copy.deepcopy(updated)
            table.update(lambda doc: (doc.clear(), doc.update(stored)), doc_ids=[current.doc_id])
            if announce is not None:
                outbox.stage(db, announce, updated)
            return copy.deepcopy(updated)

    def remove(self, record_id: str, only_if: Callable[[Record], bool]) -> Record | None:
        """Remove one record under the lock when ``only_if`` holds for it; the removed record, or None."""
        with self.partition.transaction() as db:
            table = db.table(self.table)
            current = table.get(Query().id == record_id)
            if current is None or not only_if(copy.deepcopy(dict(current))):
                return None
            table.remove(doc_ids=[current.doc_id])
            return copy.deepcopy(dict(current))


class _Predicate:
    """Adapts a plain function on a record into a TinyDB query condition."""

    def __init__(self, predicate: Callable[[Record], bool]):
        self.predicate = predicate

    def __call__(self, doc) -> bool:
        return bool(self.predicate(doc))

    def is_cacheable(self) -> bool:
        return False
