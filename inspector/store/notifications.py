"""Notifications: each account's in-app alerts, the webhook delivery log, and the oversight state.

Layout under ``<data>/notify/``:

* ``users/<user id>.json``: one account's alerts, newest kept, at most
  ``MAX_PER_USER`` (the oldest read ones go first), so the header badge reads
  one small file;
* ``webhooks.json``: the last ``MAX_DELIVERIES`` webhook deliveries, each
  with its state, tries and last error;
* ``state.json``: per LKS the time of its latest approved inspection, and the
  inspections with an open critical finding -- both bounded by the register
  and the backlog, not by history.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from tinydb import Query

from .contract.trail import MAX_ALERTS_PER_USER, MAX_DELIVERIES
from .engine import Partition
from .records import Record, new_id
from ..timefmt import utcnow

_USER_ID = re.compile(r"^u[0-9a-f]{12}$")
FINISHED = ("sent", "failed")  # delivery states that will not change again


class NotificationStore:
    """Alerts per account, webhook deliveries and the oversight state."""

    MAX_PER_USER = MAX_ALERTS_PER_USER
    MAX_DELIVERIES = MAX_DELIVERIES

    def __init__(self, root: Path):
        self.root = root / "notify"
        self.state = Partition(self.root / "state.json")
        self.deliveries = Partition(self.root / "webhooks.json")

    # --- alerts -------------------------------------------------------------------

    def _user(self, user_id: str) -> Partition:
        if not _USER_ID.fullmatch(user_id or ""):
            raise ValueError("bad user id")
        return Partition(self.root / "users" / f"{user_id}.json")

    def add(self, user_ids: list[str], alert: Record, once: str | None = None) -> None:
        """Give each account its own unread copy of ``alert``; with ``once``, at most one per account."""
        for user_id in user_ids:
            alert_id = ("n" + hashlib.sha256(f"{once}\0{user_id}".encode()).hexdigest()[:12]) if once else new_id("n")
            record = {"id": alert_id, "created_at": utcnow(), "read_at": None, **alert}
            with self._user(user_id).transaction() as db:
                table = db.table("alerts")
                if once and table.contains(Query().id == alert_id):
                    continue
                table.insert(record)
                extra = len(table) - self.MAX_PER_USER
                if extra > 0:
                    # Read ones go first, oldest first; unread ones only when nothing else is left.
                    docs = sorted(table.all(), key=lambda d: (d.get("read_at") is None, d["created_at"]))
                    table.remove(doc_ids=[d.doc_id for d in docs[:extra]])

    def for_user(self, user_id: str) -> list[Record]:
        """One account's alerts, newest first."""
        docs = self._user(user_id).reader().table("alerts").all()
        return sorted((dict(d) for d in docs), key=lambda d: d["created_at"], reverse=True)

    def unread_count(self, user_id: str) -> int:
        return sum(1 for d in self._user(user_id).reader().table("alerts").all() if not d.get("read_at"))

    def get_alert(self, user_id: str, alert_id: str) -> Record | None:
        doc = self._user(user_id).reader().table("alerts").get(Query().id == alert_id)
        return dict(doc) if doc else None

    def mark_read(self, user_id: str, alert_id: str | None = None) -> int:
        """Mark one alert (or, with None, every alert) of the account read; returns how many changed."""
        partition = self._user(user_id)
        if not partition.exists():
            return 0
        now = utcnow()
        with partition.transaction() as db:
            table = db.table("alerts")
            unread = Query().read_at == None  # noqa: E711 (a TinyDB query, not a comparison)
            wanted = unread if alert_id is None else unread & (Query().id == alert_id)
            return len(table.update({"read_at": now}, wanted))

    # --- webhook deliveries ---------------------------------------------------------

    def delivery_add(self, record: Record) -> Record:
        record = {"id": new_id("w"), "created_at": utcnow(), "updated_at": utcnow(), **record}
        with self.deliveries.transaction() as db:
            table = db.table("deliveries")
            kept = table.get(Query().id == record["id"])
            if kept is not None:
                changes = {k: v for k, v in record.items() if k not in ("id", "created_at")}
                table.update(changes, doc_ids=[kept.doc_id])
                return {**dict(kept), **changes}
            table.insert(record)
            extra = len(table) - self.MAX_DELIVERIES
            if extra > 0:
                docs = sorted(table.all(), key=lambda d: (d["state"] not in FINISHED, d["created_at"]))
                table.remove(doc_ids=[d.doc_id for d in docs[:extra]])
        return record

    def delivery_update(self, delivery_id: str, changes: Record) -> None:
        with self.deliveries.transaction() as db:
            db.table("deliveries").update({**changes, "updated_at": utcnow()}, Query().id == delivery_id)

    def delivery_list(self) -> list[Record]:
        """Every kept delivery, newest first."""
        docs = self.deliveries.reader().table("deliveries").all()
        return sorted((dict(d) for d in docs), key=lambda d: d["created_at"], reverse=True)

    # --- oversight state --------------------------------------------------------------

    def inspected(self) -> tuple[dict[str, str], bool]:
        """({lks id: time of its latest approved inspection}, whether it was ever filled from the archive)."""
        data = self.state.reader()
        found = {d["lks_id"]: d["at"] for d in data.table("inspected").all()}
        return found, bool(data.table("meta").get(Query().key == "inspected_built"))

    def note_inspected(self, times: dict[str, str], built: bool = False) -> None:
        """Keep, per LKS, the later of the stored time and the one given; writes only on a change."""
        current, was_built = self.inspected()
        newer = {k: v for k, v in times.items() if v and v > current.get(k, "")}
        if not newer and (was_built or not built):
            return
        with self.state.transaction() as db:
            table = db.table("inspected")
            for lks_id, at in newer.items():
                doc = table.get(Query().lks_id == lks_id)
                if doc is None or at > doc["at"]:
                    table.upsert({"lks_id": lks_id, "at": at}, Query().lks_id == lks_id)
            if built:
                db.table("meta").upsert({"key": "inspected_built", "at": utcnow()}, Query().key == "inspected_built")

    def open_critical(self) -> list[str]:
        """Ids of inspections whose critical finding has not been approved or rejected yet."""
        return [d["id"] for d in self.state.reader().table("open_critical").all()]

    def critical_opened(self, inspection_id: str, lks_id: str) -> None:
        with self.state.transaction() as db:
            db.table("open_critical").upsert({"id": inspection_id, "lks_id": lks_id, "at": utcnow()},
                                             Query().id == inspection_id)

    def critical_closed(self, inspection_ids: list[str]) -> None:
        if not set(inspection_ids) & set(self.open_critical()):
            return
        with self.state.transaction() as db:
            db.table("open_critical").remove(Query().id.one_of(list(inspection_ids)))

    # --- alerts about the data --------------------------------------------------------

    def health_open(self) -> list[Record]:
        """Open alerts about the data: kind, subject, text and when each was opened."""
        return [dict(d) for d in self.state.reader().table("open_health").all()]

    def health_opened(self, kind: str, subject: str, text: str = "") -> bool:
        """Open an alert of ``kind`` about ``subject`` unless one is open: True when newly opened."""
        found = Query()
        with self.state.transaction() as db:
            table = db.table("open_health")
            if table.get((found.kind == kind) & (found.subject == subject)) is not None:
                return False
            table.insert({"kind": kind, "subject": subject, "text": text, "at": utcnow()})
        return True

    def health_closed(self, kind: str, subject: str | None = None) -> None:
        found = Query()
        which = (found.kind == kind) if subject is None else ((found.kind == kind) & (found.subject == subject))
        if not self.state.reader().table("open_health").search(which):
            return
        with self.state.transaction() as db:
            db.table("open_health").remove(which)

    # --- the latest store check -------------------------------------------------------

    def check_kept(self, result: Record) -> None:
        with self.state.transaction() as db:
            table = db.table("last_check")
            table.truncate()
            table.insert(dict(result))

    def last_check(self) -> Record | None:
        found = self.state.reader().table("last_check").all()
        return dict(found[0]) if found else None
