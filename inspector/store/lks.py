"""The LKS register: one partition, small (a city has tens to hundreds of LKS)."""

from __future__ import annotations

from pathlib import Path

from .engine import Partition
from .records import Record, RecordTable, new_id
from ..timefmt import utcnow


class LksStore(RecordTable):
    """LKS records keyed by id, each with a unique public code."""

    def __init__(self, root: Path):
        super().__init__(Partition(root / "lks.json"), "lks")

    # The record table's methods under the parameter names of the contract.
    def get(self, lks_id: str) -> Record | None:
        return super().get(lks_id)

    def by_code(self, code: str) -> Record | None:
        wanted = code.strip().upper()
        found = self.find(lambda doc: doc.get("code") == wanted)
        return found[0] if found else None

    def codes(self) -> set[str]:
        return {doc["code"] for doc in self.partition.reader().table(self.table).all()}

    def create_many(self, records: list[Record]) -> list[Record]:
        """Insert several new LKS in one atomic write; ValueError on a code already used."""
        now = utcnow()
        prepared = [{"id": new_id("l"), "created_at": now, "updated_at": now, **r, "code": r["code"].upper()}
                    for r in records]
        with self.partition.transaction() as db:
            table = db.table(self.table)
            used = {doc["code"] for doc in table.all()}
            for record in prepared:
                if record["code"] in used:
                    raise ValueError(f"code {record['code']} already used")
                used.add(record["code"])
            table.insert_multiple(prepared)
        return prepared

    def create(self, **fields) -> Record:
        return self.create_many([fields])[0]

    def change(self, lks_id: str, fields: Record) -> Record | None:
        """Update one LKS in one atomic write; ValueError when the new code is used by another."""
        with self.partition.transaction() as db:
            table = db.table(self.table)
            docs = table.all()
            current = next((d for d in docs if d["id"] == lks_id), None)
            if current is None:
                return None
            code = fields.get("code", current["code"]).upper()
            fields = {**fields, "code": code}
            if any(d["code"] == code and d["id"] != lks_id for d in docs):
                raise ValueError(f"code {code} already used")
            updated = {**current, **fields, "updated_at": utcnow()}
            table.update(updated, doc_ids=[current.doc_id])
        return updated
