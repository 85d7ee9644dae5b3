"""Tests of the TinyDB engine: atomic, locked, cached partitions, the files of the record stores.

What every engine must do is in tests/contract/; here is what this engine does with files. Three groups:

* unit tests of the engine and of the files each store module writes;
* concurrency: 8 processes (and, separately, 8 threads) inserting at once into
  one partition lose nothing;
* crash safety: writers killed with SIGKILL at random moments never leave a
  torn partition file and never lose an insert they had acknowledged.

Child processes run module-level functions of this file. The processes that
must be independent of this one (cross-process reads, the 8 concurrent
writers) are started with ``spawn``; the crash test starts 50 writers and
prefers ``fork`` for speed when this process has no other thread (forking a
threaded process is unsafe and, from Python 3.12, a DeprecationWarning).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import signal
import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # the pytest script does not put the project on sys.path
    sys.path.insert(0, str(ROOT))

from inspector.store import Store  # noqa: E402
from inspector.store import engine  # noqa: E402
from inspector.store.engine import STALE_TMP_SECONDS, Partition, atomic_write, sweep_stale_temporaries  # noqa: E402
from inspector.store.records import RecordTable  # noqa: E402


@pytest.fixture(autouse=True)
def durable_writes(monkeypatch):
    """The store's own tests run with fsync on, in this process and in the writers it starts."""
    monkeypatch.setattr(engine, "FSYNC", True)
    monkeypatch.setenv("INSPECTOR_FSYNC", "1")

LKS_ID = "l" + "a" * 12
OTHER_LKS_ID = "l" + "b" * 12
YEAR = "202406"  # the partition: year and month
CREATED = "2024-06-01T08:00:00+00:00"

SPAWN = multiprocessing.get_context("spawn")
CHILD_TIMEOUT_SECONDS = 60


def _only_thread() -> bool:
    if threading.active_count() != 1:
        return False
    try:  # native threads too, which the threading module does not see
        return len(os.listdir("/proc/self/task")) == 1
    except OSError:
        return True


def _fast_context():
    """``fork`` when it is safe (no other thread in this process), else ``spawn``."""
    if "fork" in multiprocessing.get_all_start_methods() and _only_thread():
        return multiprocessing.get_context("fork")
    return SPAWN


def _partition_file(root: Path, lks_id: str = LKS_ID, year: str = YEAR) -> Path:
    return root / "inspections" / lks_id / f"{year}.json"


def _temporaries(folder: Path) -> list[Path]:
    return sorted(folder.rglob(".*.tmp"))


def _inspection(**extra) -> dict:
    return {"lks_id": LKS_ID, "created_at": CREATED, **extra}


def _join_all(processes) -> None:
    for process in processes:
        process.join(CHILD_TIMEOUT_SECONDS)
    for process in processes:
        if process.is_alive():  # pragma: no cover - only when the test is failing anyway
            process.kill()
            process.join()
    assert [p.exitcode for p in processes] == [0] * len(processes)


@pytest.fixture
def store(tmp_path) -> Store:
    return Store(tmp_path / "data")


# --------------------------------------------------------------------------
# Child-process entry points (module level, so ``spawn`` can import them).
# --------------------------------------------------------------------------


def _child_insert_one(root: str, marker: str) -> None:
    Store(root).inspections.insert(_inspection(marker=marker))


def _child_insert_many(root: str, worker: int, count: int, go) -> None:
    inspections = Store(root).inspections
    if not go.wait(CHILD_TIMEOUT_SECONDS):
        raise RuntimeError("never told to start")
    for n in range(count):
        inspections.insert(_inspection(worker=worker, n=n))


def _child_crash_writer(root: str, ack_path: str, ready, generation: int) -> None:
    """Insert forever; append each id to ``ack_path`` only after insert() returned.

    One ``os.write`` of one short line to an O_APPEND file per insert: the
    line is in the kernel once the call returns, so a SIGKILL afterwards
    cannot lose it (a kill of the process, unlike a power cut, needs no fsync).
    """
    inspections = Store(root).inspections
    ack = os.open(ack_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    ready.set()
    n = 0
    while True:
        record = inspections.insert(_inspection(generation=generation, n=n, padding="x" * 200))
        os.write(ack, (record["id"] + "\n").encode("ascii"))
        n += 1


# --------------------------------------------------------------------------
# Engine
# --------------------------------------------------------------------------


def test_atomic_write_replaces_content_and_leaves_no_temporaries(tmp_path):
    target = tmp_path / "part.json"
    atomic_write(target, b'{"a": 1}')
    assert target.read_bytes() == b'{"a": 1}'
    atomic_write(target, b'{"b": 2}')
    assert target.read_bytes() == b'{"b": 2}'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["part.json"]


def test_atomic_write_that_fails_keeps_old_file_and_removes_its_temporary(tmp_path, monkeypatch):
    target = tmp_path / "part.json"
    atomic_write(target, b"old")

    def refuse(src, dst):
        raise OSError("disk says no")

    monkeypatch.setattr(engine.os, "replace", refuse)
    with pytest.raises(OSError, match="disk says no"):
        atomic_write(target, b"new")
    monkeypatch.undo()
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["part.json"]


def test_transaction_writes_only_when_something_changed(tmp_path, monkeypatch):
    writes = []
    real_atomic_write = engine.atomic_write

    def counting_atomic_write(path, data, **kwargs):
        writes.append(path)
        real_atomic_write(path, data, **kwargs)

    monkeypatch.setattr(engine, "atomic_write", counting_atomic_write)
    partition = Partition(tmp_path / "p.json")

    # Reading in a transaction on a partition that does not exist creates nothing.
    with partition.transaction() as db:
        assert db.table("t").all() == []
    assert writes == []
    assert not partition.exists()

    with partition.transaction() as db:
        db.table("t").insert({"id": "x", "v": 1})
    assert len(writes) == 1
    before = os.stat(partition.path)
    content = partition.path.read_bytes()

    # Read-only transaction on an existing partition: no write, same file.
    with partition.transaction() as db:
        table = db.table("t")
        assert table.all() == [{"id": "x", "v": 1}]
        assert table.contains(doc_id=1)
    assert len(writes) == 1
    after = os.stat(partition.path)
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert partition.path.read_bytes() == content

    # A change is written, and readers see it.
    with partition.transaction() as db:
        db.table("t").update({"v": 2})
    assert len(writes) == 2
    assert partition.reader().table("t").all() == [{"id": "x", "v": 2}]
    assert _temporaries(tmp_path) == []


def test_transaction_that_raises_leaves_file_and_cache_unchanged(tmp_path):
    partition = Partition(tmp_path / "p.json")
    table = RecordTable(partition, "t")
    table.insert({"id": "old", "nested": {"v": 1}})
    content = partition.path.read_bytes()
    ident = os.stat(partition.path).st_ino
    assert [r["id"] for r in table.all()] == ["old"]  # the parse is now cached
    assert str(partition.path) in engine._cache

    with pytest.raises(RuntimeError, match="abandon"):
        with partition.transaction() as db:
            t = db.table("t")
            t.insert({"id": "new"})
            t.update({"nested": {"v": 99}})
            # The transaction works on a private copy: readers still see the old data.
            assert [doc["id"] for doc in partition.reader().table("t").all()] == ["old"]
            raise RuntimeError("abandon")

    assert partition.path.read_bytes() == content
    assert os.stat(partition.path).st_ino == ident
    assert table.all() == [{"id": "old", "nested": {"v": 1}}]
    assert table.get("new") is None
    # Neither the cache nor the file remembers the abandoned transaction.
    engine._cache.clear()
    assert table.all() == [{"id": "old", "nested": {"v": 1}}]
    with partition.transaction() as db:
        assert [doc["id"] for doc in db.table("t").all()] == ["old"]
    assert _temporaries(tmp_path) == []


def test_reads_see_a_write_made_by_another_process(tmp_path):
    root = tmp_path / "data"
    store = Store(root)
    store.inspections.insert(_inspection(marker="parent"))
    assert [r["marker"] for r in store.inspections.for_lks(LKS_ID)] == ["parent"]
    key = str(_partition_file(root))
    assert key in engine._cache  # this process now has the partition cached
    cached_before = engine._cache[key]

    child = SPAWN.Process(target=_child_insert_one, args=(str(root), "child"))
    child.start()
    _join_all([child])

    markers = sorted(r["marker"] for r in store.inspections.for_lks(LKS_ID))
    assert markers == ["child", "parent"]
    assert engine._cache[key] is not cached_before


def synced_paths(monkeypatch) -> list[str]:
    """Every path this process fsyncs from now on, in order (read from the descriptor as it is synced)."""
    synced, real_fsync = [], os.fsync

    def fsync(fd):
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    return synced


def test_new_folders_survive_a_power_cut_each_is_synced_in_its_parent(tmp_path, monkeypatch):
    synced = synced_paths(monkeypatch)
    with Partition(tmp_path / "a" / "b" / "c.json").transaction() as db:
        db.table("t").insert({"x": 1})
    made = [str(tmp_path), str(tmp_path / "a"), str(tmp_path / "a" / "b")]
    # a's entry in tmp_path, b's entry in a, then c.json's entry in b (after its contents, synced before the rename)
    assert [p for p in synced if p in made] == made
    assert any(p.startswith(str(tmp_path / "a" / "b" / ".c.json.")) for p in synced[:synced.index(made[-1])])


def test_a_photo_in_a_new_folder_is_synced_in_its_parent(tmp_path, monkeypatch):
    store = Store(tmp_path / "data")
    synced = synced_paths(monkeypatch)
    store.photos.save("l" + "c" * 12, b"jpeg", b"thumb")
    assert str(tmp_path / "data" / "photos") in synced  # the new owner folder's entry in photos/
    assert str(tmp_path / "data") in synced  # photos/ itself was new


def test_sweep_stale_temporaries_removes_only_old_temporaries(tmp_path):
    old = time.time() - STALE_TMP_SECONDS - 3600
    nested = tmp_path / "inspections" / LKS_ID
    nested.mkdir(parents=True)
    stale = [tmp_path / ".users.json.abc123.tmp", nested / f".{YEAR}.json.def456.tmp"]
    fresh = [tmp_path / ".lks.json.ghi789.tmp"]
    other_old = [tmp_path / "users.json", tmp_path / "visible.tmp", nested / f".{YEAR}.json.lock"]
    for path in stale + fresh + other_old:
        path.write_bytes(b"{}")
    for path in stale + other_old:
        os.utime(path, (old, old))

    assert sweep_stale_temporaries(tmp_path) == len(stale)
    for path in stale:
        assert not path.exists()
    for path in fresh + other_old:
        assert path.exists()
    assert sweep_stale_temporaries(tmp_path) == 0


def test_store_opening_sweeps_stale_temporaries(tmp_path):
    root = tmp_path / "data"
    root.mkdir()
    stale = root / ".users.json.zzz.tmp"
    stale.write_bytes(b"half a fi")
    old = time.time() - STALE_TMP_SECONDS - 60
    os.utime(stale, (old, old))
    Store(root)
    assert not stale.exists()


# --------------------------------------------------------------------------
# RecordTable
# --------------------------------------------------------------------------


def test_record_table_insert_get_update_modify_find(tmp_path):
    table = RecordTable(Partition(tmp_path / "r.json"), "things")
    assert table.all() == []
    assert table.get("a") is None

    assert table.insert({"id": "a", "colour": "red", "n": 1}) == {"id": "a", "colour": "red", "n": 1}
    table.insert({"id": "b", "colour": "blue", "n": 2})
    table.insert({"id": "c", "colour": "red", "n": 3})
    assert table.get("b") == {"id": "b", "colour": "blue", "n": 2}
    assert sorted(r["id"] for r in table.find(lambda r: r["colour"] == "red")) == ["a", "c"]
    assert table.find(lambda r: r["n"] > 10) == []

    assert table.update("b", {"colour": "green"}) == {"id": "b", "colour": "green", "n": 2}
    assert table.get("b")["colour"] == "green"
    assert table.update("missing", {"colour": "x"}) is None
    assert table.get("missing") is None

    def bump(record):
        record["n"] += 10
        return record

    assert table.modify("c", bump) == {"id": "c", "colour": "red", "n": 13}
    assert table.get("c")["n"] == 13
    assert table.modify("missing", bump) is None

    before = (tmp_path / "r.json").read_bytes()
    assert table.modify("a", lambda record: None) is None  # a veto changes nothing
    assert (tmp_path / "r.json").read_bytes() == before
    assert table.get("a") == {"id": "a", "colour": "red", "n": 1}

    # Everything above is on disk, not only in this process's cache.
    engine._cache.clear()
    assert {r["id"]: (r["colour"], r["n"]) for r in table.all()} == {
        "a": ("red", 1),
        "b": ("green", 2),
        "c": ("red", 13),
    }


def test_record_table_refuses_a_duplicate_id(tmp_path):
    table = RecordTable(Partition(tmp_path / "r.json"), "things")
    table.insert({"id": "a", "v": 1})
    before = (tmp_path / "r.json").read_bytes()
    with pytest.raises(ValueError, match="duplicate"):
        table.insert({"id": "a", "v": 2})
    assert (tmp_path / "r.json").read_bytes() == before
    assert table.all() == [{"id": "a", "v": 1}]


def test_record_table_get_returns_a_deep_copy(tmp_path):
    table = RecordTable(Partition(tmp_path / "r.json"), "things")
    table.insert({"id": "a", "answers": {"q1": ["yes"]}, "tags": ["x"]})
    got = table.get("a")
    got["answers"]["q1"].append("tampered")
    got["answers"]["q2"] = "added"
    got["tags"].clear()
    got["id"] = "zzz"
    assert table.get("a") == {"id": "a", "answers": {"q1": ["yes"]}, "tags": ["x"]}
    assert table.all() == [{"id": "a", "answers": {"q1": ["yes"]}, "tags": ["x"]}]


# --------------------------------------------------------------------------
# Users, LKS, inspections, throttle
# --------------------------------------------------------------------------


def test_a_refused_account_leaves_the_users_file_as_it_was(store):
    """The rest of this test is in tests/contract/test_users_and_lks.py."""
    store.users.create(username="Alice", role="inspector")
    before = (store.root / "users.json").read_bytes()
    for taken in ("alice", "ALICE", "  aLiCe "):
        with pytest.raises(ValueError, match="taken"):
            store.users.create(username=taken, role="admin")
    assert (store.root / "users.json").read_bytes() == before


def test_a_refused_batch_of_lks_leaves_the_lks_file_as_it_was(store):
    """The rest of this test is in tests/contract/test_users_and_lks.py."""
    store.lks.create(code="TNG-001", name="One")
    path = store.root / "lks.json"
    before = path.read_bytes()
    with pytest.raises(ValueError, match="TNG-001"):
        store.lks.create_many([{"code": "TNG-002", "name": "Two"}, {"code": "TNG-001", "name": "Again"}])
    with pytest.raises(ValueError, match="TNG-003"):
        store.lks.create_many([{"code": "TNG-003", "name": "Three"}, {"code": "TNG-003", "name": "Three b"}])
    assert path.read_bytes() == before


def test_inspections_are_kept_in_one_partition_per_lks_and_month(store):
    """The rest of this test is in tests/contract/test_inspections.py."""
    subs = store.inspections
    for n, when in enumerate(["2024-03-01T10:00:00+00:00", "2023-12-31T23:59:59+00:00", "2024-11-05T07:30:00+00:00",
                              "2024-07-14T12:00:00+00:00"]):
        subs.insert({"lks_id": LKS_ID, "created_at": when, "n": n})
    subs.insert({"lks_id": OTHER_LKS_ID, "created_at": "2025-01-01T00:00:00+00:00", "n": 99})
    # One partition per LKS and month.
    assert sorted(p.name for p in (store.root / "inspections" / LKS_ID).glob("*.json")) == [
        "202312.json", "202403.json", "202407.json", "202411.json"]


@pytest.mark.parametrize("bad_lks", ["../users", "../secret", "..", ".", "", "secret", f"{LKS_ID}/../../secret"])
def test_inspection_for_lks_refuses_a_malicious_lks_id(store, bad_lks):
    # Bait: folders that a path built from the id would reach, holding a valid partition.
    bait = {"inspections": {"1": {"id": "stolen", "lks_id": "x", "created_at": CREATED}}}
    for folder in (store.root / "secret", store.root / "users", store.root / "inspections" / "secret"):
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{YEAR}.json").write_text(json.dumps(bait))
    store.users.create(username="admin")
    store.inspections.insert(_inspection())
    assert store.inspections.for_lks(bad_lks) == []


def test_throttle_writes_only_on_a_change_and_keeps_counts_on_disk(store):
    """The rest of this test is in tests/contract/test_users_and_lks.py."""
    throttle = store.throttle
    # Clearing an account without failures writes nothing.
    throttle.clear("alice")
    assert not (store.root / "throttle.json").exists()
    throttle.record_failure("alice", 100.0)
    throttle.record_failure("bob", 200.0)
    throttle.clear("alice")
    assert throttle.record_failure("alice", 300.0)["failures"] == 1

    engine._cache.clear()  # and it is all on disk
    assert throttle.get("alice")["failures"] == 1
    assert throttle.get("bob")["failures"] == 1


# --------------------------------------------------------------------------
# Concurrency
# --------------------------------------------------------------------------

WORKERS = 8
PER_WORKER = 50


def _assert_all_concurrent_inserts_present(root: Path) -> None:
    path = _partition_file(root)
    raw = json.loads(path.read_bytes())  # the file itself is whole, valid JSON
    on_disk = list(raw["inspections"].values())
    assert len(on_disk) == WORKERS * PER_WORKER
    engine._cache.clear()
    records = Store(root).inspections.for_lks(LKS_ID)
    assert len(records) == WORKERS * PER_WORKER
    assert len({r["id"] for r in records}) == WORKERS * PER_WORKER
    assert sorted((r["worker"], r["n"]) for r in records) == [
        (w, n) for w in range(WORKERS) for n in range(PER_WORKER)
    ]
    assert _temporaries(root) == []


def test_concurrent_processes_lose_no_insert(tmp_path):
    root = tmp_path / "data"
    Store(root)
    go = SPAWN.Event()
    workers = [
        SPAWN.Process(target=_child_insert_many, args=(str(root), w, PER_WORKER, go)) for w in range(WORKERS)
    ]
    for worker in workers:
        worker.start()
    go.set()  # released together, they contend for the one partition file
    _join_all(workers)
    _assert_all_concurrent_inserts_present(root)


def test_concurrent_threads_lose_no_insert(tmp_path):
    root = tmp_path / "data"
    store = Store(root)
    barrier = threading.Barrier(WORKERS)
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            barrier.wait(CHILD_TIMEOUT_SECONDS)
            for n in range(PER_WORKER):
                store.inspections.insert(_inspection(worker=worker, n=n))
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(CHILD_TIMEOUT_SECONDS)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    _assert_all_concurrent_inserts_present(root)


# --------------------------------------------------------------------------
# Crash safety
# --------------------------------------------------------------------------

KILLS = 50


def _acknowledged(ack_path: Path) -> list[str]:
    """Ids whose line is complete; a torn last line was never acknowledged."""
    if not ack_path.exists():
        return []
    text = ack_path.read_text("ascii")
    lines = text.split("\n")
    return lines[:-1]  # the part after the last newline is empty or torn


def test_writers_killed_at_random_moments_lose_no_acknowledged_insert(tmp_path):
    root = tmp_path / "data"
    Store(root)
    path = _partition_file(root)
    ack_path = tmp_path / "acks.txt"
    context = _fast_context()
    rng = random.Random(20241127)
    killed = 0

    for generation in range(KILLS):
        ready = context.Event()
        writer = context.Process(target=_child_crash_writer, args=(str(root), str(ack_path), ready, generation))
        writer.start()
        try:
            assert ready.wait(CHILD_TIMEOUT_SECONDS), "writer never started"
            time.sleep(rng.uniform(0.005, 0.060))
        finally:
            if writer.is_alive():
                os.kill(writer.pid, signal.SIGKILL)
            writer.join(CHILD_TIMEOUT_SECONDS)
        assert writer.exitcode == -signal.SIGKILL, f"writer ended by itself, exit code {writer.exitcode}"
        killed += 1

        acked = _acknowledged(ack_path)
        assert len(acked) == len(set(acked))
        if not acked and not path.exists():
            continue
        # The file on disk is whole JSON: the old version or the new one, never half.
        raw = json.loads(path.read_bytes())
        stored_ids = [doc["id"] for doc in raw["inspections"].values()]
        assert len(stored_ids) == len(set(stored_ids))
        # Every acknowledged insert is there; at most one unacknowledged one per killed
        # writer (the insert that completed just before its acknowledgement was cut).
        missing = set(acked) - set(stored_ids)
        assert not missing, f"after kill {generation}: {len(missing)} acknowledged ids lost"
        assert len(stored_ids) - len(acked) <= killed

        # A fresh Store, with nothing cached, loads the partition and finds them.
        engine._cache.clear()
        fresh = Store(root)
        loaded = {r["id"] for r in fresh.inspections.for_lks(LKS_ID)}
        assert loaded == set(stored_ids)
        if acked:
            assert fresh.inspections.get(acked[-1])["id"] == acked[-1]

    acked = _acknowledged(ack_path)
    assert len(acked) >= 10, "the writers barely wrote: the kills tested little"
    # Temporaries of killed writers are only ever hidden *.tmp files next to the partition.
    leftovers = {p.name for p in path.parent.iterdir()} - {path.name, path.name + ".lock"}
    assert all(name.startswith(f".{path.name}.") and name.endswith(".tmp") for name in leftovers)
    # The lock of a killed writer was released: this process can still write.
    record = Store(root).inspections.insert(_inspection(generation="after"))
    assert Store(root).inspections.get(record["id"]) is not None


def test_every_write_gives_the_file_a_new_identity_even_within_one_clock_tick(tmp_path, monkeypatch):
    """Two same-size writes in the same nanosecond still differ in mtime, so other processes' caches notice."""
    partition = engine.Partition(tmp_path / "p.json")
    monkeypatch.setattr(engine.time, "time_ns", lambda: 1_000_000_000_000)
    identities = []
    for value in ("a", "b", "c"):
        with partition.transaction() as db:
            db.table("t").truncate()
            db.table("t").insert({"v": value})
        identities.append(engine._identity(os.stat(partition.path)))
    assert len(set(identities)) == 3


def test_each_inspector_has_one_index_file_per_year(store):
    """The rest of this test is in tests/contract/test_inspections.py."""
    inspector = "u" + "1" * 12
    for n, when in enumerate(["2024-05-01T01:00:00+00:00", "2025-02-01T01:00:00+00:00",
                              "2025-09-01T01:00:00+00:00", "2026-01-01T01:00:00+00:00"]):
        lks_id = LKS_ID if n % 2 == 0 else OTHER_LKS_ID
        store.inspections.insert({"lks_id": lks_id, "inspector_id": inspector, "created_at": when})
    assert sorted(p.name for p in (store.root / "index" / "inspectors" / inspector).glob("*.json")) == [
        "2024.json", "2025.json", "2026.json"]


def test_flask_index_rebuild_restores_the_review_queue(tmp_path):
    """After the queue indexes are lost, `flask index rebuild` recreates them from the inspections."""
    from tests.support.builders import make_app, seed_app

    app = make_app(tmp_path)
    seed_app(app)
    store = app.extensions["store"]
    lks = store.lks.all()[0]
    inspector = store.users.by_username("petugas1")
    sent = store.inspections.insert({"lks_id": lks["id"], "inspector_id": inspector["id"], "status": "submitted",
                                     "submitted_at": "2026-11-01T01:00:00+00:00", "checklist": {"id": "lksa"},
                                     "score": {"percent": 90.0, "failed": ["a"]}, "critical": True, "photos": []})
    store.inspections.insert({"lks_id": lks["id"], "inspector_id": inspector["id"], "status": "draft",
                              "checklist": {"id": "lksa"}, "photos": []})
    assert store.review_index.pending_rows() == []
    result = app.test_cli_runner().invoke(args=["index", "rebuild"])
    assert result.exit_code == 0 and "1 sent inspections" in result.output
    assert [r["id"] for r in store.review_index.pending_rows()] == [sent["id"]]
    assert [(r["id"], r["critical"], r["failed"]) for r in store.review_index.rows("202611", "202611")] == [
        (sent["id"], True, 1)]
