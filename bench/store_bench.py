"""Benchmark: Inspector's partitioned store against a naive TinyDB file and SQLite.

For each size (stored inspections: 100, 1,000 and 10,000 by default) and each
back-end, the script bulk-loads realistic inspections (72 LKS, ~5 KB of JSON
each, spread over the last three years), then measures

* one insert: median and p95 over a number of single inserts made at that size;
* listing one LKS's history, newest first:
  - warm: the read repeated in this process with nothing written in between;
  - cold: the process's own cache emptied before each read;
  - xproc: another process has just rewritten one inspection of that LKS.

It prints figures and asserts nothing. Run from the repository root:

    .venv/bin/python bench/store_bench.py              # 100, 1000, 10000
    .venv/bin/python bench/store_bench.py --quick      # smoke run, seconds
    .venv/bin/python bench/store_bench.py --sizes 100,5000

No file outside a temporary folder is written (``--dir`` chooses where).
"""

from __future__ import annotations

import argparse
import atexit
import gc
import json
import math
import multiprocessing
import os
import platform
import random
import shutil
import signal
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tinydb import Query, TinyDB  # noqa: E402

from inspector.store import Store  # noqa: E402
from inspector.store import engine  # noqa: E402
from inspector.store.engine import Partition  # noqa: E402
from inspector.store.records import RecordTable  # noqa: E402
from inspector.store.inspections import InspectionStore  # noqa: E402

N_LKS = 72
YEARS_BACK = 3
N_INSPECTORS = 12  # field inspectors sharing the work; each inspection names one

# --------------------------------------------------------------------------- data

CHECKLIST = {
    "administrasi": ["izin_operasional_berlaku", "akta_pendirian_yayasan", "struktur_organisasi_terpasang",
                     "laporan_keuangan_tahunan", "data_penerima_manfaat_terbaru", "sop_pelayanan_tertulis"],
    "bangunan": ["atap_tidak_bocor", "dinding_dan_lantai_layak", "ventilasi_dan_pencahayaan",
                 "akses_kursi_roda_tersedia", "jalur_evakuasi_bertanda"],
    "kamar_tidur": ["kapasitas_sesuai_standar", "tempat_tidur_layak_pakai", "lemari_pribadi_tersedia",
                    "kebersihan_kamar_terjaga", "pemisahan_laki_laki_perempuan"],
    "sanitasi": ["kamar_mandi_cukup_jumlahnya", "air_bersih_mengalir", "kebersihan_kamar_mandi",
                 "tempat_sampah_tertutup", "saluran_pembuangan_lancar"],
    "dapur_gizi": ["dapur_bersih_dan_tertata", "penyimpanan_bahan_makanan", "menu_gizi_seimbang",
                   "makan_tiga_kali_sehari", "air_minum_layak_konsumsi"],
    "kesehatan": ["kotak_p3k_lengkap", "pemeriksaan_kesehatan_berkala", "catatan_obat_penerima",
                  "kerja_sama_puskesmas", "ruang_isolasi_tersedia"],
    "keamanan": ["apar_tersedia_dan_berlaku", "instalasi_listrik_aman", "pengawasan_malam_hari",
                 "pintu_darurat_berfungsi", "cctv_atau_penjagaan"],
    "pengasuhan": ["rasio_pengasuh_memadai", "pengasuh_terlatih", "catatan_perkembangan_anak",
                   "kegiatan_rekreasi_rutin", "mekanisme_pengaduan"],
    "pendidikan": ["akses_sekolah_formal", "ruang_belajar_tersedia", "pendampingan_belajar",
                   "pelatihan_keterampilan"],
}
ITEMS = [f"{section}.{item}" for section, items in CHECKLIST.items() for item in items]
assert len(ITEMS) == 45

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
    "Catatan harian penerima manfaat tidak diisi lengkap.",
    "Menu makan siang hanya nasi dan tempe selama tiga hari berturut-turut.",
    "Air sumur keruh, disarankan uji laboratorium ke Dinas Kesehatan.",
    "Tidak ada jalur evakuasi yang ditandai, denah belum dipasang.",
    "Pengurus kooperatif dan menunjukkan bukti perbaikan.",
]


def _hex(rng: random.Random, digits: int = 12) -> str:
    return f"{rng.getrandbits(4 * digits):0{digits}x}"


def make_lks_ids(rng: random.Random) -> list[str]:
    return ["l" + _hex(rng) for _ in range(N_LKS)]


def make_inspector_ids(rng: random.Random) -> list[str]:
    return ["u" + _hex(rng) for _ in range(N_INSPECTORS)]


INSPECTORS = make_inspector_ids(random.Random(4242))


def iso(moment: datetime) -> str:
    """The store's time format (timefmt.utcnow): UTC, seconds, +00:00."""
    return moment.astimezone(timezone.utc).replace(microsecond=0).isoformat()


def make_doc(rng: random.Random, lks_id: str, created_at: str) -> dict:
    """One ~5 KB inspection, with the id InspectionStore.insert would give it (see assign_id)."""
    answers = {}
    failed = []
    for item in ITEMS:
        answer = rng.choices(("ya", "tidak", "tb"), weights=(70, 22, 8))[0]
        entry = {"answer": answer}
        if answer == "tidak" or rng.random() < 0.5:
            entry["note"] = rng.choice(NOTES)
        answers[item] = entry
        if answer == "tidak":
            failed.append(item)
    applicable = sum(1 for a in answers.values() if a["answer"] != "tb")
    score = round(100 * sum(1 for a in answers.values() if a["answer"] == "ya") / max(applicable, 1), 1)
    doc = {
        "lks_id": lks_id,
        "created_at": created_at,
        "inspector_id": rng.choice(INSPECTORS),
        "checklist_id": "lks-standar-pelayanan",
        "checklist_version": rng.choice((3, 4)),
        "answers": answers,
        "score": score,
        "failed": failed,
    }
    return assign_id(doc)


def make_archive(seed: int, size: int, lks_ids: list[str], now: datetime) -> list[dict]:
    """``size`` inspections over the last YEARS_BACK years, spread over the LKS, oldest first."""
    rng = random.Random(seed)
    span = YEARS_BACK * 365 * 86400
    docs = []
    for _ in range(size):
        moment = now - timedelta(seconds=rng.randrange(span))
        docs.append(make_doc(rng, rng.choice(lks_ids), iso(moment)))
    docs.sort(key=lambda d: d["created_at"])
    return docs


def make_new_docs(seed: int, count: int, lks_ids: list[str]) -> list[dict]:
    """Inspections made "now" (the current year's partitions), for the timed inserts."""
    rng = random.Random(seed)
    now = datetime.now(timezone.utc)
    return [make_doc(rng, rng.choice(lks_ids), iso(now + timedelta(seconds=i))) for i in range(count)]


# --------------------------------------------------------------------------- the store's own write plan


class _Recorder:
    """Stands in for a RecordTable: notes what would be inserted into which partition file."""

    def __init__(self, table: RecordTable, log: list):
        self.path, self.table, self.log = table.partition.path, table.table, log

    def insert(self, record: dict) -> dict:
        self.log.append((self.path, self.table, dict(record)))
        return record


class _DryRunInspections(InspectionStore):
    """InspectionStore.insert itself, run without writing: it fills in the id and created_at
    and names every partition it would write (the LKS partition, any index), whatever the
    current store's id format and partitioning are."""

    def __init__(self, root: Path, log: list):
        super().__init__(root)
        self._log = log

    def _table(self, *args):
        return _Recorder(super()._table(*args), self._log)

    def _index(self, *args):
        return _Recorder(super()._index(*args), self._log)


def assign_id(doc: dict) -> dict:
    _DryRunInspections(Path("/nonexistent"), []).insert(doc)
    return doc


def write_plan(root: Path, docs: list[dict]) -> "dict[tuple[Path, str], list[dict]]":
    """What inserting ``docs`` one by one in time order would append to each partition, in order."""
    log: list = []
    dry = _DryRunInspections(root, log)
    for doc in sorted(docs, key=lambda d: d["created_at"]):
        dry.insert(doc)
    plan: dict[tuple[Path, str], list[dict]] = {}
    for path, table, record in log:
        plan.setdefault((path, table), []).append(record)
    return plan


def files_per_insert() -> str:
    """The partition files one insert writes, as paths under the data folder."""
    import re
    log: list = []
    _DryRunInspections(Path("."), log).insert(make_doc(random.Random(0), "l" + "0" * 12, iso(datetime.now(timezone.utc))))
    names = [re.sub(r"u[0-9a-f]{12}", "<user>", re.sub(r"l[0-9a-f]{12}", "<lks>", str(path))) for path, _t, _r in log]
    return ", then ".join(names)


# --------------------------------------------------------------------------- back-ends


def _tree_bytes(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


class InspectorBackend:
    """inspector.store.Store: small TinyDB partition files, atomic writes, process cache."""

    name = "inspector"

    def __init__(self, folder: Path):
        self.root = folder / "data"
        self.store = Store(self.root)

    def bulk_load(self, docs: list[dict]) -> None:
        # InspectionStore.insert run dry tells what each insert would append where (LKS
        # partition, inspector index, ...); then one insert_many per partition file. Byte-
        # identical to inserting one by one in time order (checked by check_bulk_layout()).
        for (path, table), records in write_plan(self.root, docs).items():
            RecordTable(Partition(path), table).insert_many(records)

    def insert(self, doc: dict) -> None:
        self.store.inspections.insert(doc)

    def history(self, lks_id: str) -> list[dict]:
        return self.store.inspections.for_lks(lks_id)

    def make_cold(self) -> None:
        engine._cache.clear()

    def after_foreign_write(self) -> None:
        pass  # the cache notices the new file by itself (inode, mtime, size)

    def file_bytes(self) -> int:
        return _tree_bytes(self.root)

    def close(self) -> None:
        engine._cache.clear()

    # runs in the writer process
    @staticmethod
    def open_writer(folder: Path):
        return Store(folder / "data")

    @staticmethod
    def foreign_write(store, inspection_id: str) -> None:
        """Rewrite one inspection unchanged, through the store's locked transaction."""
        if hasattr(store.inspections, "modify"):
            store.inspections.modify(inspection_id, lambda record: record)
        else:
            located = store.inspections._locate(inspection_id)
            store.inspections._table(*located).modify(inspection_id, lambda record: record)


class NaiveTinyBackend:
    """One TinyDB('db.json') with the default JSONStorage, one table."""

    name = "naive_tinydb"

    def __init__(self, folder: Path):
        self.path = folder / "db.json"
        self.db = TinyDB(self.path)
        self.table = self.db.table("inspections")
        self.q = Query()

    def bulk_load(self, docs: list[dict]) -> None:
        self.table.insert_multiple(docs)

    def insert(self, doc: dict) -> None:
        self.table.insert(doc)

    def history(self, lks_id: str) -> list[dict]:
        docs = self.table.search(self.q.lks_id == lks_id)
        docs.sort(key=lambda d: d["created_at"], reverse=True)
        return docs

    def make_cold(self) -> None:
        self.table.clear_cache()

    def after_foreign_write(self) -> None:
        # TinyDB's per-Table query cache never sees another process's write: without this
        # the read returns the stale cached list.
        self.table.clear_cache()

    def file_bytes(self) -> int:
        return self.path.stat().st_size

    def close(self) -> None:
        self.db.close()

    @staticmethod
    def open_writer(folder: Path):
        return TinyDB(folder / "db.json").table("inspections")

    @staticmethod
    def foreign_write(table, inspection_id: str) -> None:
        table.update({}, Query().id == inspection_id)  # rewrites the whole file


SQLITE_SYNC = "FULL"


def _sqlite_connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)  # autocommit: each INSERT is its own commit
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={SQLITE_SYNC}")
    conn.execute("PRAGMA busy_timeout=30000")
    return conn


class SqliteBackend:
    """stdlib sqlite3: one table (id, lks_id, created_at, doc JSON), index on lks_id, WAL."""

    name = "sqlite"

    def __init__(self, folder: Path):
        self.path = folder / "db.sqlite"
        self.conn = _sqlite_connect(self.path)
        self.conn.execute(
            "CREATE TABLE inspections (id TEXT PRIMARY KEY, lks_id TEXT NOT NULL,"
            " created_at TEXT NOT NULL, doc TEXT NOT NULL)")
        self.conn.execute("CREATE INDEX inspections_lks ON inspections (lks_id)")

    @staticmethod
    def _row(doc: dict) -> tuple:
        return doc["id"], doc["lks_id"], doc["created_at"], json.dumps(doc, ensure_ascii=False, separators=(",", ":"))

    def bulk_load(self, docs: list[dict]) -> None:
        self.conn.execute("BEGIN")
        self.conn.executemany("INSERT INTO inspections VALUES (?, ?, ?, ?)", map(self._row, docs))
        self.conn.execute("COMMIT")

    def insert(self, doc: dict) -> None:
        self.conn.execute("INSERT INTO inspections VALUES (?, ?, ?, ?)", self._row(doc))

    def history(self, lks_id: str) -> list[dict]:
        rows = self.conn.execute(
            "SELECT doc FROM inspections WHERE lks_id = ? ORDER BY created_at DESC", (lks_id,))
        return [json.loads(doc) for (doc,) in rows]

    def make_cold(self) -> None:
        # A fresh connection: empty SQLite page cache, schema read again. The OS page cache
        # stays warm, as it does for the other back-ends.
        self.conn.close()
        self.conn = _sqlite_connect(self.path)

    def after_foreign_write(self) -> None:
        pass  # WAL: the reader sees the change, and drops its page cache, at its next read

    def file_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.path.parent.glob(self.path.name + "*")
                   if not p.name.endswith("-shm"))

    def close(self) -> None:
        self.conn.close()

    @staticmethod
    def open_writer(folder: Path):
        return _sqlite_connect(folder / "db.sqlite")

    @staticmethod
    def foreign_write(conn, inspection_id: str) -> None:
        conn.execute("UPDATE inspections SET doc = doc WHERE id = ?", (inspection_id,))


BACKENDS = [InspectorBackend, NaiveTinyBackend, SqliteBackend]


def has_inspector_index() -> bool:
    """The store version with a per-inspector index of inspections (insert writes two partitions)."""
    return hasattr(InspectionStore, "_index") and hasattr(InspectionStore, "for_inspector")


def _writer_process(backend_name: str, folder: str, sqlite_sync: str, pipe) -> None:
    """Another process: on each message, rewrite one inspection and acknowledge."""
    global SQLITE_SYNC
    SQLITE_SYNC = sqlite_sync
    backend = {b.name: b for b in BACKENDS}[backend_name]
    handle = backend.open_writer(Path(folder))
    pipe.send("ready")
    while True:
        inspection_id = pipe.recv()
        if inspection_id is None:
            break
        backend.foreign_write(handle, inspection_id)
        pipe.send("done")


def _inspector_probe(folder: str, result) -> None:
    """In a fresh process: one inspector's list of inspections (for_inspector), cold then warm."""
    store = Store(Path(folder) / "data")
    index = Path(folder) / "data" / "index" / "inspectors"
    sizes = sorted((sum(f.stat().st_size for f in d.glob("*.json")), d.name) for d in index.iterdir() if d.is_dir())
    size, user_id = sizes[len(sizes) // 2]  # the inspector with the median index size
    cold, rows = timed(store.inspections.for_inspector, user_id)
    warm = []
    for _ in range(5):
        gc.collect()
        warm.append(timed(store.inspections.for_inspector, user_id)[0])
    touched = len({store.inspections._locate(r["id"]) for r in rows})
    result.send((len(rows), size, cold, statistics.median(warm), touched, len(engine._cache)))


def _cache_probe(folder: str, lks_ids: list[str], result) -> None:
    """In a fresh process: read every LKS's history once; report time, RSS growth, cache size."""
    rss_before = _rss_bytes()
    store = Store(Path(folder) / "data")
    started = time.perf_counter()
    rows = sum(len(store.inspections.for_lks(lks_id)) for lks_id in lks_ids)
    elapsed = time.perf_counter() - started
    gc.collect()
    rss_after = _rss_bytes()
    cached = [os.stat(key).st_size for key in engine._cache]
    lks_folders = [p for p in (Path(folder) / "data" / "inspections").iterdir() if p.is_dir()]
    partitions = sum(len(list(p.glob("*.json"))) for p in lks_folders)
    newest = [os.stat(max(p.glob("*.json"))).st_size for p in lks_folders if any(p.glob("*.json"))]
    result.send((elapsed, rows, rss_before, rss_after, len(cached), sum(cached), partitions,
                 statistics.mean(newest) if newest else 0, max(newest, default=0)))


def _rss_bytes() -> int:
    try:
        with open("/proc/self/statm") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return 0


# --------------------------------------------------------------------------- measuring


def ms(ns: int) -> float:
    return ns / 1e6


def p95(values: list[float]) -> float:
    """Nearest-rank 95th percentile (with 5 samples it is the maximum)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def timed(fn, *args) -> tuple[float, object]:
    start = time.perf_counter_ns()
    result = fn(*args)
    return ms(time.perf_counter_ns() - start), result


def run_one(backend_cls, folder: Path, archive: list[dict], new_docs: list[dict], read_lks: str,
            plan: dict, spawn) -> dict:
    backend = backend_cls(folder)
    gc.collect()
    load_s, _ = timed(backend.bulk_load, archive)
    load_s /= 1000

    inserts = []
    for doc in new_docs[: plan["inserts"]]:
        gc.collect()
        inserts.append(timed(backend.insert, doc)[0])
    # Fewer timed inserts (naive TinyDB at large sizes): load the rest untimed, so every
    # back-end holds the same data for the reads.
    if plan["inserts"] < len(new_docs):
        backend.bulk_load(new_docs[plan["inserts"]:])

    rows = len(backend.history(read_lks))  # prime
    warm = []
    for _ in range(plan["warm"]):
        gc.collect()
        warm.append(timed(backend.history, read_lks)[0])

    cold = []
    for _ in range(plan["cold"]):
        backend.make_cold()
        gc.collect()
        cold.append(timed(backend.history, read_lks)[0])

    # Another process rewrites the newest inspection of this LKS before each read.
    newest_id = backend.history(read_lks)[0]["id"]
    here, there = spawn.Pipe()
    writer = spawn.Process(target=_writer_process, args=(backend_cls.name, str(folder), SQLITE_SYNC, there))
    writer.start()
    here.recv()
    xproc = []
    for _ in range(plan["xproc"]):
        here.send(newest_id)
        here.recv()
        backend.after_foreign_write()
        gc.collect()
        xproc.append(timed(backend.history, read_lks)[0])
    here.send(None)
    writer.join()

    after_rows = len(backend.history(read_lks))
    result = {
        "backend": backend_cls.name,
        "load_s": load_s,
        "insert_med": statistics.median(inserts),
        "insert_p95": p95(inserts),
        "n_ins": len(inserts),
        "warm": statistics.median(warm),
        "cold": statistics.median(cold),
        "xproc": statistics.median(xproc),
        "n_reads": f"{len(warm)}/{len(cold)}/{len(xproc)}",
        "rows": rows,
        "rows_ok": rows == after_rows,
        "file_mb": backend.file_bytes() / 1e6,
    }
    backend.close()
    return result


def check_bulk_layout(tmp: Path, lks_ids: list[str]) -> bool:
    """Bulk loading our store gives the same files, byte for byte, as one insert per record."""
    docs = make_archive(7, 60, lks_ids[:3], datetime.now(timezone.utc))
    bulk, single = tmp / "bulk", tmp / "single"
    InspectorBackend(bulk).bulk_load([dict(d) for d in docs])
    one_by_one = Store(single / "data")
    for doc in docs:
        one_by_one.inspections.insert(dict(doc))
    engine._cache.clear()

    def files(root: Path) -> dict:
        return {p.relative_to(root): p.read_bytes() for p in sorted(root.rglob("*.json"))}

    same = files(bulk / "data") == files(single / "data") and len(files(bulk / "data")) > 1
    shutil.rmtree(bulk)
    shutil.rmtree(single)
    return same


def machine() -> str:
    try:
        model = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                     if line.startswith("model name"))
    except (OSError, StopIteration):
        model = platform.processor() or "?"
    return (f"nproc={os.cpu_count()}  cpu={model}\n"
            f"python={platform.python_version()} ({platform.python_implementation()})  "
            f"platform={platform.platform()}\n"
            f"sqlite={sqlite3.sqlite_version}  tinydb={_version('tinydb')}  filelock={_version('filelock')}")


def _load() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg()) + " (1/5/15 min)"
    except OSError:
        return "?"


def _version(package: str) -> str:
    try:
        from importlib.metadata import version
        return version(package)
    except Exception:
        return "?"


def _fs_type(path: Path) -> str:
    try:
        best, kind = "", "?"
        for line in open("/proc/mounts"):
            _dev, mount, fstype = line.split()[:3]
            if str(path.resolve()).startswith(mount) and len(mount) > len(best):
                best, kind = mount, fstype
        return f"{kind} (mounted at {best})"
    except OSError:
        return "?"


def main() -> None:
    global SQLITE_SYNC
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100,1000,10000", help="stored inspections, comma-separated")
    parser.add_argument("--quick", action="store_true", help="smoke run: sizes 100,1000 and few repetitions")
    parser.add_argument("--inserts", type=int, default=50, help="timed inserts per size and back-end")
    parser.add_argument("--reads", type=int, default=20, help="timed history reads per kind")
    parser.add_argument("--sqlite-sync", default="FULL", choices=("NORMAL", "FULL"))
    parser.add_argument("--dir", default=None, help="where to make the temporary folder (default: system temp)")
    parser.add_argument("--seed", type=int, default=20240601)
    args = parser.parse_args()

    SQLITE_SYNC = args.sqlite_sync
    if args.quick:
        sizes = [100, 1000] if args.sizes == parser.get_default("sizes") else _sizes(args.sizes)
        if args.inserts == parser.get_default("inserts"):
            args.inserts = 10
        if args.reads == parser.get_default("reads"):
            args.reads = 5
    else:
        sizes = _sizes(args.sizes)

    started = time.perf_counter()
    spawn = multiprocessing.get_context("spawn")
    tmp = Path(tempfile.mkdtemp(prefix="store_bench_", dir=args.dir))
    atexit.register(shutil.rmtree, tmp, True)  # also after an error, Ctrl-C or kill
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    rng = random.Random(args.seed)
    lks_ids = make_lks_ids(rng)
    now = datetime.now(timezone.utc)

    print("store benchmark --", datetime.now(timezone.utc).replace(microsecond=0).isoformat())
    print(machine())
    print(f"data folder: {tmp} on {_fs_type(tmp)}")
    print(f"load average at start: {_load()}  (other processes on the machine inflate every figure)")
    sample_rng = random.Random(1)
    sizes_b = [len(json.dumps(make_doc(sample_rng, lks_ids[0], iso(now)), ensure_ascii=False, separators=(",", ":")))
               for _ in range(500)]
    print(f"data: {N_LKS} LKS, inspections spread uniformly over them and over the last {YEARS_BACK} years "
          f"({iso(now - timedelta(days=YEARS_BACK * 365))[:10]} .. {iso(now)[:10]}); "
          f"one document {statistics.mean(sizes_b):.0f} bytes of JSON on average "
          f"({min(sizes_b)}..{max(sizes_b)}), {len(ITEMS)} answers")
    print(f"inspectors: {N_INSPECTORS}, each inspection names one at random")
    print(f"inspector store: one insert writes {files_per_insert()}")
    fsync = getattr(engine, "FSYNC", True)
    print(f"inspector store fsync: {'on' if fsync else 'OFF (INSPECTOR_FSYNC=0 -- writes not durable, inserts look faster)'}")
    print(f"sqlite: journal_mode=WAL, synchronous={SQLITE_SYNC}, autocommit (one commit per insert)")
    print("bulk-load layout check (insert_many per partition == one insert per record, byte for byte):",
          "identical" if check_bulk_layout(tmp, lks_ids) else "DIFFERENT -- inspector figures are suspect")
    print()

    results = []
    probes = []
    inspector_probes = []
    for size in sizes:
        archive = make_archive(args.seed + size, size, lks_ids, now)
        new_docs = make_new_docs(args.seed + size + 1, args.inserts, lks_ids)
        counts = Counter(doc["lks_id"] for doc in archive + new_docs)
        # The LKS read: the one whose history length is the median (a typical LKS).
        read_lks = sorted(lks_ids, key=lambda lks: (counts[lks], lks))[N_LKS // 2]
        # The benchmark's own copy of the data should not make the garbage collector slower
        # for the code measured; gc.collect() also runs (untimed) before every timed call.
        gc.collect()
        gc.freeze()
        for backend_cls in BACKENDS:
            slow = backend_cls is NaiveTinyBackend and size > 2000
            plan = {
                "inserts": min(args.inserts, 5) if slow else args.inserts,
                "warm": args.reads,
                "cold": min(args.reads, 5) if slow else args.reads,
                "xproc": min(args.reads, 3) if slow else args.reads,
            }
            folder = tmp / f"{size}-{backend_cls.name}"
            folder.mkdir()
            result = run_one(backend_cls, folder, [dict(d) for d in archive], [dict(d) for d in new_docs],
                             read_lks, plan, spawn)
            result["size"] = size
            results.append(result)
            print(f"  .. {size:>6} {result['backend']:<13} done (bulk load {result['load_s']:.1f} s, "
                  f"{time.perf_counter() - started:.0f} s elapsed)", flush=True)
            if backend_cls is InspectorBackend:
                here, there = spawn.Pipe()
                probe = spawn.Process(target=_cache_probe, args=(str(folder), lks_ids, there))
                probe.start()
                probes.append((size, here.recv()))
                probe.join()
                if has_inspector_index():
                    here, there = spawn.Pipe()
                    probe = spawn.Process(target=_inspector_probe, args=(str(folder), there))
                    probe.start()
                    inspector_probes.append((size, here.recv()))
                    probe.join()
            shutil.rmtree(folder)
        del archive, new_docs
        gc.unfreeze()
        gc.collect()
    shutil.rmtree(tmp)

    print()
    header = (f"{'size':>6}  {'backend':<13} {'insert_med_ms':>13} {'insert_p95_ms':>13} "
              f"{'history_warm_ms':>15} {'history_cold_ms':>15} {'history_xproc_ms':>16} "
              f"{'rows':>5} {'file_MB':>8}  {'n_ins':>5} {'n_reads w/c/x':>13}")
    print(header)
    print("-" * len(header))
    for r in results:
        print(f"{r['size']:>6}  {r['backend']:<13} {r['insert_med']:>13.2f} {r['insert_p95']:>13.2f} "
              f"{r['warm']:>15.3f} {r['cold']:>15.3f} {r['xproc']:>16.3f} "
              f"{r['rows']:>5} {r['file_mb']:>8.2f}  {r['n_ins']:>5} {r['n_reads']:>13}"
              + ("" if r["rows_ok"] else "  (row count changed!)"))
    print()
    print("inspector process cache, a fresh process reading every LKS's history once (e.g. an overview page):")
    print(f"{'size':>6}  {'read_all_72_ms':>14} {'rows':>6} {'partition_files':>15} {'partitions_cached':>17} "
          f"{'cached_json_MB':>14} {'rss_growth_MB':>13} {'newest_part_KB mean/max':>23}")
    for size, (elapsed, rows, before, after, cached, cached_bytes, files, part_mean, part_max) in probes:
        print(f"{size:>6}  {elapsed * 1000:>14.1f} {rows:>6} {files:>15} {cached:>17} {cached_bytes / 1e6:>14.2f} "
              f"{(after - before) / 1e6:>13.1f} {part_mean / 1e3:>14.1f} / {part_max / 1e3:<6.1f}")
    if inspector_probes:
        print()
        print("inspector store, one inspector's inspections (InspectionStore.for_inspector), fresh process;")
        print(f"the inspector with the median index size, of {N_INSPECTORS}:")
        print(f"{'size':>6}  {'inspections':>6} {'index_KB':>8} {'cold_ms':>9} {'warm_ms':>9} "
              f"{'partitions_read':>15} {'partitions_cached':>17}")
        for size, (rows, index_bytes, cold, warm, touched, cached) in inspector_probes:
            print(f"{size:>6}  {rows:>6} {index_bytes / 1e3:>8.0f} {cold:>9.1f} {warm:>9.1f} "
                  f"{touched:>15} {cached:>17}")
    print()
    print(f"""notes:
- size = inspections stored before the timed inserts; the inserts (made "now", into random LKS) add
  n_ins more (naive TinyDB above 2000: 5 timed, the other {max(args.inserts - 5, 0)} loaded untimed), and the history reads
  run after them. rows = length of the history read (the LKS with the median history length; the
  data is identical in every back-end).
- timing: time.perf_counter_ns around the one call; gc.collect() (untimed) before each timed call,
  and the benchmark's own copy of the data frozen out of the garbage collector (gc.freeze).
- insert = one inspection written and durable: inspector = for each file named above: lock, parse,
  rewrite to a temp file, fsync, rename, fsync folder; naive TinyDB = parse and rewrite
  the whole db.json, fsync; sqlite = one INSERT in its own transaction (WAL, synchronous={SQLITE_SYNC}).
- p95 is nearest-rank: with 5 inserts (naive TinyDB at sizes > 2000) it is simply the slowest of the 5.
  naive TinyDB above 2000 inspections: only 5 inserts, 5 cold and 3 xproc reads (about 1 s each).
- history_warm: same read repeated, nothing written in between. For naive TinyDB this is TinyDB's own
  per-Table query cache answering (no file read at all); that cache is never told about writes by
  other processes, so in a multi-process server it returns stale results.
- history_cold: inspector = inspector.store.engine._cache cleared (every partition of the LKS
  parsed again); naive TinyDB = query cache cleared (whole db.json read and parsed); sqlite = fresh
  connection (empty page cache, schema re-read). The OS page cache is warm in every case.
- history_xproc: before each read another process rewrote the newest inspection of that LKS
  unchanged (inspector: InspectionStore/RecordTable.modify; TinyDB: table.update; sqlite: UPDATE ... SET doc = doc).
  inspector re-parses only the rewritten partition; naive TinyDB must clear its query
  cache to see the write at all (it does here); sqlite drops its page cache.
- file_MB: inspector = every file under the data folder; sqlite = database + WAL file.
- rss_growth_MB: resident memory added by reading every history once in a fresh process: the parsed
  partitions the inspector cache keeps (bounded only by CACHE_PARTITIONS={engine.CACHE_PARTITIONS}
  partitions, not by bytes); every worker process keeps its own copy. partition_files: inspection
  partition files on disk. newest_part_KB: each LKS's newest partition file, the one a new
  inspection of that LKS rewrites.""")
    print(f"\nload average at end: {_load()}")
    print(f"total time: {time.perf_counter() - started:.1f} s")


def _sizes(text: str) -> list[int]:
    return [int(part) for part in text.replace("_", "").split(",") if part.strip()]


if __name__ == "__main__":
    main()
