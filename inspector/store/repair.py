"""``flask store repair``, the file half: find damaged files, move them aside, put back what a backup holds.

Guarantees:

* Nothing is deleted. A damaged file is moved to ``<data>/damaged/<UTC time>/<same relative path>`` (the new
  folders and both parents fsynced) under the partition's lock, so a writer never meets it half moved; an audit
  file whose last line is torn or unreadable is copied there whole before that line is cut off.
* A damaged file is put back from the backup archive given, when the archive holds a readable copy of it. The
  archive is read only through ``restore.unpack_checked``, which checks it (every file against its manifest)
  before anything is taken from it; a refused archive restores nothing and says why.
* Index files (the review queue's, each inspector's) are derived: a damaged one is moved aside and rebuilt from
  the inspections (``rebuild_inspector_indexes`` here, the review indexes by ``review.rebuild_indexes``).
* What could not be recovered is named by record id: for a partition of inspections, every id the index rows
  and the audit trail name in it that the restored copy lacks (or all of them without a copy); for the
  accounts and the register, the ids the audit trail names. Unreadable input never raises out of here: each
  problem becomes a line of the report.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from filelock import FileLock

from . import engine, upgrade
from .backup import BackupError, SECRET_KEY
from .contract.kinds import DataDamaged
from .inspections import InspectionStore
from .restore import unpack_checked

DAMAGED = "damaged"
INDEX = "index"
_PARTITION = re.compile(r"^inspections/(l[0-9a-f]{12})/(\d{6})\.json$")
_INSPECTION_ID = re.compile(r"^(l[0-9a-f]{12})-(\d{6})-[0-9a-f]{12}$")
# Files whose records the audit trail names, by the kind of target its entries give.
AUDITED_KIND = {"users.json": "user", "lks.json": "lks"}


@dataclass
class Damage:
    """One damaged file (relative to the data folder) and what is wrong with it."""

    path: str
    why: str
    restored: bool = False
    lost: list[str] = field(default_factory=list)  # record ids known to exist that are not back
    older: list[str] = field(default_factory=list)  # record ids back at an older state than the indexes knew
    note: str = ""


@dataclass
class Report:
    """What a repair found and did."""

    aside: Path | None = None
    damaged: list[Damage] = field(default_factory=list)
    backup_problem: str = ""
    inspector_refs: int = 0

    @property
    def recovered(self) -> bool:
        return all((d.restored or d.path.startswith(f"{INDEX}/")) and not d.lost for d in self.damaged)


def scan(root: Path) -> list[Damage]:
    """Every partition of the data folder that the store would refuse, and every audit file with a torn or
    unreadable last line; the folder of files moved aside, hidden files, locks and photos are not read."""
    found = []
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        relative = here.relative_to(root).as_posix()
        if relative == ".":
            dirs[:] = [d for d in dirs if d not in (DAMAGED, "photos")]
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            path = here / name
            rel = path.relative_to(root).as_posix()
            if name.startswith(".") or name.endswith(".lock") or rel in (SECRET_KEY, upgrade.SCHEMA_FILE):
                continue
            if name.endswith(".json"):
                try:
                    engine._parse(path.read_bytes(), path)
                except DataDamaged as error:
                    found.append(Damage(rel, error.why))
                except OSError as error:
                    found.append(Damage(rel, f"cannot be read ({error.strerror})"))
            elif name.endswith(".jsonl") and rel.startswith("audit/"):
                why = _audit_tail_problem(path)
                if why:
                    found.append(Damage(rel, why))
    return found


def _audit_tail_problem(path: Path) -> str:
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        return "last line torn (no newline): an append that never finished"
    lines = data.splitlines()
    if lines:
        try:
            entry = json.loads(lines[-1])
            int(entry["seq"]), str(entry["hash"])
        except (ValueError, KeyError, TypeError):
            return "last line unreadable: nothing can be chained to it"
    return ""


def known_ids(root: Path) -> tuple[dict[tuple[str, str], set[str]], dict[str, set[str]], dict[str, str]]:
    """The ids that must exist, from what can still be read: ({(lks id, yyyymm): inspection ids} from the index
    rows and the audit trail, {audit target kind: ids}, {inspection id: status the index rows last knew})."""
    by_partition: dict[tuple[str, str], set[str]] = {}
    by_kind: dict[str, set[str]] = {}
    status: dict[str, str] = {}

    def note(inspection_id) -> None:
        match = _INSPECTION_ID.fullmatch(inspection_id or "") if isinstance(inspection_id, str) else None
        if match:
            by_partition.setdefault((match.group(1), match.group(2)), set()).add(inspection_id)

    index = root / INDEX
    for path in sorted(index.rglob("*.json")) if index.is_dir() else []:
        try:
            tables = engine._parse(path.read_bytes(), path)
        except (DataDamaged, OSError):
            continue
        for table in tables.values():
            for row in table.values():
                if isinstance(row, dict):
                    note(row.get("id"))
                    if "status" in row and path.parent.name == "months":
                        status[row.get("id")] = row["status"]
    for path in sorted((root / "audit").glob("*.jsonl")) if (root / "audit").is_dir() else []:
        with open(path, "rb") as handle:
            for line in handle:
                try:
                    entry = json.loads(line)
                    kind, target = entry.get("target_kind"), entry.get("target_id")
                except (ValueError, AttributeError):
                    continue
                if kind == "inspection":
                    note(target)
                elif isinstance(target, str) and kind:
                    by_kind.setdefault(kind, set()).add(target)
    return by_partition, by_kind, status


def move_aside(root: Path, aside: Path, rel: str) -> None:
    """Move ``rel`` into ``aside`` under the same relative path, under its partition's lock; fsynced."""
    source, target = root / rel, aside / rel
    engine.make_folders(target.parent)
    with FileLock(str(source.with_name(source.name + ".lock")), timeout=engine.LOCK_TIMEOUT_SECONDS):
        os.rename(source, target)
    engine.fsync_folder(target.parent)
    engine.fsync_folder(source.parent)


def copy_aside(root: Path, aside: Path, rel: str) -> None:
    """Copy ``rel`` into ``aside`` (an audit file, which is cut rather than moved); fsynced."""
    target = aside / rel
    engine.make_folders(target.parent)
    shutil.copy2(root / rel, target)
    if engine.FSYNC:
        with open(target, "rb") as handle:
            os.fsync(handle.fileno())
    engine.fsync_folder(target.parent)


def cut_audit_tail(root: Path, rel: str) -> int:
    """Cut the torn or unreadable last line off an audit file under the audit's lock; the seq before it."""
    path = root / rel
    with FileLock(str(path.parent / "audit.lock"), timeout=engine.LOCK_TIMEOUT_SECONDS):
        data = path.read_bytes()
        keep = data[:data.rstrip(b"\n").rfind(b"\n") + 1] if data.endswith(b"\n") else data[:data.rfind(b"\n") + 1]
        with open(path, "r+b") as handle:
            handle.truncate(len(keep))
            if engine.FSYNC:
                os.fsync(handle.fileno())
    last = keep.splitlines()[-1] if keep else b""
    try:
        return int(json.loads(last)["seq"]) if last else 0
    except (ValueError, KeyError, TypeError):
        return 0


def repair(root: str | Path, backup: str | Path | None = None, now: str = "", trusted=()) -> Report:
    """Move every damaged file aside and put back what ``backup`` (signed by one of the ``trusted`` public keys)
    holds of it (see the module's guarantees).

    The indexes are rebuilt by the caller afterwards (``rebuild_inspector_indexes``, ``review.rebuild_indexes``).
    ``now`` names the folder things are moved into (UTC, ``20261207T141500Z``)."""
    root = Path(root)
    report = Report(damaged=scan(root))
    if not report.damaged:
        return report
    by_partition, by_kind, index_status = known_ids(root)
    report.aside = _new_aside(root, now)
    staging, copies = None, {}
    if backup is not None:
        staging = Path(tempfile.mkdtemp(prefix="inspector-repair-"))
        try:
            copies = unpack_checked(backup, staging, trusted)
        except (BackupError, OSError) as error:
            report.backup_problem = str(error)
            copies = {}
    try:
        for damage in report.damaged:
            _repair_one(root, report.aside, damage, staging, copies, by_partition, by_kind, index_status)
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
    return report


def _new_aside(root: Path, now: str) -> Path:
    base = root / DAMAGED / (now or "repair")
    aside, n = base, 1
    while aside.exists():
        n += 1
        aside = base.with_name(f"{base.name}-{n}")
    engine.make_folders(aside)
    return aside


def _repair_one(root: Path, aside: Path, damage: Damage, staging: Path | None, copies: dict,
                by_partition: dict, by_kind: dict, index_status: dict) -> None:
    rel = damage.path
    if rel.startswith("audit/"):
        copy_aside(root, aside, rel)
        seq = cut_audit_tail(root, rel)
        torn = damage.why.startswith("last line torn")
        damage.restored = torn  # a torn line was never acknowledged: cutting it recovers the log
        if not torn:
            damage.lost = [f"audit entry {seq + 1}"]
        damage.note = f"last line cut off after entry {seq}; the file as it was is kept aside"
        return
    move_aside(root, aside, rel)
    if rel.startswith(f"{INDEX}/"):
        damage.note = "an index: rebuilt from the inspections"
        return
    tables = _copy_from_backup(root, rel, staging, copies)
    damage.restored = tables is not None
    have = {row.get("id") for table in (tables or {}).values() for row in table.values() if isinstance(row, dict)}
    partition = _PARTITION.fullmatch(rel)
    if partition:
        expected = by_partition.get((partition.group(1), partition.group(2)), set())
        damage.older = sorted(r.get("id") for t in (tables or {}).values() for r in t.values()
                              if isinstance(r, dict) and r.get("id") in index_status
                              and r.get("status") != index_status[r.get("id")])
    else:
        expected = by_kind.get(AUDITED_KIND.get(rel, ""), set())
    damage.lost = sorted(expected - have)
    damage.note = "restored from the backup" if damage.restored else "no readable copy in a backup: moved aside"


def _copy_from_backup(root: Path, rel: str, staging: Path | None, copies: dict) -> dict | None:
    """Put the backup's copy of ``rel`` in place when it has a readable one; its tables, or None."""
    if staging is None or rel not in copies:
        return None
    source = staging / rel
    raw = source.read_bytes()
    try:
        tables = engine._parse(raw, source)
    except DataDamaged:
        return None
    target = root / rel
    engine.make_folders(target.parent)
    with FileLock(str(target.with_name(target.name + ".lock")), timeout=engine.LOCK_TIMEOUT_SECONDS):
        if target.exists():  # written since it was moved aside: never replaced
            return None
        engine.atomic_write(target, raw)
    engine._forget(str(target))
    return tables


def rebuild_inspector_indexes(root: str | Path, records=None) -> int:
    """Each inspector's index made again from the inspections (those that can be read, or ``records``: what an
    inspector's index holds of each); how many entries."""
    return InspectionStore(Path(root)).rebuild_inspector_indexes(records)


def keeping_refs(records, refs: list[dict]):
    """``records`` passed through, what an inspector's index holds of each kept in ``refs``: one pass over the
    archive feeds both rebuilds."""
    for record in records:
        refs.append({key: record.get(key) for key in ("id", "lks_id", "created_at", "inspector_id")})
        yield record
