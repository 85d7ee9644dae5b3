"""Tests of ``flask backup`` / ``flask restore`` (inspector.store.backup).

* a backup restored into an empty folder gives the same files, byte for byte, and a working app;
* restore refuses a folder that holds data, a changed archive, and hostile archives (``..``,
  absolute paths, links, devices), writing nothing outside the data folder;
* a backup taken while 4 processes (spawn) keep inserting is one point in time;
* the backup's partition locks and the writers' ``filelock`` locks exclude each other.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import multiprocessing
import os
import tarfile
from pathlib import Path

import pytest
from filelock import FileLock, Timeout

from inspector.store import Store, backup, engine, upgrade
from inspector.store.audit import AuditLog
from inspector.store.backup import BackupError
from inspector.store.restore import restore
from tests.support.auth import sign_in
from tests.support.builders import PASSWORD, ROLE_USERS, make_app, seed_app, signing_key
from tests.support.waiting import wait_until

SPAWN = multiprocessing.get_context("spawn")
WORKERS = 4
CHILD_TIMEOUT_SECONDS = 60


def only_the_layout_stamp(root: Path) -> bool:
    """Nothing was restored: the folder holds only what starting the app wrote (the current layout's stamp)."""
    files = data_files(root)
    stamp = json.loads(files.pop("schema.json", b"{}"))
    return files == {} and stamp.get("version") == upgrade.CURRENT


def data_files(root: Path) -> dict[str, bytes]:
    """Every file a backup must hold, by path relative to ``root``: no locks, hidden files or secret key."""
    found = {}
    for path in root.rglob("*"):
        rel = path.relative_to(root)
        if (path.is_file() and not any(part.startswith(".") for part in rel.parts)
                and not path.name.endswith(".lock") and rel.as_posix() != "secret_key"):
            found[rel.as_posix()] = path.read_bytes()
    return found


def everything(root: Path) -> dict[str, bytes]:
    """Every file under ``root``, hidden and lock files included."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def members(archive: Path) -> dict[str, bytes]:
    with tarfile.open(archive, "r:gz") as tar:
        return {info.name: tar.extractfile(info).read() for info in tar if info.isfile()}


def restore_cli(tmp_path: Path, target: Path, archive: Path):
    """``flask restore`` as an operator runs it: an app on the (empty) target folder first."""
    app = make_app(tmp_path, INSPECTOR_DATA_DIR=str(target))
    return app.test_cli_runner().invoke(args=["restore", str(archive)])


@pytest.fixture
def seeded(tmp_path):
    """An app with LKS, accounts, an inspection with a photo, audit entries and an alert; its backup file."""
    app = make_app(tmp_path)
    lks = seed_app(app)
    store = app.extensions["store"]
    client = app.test_client()
    assert client.post("/masuk", data={"username": ROLE_USERS["admin"], "password": PASSWORD}).status_code == 302
    inspector = store.users.by_username(ROLE_USERS["inspector"])
    record = store.inspections.insert({"lks_id": lks[0]["id"], "inspector_id": inspector["id"], "status": "draft",
                                       "answers": {}, "photos": []})
    photo_id = store.photos.save(record["id"], b"\xff\xd8jpeg" * 100, b"\xff\xd8thumb")
    store.inspections.modify(record["id"], lambda r: {**r, "photos": [{"id": photo_id}]})
    store.notifications.add([inspector["id"]], {"kind": "test", "inspection_id": record["id"]})
    store.audit.append(None, "system", "inspection_started", "inspection", record["id"])
    root = Path(app.config["INSPECTOR_DATA_DIR"])
    (root / ".users.json.abc123.tmp").write_bytes(b"a writer's unfinished temporary")
    archive = tmp_path / "backup.tar.gz"
    result = app.test_cli_runner().invoke(args=["backup", str(archive)])
    assert result.exit_code == 0, result.output
    assert "Backup written" in result.output
    return root, archive


# --------------------------------------------------------------------------
# Round trip
# --------------------------------------------------------------------------


def test_backup_then_restore_gives_identical_files_and_a_working_app(tmp_path, seeded):
    root, archive = seeded
    source = data_files(root)
    assert {"users.json", "lks.json"} <= source.keys()
    assert any(p.startswith("photos/") for p in source) and any(p.startswith("audit/") for p in source)
    assert any(p.startswith("inspections/") for p in source) and any(p.startswith("notify/") for p in source)

    inside = members(archive)
    manifest = json.loads(inside.pop("manifest.json"))
    assert len(inside.pop("manifest.json.sig")) == 64
    # Every file and nothing else: no lock, temporary or secret key; each with its SHA-256.
    assert inside == {f"data/{path}": content for path, content in source.items()}
    assert {e["path"]: e["sha256"] for e in manifest["files"]} == {
        path: hashlib.sha256(content).hexdigest() for path, content in source.items()}
    assert os.stat(archive).st_mode & 0o777 == 0o600

    target = tmp_path / "restored"
    result = restore_cli(tmp_path, target, archive)
    assert result.exit_code == 0, result.output
    assert "Audit trail: OK" in result.output
    assert data_files(target) == source
    # The session key is not restored: a new one was made, so old sessions end.
    assert (target / "secret_key").read_text() != (root / "secret_key").read_text()

    restarted = make_app(tmp_path, INSPECTOR_DATA_DIR=str(target))
    client = restarted.test_client()
    response = sign_in(client, "reviewer")  # the password and the second factor came back with the accounts
    assert client.get(response.headers["Location"]).status_code == 200
    assert AuditLog(target).verify()[0]


def test_an_unfinished_last_audit_line_is_left_out_and_the_copy_verifies(tmp_path):
    root = tmp_path / "data"
    log = AuditLog(root)
    for n in range(3):
        log.append(None, "system", "inspection_started", "inspection", f"s{n}")
    (month_file,) = (root / "audit").glob("*.jsonl")
    whole = month_file.read_bytes()
    with open(month_file, "ab") as handle:
        handle.write(b'{"seq": 4, "torn')  # an append killed half way: never acknowledged
    assert not log.verify()[0]
    key = signing_key(tmp_path / "signing-key.pem")
    backup.create(root, tmp_path / "b.tar.gz", key)
    result = restore(tmp_path / "b.tar.gz", tmp_path / "restored", [key.public])
    assert (result.audit_ok, result.audit_entries) == (True, 3)
    assert (tmp_path / "restored" / "audit" / month_file.name).read_bytes() == whole


# --------------------------------------------------------------------------
# Refusals
# --------------------------------------------------------------------------


def test_restore_refuses_a_folder_that_is_not_empty(tmp_path, seeded):
    _, archive = seeded
    target = tmp_path / "other"
    seed_app(make_app(tmp_path, INSPECTOR_DATA_DIR=str(target)))
    before = everything(target)
    result = restore_cli(tmp_path, target, archive)
    assert result.exit_code != 0
    assert "not empty" in result.output and "Restored" not in result.output
    assert everything(target) == before


def test_backup_refuses_to_overwrite_or_to_write_into_the_data_folder(tmp_path, seeded):
    root, archive = seeded
    before = archive.read_bytes()
    with pytest.raises(BackupError, match="already exists"):
        backup.create(root, archive, signing_key(tmp_path / "signing-key.pem"))
    assert archive.read_bytes() == before
    with pytest.raises(BackupError, match="inside the data folder"):
        backup.create(root, root / "b.tar.gz", signing_key(tmp_path / "signing-key.pem"))
    assert not (root / "b.tar.gz").exists()


def _changed_inside(archive: Path, out: Path) -> None:
    """The archive with one byte of users.json changed, recompressed: only the manifest can tell."""
    raw = bytearray(gzip.decompress(archive.read_bytes()))
    at = raw.index(b'"username"')
    raw[at + 1] ^= 0x20  # "username" -> "Username"
    out.write_bytes(gzip.compress(bytes(raw)))


def _flipped(archive: Path, out: Path) -> None:
    """The archive with one byte in the middle of its compressed stream changed."""
    raw = bytearray(archive.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    out.write_bytes(bytes(raw))


@pytest.mark.parametrize("corrupt, message", [(_changed_inside, "manifest check failed"),
                                              (_flipped, "nothing was restored")])
def test_a_changed_archive_is_refused_and_nothing_is_restored(tmp_path, seeded, corrupt, message):
    _, archive = seeded
    bad = tmp_path / "bad.tar.gz"
    corrupt(archive, bad)
    target = tmp_path / "restored"
    result = restore_cli(tmp_path, target, bad)
    assert result.exit_code != 0
    assert message in result.output, result.output
    assert only_the_layout_stamp(target)
    assert not [p for p in target.iterdir() if p.name.startswith(".restore-")]


def _file(name: str, data: bytes = b"evil") -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info, data


def _special(name: str, kind: bytes, linkname: str = "") -> tuple[tarfile.TarInfo, None]:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, linkname
    if kind == tarfile.CHRTYPE:
        info.devmajor, info.devminor = 1, 3
    return info, None


def _hostile(case: str, outside: Path) -> list:
    return {
        "dotdot": [_file("../evil")],
        "dotdot-inside-data": [_file("data/../../evil")],
        "absolute": [_file(str(outside / "evil"))],
        "symlink": [_special("data/photos", tarfile.SYMTYPE, str(outside)), _file("data/photos/evil")],
        "hardlink": [_special("data/users.json", tarfile.LNKTYPE, str(outside / "victim"))],
        "device": [_special("data/users.json", tarfile.CHRTYPE)],
    }[case]


@pytest.mark.parametrize("case", ["dotdot", "dotdot-inside-data", "absolute", "symlink", "hardlink", "device"])
def test_hostile_archives_are_refused_and_nothing_is_written_outside(tmp_path, case):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "victim").write_bytes(b"precious")
    work = tmp_path / "work"  # the data folder's parent: where '..' would land
    work.mkdir()
    archive = tmp_path / "hostile.tar.gz"
    manifest = _file("manifest.json", json.dumps({"format": "inspector-backup", "version": 1, "files": []}).encode())
    with tarfile.open(archive, "w:gz") as tar:
        for info, data in [_file("data/users.json", b"{}"), *_hostile(case, outside), manifest]:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    signing_key(tmp_path / "signing-key.pem")  # the key the app is given, made before the snapshot of the files
    before = everything(tmp_path)
    target = work / "data"
    result = restore_cli(tmp_path, target, archive)
    assert result.exit_code != 0
    assert "refused" in result.output, result.output
    assert everything(outside) == {"victim": b"precious"}
    assert not (tmp_path / "evil").exists() and not (work / "evil").exists()
    assert only_the_layout_stamp(target)
    new = set(everything(tmp_path)) - set(before)
    assert all(p.startswith("work/data/") and (p.endswith(".lock") or p.endswith(("secret_key", "schema.json"))) for p in new), new


# --------------------------------------------------------------------------
# Locks
# --------------------------------------------------------------------------


def test_the_backups_locks_and_the_writers_locks_exclude_each_other(tmp_path, monkeypatch):
    lock_path = str(tmp_path / "users.json.lock")
    locks = backup._Locks()
    locks.take(lock_path)
    with pytest.raises(Timeout):
        FileLock(lock_path, timeout=0).acquire()
    locks.release_all()
    writer = FileLock(lock_path, timeout=0)
    writer.acquire()
    monkeypatch.setattr(engine, "LOCK_TIMEOUT_SECONDS", 0.05)
    with pytest.raises(BackupError, match="stayed locked"):
        backup._Locks().take(lock_path)
    writer.release()


# --------------------------------------------------------------------------
# A backup while 4 processes keep writing
# --------------------------------------------------------------------------


def _child_keep_inserting(root: str, worker: int, begun_path: str, ack_path: str, ready, stop) -> None:
    """Insert inspections, each in a new month partition (a new year index every 12), with an audit entry.

    One line in ``begun_path`` before each insert starts; the id in ``ack_path`` once the insert
    and its audit entry have returned.
    """
    store = Store(root)
    lks_id, inspector_id = f"l{worker:012x}", f"u{worker:012x}"
    begun = os.open(begun_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    ack = os.open(ack_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    ready.set()
    n = 0
    while not stop.is_set():
        os.write(begun, b"-\n")
        created = f"{2001 + n // 12}-{n % 12 + 1:02d}-15T08:00:00+00:00"
        record = store.inspections.insert({"lks_id": lks_id, "inspector_id": inspector_id, "created_at": created,
                                           "status": "draft", "worker": worker, "n": n})
        store.audit.append(None, "system", "inspection_started", "inspection", record["id"])
        os.write(ack, (record["id"] + "\n").encode("ascii"))
        n += 1


def _lines(paths: list[Path]) -> list[str]:
    return [line for path in paths if path.exists() for line in path.read_text().splitlines()]


def _check_point_in_time(root: Path, acked_before: set[str], begun_after: int) -> None:
    store = Store(root)
    inspections = list(store.inspections.every())  # every partition file loads
    ids = {record["id"] for record in inspections}
    assert len(ids) == len(inspections)
    assert acked_before <= ids
    assert len(ids) <= begun_after
    # Each worker inserts in sequence: the backup holds a prefix of each one's inserts, no gap.
    for worker in range(WORKERS):
        numbers = sorted(r["n"] for r in inspections if r["worker"] == worker)
        assert numbers == list(range(len(numbers))), (worker, numbers)
    # The index entry is written before the inspection: every inspection is listed; an entry
    # without its inspection (skipped by readers) can only be an insert in flight, one per worker.
    listed = set()
    for path in (root / "index" / "inspectors").rglob("*.json"):
        listed |= {row["id"] for row in json.loads(path.read_bytes())["inspections"].values()}
    assert ids <= listed
    assert len(listed - ids) <= WORKERS
    # An audit entry is appended after its inspection: each names an inspection in the backup,
    # and every inspection but one in flight per worker has its entry.
    audited = {entry["target_id"] for entry in AuditLog(root).entries(limit=None)}
    assert audited <= ids
    assert len(ids - audited) <= WORKERS


def test_a_backup_taken_while_four_processes_insert_is_one_point_in_time(tmp_path):
    root = tmp_path / "data"
    Store(root)
    key = signing_key(tmp_path / "signing-key.pem")
    stop = SPAWN.Event()
    readies = [SPAWN.Event() for _ in range(WORKERS)]
    begun = [tmp_path / f"begun-{w}" for w in range(WORKERS)]
    acks = [tmp_path / f"ack-{w}" for w in range(WORKERS)]
    processes = [SPAWN.Process(target=_child_keep_inserting,
                               args=(str(root), w, str(begun[w]), str(acks[w]), readies[w], stop))
                 for w in range(WORKERS)]
    for process in processes:
        process.start()
    taken = []
    try:
        for ready in readies:
            assert ready.wait(CHILD_TIMEOUT_SECONDS)
        for round_ in range(3):
            wait_until(lambda: len(_lines(acks)) >= 30 * (round_ + 1), "the writers' acknowledged inserts")
            acked_before = set(_lines(acks))
            archive = tmp_path / f"backup-{round_}.tar.gz"
            result = backup.create(root, archive, key)
            taken.append((archive, acked_before, len(_lines(begun)), result))
    finally:
        stop.set()
        for process in processes:
            process.join(CHILD_TIMEOUT_SECONDS)
        for process in processes:
            if process.is_alive():  # pragma: no cover - only when the test is failing anyway
                process.kill()
                process.join()
    assert [p.exitcode for p in processes] == [0] * WORKERS
    for n, (archive, acked_before, begun_after, result) in enumerate(taken):
        target = tmp_path / f"restored-{n}"
        restored = restore(archive, target, [key.public])
        assert restored.audit_ok, restored.audit_problem
        assert restored.files == result.files
        _check_point_in_time(target, acked_before, begun_after)
