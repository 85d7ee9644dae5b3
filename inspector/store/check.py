"""``store check``: the data folder held against the audit chain, record by record, photo by photo, index by index.

``check(store)`` reads every partition once (never into the shared cache), hashes every photo once, and
returns its findings, each naming the file (relative to the data folder) and the record id. It never raises
on damaged data: a file that does not parse (``DataDamaged``) or cannot be read (``OSError``) is a finding.
What it holds the records to: the chain's latest digest of each (``digests.trail_state``), each photo's
``sha256`` kept in its record, and the indexes derived from the records (``check_indexes``).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterator

from filelock import Timeout

from . import digests
from .check_indexes import Seen, check_indexes
from .contract.kinds import DataDamaged
from .engine import Partition

PHOTO_THREADS = 4
# Evidence kinds in one file each: kind -> (file, table).
SINGLE_FILES = {"lks": ("lks.json", "lks"), "user": ("users.json", "users"), "concern": ("concerns.json", "concerns")}


@dataclass(frozen=True)
class Finding:
    """One problem: where (a file of the data folder), which record (an id, or ''), and what."""

    where: str
    record: str
    problem: str

    def __str__(self) -> str:
        return f"{self.where}{f' [{self.record}]' if self.record else ''}: {self.problem}"

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class Report:
    findings: list[Finding]
    chain_ok: bool
    chain_problem: str | None
    chain_entries: int
    records: int
    photos: int


def _read(root: Path, path: Path, findings: list[Finding]) -> dict | None:
    """The parsed partition, or None with the damage as a finding."""
    try:
        return Partition(path).read_once()
    except DataDamaged as error:
        findings.append(Finding(_rel(root, path), "", f"damaged: {error.why}"))
    except OSError as error:
        findings.append(Finding(_rel(root, path), "", f"cannot be read: {error.strerror or error}"))
    return None


def _rel(root: Path, path: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def _files(folder: Path, pattern: str = "*.json") -> list[Path]:
    try:
        return sorted(folder.glob(pattern)) if folder.is_dir() else []
    except OSError:
        return []


def _evidence_partitions(root: Path) -> Iterator[tuple[str, Path, str]]:
    """(kind, file, table) of every partition holding evidence records."""
    for kind, (name, table) in SINGLE_FILES.items():
        yield kind, root / name, table
    for folder in sorted(p for p in _files(root / "inspections", "l*") if p.is_dir()):
        for path in _files(folder):
            yield "inspection", path, "inspections"
    for path in _files(root / "followups"):
        yield "followup", path, "followups"


def check(store) -> Report:
    """Every finding about the data folder of ``store``, in the order the parts are checked."""
    root = Path(store.root)
    findings: list[Finding] = []
    trail = digests.TrailState()
    try:  # one pass: each entry verified is folded into what the chain says must exist
        ok, problem, entries = store.audit.verify(lambda entry: digests.apply(trail, entry))
    except (OSError, Timeout) as error:
        ok, problem, entries = False, f"cannot be read: {error}", 0
    if not ok:
        findings.append(Finding("audit", "", f"chain broken: {problem}"))
        try:  # what follows the break still says what must exist
            trail = digests.trail_state(store.audit.stream())
        except OSError as error:
            findings.append(Finding("audit", "", f"cannot be read: {error.strerror or error}"))
    seen = Seen()
    records, photos = 0, []
    for kind, path, table in _evidence_partitions(root):
        data = _read(root, path, findings)
        if data is None:
            seen.damaged.add(kind)
            if kind == "inspection":
                seen.damaged_inspection_parts.add(f"{path.parent.name}/{path.stem}")
            continue
        where = _rel(root, path)
        for record in (data.get(table) or {}).values():
            if not isinstance(record, dict) or not isinstance(record.get("id"), str):
                findings.append(Finding(where, "", "a row that is not a record"))
                continue
            records += 1
            try:
                seen.add(kind, record, where)
                _check_record(trail, kind, record, where, findings)
                photos += [(record["id"], photo) for photo in _photo_entries(kind, record)]
            except (TypeError, AttributeError, KeyError, ValueError) as error:
                findings.append(Finding(where, record["id"], f"not a record as Inspector writes it ({error})"))
    _check_photos(store, trail, photos, findings)
    _missing(trail, seen, findings)
    _missing_photos(store, trail, seen, findings)
    try:
        check_indexes(store, root, seen, findings, Finding)
    except (TypeError, AttributeError, KeyError, ValueError, OSError) as error:
        findings.append(Finding("index", "", f"an index holds rows Inspector does not write ({error})"))
    _check_archive(store, root, seen, findings)
    return Report(findings, ok, problem, entries, records, len(photos))


def _check_record(trail: digests.TrailState, kind: str, record: dict, where: str, findings: list[Finding]) -> None:
    key = (kind, record["id"])
    if key not in trail.records:
        if kind != "inspection" or record.get("versions"):  # a draft is evidence once its start is traced
            findings.append(Finding(where, record["id"], "not in the audit chain (added outside Inspector?)"))
        return
    expected = trail.records[key]
    if expected is not None and expected != digests.record_digest(record, kind):
        findings.append(Finding(where, record["id"], "digest does not match the audit chain (changed outside "
                                                     "Inspector?)"))


def _photo_entries(kind: str, record: dict) -> list[dict]:
    if kind == "inspection":
        return [p for p in record.get("photos") or [] if isinstance(p, dict) and p.get("id")]
    if kind == "followup" and isinstance(record.get("photo"), dict) and record["photo"].get("id"):
        return [record["photo"]]
    return []


def _photo_digest(store, owner: str, photo_id: str) -> str | None | OSError:
    """The SHA-256 of a photo file; None when there is none; the OSError when it cannot be read."""
    try:
        data = store.photos.read(owner, photo_id)
    except OSError as error:
        return error
    return digests.file_digest(data) if data is not None else None


def _hash_all(store, refs: list[tuple[str, str]]) -> dict[tuple[str, str], str | None | OSError]:
    """Every photo's digest, read and hashed on a few threads (both release the GIL): the disk sets the pace."""
    with ThreadPoolExecutor(max_workers=PHOTO_THREADS) as pool:
        return dict(zip(refs, pool.map(lambda ref: _photo_digest(store, *ref), refs, chunksize=64)))


def _check_photos(store, trail, photos: list[tuple[str, dict]], findings: list[Finding]) -> None:
    """Each photo a record lists: its file present, and hashing to the record's ``sha256`` and the chain's."""
    actual = _hash_all(store, [(owner, photo["id"]) for owner, photo in photos])
    for owner, photo in photos:
        photo_id = photo["id"]
        where, found = f"photos/{owner}/{photo_id}.jpg", actual[(owner, photo_id)]
        if isinstance(found, OSError):
            findings.append(Finding(where, owner, f"photo cannot be read: {found.strerror or found}"))
            continue
        if found is None:
            findings.append(Finding(where, owner, f"photo {photo_id} missing"))
            continue
        if photo.get("sha256") and found != photo["sha256"]:
            findings.append(Finding(where, owner, f"photo {photo_id} differs from the sha256 in its record"))
        chained = trail.photos.get((owner, photo_id))
        if chained and found != chained:
            findings.append(Finding(where, owner, f"photo {photo_id} differs from the audit chain"))


def _missing(trail: digests.TrailState, seen: Seen, findings: list[Finding]) -> None:
    for (kind, record_id), digest in trail.records.items():
        if record_id in seen.ids.get(kind, {}):
            continue
        where = seen.file_of(kind, record_id)
        damaged = seen.unknown(record_id) if kind == "inspection" else kind in seen.damaged
        state = "in a damaged file" if damaged else "missing"
        findings.append(Finding(where, record_id, f"{kind} {state}: the audit chain says it exists"))


def _missing_photos(store, trail: digests.TrailState, seen: Seen, findings: list[Finding]) -> None:
    """Photos the chain names whose record no longer lists them, and whose file is gone or changed."""
    for (owner, photo_id), digest in trail.photos.items():
        if photo_id in seen.photo_ids:
            continue
        where = f"photos/{owner}/{photo_id}.jpg"
        try:
            data = store.photos.read(owner, photo_id)
        except OSError:
            data = None
        if data is None:
            findings.append(Finding(where, owner, f"photo {photo_id} missing: the audit chain says it exists"))
        elif digests.file_digest(data) != digest:
            findings.append(Finding(where, owner, f"photo {photo_id} differs from the audit chain"))


def _check_archive(store, root: Path, seen: Seen, findings: list[Finding]) -> None:
    path = root / "checklists.json"
    data = _read(root, path, findings) if path.exists() or seen.checklists else {}
    if data is None:
        return
    kept = set()
    for row in (data.get("definitions") or {}).values():
        digest = row.get("digest") if isinstance(row, dict) else None
        if not isinstance(digest, str) or not isinstance(row.get("source"), dict):
            findings.append(Finding("checklists.json", "", "a row that is not an archived checklist"))
            continue
        kept.add(digest)
        if digests.checklist_digest(row["source"]) != digest:
            findings.append(Finding("checklists.json", digest, "archived checklist does not match its digest"))
    for digest, inspection_id in sorted(seen.checklists.items()):
        if digest not in kept:
            findings.append(Finding("checklists.json", digest,
                                    f"checklist version missing from the archive (used by {inspection_id})"))
