"""Benchmark: the CSV export of every inspection, streamed line by line, against building the whole file first.

For each size (10,000 stored inspections by default; ``--sizes 10000,100000``)
the script builds one data folder as ``history_bench.py`` does (72 demo LKS,
12 inspectors, inspections of the real LKSA checklist over three years), then
runs each way of exporting every inspection (the queue with no filter, as
``/tinjau/ekspor/csv?status=`` asks) in a fresh process, so that each starts
from an idle server's memory:

* stream: what the server does now: ``store.inspections.stream`` in the
  order the store reads fastest (grouped by month and LKS) into
  ``export.csv_lines``, each line written out as it comes;
* whole: what it did before (and what a quick script would do): every
  inspection read with ``peek_many`` (through the shared parse cache), the
  whole CSV built as one ``bytes``, then written out.

Printed per way: rows, seconds, rows per second, the peak memory above the
process before the export (peak RSS, VmHWM), and the memory still held afterwards.
The two CSV files are compared line for line, whatever their order (they must hold the same lines). It asserts
nothing else. Run from the repository root:

    .venv/bin/python bench/export_bench.py                       # 10,000 (about 1 minute)
    .venv/bin/python bench/export_bench.py --sizes 10000,100000  # about 10 minutes, 1.5 GB of disk
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))
os.environ.setdefault("INSPECTOR_FSYNC", "0")  # the set-up writes thousands of partitions; nothing is timed there

from inspector import checklists, demo, export, review  # noqa: E402
from inspector.store import Store, engine  # noqa: E402


def memory_kib(field: str = "VmRSS") -> int:
    """The process's resident memory now (VmRSS) or at its peak (VmHWM), in KiB, from /proc."""
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(field + ":"))


def reset_peak() -> None:
    """Start the peak (VmHWM) again from now (Linux: clear_refs 5). getrusage's maxrss would not do: it
    keeps the peak of the parent that started this process."""
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")


def build(folder: Path, size: int, seed: int) -> None:
    import history_bench as hb

    checklist, problems = checklists.load_file(hb.FORM)
    if checklist is None:
        sys.exit(f"{hb.FORM}: {problems}")
    store = Store(folder)
    register = store.lks.create_many(demo.demo_lks())
    inspectors = [store.users.create(username=f"petugas{n}", name=f"Petugas Contoh {n}", role="inspector",
                                     agency="Satpol PP", password_hash="x") for n in range(hb.N_INSPECTORS)]
    reviewer = store.users.create(username="peninjau", name="Peninjau Contoh", role="reviewer",
                                  agency="Dinas Sosial", password_hash="x")
    store.checklists.keep(checklist.digest, checklist.source)

    def id_of(record: dict) -> str:
        return store.inspections.new_id(record["lks_id"], record["created_at"][:4] + record["created_at"][5:7])

    now = datetime.now(timezone.utc)
    history = hb.make_history(seed + size, size, checklist, register, inspectors, reviewer, now, id_of)
    hb.InspectorBackend(store, checklist, now).load(history)


def export_once(folder: Path, way: str, out: Path) -> dict:
    """One export in this process; what it cost."""
    store = Store(folder)
    gc.collect()
    before = memory_kib()
    reset_peak()
    started = time.perf_counter()
    with open(out, "wb") as sink:
        if way == "stream":  # as inspector/web/export.py
            ids, digests = review.export_selection(store, status="")
            for line in export.csv_lines(store, store.inspections.stream(ids, keep_order=False), digests,
                                         include_confidential=True):
                sink.write(line)
        else:
            ids = [row["id"] for row in review.queue(store, status="")]
            data = export.inspections_csv(store, store.inspections.peek_many(ids), include_confidential=True)
            sink.write(data)
            del data
    seconds = time.perf_counter() - started
    peak = memory_kib("VmHWM")
    gc.collect()
    held = memory_kib()
    with open(out, "rb") as written:  # the same lines, whatever their order (the stream groups them by month)
        digest = hashlib.sha256(b"".join(sorted(written.read().split(b"\r\n"))))
    return {"way": way, "rows": len(ids), "seconds": seconds, "rows_per_second": len(ids) / seconds,
            "peak_mib": (peak - before) / 1024, "held_mib": (held - before) / 1024,
            "sha256": digest.hexdigest(), "cached_partitions": len(engine._cache)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000", help="stored inspections, comma-separated")
    parser.add_argument("--dir", default=None, help="where to make the temporary folder")
    parser.add_argument("--seed", type=int, default=20261203)
    parser.add_argument("--child", nargs=3, metavar=("FOLDER", "WAY", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(export_once(Path(args.child[0]), args.child[1], Path(args.child[2]))))
        return
    tmp = Path(tempfile.mkdtemp(prefix="export_bench_", dir=args.dir))
    try:
        print("export benchmark --", datetime.now(timezone.utc).replace(microsecond=0).isoformat())
        print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print(f"{'size':>8} {'way':>7} {'rows':>8} {'seconds':>8} {'rows/s':>8} {'peak MiB':>9} {'held MiB':>9}")
        for size in [int(s) for s in args.sizes.split(",") if s.strip()]:
            folder = tmp / str(size)
            build(folder, size, args.seed)
            found = {}
            for way in ("stream", "whole"):
                result = subprocess.run([sys.executable, __file__, "--child", str(folder), way, str(tmp / f"{way}.csv")],
                                        capture_output=True, text=True, check=True)
                found[way] = json.loads(result.stdout)
                f = found[way]
                print(f"{size:>8} {way:>7} {f['rows']:>8} {f['seconds']:>8.2f} {f['rows_per_second']:>8.0f} "
                      f"{f['peak_mib']:>9.1f} {f['held_mib']:>9.1f}")
            same = found["stream"]["sha256"] == found["whole"]["sha256"]
            print(f"{size:>8} the two CSV files are {'identical' if same else 'DIFFERENT'}")
            shutil.rmtree(folder)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
