"""Benchmark: ``flask store repair`` on a data folder of 10,000 inspections (``--size``), as the command runs.

The folder is built as ``export_bench.py`` builds it (72 demo LKS, 12 inspectors, inspections of the real LKSA
checklist over three years), a backup is taken with ``flask backup``'s code, then the command is run three times
through the Flask command line, each timed on its own:

* clean: nothing damaged (the scan of every partition and the rebuild of every index);
* from backup: one inspections partition emptied, the pending index garbled and one inspector's index cut in
  half, then ``flask store repair --from-backup FILE`` (the archive unpacked and checked first);
* no backup: the same damage again, then ``flask store repair`` (the partition's records named as lost).

Printed per run: seconds, the exit code, the lines of the report that say what was damaged and the last line.
Writes are fsynced as in production (``INSPECTOR_FSYNC`` is left on for the timed runs). Run from the
repository root:

    .venv/bin/python bench/repair_bench.py              # 10,000 inspections, about 2 minutes
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))


def damage(folder: Path) -> None:
    partition = sorted((folder / "inspections").glob("*/*.json"))[-1]
    partition.write_bytes(b"")
    pending = folder / "index" / "pending.json"
    pending.write_bytes(b"\x00\xff" + pending.read_bytes()[2:])
    index = sorted((folder / "index" / "inspectors").glob("*/*.json"))[0]
    index.write_bytes(index.read_bytes()[: index.stat().st_size // 2])


def run(app, *args) -> tuple[float, int, str]:
    from inspector.store import engine

    engine._cache.clear()
    started = time.perf_counter()
    result = app.test_cli_runner().invoke(args=["store", "repair", *args])
    return time.perf_counter() - started, result.exit_code, result.output


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=10000, help="stored inspections")
    parser.add_argument("--dir", default=None, help="where to make the temporary folder")
    parser.add_argument("--seed", type=int, default=20261207)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="repair_bench_", dir=args.dir))
    try:
        os.environ["INSPECTOR_FSYNC"] = "0"  # building thousands of partitions is not what is measured
        import export_bench
        from inspector.store import backup, engine, signing

        folder = tmp / "data"
        export_bench.build(folder, args.size, args.seed)
        archive = tmp / "backup.tar.gz"
        key = tmp / "signing-key.pem"  # beside the data folder, never in it
        backup.create(folder, archive, signer=signing.generate(key, folder))
        engine.FSYNC = True  # the repair itself as in production

        from inspector import create_app

        app = create_app({"INSPECTOR_DATA_DIR": str(folder), "SECRET_KEY": "bench", "TESTING": True,
                          "INSPECTOR_SIGNING_KEY": str(key)})
        files = sum(1 for _ in folder.rglob("*.json"))
        print("repair benchmark --", datetime.now(timezone.utc).replace(microsecond=0).isoformat())
        print(f"{args.size} inspections, {files} partition files; load average at start: "
              f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        for name, extra in (("clean", ()), ("from backup", ("--from-backup", str(archive))), ("no backup", ())):
            if name != "clean":
                damage(folder)
            seconds, code, output = run(app, *extra)
            lines = output.strip().splitlines()
            print(f"\n{name}: {seconds:.1f} s, exit {code}")
            for line in lines:
                if line.startswith(("Damaged:", "  NOT RECOVERED")) or line is lines[-1]:
                    print("   ", line[:160] + ("..." if len(line) > 160 else ""))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
