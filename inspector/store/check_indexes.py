"""The indexes held against the records ``store check`` read: the review queue's and each inspector's own.

A row missing (a sent inspection the queue cannot list, an inspection its inspector's list cannot find) and a
stale row (an id no record has, a state the record has left) are both findings, named by file and record id.
An index row about a record in a damaged partition is not judged: the damage is the finding.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .contract.kinds import DataDamaged
from .engine import Partition


@dataclass
class Seen:
    """What the records said, compactly: enough to judge every index without reading a record twice."""

    ids: dict[str, dict[str, str]] = field(default_factory=dict)  # kind -> {id: file}
    damaged: set[str] = field(default_factory=set)  # kinds with a damaged partition
    damaged_inspection_parts: set[str] = field(default_factory=set)  # "<lks id>/<yyyymm>"
    inspections: dict[str, tuple] = field(default_factory=dict)  # id -> (status, first sent, inspector, year)
    photo_ids: set[str] = field(default_factory=set)
    checklists: dict[str, str] = field(default_factory=dict)  # digest -> an inspection using it

    def add(self, kind: str, record: dict, where: str) -> None:
        self.ids.setdefault(kind, {})[record["id"]] = where
        if kind == "inspection":
            versions = record.get("versions") or [{}]
            first = versions[0].get("submitted_at") if isinstance(versions[0], dict) else None
            first = str(first or record.get("submitted_at") or record.get("created_at") or "")
            self.inspections[record["id"]] = (record.get("status"), first, record.get("inspector_id"),
                                              str(record.get("created_at") or "")[:4])
            self.photo_ids.update(p.get("id") for p in record.get("photos") or [] if isinstance(p, dict))
            digest = (record.get("checklist") or {}).get("digest")
            if isinstance(digest, str):
                self.checklists.setdefault(digest, record["id"])
        elif kind == "followup" and isinstance(record.get("photo"), dict):
            self.photo_ids.add(record["photo"].get("id"))

    def file_of(self, kind: str, record_id: str) -> str:
        """The file a record of this kind and id lives in (for naming it when it is missing)."""
        if kind == "inspection":
            parts = record_id.split("-")
            return f"inspections/{parts[0]}/{parts[1]}.json" if len(parts) == 3 else "inspections"
        return {"lks": "lks.json", "user": "users.json", "concern": "concerns.json"}.get(kind, "followups")

    def unknown(self, inspection_id: str) -> bool:
        """Whether an inspection id cannot be judged: its partition is damaged."""
        parts = inspection_id.split("-")
        return len(parts) == 3 and f"{parts[0]}/{parts[1]}" in self.damaged_inspection_parts


def _rows(root: Path, path: Path, table: str, findings: list, finding) -> list[dict] | None:
    try:
        data = Partition(path).read_once()
    except DataDamaged as error:
        findings.append(finding(str(path.relative_to(root)), "", f"damaged index: {error.why}"))
        return None
    except OSError as error:
        findings.append(finding(str(path.relative_to(root)), "", f"cannot be read: {error.strerror or error}"))
        return None
    return [r for r in (data.get(table) or {}).values() if isinstance(r, dict)]


def check_indexes(store, root: Path, seen: Seen, findings: list, finding) -> None:
    """Append a finding for every missing and every stale index row."""
    _review_index(root, seen, findings, finding)
    _inspector_indexes(root, seen, findings, finding)


def _review_index(root: Path, seen: Seen, findings: list, finding) -> None:
    sent = {i: v for i, v in seen.inspections.items() if v[0] != "draft"}
    months_folder = root / "index" / "months"
    listed: set[str] = set()
    for path in sorted(months_folder.glob("*.json")) if months_folder.is_dir() else []:
        rows = _rows(root, path, "rows", findings, finding)
        where = str(path.relative_to(root))
        if rows is None:
            listed.update(i for i, v in sent.items() if v[1][:4] + v[1][5:7] == path.stem)
            continue
        for row in rows:
            row_id = str(row.get("id"))
            listed.add(row_id)
            if seen.unknown(row_id):
                continue
            if row_id not in sent:
                findings.append(finding(where, row_id, "stale index row: no such sent inspection"))
            elif row.get("status") != sent[row_id][0]:
                findings.append(finding(where, row_id, f"stale index row: says {row.get('status')}, "
                                                       f"the inspection is {sent[row_id][0]}"))
    for inspection_id, (status, first, _, _) in sorted(sent.items()):
        if inspection_id not in listed:
            findings.append(finding(f"index/months/{first[:4]}{first[5:7]}.json", inspection_id,
                                    "index row missing: the queue's summaries do not list this inspection"))
    pending_path = root / "index" / "pending.json"
    rows = _rows(root, pending_path, "rows", findings, finding) if pending_path.exists() else []
    if rows is None:
        return
    pending = {str(r.get("id")) for r in rows}
    for inspection_id in sorted(pending):
        if not seen.unknown(inspection_id) and sent.get(inspection_id, ("",))[0] != "submitted":
            findings.append(finding("index/pending.json", inspection_id, "stale index row: not waiting for review"))
    for inspection_id, (status, *_rest) in sorted(sent.items()):
        if status == "submitted" and inspection_id not in pending:
            findings.append(finding("index/pending.json", inspection_id,
                                    "index row missing: waiting for review but not in the queue"))


def _inspector_indexes(root: Path, seen: Seen, findings: list, finding) -> None:
    folder = root / "index" / "inspectors"
    listed: set[tuple[str, str]] = set()
    for path in sorted(folder.glob("u*/*.json")) if folder.is_dir() else []:
        user_id, year = path.parent.name, path.stem
        rows = _rows(root, path, "inspections", findings, finding)
        where = str(path.relative_to(root))
        if rows is None:
            listed.update((i, user_id) for i, v in seen.inspections.items() if v[2] == user_id and v[3] == year)
            continue
        for row in rows:
            row_id = str(row.get("id"))
            listed.add((row_id, user_id))
            known = seen.inspections.get(row_id)
            if seen.unknown(row_id):
                continue
            if known is None or known[2] != user_id:
                findings.append(finding(where, row_id, "stale index row: this inspector has no such inspection"))
    for inspection_id, (_, _, inspector_id, year) in sorted(seen.inspections.items()):
        if inspector_id and (inspection_id, inspector_id) not in listed:
            findings.append(finding(f"index/inspectors/{inspector_id}/{year}.json", inspection_id,
                                    "index row missing: not in its inspector's own list"))
