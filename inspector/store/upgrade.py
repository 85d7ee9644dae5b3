"""The layout version of a data folder, and the one upgrade that brings an older folder to this version.

A data folder says its layout version in ``schema.json``. A new folder gets the
current version when the store first opens it; a folder with records and no
``schema.json`` is version 1 (written before versions were kept). The server
refuses to open a folder that is behind (``SchemaBehind``); ``flask db upgrade``
brings it up to date, one step per version.

Every step is idempotent and crash-safe: files are rewritten atomically, an
old file is removed only after its new file is written, and the version is
raised only after the last file. A step cut off by a crash is simply run
again. Nothing else may write to the folder while it runs: the server refuses
to start on a folder that is behind, so the only writer is the upgrade.
The audit trail is never rewritten: it is hash-chained, so its entries keep
the codes they were written with and the labels read both (``audit.EARLIER_CODES``).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Callable

from .. import timefmt
from .engine import Partition, atomic_write, make_folders

CURRENT = 2
SCHEMA_FILE = "schema.json"
# What a folder written before versions were kept always holds, once it was used.
_VERSION_1_MARKERS = ("users.json", "lks.json", "submissions", "audit")

# Version 2: one name for the record an inspector fills ("inspection", was "submission" and "visit"),
# and English codes in data, Indonesian labels in what users read.
LKS_KINDS_2 = {"lansia": "elderly", "disabilitas": "disability", "lainnya": "other"}
CONCERN_WHEN_2 = {"sekarang": "now", "hari-ini": "today", "minggu-ini": "this_week", "lebih-lama": "earlier"}
DELIVERY_STATES_2 = {"menunggu": "pending", "terkirim": "sent", "mencoba ulang": "retrying", "gagal": "failed"}
EVENTS_2 = {"submission.created": "inspection.created", "submission.critical": "inspection.critical"}


class SchemaBehind(RuntimeError):
    """The data folder's layout is older than this version of Inspector reads."""

    def __init__(self, root: Path, found: int):
        super().__init__(f"the data folder {root} has layout version {found}, this Inspector needs {CURRENT}: "
                         f"run `flask --app wsgi db upgrade` (take a backup first)")
        self.found = found


def version(root: Path) -> int:
    """The folder's layout version: from ``schema.json``; 1 for a used folder without one; CURRENT for a new one."""
    try:
        return int(json.loads((root / SCHEMA_FILE).read_text())["version"])
    except FileNotFoundError:
        return 1 if any((root / name).exists() for name in _VERSION_1_MARKERS) else CURRENT
    except (ValueError, KeyError, TypeError) as error:
        raise ValueError(f"{root / SCHEMA_FILE} is unreadable: {error}") from None


def mark(root: Path, number: int) -> None:
    """Write the folder's layout version (atomically)."""
    body = json.dumps({"version": number, "at": timefmt.utcnow()}).encode()
    atomic_write(root / SCHEMA_FILE, body)


def open_or_refuse(root: Path) -> None:
    """Stamp a new folder with the current version; refuse one that is behind (or ahead)."""
    found = version(root)
    if found < CURRENT:
        raise SchemaBehind(root, found)
    if found > CURRENT:
        raise RuntimeError(f"the data folder {root} has layout version {found}, newer than this Inspector ({CURRENT})")
    if not (root / SCHEMA_FILE).exists():
        mark(root, CURRENT)


def upgrade(root: Path, say: Callable[[str], None] = lambda line: None) -> list[int]:
    """Bring the folder to the current version; the versions reached, in order ([] when already current)."""
    reached = []
    while (found := version(root)) < CURRENT:
        STEPS[found](root, say)
        mark(root, found + 1)
        reached.append(found + 1)
        say(f"data folder at layout version {found + 1}")
    if not (root / SCHEMA_FILE).exists():
        mark(root, CURRENT)
    return reached


# --- the steps ------------------------------------------------------------------------------------------------

def _rewrite(path: Path, change: Callable[[dict], dict]) -> None:
    """Change one partition's raw TinyDB document (tables of id -> document) under its lock, atomically."""
    partition = Partition(path)
    with partition.transaction() as db:
        data = db.storage.read() or {}
        db.storage.write(change(data))


def _docs(data: dict, table: str) -> list[dict]:
    return list((data.get(table) or {}).values())


def _renamed(doc: dict, old: str, new: str) -> None:
    if old in doc:
        doc.setdefault(new, doc.pop(old))


def _recoded(doc: dict, field: str, codes: dict) -> None:
    if doc.get(field) in codes:
        doc[field] = codes[doc[field]]


def _inspection_partition(data: dict) -> dict:
    tables = {"inspections": data.get("submissions", {}), **{k: v for k, v in data.items() if k != "submissions"}}
    for doc in _docs(tables, "inspections"):
        _renamed(doc, "visit_key", "inspection_key")
    return tables


def _to_2(root: Path, say: Callable[[str], None]) -> None:
    old_root, new_root = root / "submissions", root / "inspections"
    moved = 0
    for old in sorted(old_root.glob("*/*.json")) if old_root.is_dir() else []:
        data = _inspection_partition(Partition(old).read_once())  # damage stops the upgrade, naming the file
        target = new_root / old.parent.name / old.name
        make_folders(target.parent)
        atomic_write(target, json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode())
        old.unlink()
        moved += 1
    if old_root.is_dir():
        shutil.rmtree(old_root)  # only lock files are left
    say(f"inspections: {moved} partitions moved from submissions/")
    for path in sorted((root / "index" / "inspectors").glob("*/*.json")):
        _rewrite(path, lambda data: {("inspections" if k == "visits" else k): v for k, v in data.items()})
    for path in sorted((root / "followups").glob("*.json")):
        _rewrite(path, _each("followups", lambda d: _renamed(d, "submission_id", "inspection_id")))
    for path in sorted((root / "notify" / "users").glob("*.json")):
        _rewrite(path, _each("alerts", lambda d: _renamed(d, "submission_id", "inspection_id")))
    if (root / "notify" / "webhooks.json").exists():
        _rewrite(root / "notify" / "webhooks.json", _each("deliveries", _delivery_2))
    if (root / "concerns.json").exists():
        _rewrite(root / "concerns.json", _each("concerns", lambda d: _recoded(d, "when", CONCERN_WHEN_2)))
    if (root / "lks.json").exists():
        _rewrite(root / "lks.json", _each("lks", lambda d: _recoded(d, "kind", LKS_KINDS_2)))
    say("follow-ups, alerts, webhook deliveries, concerns and the LKS register recoded")


def _delivery_2(doc: dict) -> None:
    _renamed(doc, "submission_id", "inspection_id")
    _recoded(doc, "state", DELIVERY_STATES_2)
    _recoded(doc, "event", EVENTS_2)


def _each(table: str, change: Callable[[dict], None]) -> Callable[[dict], dict]:
    def apply(data: dict) -> dict:
        for doc in _docs(data, table):
            change(doc)
        return data
    return apply


STEPS: dict[int, Callable[[Path, Callable[[str], None]], None]] = {1: _to_2}
