"""The archive of checklist definitions, by digest: every inspection can be read against what it was filled in."""

from __future__ import annotations

from pathlib import Path

from tinydb import Query

from .engine import Partition


class ChecklistArchive:
    """Definitions (as parsed TOML) keyed by content digest; added once, never changed."""

    def __init__(self, root: Path):
        self.partition = Partition(root / "checklists.json")

    def keep(self, digest: str, source: dict) -> None:
        if self.get(digest) is not None:
            return
        with self.partition.transaction() as db:
            table = db.table("definitions")
            if not table.contains(Query().digest == digest):
                table.insert({"digest": digest, "source": source})

    def get(self, digest: str) -> dict | None:
        doc = self.partition.reader().table("definitions").get(Query().digest == digest)
        return doc["source"] if doc else None
