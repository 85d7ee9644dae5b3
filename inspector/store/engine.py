"""Partitions: small TinyDB files written atomically, locked across processes, read from a cache.

TinyDB's own JSONStorage rewrites its file in place and is unsafe with
several threads or processes. Here each record kind is split into small
partition files, and every partition

* is written atomically: a temporary file in the same folder, fsync,
  ``os.replace``, fsync of the folder -- a reader or a crash sees the old
  file or the new one, never half of one;
* is changed only under an exclusive file lock (``filelock``, one lock file
  per partition), so read-modify-write is serialised across threads and
  processes;
* is read from a process-wide cache keyed on the file's identity (inode,
  mtime, size), so a page that reads the same partition twice parses it once,
  and a write by another process is seen at the next read.

A write transaction parses the file afresh under the lock and works on its
private copy; the cached copy that readers share is never mutated, and the
next read after a write parses the new file.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
import time
from collections import OrderedDict
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from filelock import FileLock
from tinydb import TinyDB
from tinydb.storages import Storage

from .contract.kinds import DataDamaged

# Lock waits longer than this mean something is badly wrong; fail loudly.
LOCK_TIMEOUT_SECONDS = 30
# Temporary files older than this belong to a writer that died.
STALE_TMP_SECONDS = 60
# fsync makes a write survive a power cut. INSPECTOR_FSYNC=0 drops it (atomicity stays): for test runs only.
FSYNC = os.environ.get("INSPECTOR_FSYNC", "1") != "0"

# Parsed partitions kept per process; the earliest loaded go first.
CACHE_PARTITIONS = 1024
_cache: "OrderedDict[str, tuple[tuple[int, int, int], dict]]" = OrderedDict()
_cache_guard = threading.Lock()


def _forget(key: str) -> None:
    with _cache_guard:
        _cache.pop(key, None)


def _remember(key: str, ident: tuple[int, int, int], data: dict) -> None:
    with _cache_guard:
        _cache[key] = (ident, data)
        _cache.move_to_end(key)
        while len(_cache) > CACHE_PARTITIONS:
            _cache.popitem(last=False)


def _identity(stat: os.stat_result) -> tuple[int, int, int]:
    return (stat.st_ino, stat.st_mtime_ns, stat.st_size)


def _parse(raw: bytes, path: Path) -> dict:
    """A partition's tables. The store writes every partition whole, as JSON tables of documents, and never an
    empty file: anything else is damage, and is refused loudly rather than read as an empty partition."""
    if not raw.strip():
        raise DataDamaged(str(path), "empty file")
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as error:
        raise DataDamaged(str(path), f"not readable as JSON ({error})") from None
    if not isinstance(data, dict) or not all(isinstance(table, dict) for table in data.values()):
        raise DataDamaged(str(path), "not a table of records")
    return data


def atomic_write(path: Path, data: bytes, after_mtime_ns: int = 0) -> None:
    """Replace ``path`` with ``data`` so that a crash leaves the old or the new file.

    The new file's mtime is made later than ``after_mtime_ns`` (the file it
    replaces), so that (inode, mtime, size) always tells two versions apart,
    even when the file system reuses an inode within one timestamp tick.
    """
    folder = path.parent
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            mtime = max(time.time_ns(), after_mtime_ns + 1)
            os.utime(handle.fileno(), ns=(mtime, mtime))
            if FSYNC:
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    fsync_folder(folder)


def fsync_folder(folder: Path) -> None:
    """Make the folder's entries (a new or replaced file, a new sub-folder) survive a power cut."""
    if FSYNC:
        dir_fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def make_folders(folder: Path) -> None:
    """``mkdir -p`` whose folders survive a power cut: the parent of each missing folder is fsynced after it is
    made (also when another writer made it a moment before: that writer may not have synced it yet). Each new
    folder is 0700: the data concerns children, and no other account on the machine may list it."""
    missing, here = [], Path(folder)
    while not here.is_dir() and here != here.parent:
        missing.append(here)
        here = here.parent
    for new in reversed(missing):
        try:
            new.mkdir(mode=0o700)
            os.chmod(new, 0o700)  # whatever the umask
        except FileExistsError:
            if not new.is_dir():
                raise
        fsync_folder(new.parent)


def sweep_stale_temporaries(root: Path) -> int:
    """Remove temporary files left by writers that were killed; return how many."""
    removed = 0
    cutoff = time.time() - STALE_TMP_SECONDS
    for tmp in root.rglob(".*.tmp"):
        try:
            if tmp.stat().st_mtime < cutoff:
                tmp.unlink()
                removed += 1
        except FileNotFoundError:
            pass
    return removed


class _CachedReadStorage(Storage):
    """Read-only TinyDB storage serving the partition's cached parse."""

    def __init__(self, partition: "Partition"):
        self._partition = partition

    def read(self):
        return self._partition.snapshot()

    def write(self, data):  # pragma: no cover - guarded by design
        raise RuntimeError("read-only view: open a transaction to write")


class _TransactionStorage(Storage):
    """TinyDB storage holding a private parse; writes stay in memory until commit."""

    def __init__(self, data: dict):
        self.data = data
        self.dirty = False

    def read(self):
        return self.data

    def write(self, data):
        self.data = data
        self.dirty = True


class Partition:
    """One TinyDB file: cached reads, locked atomic transactions."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._lock_path = self.path.with_name(self.path.name + ".lock")

    def exists(self) -> bool:
        return self.path.exists()

    def snapshot(self) -> dict:
        """The parsed file, shared and read-only; ``{}`` when there is no file yet."""
        key = str(self.path)
        try:
            stat = os.stat(self.path)
        except FileNotFoundError:
            return {}
        ident = _identity(stat)
        cached = _cache.get(key)
        if cached and cached[0] == ident:
            return cached[1]
        with open(self.path, "rb") as handle:
            stat = os.fstat(handle.fileno())
            data = _parse(handle.read(), self.path)
        _remember(key, _identity(stat), data)
        return data

    def read_once(self) -> dict:
        """The parsed file for one pass over many partitions (an export): parsed afresh, never kept in the
        shared cache, so the pass holds one partition at a time; ``{}`` when there is no file."""
        try:
            with open(self.path, "rb") as handle:
                return _parse(handle.read(), self.path)
        except FileNotFoundError:
            return {}

    def reader(self) -> TinyDB:
        """A TinyDB over the cached data; do not mutate what it returns."""
        return TinyDB(self, storage=_CachedReadStorage)

    @contextmanager
    def transaction(self) -> Iterator[TinyDB]:
        """Lock the partition, yield a TinyDB on a private copy, write it atomically on success."""
        make_folders(self.path.parent)
        with FileLock(str(self._lock_path), timeout=LOCK_TIMEOUT_SECONDS):
            try:
                with open(self.path, "rb") as handle:
                    previous_mtime_ns = os.fstat(handle.fileno()).st_mtime_ns
                    data = _parse(handle.read(), self.path)
            except FileNotFoundError:
                data, previous_mtime_ns = {}, 0
            storage = _TransactionStorage(data)
            db = TinyDB(storage, storage=_passthrough)
            yield db
            if storage.dirty:
                raw = json.dumps(storage.data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
                atomic_write(self.path, raw, after_mtime_ns=previous_mtime_ns)
                # Not cached here: the caller may still hold nested values of storage.data.
                _forget(str(self.path))


def _passthrough(storage: Storage) -> Storage:
    """Let TinyDB use an already built storage object."""
    return storage
