"""Benchmark: the pages that read a growing history, on Inspector's store, a naive TinyDB file and SQLite.

For each size (stored inspections: 100, 1,000 and 10,000 by default) the
script builds one realistic data folder: the 72 demo LKS, 12 inspectors, a
reviewer, and inspections of the real LKSA checklist (forms/lksa.toml, every
item answered by its type, findings, a few critical, notes, photo metadata)
spread over three years -- most approved (some after a return), some
returned or rejected, a few abandoned drafts, and the newest 20 waiting for
review. The same records go into a naive TinyDB file (one JSON file, read
whole for every page) and SQLite (stdlib sqlite3, WAL, synchronous=FULL,
indexed columns, JSON documents). Then, with the same data in each:

* insert: one new inspection stored and durable (median and p95);
* queue: the reviewer's queue page (waiting inspections, critical first,
  plus the LKS register and the accounts it shows names from);
* dashboard: the oversight page (overdue and never-inspected LKS, counts per
  kecamatan, open critical findings, long waits);
* csv_month / csv_year: the CSV export of every inspection first sent in the
  last full month / the last full calendar year (the queue page's filters);
* history: the operator's history of one LKS (every approved inspection,
  as the operator sees it), the LKS with the median history;
* last_approved: that LKS's latest approved inspection (the public LKS page
  shows its date; the review page compares with it).

Reads are "warm" (the steady state of a server process: repeated, nothing
written in between; median) and "cold" (the process's own cache dropped
first; median). Inspector alone also times the two other writes of the
review flow: submit (a filled inspection sent) and approve.

It prints figures and asserts nothing. Run from the repository root:

    .venv/bin/python bench/history_bench.py             # 100, 1000, 10000 (about 4 minutes)
    .venv/bin/python bench/history_bench.py --quick     # 100 and 1000, few repetitions
    .venv/bin/python bench/history_bench.py --sizes 100,3000

No file outside a temporary folder is written (``--dir`` chooses where).
"""

from __future__ import annotations

import argparse
import atexit
import gc
import json
import math
import os
import random
import secrets
import shutil
import signal
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tinydb import TinyDB  # noqa: E402

from inspector import checklists, demo, export, followups, oversight, review, inspections  # noqa: E402
from inspector.places import KECAMATAN  # noqa: E402
from inspector.store import Store, engine  # noqa: E402
from inspector.timefmt import to_wib  # noqa: E402

FORM = REPO / "forms" / "lksa.toml"
N_INSPECTORS = 12
YEARS = 3
PENDING = 20  # the review backlog: the newest inspections, sent in the last ten days
OVERDUE_DAYS, WAITING_DAYS = 90, 7  # the defaults of INSPECTOR_OVERDUE_DAYS / INSPECTOR_WAITING_DAYS

NOTES = [
    "Perlu perbaikan segera sebelum musim hujan.",
    "Ventilasi kurang memadai di kamar belakang, pengap pada siang hari.",
    "Dokumen belum diperbarui sejak 2022, pengurus berjanji melengkapi bulan depan.",
    "Kamar mandi kurang bersih, lantai licin dan berlumut.",
    "Alat pemadam api ringan sudah kedaluwarsa, belum diisi ulang.",
    "Jumlah pengasuh tidak sebanding dengan jumlah anak asuh.",
    "Sudah diperbaiki sejak kunjungan terakhir, kondisi baik.",
    "Stok obat di kotak P3K tidak lengkap, plester dan antiseptik habis.",
    "Dua tempat tidur rusak dan belum diganti.",
    "Catatan harian anak tidak diisi lengkap.",
    "Menu makan siang hanya nasi dan tempe selama tiga hari berturut-turut.",
    "Pengurus kooperatif dan menunjukkan bukti perbaikan.",
]
TEXTS = ["446/123/Dinsos/2023", "Ibu Sri (ketua yayasan)", "Bapak Hadi, pengasuh", "Tidak ada", "Lihat catatan"]


def iso(moment: datetime) -> str:
    """The store's time format (timefmt.utcnow): UTC, seconds, +00:00."""
    return moment.astimezone(timezone.utc).replace(microsecond=0).isoformat()


# --------------------------------------------------------------------------- data


def answer(rng: random.Random, item, failing: bool, day: date) -> dict | None:
    """A plausible answer to one item, failing when asked (and when the item can fail)."""
    if not item.required and rng.random() < 0.15:
        return None
    if item.type == "yes_no":
        good = "tidak" if item.fail_answer == "ya" else "ya"
        value = item.fail_answer if failing else ("tb" if rng.random() < 0.05 else good)
    elif item.type in ("choice", "multi"):
        values = [v for v, _label in item.options]
        bad = [v for v in values if v in item.fail_values]
        ok = [v for v in values if v not in item.fail_values] or values
        if item.type == "choice":
            value = rng.choice(bad) if failing and bad else rng.choice(ok)
        else:
            value = [rng.choice(bad)] if failing and bad else rng.sample(ok, rng.randint(1, min(3, len(ok))))
    elif item.type == "number":
        low = int(item.min or 0)
        value = rng.randint(low, max(low, min(int(item.max or 100), low + 60)))
    elif item.type == "date":
        value = (day + timedelta(days=rng.randint(30, 1500))).isoformat()
    elif item.type == "text":
        value = rng.choice(TEXTS)
    elif item.type == "longtext":
        value = " ".join(rng.sample(NOTES, 2))
    else:
        return None
    entry = {"value": value}
    if failing or rng.random() < 0.12:
        entry["note"] = rng.choice(NOTES)
    return entry


def photo(rng: random.Random, item_id: str, at: str) -> dict:
    """A photo's metadata as inspections.add_photo keeps it (the JPEG itself is not part of the record)."""
    return {"id": "p" + secrets.token_hex(6), "item": item_id, "upload_key": secrets.token_hex(8), "taken_at": at,
            "gps": [round(-6.2 + rng.uniform(-0.05, 0.05), 6), round(106.65 + rng.uniform(-0.05, 0.05), 6)],
            "width": 1600, "height": 1200, "sha256": secrets.token_hex(32), "received_at": at}


def filled_inspection(rng, checklist, lks_id: str, inspector_id: str, started: datetime, critical: bool) -> dict:
    """An inspection (draft) with every item answered by its type and its photos, ready to send."""
    day = started.date()
    at = iso(started)
    answers, photos = {}, []
    critical_item = rng.choice([i for i in checklist.items() if i.critical]) if critical else None
    for item in checklist.items():
        failing = item is critical_item or (not item.critical and item.can_fail and rng.random() < 0.08)
        entry = answer(rng, item, failing, day)
        if entry:
            answers[item.id] = entry
        if item.type == "photo" or (failing and item.photo_on_fail):
            photos.append(photo(rng, item.id, at))
    photos += [photo(rng, inspections.GENERAL, at) for _ in range(rng.randint(0, 2))]
    return {"lks_id": lks_id, "inspector_id": inspector_id, "status": "draft", "checklist": checklist.ref,
            "inspection_key": secrets.token_urlsafe(24), "answers": answers, "photos": photos, "created_at": at,
            "updated_at": at}


def decided(record: dict, reviewer: dict, action: str, at: datetime, comment: str = "") -> dict:
    """The record after a reviewer's decision, as review.decide writes it."""
    signed = {"by": reviewer["id"], "by_name": reviewer["name"], "role": "reviewer", "at": iso(at)}
    comments = record.get("comments", [])
    if comment:
        comments = comments + [{"id": secrets.token_hex(4), **signed, "text": comment}]
    return {**record, "status": review.DECISIONS[action], "decided_at": signed["at"], "updated_at": signed["at"],
            "decisions": record.get("decisions", []) + [{**signed, "action": action, "comment": comment}],
            "comments": comments}


def make_history(seed: int, size: int, checklist, lks: list[dict], inspectors: list[dict], reviewer: dict,
                 now: datetime, id_of) -> list[dict]:
    """``size`` inspections over the last YEARS years, oldest first; the newest PENDING wait for review."""
    rng = random.Random(seed)
    span = YEARS * 365 * 86400
    pending = min(PENDING, size)
    starts = sorted([now - timedelta(days=10) - timedelta(seconds=rng.randrange(span - 10 * 86400))
                     for _ in range(size - pending)] +
                    [now - timedelta(seconds=rng.randrange(10 * 86400)) for _ in range(pending)])
    records = []
    for n, started in enumerate(starts):
        waiting = n >= size - pending
        inspection = filled_inspection(rng, checklist, rng.choice(lks)["id"], rng.choice(inspectors)["id"], started,
                             critical=rng.random() < 0.03)
        inspection["id"] = id_of(inspection)
        if not waiting and rng.random() < 0.01:  # abandoned draft
            records.append(inspection)
            continue
        sent_at = started + timedelta(minutes=rng.randint(30, 240))
        record = inspections._sent(checklist, inspection, iso(sent_at))
        if waiting:
            records.append(record)
            continue
        fate = rng.random()
        decided_at = min(sent_at + timedelta(hours=rng.randint(4, 120)), now - timedelta(hours=1))
        if fate < 0.05:  # returned, corrected, sent again, approved
            record = decided(record, reviewer, "return", decided_at, rng.choice(NOTES))
            again = decided_at + timedelta(days=rng.randint(1, 5))
            record = {**inspections._sent(checklist, record, iso(again)), "decisions": record["decisions"],
                      "comments": record["comments"]}
            record = decided(record, reviewer, "approve", again + timedelta(days=1))
        elif fate < 0.08:
            record = decided(record, reviewer, "return", decided_at, rng.choice(NOTES))
        elif fate < 0.11:
            record = decided(record, reviewer, "reject", decided_at, "Kunjungan tidak sesuai prosedur.")
        else:
            record = decided(record, reviewer, "approve", decided_at)
        records.append(record)
    return records


def new_records(seed: int, count: int, checklist, lks, inspectors, id_of, now: datetime) -> list[dict]:
    """Filled inspections made "now", for the timed writes."""
    rng = random.Random(seed)
    out = []
    for n in range(count):
        inspection = filled_inspection(rng, checklist, rng.choice(lks)["id"], rng.choice(inspectors)["id"],
                             now + timedelta(seconds=n), critical=False)
        inspection["id"] = id_of(inspection)
        out.append(inspection)
    return out


# --------------------------------------------------------------------------- what every back-end shares


def wib_day(moment: str | None) -> str:
    return to_wib(moment).date().isoformat() if moment else ""


def first_sent(record: dict) -> str:
    return (record.get("versions") or [{}])[0].get("submitted_at") or record.get("submitted_at") or record["created_at"]


def row_of(record: dict, lks: dict) -> dict:
    """A queue row from a record (review.index_row without the store)."""
    score = record.get("score") or {}
    return {"id": record["id"], "lks_id": record["lks_id"], "kecamatan": lks.get(record["lks_id"], {}).get("kecamatan", ""),
            "inspector_id": record["inspector_id"], "status": record["status"],
            "submitted_at": record.get("submitted_at"), "first_submitted_at": first_sent(record),
            "score": score.get("percent"), "failed": len(score.get("failed", [])),
            "critical": bool(record.get("critical")), "photos": len(record.get("photos", [])),
            "decided_at": record.get("decided_at"), "checklist_id": record["checklist"]["id"]}


def queue_order(rows: list[dict]) -> list[dict]:
    return sorted(rows, key=lambda r: (not r["critical"], r["submitted_at"] or ""))


def dashboard(register: list[dict], last: dict[str, str], pending: list[dict], critical: list[dict],
              now: datetime) -> dict:
    """The dashboard's figures from: latest approved first-sent time per LKS, waiting rows, open critical rows."""
    cutoff, waited = iso(now - timedelta(days=OVERDUE_DAYS)), iso(now - timedelta(days=WAITING_DAYS))
    owner = {l["id"]: l.get("merged_into") or l["id"] for l in register}
    latest: dict[str, str] = {}
    for lks_id, at in last.items():
        latest[owner.get(lks_id, lks_id)] = max(latest.get(owner.get(lks_id, lks_id), ""), at)
    counts = {name: Counter() for name in KECAMATAN}
    overdue, never = [], []
    for lks in register:
        if not lks.get("active") or lks.get("provisional"):
            continue
        row = counts.setdefault(lks.get("kecamatan", ""), Counter())
        row["lks"] += 1
        at = latest.get(lks["id"])
        if at is None:
            row["never"] += 1
            never.append(lks)
        elif at < cutoff:
            row["overdue"] += 1
            overdue.append((at, lks))
    for r in pending:
        counts.setdefault(r["kecamatan"], Counter())["waiting"] += 1
    return {"overdue": sorted(overdue, key=lambda x: x[0]), "never": never, "counts": counts,
            "waiting_long": sorted((r for r in pending if (r["submitted_at"] or "") < waited),
                                   key=lambda r: r["submitted_at"]),
            "critical": sorted(critical, key=lambda r: r["submitted_at"] or "")}


def csv_of(register, users, archive: dict, records: list[dict]) -> bytes:
    """The export's CSV (export.inspections_csv) from records fetched by any back-end."""
    shim = SimpleNamespace(lks=SimpleNamespace(all=lambda: register), users=SimpleNamespace(all=lambda: users),
                           checklists=SimpleNamespace(get=archive.get))
    return export.inspections_csv(shim, records, include_confidential=True)


def operator_history(archive: dict, records: list[dict]) -> list:
    shim = SimpleNamespace(checklists=SimpleNamespace(get=archive.get))
    return [followups.operator_view(inspections.checklist_of(shim, r), r) for r in records]


# --------------------------------------------------------------------------- back-ends


class InspectorBackend:
    """inspector.store.Store and the functions the pages call."""

    name = "inspector"

    def __init__(self, store: Store, checklist, now: datetime):
        self.store, self.checklist, self.now = store, checklist, now

    def load(self, records: list[dict]) -> float:
        """Write the history partition by partition (what one insert at a time would leave), then build the
        review indexes and the open critical findings as the server does."""
        subs = self.store.inspections
        by_partition, by_index = {}, {}
        for r in records:
            by_partition.setdefault(subs._locate(r["id"]), []).append(r)
            by_index.setdefault((r["inspector_id"], r["created_at"][:4]), []).append(
                {"id": r["id"], "lks_id": r["lks_id"], "created_at": r["created_at"]})
        for (lks_id, period), chunk in by_partition.items():
            subs._table(lks_id, period).insert_many(chunk)
        for (user_id, year), chunk in by_index.items():
            subs._index(user_id, year).insert_many(chunk)
        review.rebuild_indexes(self.store)
        for r in records:
            if r["status"] in oversight.OPEN and r.get("critical"):
                self.store.notifications.critical_opened(r["id"], r["lks_id"])
        engine._cache.clear()
        return float("nan")

    def first_dashboard(self) -> float:
        """The first dashboard on a data folder fills the oversight state from every month, once."""
        return timed(oversight.build, self.store, OVERDUE_DAYS, WAITING_DAYS, self.now)[0]

    def insert(self, record: dict) -> None:
        self.store.inspections.insert(record)

    def queue(self):
        rows = review.queue(self.store, "submitted")
        return rows, self.store.lks.all(), self.store.users.all()

    def dashboard(self):
        return oversight.build(self.store, OVERDUE_DAYS, WAITING_DAYS, self.now)

    def csv(self, day_from: str, day_to: str) -> bytes:
        # As inspector/web/export.py: the queue's rows with its filters, each inspection, the CSV.
        rows = review.queue(self.store, "", date_from=day_from, date_to=day_to)
        if hasattr(self.store.inspections, "peek_many"):
            records = self.store.inspections.peek_many([row["id"] for row in rows])
        else:  # the store before peek_many (to measure an older checkout with this script)
            records = [r for r in (self.store.inspections.get(row["id"]) for row in rows) if r is not None]
        return export.inspections_csv(self.store, records, include_confidential=True)

    def history(self, lks_id: str):
        return followups.approved_for(self.store, [lks_id])

    def last_approved(self, lks_id: str):
        return review.last_approved(self.store, lks_id)

    def cold(self) -> None:
        engine._cache.clear()

    def size_mb(self) -> float:
        return sum(p.stat().st_size for p in self.store.root.rglob("*") if p.is_file()) / 1e6


class NaiveBackend:
    """One TinyDB file (default JSONStorage, which fsyncs every write): every page reads the whole file."""

    name = "naive_tinydb"

    def __init__(self, folder: Path, register, users, archive, now: datetime):
        self.path = folder / "db.json"
        self.db = TinyDB(self.path)
        self.db.table("lks").insert_multiple(register)
        self.db.table("users").insert_multiple(users)
        self.db.table("checklists").insert_multiple([{"digest": d, "source": s} for d, s in archive.items()])
        self.now = now

    def load(self, records: list[dict]) -> float:
        self.db.table("inspections").insert_multiple(records)
        return float("nan")

    def insert(self, record: dict) -> None:
        self.db.table("inspections").insert(record)

    def _read(self):
        data = self.db.storage.read()  # one parse of the whole file per page
        register = list(data["lks"].values())
        return (list(data["inspections"].values()), register, list(data["users"].values()),
                {c["digest"]: c["source"] for c in data["checklists"].values()}, {l["id"]: l for l in register})

    def queue(self):
        records, register, users, _a, lks = self._read()
        return queue_order([row_of(r, lks) for r in records if r["status"] == "submitted"]), register, users

    def dashboard(self):
        records, register, _u, _a, lks = self._read()
        last: dict[str, str] = {}
        for r in records:
            if r["status"] == "approved":
                last[r["lks_id"]] = max(last.get(r["lks_id"], ""), first_sent(r))
        pending = [row_of(r, lks) for r in records if r["status"] == "submitted"]
        critical = [row_of(r, lks) for r in records if r["status"] in oversight.OPEN and r.get("critical")]
        return dashboard(register, last, pending, critical, self.now)

    def csv(self, day_from: str, day_to: str) -> bytes:
        records, register, users, archive, lks = self._read()
        chosen = [r for r in records if r["status"] != "draft" and day_from <= wib_day(first_sent(r)) <= day_to]
        order = {row["id"]: n for n, row in enumerate(queue_order([row_of(r, lks) for r in chosen]))}
        return csv_of(register, users, archive, sorted(chosen, key=lambda r: order[r["id"]]))

    def history(self, lks_id: str):
        records, _r, _u, archive, _l = self._read()
        mine = sorted((r for r in records if r["lks_id"] == lks_id), key=lambda r: r["created_at"], reverse=True)
        return operator_history(archive, [r for r in mine if r["status"] == "approved"])

    def last_approved(self, lks_id: str):
        records, register, _u, _a, _l = self._read()
        merged = {lks_id} | {l["id"] for l in register if l.get("merged_into") == lks_id}
        mine = [r for r in records if r["lks_id"] in merged and r["status"] == "approved"]
        return max(mine, key=lambda r: r["created_at"], default=None)

    cold = None  # every read parses the whole file anyway

    def size_mb(self) -> float:
        return self.path.stat().st_size / 1e6


class SqliteBackend:
    """stdlib sqlite3, WAL, synchronous=FULL, autocommit; indexed columns beside the JSON document."""

    name = "sqlite"

    def __init__(self, folder: Path, register, users, archive, now: datetime):
        self.path = folder / "db.sqlite"
        self.conn = self._connect()
        self.conn.executescript("""
            CREATE TABLE lks (id TEXT PRIMARY KEY, doc TEXT NOT NULL);
            CREATE TABLE users (id TEXT PRIMARY KEY, doc TEXT NOT NULL);
            CREATE TABLE checklists (digest TEXT PRIMARY KEY, doc TEXT NOT NULL);
            CREATE TABLE inspections (id TEXT PRIMARY KEY, lks_id TEXT NOT NULL, status TEXT NOT NULL,
                created_at TEXT NOT NULL, first_sent TEXT, first_day TEXT, critical INTEGER NOT NULL,
                doc TEXT NOT NULL);
            CREATE INDEX inspections_lks ON inspections (lks_id, created_at);
            CREATE INDEX inspections_status ON inspections (status, first_sent);
            CREATE INDEX inspections_day ON inspections (first_day);
        """)
        self.conn.execute("BEGIN")
        self.conn.executemany("INSERT INTO lks VALUES (?, ?)", [(l["id"], _dump(l)) for l in register])
        self.conn.executemany("INSERT INTO users VALUES (?, ?)", [(u["id"], _dump(u)) for u in users])
        self.conn.executemany("INSERT INTO checklists VALUES (?, ?)", [(d, _dump(s)) for d, s in archive.items()])
        self.conn.execute("COMMIT")
        self.now = now

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        return conn

    @staticmethod
    def _row(r: dict) -> tuple:
        sent = first_sent(r) if r["status"] != "draft" else None
        return (r["id"], r["lks_id"], r["status"], r["created_at"], sent, wib_day(sent) if sent else None,
                int(bool(r.get("critical"))), _dump(r))

    def load(self, records: list[dict]) -> float:
        self.conn.execute("BEGIN")
        self.conn.executemany("INSERT INTO inspections VALUES (?, ?, ?, ?, ?, ?, ?, ?)", map(self._row, records))
        self.conn.execute("COMMIT")
        return float("nan")

    def insert(self, record: dict) -> None:
        self.conn.execute("INSERT INTO inspections VALUES (?, ?, ?, ?, ?, ?, ?, ?)", self._row(record))

    def _docs(self, sql: str, *args) -> list[dict]:
        return [json.loads(doc) for (doc,) in self.conn.execute(sql, args)]

    def _register(self):
        register = self._docs("SELECT doc FROM lks")
        return register, {l["id"]: l for l in register}

    def queue(self):
        register, lks = self._register()
        rows = [row_of(r, lks) for r in self._docs("SELECT doc FROM inspections WHERE status = 'submitted'")]
        return queue_order(rows), register, self._docs("SELECT doc FROM users")

    def dashboard(self):
        register, lks = self._register()
        last = dict(self.conn.execute(
            "SELECT lks_id, MAX(first_sent) FROM inspections WHERE status = 'approved' GROUP BY lks_id"))
        pending = [row_of(r, lks) for r in self._docs("SELECT doc FROM inspections WHERE status = 'submitted'")]
        critical = [row_of(r, lks) for r in self._docs(
            "SELECT doc FROM inspections WHERE status IN ('submitted', 'returned') AND critical = 1")]
        return dashboard(register, last, pending, critical, self.now)

    def csv(self, day_from: str, day_to: str) -> bytes:
        register, lks = self._register()
        chosen = self._docs("SELECT doc FROM inspections WHERE first_day BETWEEN ? AND ? AND status != 'draft'",
                            day_from, day_to)
        order = {row["id"]: n for n, row in enumerate(queue_order([row_of(r, lks) for r in chosen]))}
        archive = {d: json.loads(s) for d, s in self.conn.execute("SELECT digest, doc FROM checklists")}
        return csv_of(register, self._docs("SELECT doc FROM users"), archive,
                      sorted(chosen, key=lambda r: order[r["id"]]))

    def history(self, lks_id: str):
        archive = {d: json.loads(s) for d, s in self.conn.execute("SELECT digest, doc FROM checklists")}
        return operator_history(archive, self._docs(
            "SELECT doc FROM inspections WHERE lks_id = ? AND status = 'approved' ORDER BY created_at DESC", lks_id))

    def last_approved(self, lks_id: str):
        register, _lks = self._register()
        merged = [lks_id] + [l["id"] for l in register if l.get("merged_into") == lks_id]
        found = self._docs(f"SELECT doc FROM inspections WHERE lks_id IN ({', '.join('?' * len(merged))})"
                           " AND status = 'approved' ORDER BY created_at DESC LIMIT 1", *merged)
        return found[0] if found else None

    def cold(self) -> None:
        self.conn.close()  # a fresh connection: empty page cache (the OS cache stays warm for everyone)
        self.conn = self._connect()

    def size_mb(self) -> float:
        return sum(p.stat().st_size for p in self.path.parent.glob("db.sqlite*") if not p.name.endswith("-shm")) / 1e6


def _dump(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


# --------------------------------------------------------------------------- measuring


def timed(fn, *args) -> tuple[float, object]:
    start = time.perf_counter_ns()
    result = fn(*args)
    return (time.perf_counter_ns() - start) / 1e6, result


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


SAMPLE_SECONDS, MAX_SAMPLES = 0.3, 60  # cheap reads are repeated up to this, for a steadier median


def repeat(fn, times: int, cold=None) -> tuple[float, object]:
    """(median milliseconds, the last result) of at least ``times`` calls, more while they take under
    SAMPLE_SECONDS in all: warm after one untimed call, or with ``cold`` run before each call."""
    if not cold:
        fn()
    found, result = [], None
    while len(found) < times or (sum(found) < SAMPLE_SECONDS * 1000 and len(found) < MAX_SAMPLES):
        if cold:
            cold()
        gc.collect()
        took, result = timed(fn)
        found.append(took)
    return statistics.median(found), result


def measure(backend, plan: dict, writes: list[dict], month: tuple[str, str], year: tuple[str, str],
            lks_id: str) -> dict:
    ops = {
        "queue": backend.queue,
        "dashboard": backend.dashboard,
        "csv_month": lambda: backend.csv(*month),
        "csv_year": lambda: backend.csv(*year),
        "history": lambda: backend.history(lks_id),
        "last_approved": lambda: backend.last_approved(lks_id),
    }
    result, counts = {}, {}
    for name, fn in ops.items():
        times = plan["year"] if name == "csv_year" else plan["reads"]
        warm, found = repeat(fn, times)
        # Naive TinyDB has no cache to drop: every read parses the whole file, so cold is warm.
        cold = repeat(fn, max(1, times // 2), backend.cold)[0] if backend.cold else warm
        result[name] = (warm, cold)
        counts[name] = len(found[0]) if name == "queue" else found.count(b"\r\n") - 1 if name.startswith("csv") else \
            len(found) if name == "history" else found is not None
    result["counts"] = counts
    inserts = []
    for record in writes[: plan["inserts"]]:
        gc.collect()
        inserts.append(timed(backend.insert, record)[0])
    result["insert"] = (statistics.median(inserts), p95(inserts), len(inserts))
    return result


def review_flow(store: Store, checklist, drafts: list[dict], reviewer: dict) -> dict:
    """Inspector only: a filled inspection sent (inspections.submit) and then approved (review.decide), each timed."""
    for draft in drafts:
        store.inspections.insert(dict(draft))
    ids = [d["id"] for d in drafts]
    user = SimpleNamespace(role="reviewer", record=reviewer)
    sent, approved = [], []
    for inspection_id in ids:
        gc.collect()
        took, (record, problems) = timed(inspections.submit, store, checklist, inspection_id)
        assert not problems and record["status"] == "submitted", problems
        sent.append(took)
        gc.collect()
        took, (record, error) = timed(review.decide, store, inspection_id, user, "approve")
        assert error is None, error
        approved.append(took)
    return {"submit": (statistics.median(sent), p95(sent)), "approve": (statistics.median(approved), p95(approved)),
            "n": len(sent)}


def machine() -> str:
    try:
        model = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        model = "?"
    return f"nproc={os.cpu_count()}  cpu={model}  python={sys.version.split()[0]}  sqlite={sqlite3.sqlite_version}"


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def periods(now: datetime) -> tuple[tuple[str, str], tuple[str, str]]:
    """(the last full month, the last full calendar year) as WIB days, as the queue's date filters take them."""
    today = to_wib(iso(now)).date()
    last_day = today.replace(day=1) - timedelta(days=1)
    return (last_day.replace(day=1).isoformat(), last_day.isoformat()), \
        (f"{today.year - 1}-01-01", f"{today.year - 1}-12-31")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100,1000,10000", help="stored inspections, comma-separated")
    parser.add_argument("--quick", action="store_true", help="sizes 100,1000 and few repetitions")
    parser.add_argument("--inserts", type=int, default=30, help="timed inserts per size and back-end")
    parser.add_argument("--reads", type=int, default=9, help="timed reads per page (the year's CSV: a third)")
    parser.add_argument("--flow", type=int, default=10, help="inspector: timed submits and approvals per size")
    parser.add_argument("--dir", default=None, help="where to make the temporary folder")
    parser.add_argument("--seed", type=int, default=20261127)
    parser.add_argument("--only", default="", help="back-ends to run, comma-separated (default: all three)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.replace("_", "").split(",") if s.strip()]
    if args.quick:
        sizes = [s for s in sizes if s <= 1000] or sizes
        args.inserts, args.reads, args.flow = min(args.inserts, 8), min(args.reads, 3), min(args.flow, 3)

    started = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="history_bench_", dir=args.dir))
    atexit.register(shutil.rmtree, tmp, True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    checklist, problems = checklists.load_file(FORM)
    if checklist is None:
        sys.exit(f"{FORM}: {problems}")
    now = datetime.now(timezone.utc)
    month, year = periods(now)
    fsync = engine.FSYNC

    print("history benchmark --", iso(now))
    print(machine())
    print(f"load average at start: {load_average()} (1/5/15 min; other processes inflate every figure)")
    print(f"inspector store fsync: {'on' if engine.FSYNC else 'OFF (INSPECTOR_FSYNC=0)'}; "
          "sqlite: WAL, synchronous=FULL, one commit per insert; naive TinyDB: JSONStorage (fsync per write)")
    print(f"checklist: {checklist.id} v{checklist.version}, {len(list(checklist.items()))} items; "
          f"csv_month = {month[0]}..{month[1]}, csv_year = {year[0]}..{year[1]} (WIB days of first sending)")
    print()

    results, notes = [], []
    for size in sizes:
        folder = tmp / str(size)
        store = Store(folder / "inspector")
        register = store.lks.create_many(demo.demo_lks())
        inspectors = [store.users.create(username=f"petugas{n}", name=f"Petugas Contoh {n}", role="inspector",
                                         agency="Satpol PP", password_hash="x") for n in range(N_INSPECTORS)]
        reviewer = store.users.create(username="peninjau", name="Peninjau Contoh", role="reviewer",
                                      agency="Dinas Sosial", password_hash="x")
        store.checklists.keep(checklist.digest, checklist.source)
        users, archive = store.users.all(), {checklist.digest: store.checklists.get(checklist.digest)}

        def id_of(record: dict) -> str:
            return store.inspections.new_id(record["lks_id"], record["created_at"][:4] + record["created_at"][5:7])

        history = make_history(args.seed + size, size, checklist, register, inspectors, reviewer, now, id_of)
        writes = new_records(args.seed + size + 1, args.inserts, checklist, register, inspectors, id_of, now)
        drafts = new_records(args.seed + size + 2, args.flow, checklist, register, inspectors, id_of, now)
        approved = Counter(r["lks_id"] for r in history if r["status"] == "approved")
        lks_id = sorted((l["id"] for l in register), key=lambda i: (approved[i], i))[len(register) // 2]
        statuses = Counter(r["status"] for r in history)
        doc_bytes = statistics.mean(len(_dump(r)) for r in history[:500])
        gc.collect()
        gc.freeze()
        for kind in [k for k in (InspectorBackend, NaiveBackend, SqliteBackend)
                     if not args.only or k.name in args.only.split(",")]:
            slow = kind is NaiveBackend and size > 2000
            plan = {"reads": 2 if slow else args.reads, "year": 1 if size > 2000 else max(3, args.reads // 3),
                    "inserts": min(args.inserts, 3) if slow else args.inserts}
            if kind is InspectorBackend:
                backend = kind(store, checklist, now)
            else:
                (folder / kind.name).mkdir()
                backend = kind(folder / kind.name, register, users, archive, now)
            engine.FSYNC = False  # the bulk load is set-up, not measured: thousands of partition files
            try:
                first_dashboard = backend.load([dict(r) for r in history])
            finally:
                engine.FSYNC = fsync
            if kind is InspectorBackend:
                first_dashboard = backend.first_dashboard()
            result = measure(backend, plan, [dict(r) for r in writes], month, year, lks_id)
            result.update(size=size, backend=kind.name, mb=backend.size_mb(), first_dashboard=first_dashboard)
            if kind is InspectorBackend:
                result["flow"] = review_flow(store, checklist, drafts, reviewer)
            if isinstance(backend, SqliteBackend):
                backend.conn.close()
            results.append(result)
            print(f"  .. {size:>6} {kind.name:<13} done ({time.perf_counter() - started:.0f} s elapsed)", flush=True)
        notes.append(f"{size:>6}: statuses {dict(statuses)}; {doc_bytes / 1000:.1f} KB of JSON per inspection; "
                     f"history LKS: {approved[lks_id]} approved")
        engine._cache.clear()
        shutil.rmtree(folder)
        del history, writes, drafts
        gc.unfreeze()
        gc.collect()

    print()
    print("milliseconds; reads as warm / cold median; insert as median / p95")
    header = (f"{'size':>6}  {'backend':<13} {'insert':>13} {'queue':>13} {'dashboard':>15} {'csv_month':>15} "
              f"{'csv_year':>17} {'history':>15} {'last_approved':>13} {'data_MB':>8}")
    print(header)
    print("-" * len(header))
    for r in results:
        cells = [f"{r['insert'][0]:.1f} / {r['insert'][1]:.1f}"] + \
            [f"{r[op][0]:.1f} / {r[op][1]:.1f}" for op in ("queue", "dashboard", "csv_month", "csv_year", "history",
                                                            "last_approved")]
        print(f"{r['size']:>6}  {r['backend']:<13} {cells[0]:>13} {cells[1]:>13} {cells[2]:>15} {cells[3]:>15} "
              f"{cells[4]:>17} {cells[5]:>15} {cells[6]:>13} {r['mb']:>8.1f}")
    print()
    print("rows each read returned (the same in every back-end):")
    for r in results:
        if r["backend"] == "inspector":
            c = r["counts"]
            print(f"{r['size']:>6}  queue {c['queue']}, csv_month {c['csv_month']}, csv_year {c['csv_year']}, "
                  f"history {c['history']}")
    print()
    print("inspector, the rest of the review flow (median / p95 ms) and the first dashboard on a data folder:")
    for r in results:
        if r["backend"] == "inspector":
            f = r["flow"]
            print(f"{r['size']:>6}  submit {f['submit'][0]:.1f} / {f['submit'][1]:.1f}, approve "
                  f"{f['approve'][0]:.1f} / {f['approve'][1]:.1f} (n={f['n']}); first dashboard "
                  f"{r['first_dashboard']:.0f} ms (once: fills the oversight state from every month)")
    by = {(r["size"], r["backend"]): r for r in results}
    if len(sizes) > 1:
        print()
        print(f"inspector, warm cost at {sizes[-1]} over the cost at {sizes[0]} (target: at most 2; csv and history "
              "grow with the rows they return;\n  under a millisecond, scheduling noise on a busy machine dominates):")
        low, high = by[(sizes[0], "inspector")], by[(sizes[-1], "inspector")]
        print("  " + ", ".join(f"{op} {high[op][0] / low[op][0]:.1f}x" for op in
                               ("queue", "dashboard", "csv_month", "csv_year", "history", "last_approved")) +
              f", insert {high['insert'][0] / low['insert'][0]:.1f}x")
    print()
    print("data:")
    for line in notes:
        print(line)
    print(f"""
notes:
- insert: one inspection stored and durable. inspector = InspectionStore.insert (the LKS's month partition
  and the inspector's year index, each: lock, parse, write a temp file, fsync, rename, fsync the folder);
  naive TinyDB = the whole file rewritten; sqlite = one INSERT, its own transaction. Naive TinyDB above
  2000: 3 inserts, 2 reads; above 2000 every back-end times csv_year once warm and once cold. The
  history is loaded with fsync off (set-up); every timed write has fsync on.
- queue = review.queue(status submitted) + the register + the accounts (what the queue page computes);
  dashboard = oversight.build; csv = review.queue(status all, date range) + each inspection +
  export.inspections_csv (what /tinjau/ekspor/csv does); history = followups.approved_for (the
  operator's page); last_approved = review.last_approved (the public LKS page's date of the last
  approved inspection, and the review page's previous inspection). The other back-ends fetch the same data their way and build the same output with
  the same code (export.inspections_csv, followups.operator_view).
- warm: nothing written in between (a server process's steady state), median of at least 9 calls (cheap
  reads: as many as fit in {SAMPLE_SECONDS} s, up to {MAX_SAMPLES}); cold: inspector drops its process
  cache of parsed partitions, sqlite opens a new connection, naive TinyDB parses its file in every read.
  The OS page cache is warm in every case. Page rendering (Jinja) is not included.
- csv_year and csv_month grow with the inspections in that period by nature (one CSV row each).
load average at end: {load_average()}
total time: {time.perf_counter() - started:.0f} s""")


if __name__ == "__main__":
    main()
