"""Benchmark: ``flask store check`` on a data folder of 10,000 sent inspections with photos.

Builds, in a temporary folder, 72 LKS, 13 accounts and ``--inspections`` sent inspections (45 answers each,
``--photos`` photo files of ``--photo-kb`` kB each, half of them approved) with their review indexes, each
inspector's own index, the checklist archive and an audit chain that traces every record and photo as the
server's writes do (one entry at the start, one per photo, one at the send, one per decision). Then it times
``integrity.run_check`` (what ``flask store check`` and the daily check run) cold, in a fresh process, and
prints the figures and the number of findings (0 expected). Run from the repository root:

    .venv/bin/python bench/store_check_bench.py                      # 10,000 inspections, 2 photos each
    .venv/bin/python bench/store_check_bench.py --inspections 1000   # a quicker run

No file outside a temporary folder is written (``--dir`` chooses where).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
os.environ.setdefault("INSPECTOR_FSYNC", "0")  # building only; the check itself reads

from inspector import review  # noqa: E402
from inspector.checklists import load_folder  # noqa: E402
from inspector.store import Store, audit, digests  # noqa: E402
from inspector.store.records import RecordTable  # noqa: E402
from inspector.store.engine import Partition  # noqa: E402


class Chain:
    """The audit chain written as ``store.audit.append`` writes it, but in one pass (building 45,000 entries
    one append at a time would take longer than the check)."""

    def __init__(self, root: Path):
        self.lines: list[str] = []
        self.prev, self.root = audit.ZERO_HASH, root
        self.at = datetime.now(timezone.utc).replace(microsecond=0).isoformat()

    def append(self, actor_id, actor_role, action, target_kind, target_id, details=None, traces=None):
        details = {**(details or {}), **({digests.KEY: traces()} if traces else {})} or None
        entry = {"seq": len(self.lines) + 1, "at": self.at, "actor_id": actor_id, "actor_role": actor_role,
                 "action": action, "target_kind": target_kind, "target_id": target_id,
                 "details": audit.clean_details(details), "prev": self.prev}
        entry["hash"] = self.prev = audit.entry_hash(entry)
        self.lines.append(json.dumps(entry, ensure_ascii=False, separators=(",", ":")) + "\n")

    def write(self) -> None:
        folder = self.root / "audit"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{self.at[:7]}.jsonl").write_text("".join(self.lines), encoding="utf-8")


def build(root: Path, count: int, photos: int, photo_kb: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    store = Store(root)
    store.audit = chain = Chain(root)
    checklist = load_folder(REPO / "forms")["lksa"]
    store.checklists.keep(checklist.digest, checklist.source)
    lks = store.lks.create_many([{"code": f"B{n:04d}", "name": f"LKS {n}", "kind": "lksa", "kecamatan": "Pinang",
                                  "kelurahan": "Kunciran", "address": "Jl. Uji", "active": True} for n in range(72)])
    store.audit.append(None, "system", "lks_imported", "lks", None, {"lks_ids": [r["id"] for r in lks]},
                       traces=lambda: [digests.trace("lks", r["id"], digests.record_digest(r, "lks")) for r in lks])
    users = []
    for n in range(13):
        user = store.users.create(username=f"petugas{n}", name=f"Petugas {n}", role="inspector", agency="Kelurahan",
                                  password_hash="x")
        users.append(user)
        store.audit.append(None, "system", "account_created", "user", user["id"], {"role": "inspector"},
                           traces=lambda u=user: [digests.trace("user", u["id"], digests.record_digest(u, "user"))])
    items = [i for i in checklist.items() if i.type != "photo"][:45]
    start = datetime.now(timezone.utc) - timedelta(days=3 * 365)
    by_partition: dict[tuple[str, str], list[dict]] = {}
    by_inspector: dict[tuple[str, str], list[dict]] = {}
    rows = []
    blob = rng.randbytes(photo_kb * 1024)
    for n in range(count):
        place, user = rng.choice(lks), rng.choice(users)
        created = (start + timedelta(minutes=n * (3 * 365 * 24 * 60 // count))).replace(microsecond=0)
        at = created.isoformat()
        period = at[:4] + at[5:7]
        inspection_id = store.inspections.new_id(place["id"], period)
        photo_list = []
        for k in range(photos):
            data = blob[:-8] + n.to_bytes(4, "big") + k.to_bytes(4, "big")
            photo_id = store.photos.save(inspection_id, data, b"thumb")
            photo_list.append({"id": photo_id, "item": "", "sha256": digests.file_digest(data), "received_at": at})
        answers = {i.id: {"value": "ya" if i.type == "yes_no" else "1", "note": ""} for i in items}
        score = {"percent": 100.0, "failed": [], "critical_failed": [], "per_section": []}
        record = {"id": inspection_id, "lks_id": place["id"], "inspector_id": user["id"], "checklist": checklist.ref,
                  "inspection_key": "k", "answers": answers, "photos": photo_list, "created_at": at,
                  "updated_at": at, "status": "submitted", "submitted_at": at, "score": score, "critical": False,
                  "versions": [{"n": 1, "submitted_at": at, "answers": answers,
                                "photo_ids": [p["id"] for p in photo_list], "score": score}], "announced": 1}
        if n % 2:
            record.update(status="approved", decided_at=at, decisions=[{"by": "r", "action": "approve", "at": at}])
        by_partition.setdefault((place["id"], period), []).append(record)
        by_inspector.setdefault((user["id"], at[:4]), []).append({"id": inspection_id, "lks_id": place["id"],
                                                                   "created_at": at})
        rows.append(review.index_row(store, record, {r["id"]: r for r in lks}))
        trace = digests.trace("inspection", inspection_id, digests.record_digest(record, "inspection"))
        photo_traces = [digests.trace("photo", digests.photo_ref(inspection_id, p["id"]), p["sha256"])
                        for p in photo_list]
        store.audit.append(user["id"], "inspector", "inspection_started", "inspection", inspection_id)
        for photo_trace in photo_traces:
            store.audit.append(user["id"], "inspector", "draft_saved", "inspection", inspection_id,
                               traces=lambda t=photo_trace: [t])
        store.audit.append(user["id"], "inspector", "submitted", "inspection", inspection_id,
                           traces=lambda: [trace, *photo_traces])
        if n % 2:
            store.audit.append("r", "reviewer", "approved", "inspection", inspection_id, traces=lambda: [trace])
    for (lks_id, period), records in by_partition.items():
        RecordTable(Partition(root / "inspections" / lks_id / f"{period}.json"), "inspections").insert_many(records)
    for (user_id, year), refs in by_inspector.items():
        RecordTable(Partition(root / "index" / "inspectors" / user_id / f"{year}.json"), "inspections").insert_many(refs)
    store.review_index.rebuild(rows)
    chain.write()


CHECK = """
import sys, time
sys.path.insert(0, {repo!r})
from inspector.integrity import run_check
from inspector.store import Store
started, cpu = time.perf_counter(), time.process_time()
result, findings = run_check(Store({root!r}))
print(round(time.perf_counter() - started, 2), round(time.process_time() - cpu, 2), result["findings"],
      result["records"], result["photos"], result["chain_entries"])
for finding in findings[:5]:
    print(finding)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--inspections", type=int, default=10_000)
    parser.add_argument("--photos", type=int, default=2)
    parser.add_argument("--photo-kb", type=int, default=200)
    parser.add_argument("--dir", default=None)
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="check-bench-", dir=args.dir))
    try:
        root = base / "data"
        began = time.perf_counter()
        build(root, args.inspections, args.photos, args.photo_kb)
        print(f"built {args.inspections} inspections, {args.inspections * args.photos} photos of {args.photo_kb} kB "
              f"in {time.perf_counter() - began:.0f} s")
        if shutil.which("sync"):
            subprocess.run(["sync"], check=False)
        out = subprocess.run([sys.executable, "-c", CHECK.format(repo=str(REPO), root=str(root))], check=True,
                             capture_output=True, text=True).stdout.splitlines()
        seconds, cpu, findings, records, photos, entries = out[0].split()
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        print(f"store check: {seconds} s ({cpu} s of CPU) for {records} records, {photos} photos, {entries} audit "
              f"entries; {findings} findings; load average {load:.1f} on {os.cpu_count()} cores")
        for line in out[1:]:
            print("  ", line)
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
