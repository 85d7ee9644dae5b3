"""The outbox of the TinyDB engine: announcements stored in the partition of the record whose write causes them.

A write that announces (see ``contract.Announcement``) goes in two steps:

1. a *ref* is added to ``<data>/outbox/refs.json``, naming the partition file about to be written;
2. the partition's own transaction writes the record and its entries (table ``outbox`` of the same file),
   so one atomic file replace stores both, or neither.

A crash between the two leaves a ref whose partition holds none of its entries: after ``GRACE_SECONDS``
(longer than any writer may hold a partition lock) such a ref is dropped. Never the other way round: an
entry is never stored without a ref that leads a worker to it. Entries that belong to no record write
(``put``) live in ``outbox/direct.json``, by the same steps.

Workers take entries under the partition's lock (``claim``): an entry due and not leased gets a lease for
``lease_seconds``; a worker that dies mid-delivery loses it when the lease ends and another takes it over.
Its retry schedule (``next_at``, ``tries``) is in the partition file too, so it outlives the process. A
delivered entry is removed and, when it was the last of its ref, so is the ref; one given up moves to
``outbox/failed.json`` (the newest ``MAX_FAILED`` kept).
"""

from __future__ import annotations

import copy
import logging
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from tinydb import Query

from ..timefmt import utcnow
from .contract.kinds import DataDamaged
from .contract.outbox import Announcement
from .engine import LOCK_TIMEOUT_SECONDS, Partition
from .records import Record, new_id

TABLE = "outbox"
GRACE_SECONDS = 2 * LOCK_TIMEOUT_SECONDS + 10
MAX_FAILED = 500
log = logging.getLogger(__name__)


class OutboxStore:
    """Refs, the entries they lead to, and the failed list, under ``<data>/outbox``."""

    MAX_FAILED = MAX_FAILED

    def __init__(self, root: Path):
        self.root = Path(root)
        self.folder = self.root / "outbox"
        self.refs = Partition(self.folder / "refs.json")
        self.direct = Partition(self.folder / "direct.json")
        self.given_up = Partition(self.folder / "failed.json")

    # --- staging (inside a record store's write) -------------------------------------------------------

    @contextmanager
    def staging(self, partition: Partition, announce: Announcement | None) -> Iterator[None]:
        """Around one write of ``partition``: its ref first; the ref goes again when the write staged nothing."""
        if announce is None:
            yield
            return
        announce.ref, announce.entries = new_id("r"), []
        with self.refs.transaction() as db:
            db.table("refs").insert({"id": announce.ref, "path": partition.path.relative_to(self.root).as_posix(),
                                     "at": time.time()})
        try:
            yield
        finally:
            if not announce.entries:
                self._drop_refs([announce.ref])

    @staticmethod
    def stage(db, announce: Announcement | None, record: Record) -> None:
        """Inside the write's transaction: add the entries ``announce`` builds for ``record`` to its table."""
        if announce is None:
            return
        now, at = time.time(), utcnow()
        staged = [{**copy.deepcopy(entry), "id": new_id("o"), "ref": announce.ref, "created_at": at,
                   "state": "pending", "tries": 0, "next_at": now, "lease_by": None, "lease_until": 0,
                   "first_claimed_at": None, "last_error": ""} for entry in announce.build(copy.deepcopy(record))]
        if staged:
            db.table(TABLE).insert_multiple(staged)
        announce.entries = staged

    def put(self, entries: list[Record]) -> Announcement:
        announce = Announcement(lambda _record: entries)
        with self.staging(self.direct, announce):
            with self.direct.transaction() as db:
                self.stage(db, announce, {})
        return announce

    # --- handing out -------------------------------------------------------------------------------------

    def _partition(self, path: str) -> Partition | None:
        target = (self.root / path).resolve()
        if self.root.resolve() not in target.parents or target.suffix != ".json":
            return None
        return Partition(target)

    def _ref_list(self) -> list[Record]:
        return [dict(doc) for doc in self.refs.reader().table("refs").all()]

    def _drop_refs(self, ids: list[str]) -> None:
        if not ids:
            return
        try:
            with self.refs.transaction() as db:
                db.table("refs").remove(Query().id.one_of(list(ids)))
        except Exception:  # a ref left behind costs a look, later; it never loses an entry
            log.exception("outbox: %d refs could not be removed (they go after the grace period)", len(ids))

    def _each_partition(self, ref: str | None = None) -> Iterator[tuple[Partition, list[Record], list[Record]]]:
        """(partition, its refs, its entries as read now) for every partition a ref (or ref ``ref``) leads to."""
        by_path: dict[str, list[Record]] = {}
        for found in [r for r in self._ref_list() if ref is None or r["id"] == ref]:
            by_path.setdefault(found["path"], []).append(found)
        for path, refs in sorted(by_path.items()):
            partition = self._partition(path)
            if partition is None:
                log.warning("outbox: a ref names %r, outside the data folder; dropped", path)
                self._drop_refs([r["id"] for r in refs])
                continue
            try:
                entries = [dict(d) for d in partition.reader().table(TABLE).all()]
            except DataDamaged:
                log.error("outbox: %s is damaged; its announcements wait until it is repaired", path)
                continue
            yield partition, refs, entries

    def claim(self, worker: str, lease_seconds: float, ref: str | None = None,
              kinds: tuple[str, ...] | None = None, limit: int | None = None) -> list[Record]:
        claimed: list[Record] = []
        stale: list[str] = []
        for partition, refs, entries in self._each_partition(ref):
            if limit is not None and len(claimed) >= limit:
                break
            now = time.time()
            held = {e["ref"] for e in entries}
            stale += [r["id"] for r in refs if r["id"] not in held and now - r["at"] > GRACE_SECONDS]
            if any(_claimable(e, now, ref, kinds) for e in entries):  # the lock only when there is work
                claimed += self._claim_in(partition, worker, lease_seconds, ref, kinds,
                                          None if limit is None else limit - len(claimed))
        self._drop_refs(stale)
        return claimed

    @staticmethod
    def _claim_in(partition: Partition, worker: str, lease_seconds: float, ref: str | None,
                  kinds: tuple[str, ...] | None, limit: int | None) -> list[Record]:
        now, found = time.time(), []
        with partition.transaction() as db:
            table = db.table(TABLE)
            for doc in sorted(table.all(), key=lambda d: (d["created_at"], d.doc_id)):
                if limit is not None and len(found) >= limit:
                    break
                if _claimable(doc, now, ref, kinds):
                    changes = {"tries": doc["tries"] + 1, "lease_by": worker, "lease_until": now + lease_seconds,
                               "first_claimed_at": doc.get("first_claimed_at") or utcnow()}
                    table.update(changes, doc_ids=[doc.doc_id])
                    found.append({**copy.deepcopy(dict(doc)), **changes, "source": partition.path})
        return found

    def finish(self, entry: Record, error: str = "", retry_at: float | None = None) -> None:
        partition = Partition(entry["source"]) if isinstance(entry.get("source"), Path) else None
        if partition is None:
            raise ValueError("finish takes an entry as claim returned it")
        last_of_ref = False
        with partition.transaction() as db:
            table = db.table(TABLE)
            doc = table.get(Query().id == entry["id"])
            if doc is None:
                return  # finished already (its lease ran out and another worker took it)
            if error and retry_at is not None:
                table.update({"next_at": retry_at, "lease_by": None, "lease_until": 0, "last_error": error},
                             doc_ids=[doc.doc_id])
            else:
                table.remove(doc_ids=[doc.doc_id])
                last_of_ref = not table.contains(Query().ref == entry["ref"])
        if error and retry_at is None:
            kept = {k: v for k, v in entry.items() if k != "source"}
            with self.given_up.transaction() as db:
                failed = db.table("failed")
                failed.insert({**kept, "state": "failed", "last_error": error, "failed_at": utcnow()})
                extra = len(failed) - self.MAX_FAILED
                if extra > 0:
                    oldest = sorted(failed.all(), key=lambda d: d["failed_at"])[:extra]
                    failed.remove(doc_ids=[d.doc_id for d in oldest])
        if last_of_ref:
            self._drop_refs([entry["ref"]])

    # --- what is waiting -------------------------------------------------------------------------------------

    def pending(self) -> list[Record]:
        found = [e for _, _, entries in self._each_partition() for e in entries]
        return sorted(found, key=lambda e: (e["created_at"], e["id"]))

    def failed(self) -> list[Record]:
        docs = [dict(d) for d in self.given_up.reader().table("failed").all()]
        return sorted(docs, key=lambda d: d["failed_at"], reverse=True)

    def next_due(self) -> float | None:
        times = [max(e["next_at"], e["lease_until"]) for e in self.pending()]
        return min(times) if times else None


def _claimable(entry: Record, now: float, ref: str | None, kinds: tuple[str, ...] | None) -> bool:
    return (entry.get("state") == "pending" and entry["next_at"] <= now and entry["lease_until"] <= now
            and (ref is None or entry["ref"] == ref) and (kinds is None or entry["kind"] in kinds))
