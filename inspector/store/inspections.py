"""Inspections (drafts included), partitioned by LKS and month so no write or history read touches the archive.

An inspection id carries its partition (``<lks id>-<yyyymm>-<random>``), so a
lookup by id opens exactly one small file. Each inspector has an index of
the inspections they started, one file per year (written before the inspection
itself, so a crash can leave a dangling reference, which reads skip, but
never an unlisted inspection).

Reads over many partitions (``peek_many``, ``newest_first``, ``for_inspector``) take a ``damaged`` list: a
partition that cannot be read is then skipped and its ``DataDamaged`` (naming the LKS and month, or the
inspector's year) appended there, so the caller lists the rest and says what is missing. Without the list they
raise it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Callable, Iterator

from .contract.kinds import DataDamaged, skip_or_raise
from .engine import Partition
from .contract.outbox import Announcement
from .outbox import OutboxStore
from .records import Record, RecordTable, new_id
from ..timefmt import utcnow

# Inspections an export holds in memory at once (see ``stream``).
STREAM_CHUNK = 500
_ID = re.compile(r"^(l[0-9a-f]{12})-(\d{6})-([0-9a-f]{12})$")
_LKS_ID = re.compile(r"^l[0-9a-f]{12}$")
_USER_ID = re.compile(r"^u[0-9a-f]{12}$")


class InspectionStore:
    """Inspections of every LKS, and each inspector's index of them."""

    def __init__(self, root: Path, outbox: OutboxStore | None = None):
        self.root = root / "inspections"
        self.index_root = root / "index" / "inspectors"
        self.outbox = outbox or OutboxStore(root)

    def _table(self, lks_id: str, period: str) -> RecordTable:
        return _Named(Partition(self.root / lks_id / f"{period}.json"), "inspections", "inspections", lks_id, period)

    def _index(self, user_id: str, year: str) -> RecordTable:
        if not _USER_ID.fullmatch(user_id or "") or not (len(year) == 4 and year.isdigit()):
            raise ValueError("bad user id or year")
        return _Named(Partition(self.index_root / user_id / f"{year}.json"), "inspections", "inspector_index", "",
                      year)

    def _index_years(self, user_id: str) -> list[str]:
        if not _USER_ID.fullmatch(user_id or ""):
            raise ValueError("bad user id")
        folder = self.index_root / user_id
        return sorted((p.stem for p in folder.glob("*.json")), reverse=True) if folder.is_dir() else []

    def new_id(self, lks_id: str, period: str) -> str:
        return f"{lks_id}-{period}-{new_id()}"

    def insert(self, record: Record) -> Record:
        """Store a new inspection; fills id and created_at when missing; indexes it by inspector."""
        record.setdefault("created_at", utcnow())
        period = record["created_at"][:4] + record["created_at"][5:7]  # yyyymm
        record.setdefault("id", self.new_id(record["lks_id"], period))
        located = self._locate(record["id"])
        if located is None:
            raise ValueError(f"bad inspection id {record['id']!r}")
        lks_id, id_period = located
        if record.get("inspector_id"):
            self._index(record["inspector_id"], record["created_at"][:4]).insert(
                {"id": record["id"], "lks_id": lks_id, "created_at": record["created_at"]})
        return self._table(lks_id, id_period).insert(record)

    def get(self, inspection_id: str) -> Record | None:
        located = self._locate(inspection_id)
        return self._table(*located).get(inspection_id) if located else None

    def peek(self, inspection_id: str) -> Record | None:
        """The inspection as a shallow copy, for reading only: cheaper than ``get`` for lists of many."""
        located = self._locate(inspection_id)
        if not located:
            return None
        found = self._table(*located).find(lambda doc: doc.get("id") == inspection_id)
        return found[0] if found else None

    def peek_many(self, inspection_ids: list[str], damaged: list[DataDamaged] | None = None) -> list[Record]:
        """Several inspections, in the order asked, as shallow copies for reading only; unknown ids are skipped.

        Each partition is read once, however many of its inspections are asked for.
        """
        found: dict[str, Record] = {}
        for located, ids in self._by_partition(inspection_ids).items():
            found.update((r["id"], r) for r in self._table(*located).all_or_note(damaged) if r.get("id") in ids)
        return [found[i] for i in inspection_ids if i in found]

    def stream(self, inspection_ids: list[str], chunk: int = STREAM_CHUNK,
               keep_order: bool = True) -> Iterator[Record]:
        """The inspections asked for, for reading once; unknown and malformed ids are skipped.

        For exports of any size: ``chunk`` records at a time, each chunk reading every partition it needs
        once and none into the shared cache, so memory follows ``chunk``, not the export. In the order asked;
        or, with ``keep_order=False``, grouped by partition (month started, then LKS; the order asked within
        one), so that each partition is read about once however the ids were sorted.
        """
        if not keep_order:
            located = {i: self._locate(i) for i in inspection_ids}
            position = {i: n for n, i in enumerate(inspection_ids)}
            inspection_ids = sorted((i for i in inspection_ids if located[i]),
                                    key=lambda i: (located[i][1], located[i][0], position[i]))
        for start in range(0, len(inspection_ids), chunk):
            ids = inspection_ids[start:start + chunk]
            found: dict[str, Record] = {}
            for (lks_id, period), some in self._by_partition(ids).items():
                data = Partition(self.root / lks_id / f"{period}.json").read_once()
                found.update((r["id"], r) for r in (data.get("inspections") or {}).values() if r.get("id") in some)
            yield from (found[i] for i in ids if i in found)

    def modify(self, inspection_id: str, change: Callable[[Record], Record | None],
               announce: Announcement | None = None) -> Record | None:
        """Read, change and write one inspection under its partition's lock (``change`` may veto with None);
        what ``announce`` builds goes into the outbox table of the same partition, in the same write."""
        located = self._locate(inspection_id)
        return self._table(*located).modify(inspection_id, change, announce, self.outbox) if located else None

    def remove(self, inspection_id: str, only_if: Callable[[Record], bool]) -> Record | None:
        """Remove one inspection under its partition's lock when ``only_if`` holds; then its inspector's index entry.

        The entry goes after the record: a crash between leaves a dangling reference, which reads skip.
        """
        located = self._locate(inspection_id)
        removed = self._table(*located).remove(inspection_id, only_if) if located else None
        if removed is not None and removed.get("inspector_id"):
            self._index(removed["inspector_id"], removed["created_at"][:4]).remove(inspection_id, lambda ref: True)
        return removed

    def for_lks(self, lks_ids: str | list[str], damaged: list[DataDamaged] | None = None) -> list[Record]:
        """Every inspection of one LKS (or of several, e.g. merged records), newest first."""
        return list(self.newest_first(lks_ids, damaged))

    def newest_first(self, lks_ids: str | list[str], damaged: list[DataDamaged] | None = None):
        """The inspections of one LKS (or of several), newest first, read one month's partitions at a time.

        A caller that stops early (the latest approved inspection) reads only the newest months.
        An inspection's partition is the month of its ``created_at`` (``insert`` names it so), so a
        month's records all come before the older months'.
        """
        months: dict[str, list[str]] = {}
        for lks_id in [lks_ids] if isinstance(lks_ids, str) else lks_ids:
            folder = self.root / lks_id
            if not _LKS_ID.fullmatch(lks_id or "") or not folder.is_dir():
                continue
            for path in folder.glob("*.json"):
                months.setdefault(path.stem, []).append(lks_id)
        for period in sorted(months, reverse=True):
            records = [r for lks_id in months[period] for r in self._table(lks_id, period).all_or_note(damaged)]
            # Stable on ties: within a second, the later insert (later in its file) comes first.
            order = {id(r): n for n, r in enumerate(records)}
            records.sort(key=lambda r: (r["created_at"], order[id(r)]), reverse=True)
            yield from records

    def every(self, damaged: list[DataDamaged] | None = None):
        """Every inspection of every LKS (for rebuilding indexes; reads the whole archive)."""
        if not self.root.is_dir():
            return
        for folder in sorted(self.root.iterdir()):
            if _LKS_ID.fullmatch(folder.name):
                for path in sorted(folder.glob("*.json")):
                    yield from self._table(folder.name, path.stem).all_or_note(damaged)

    def rebuild_inspector_indexes(self, records=None, damaged: list[DataDamaged] | None = None) -> int:
        """Every inspector's index made again from the inspections that can be read (or from ``records``, e.g.
        those a pass over ``every`` kept); how many entries.

        Each (inspector, year) file is replaced whole; a year no inspection names any more is emptied."""
        refs: dict[tuple[str, str], list[Record]] = {}
        for record in self.every(damaged) if records is None else records:
            if record.get("inspector_id") and _USER_ID.fullmatch(record["inspector_id"]):
                refs.setdefault((record["inspector_id"], record["created_at"][:4]), []).append(
                    {"id": record["id"], "lks_id": record["lks_id"], "created_at": record["created_at"]})
        present = {(path.parent.name, path.stem) for path in self.index_root.glob("*/*.json")
                   if _USER_ID.fullmatch(path.parent.name) and len(path.stem) == 4 and path.stem.isdigit()}
        for user_id, year in sorted(present | set(refs)):
            with self._index(user_id, year).partition.transaction() as db:
                db.table("inspections").truncate()
                db.table("inspections").insert_multiple(refs.get((user_id, year), []))
        return sum(len(rows) for rows in refs.values())

    def for_inspector(self, user_id: str, limit: int = 50, lks_id: str | None = None,
                      damaged: list[DataDamaged] | None = None) -> list[Record]:
        """The newest ``limit`` inspections an inspector started (of one LKS, if given), drafts included.

        Reads the index year by year from the newest and opens only the
        inspections it returns, so the cost follows ``limit``, not history.
        """
        records: list[Record] = []
        for year in self._index_years(user_id):
            refs = [r for r in self._index(user_id, year).all_or_note(damaged)
                    if lks_id is None or r["lks_id"] == lks_id]
            for ref in sorted(refs, key=lambda r: r["created_at"], reverse=True):
                try:
                    record = self.get(ref["id"])
                except DataDamaged as error:
                    skip_or_raise(error, damaged)
                    continue
                if record is not None:
                    records.append(record)
                if len(records) >= limit:
                    return records
        return records

    def _by_partition(self, inspection_ids: list[str]) -> dict[tuple[str, str], set[str]]:
        """The well-formed ids, by the partition (LKS id, yyyymm) that holds each."""
        wanted: dict[tuple[str, str], set[str]] = {}
        for inspection_id in inspection_ids:
            located = self._locate(inspection_id)
            if located:
                wanted.setdefault(located, set()).add(inspection_id)
        return wanted

    def _locate(self, inspection_id: str) -> tuple[str, str] | None:
        match = _ID.fullmatch(inspection_id or "")
        return (match.group(1), match.group(2)) if match else None


class _Named(RecordTable):
    """A record table whose damage names what it holds (an LKS's month, an inspector's year)."""

    def __init__(self, partition: Partition, table: str, part: str, lks_id: str, period: str):
        super().__init__(partition, table)
        self._about = (part, lks_id, period)

    def all_or_note(self, damaged: list[DataDamaged] | None) -> list[Record]:
        """``all``; when the partition is damaged, [] with the damage noted in ``damaged`` (raised without it)."""
        try:
            return self.all()
        except DataDamaged as error:
            skip_or_raise(error.about(*self._about), damaged)
            return []

    def get(self, record_id: str) -> Record | None:
        try:
            return super().get(record_id)
        except DataDamaged as error:
            raise error.about(*self._about)
