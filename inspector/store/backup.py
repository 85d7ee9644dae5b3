"""Backup of a whole data folder: one point in time, taken while the server keeps serving (restore: restore.py).

A backup is a tar.gz holding ``data/<path>`` for every file of the data
folder, then ``manifest.json`` with the size and SHA-256 of each, and last
``manifest.json.sig``: the Ed25519 signature of the manifest's exact bytes by
the installation's signing key (``signing``; the key lives outside the data
folder, so a backup never holds it). Restore refuses an archive whose
signature is missing, wrong, or made by a key it was not told to trust.

Left out: lock files (``*.lock``), hidden entries (the writers' ``.*.tmp``
temporaries, a backup's own staging folder) and ``secret_key``. The key signs
session cookies: a backup is copied off the machine, and a copy holding the
key (and the accounts' session versions beside it) would let whoever reads it
forge a sign-in to the live server as anyone, admins included. Leaving it out
costs one thing after a restore: a new key is made at the first start and
everyone signs in again. (Set ``INSPECTOR_SECRET_KEY`` in the environment to
keep sessions across a restore.) The backup still holds personal data and
password hashes: it is written mode 0600 and must be kept like the server.

How the snapshot is taken (``create``)
--------------------------------------

Partition files change only by ``os.replace`` under their own
``<file>.lock``, and no code path holds two partition locks at once (every
read-modify-write is one ``Partition.transaction``; the ``change`` callbacks
of ``modify`` are pure; audit appends happen after, not inside, them). So:

1. scan the folder (photos and audit apart) for partition files, and take the
   lock of each, in sorted order; scan again and take the locks of files that
   appeared meanwhile; repeat until a scan finds nothing new. The audit lock is
   taken with them. Writers hold one lock at a time and backups exclude each
   other (``backup.lock``), so this cannot deadlock;
2. with every lock held, open each partition file (instant: the open file
   keeps that version, since writers replace files rather than change them)
   and note where the audit files end;
3. release every lock, then list the photos (written once, never changed) and
   stream everything into the archive: the partitions from the files opened in
   step 2, the audit files up to the noted ends (the log only grows).

Nothing is written inside the data folder (no staging copy, no links): the
only file made is the archive, written as a hidden ``.partial`` file beside
its target and published whole, so a full disk or a folder that cannot be
written ends the backup with a one-line ``BackupError`` and no file left.

The guarantee. Let t be the start of the last scan of step 1, which found
no file whose lock we did not already hold. Every partition file existing at
t was found by it (files are never removed), so it was locked before t and
stays locked until step 3: the backup holds exactly its version at t. The
files linked are the ones locked, all found by earlier scans, so a file
created after t is left out, as it did not exist at t. The audit trail holds
exactly the entries appended before t (an unfinished last line, an append
that never returned, is left out). So the backup is the folder as it was at
the instant t, as a crash at t would have left it. A request that writes
several files in sequence (an inspector's index entry, then the inspection; a
queue row, then the inspection's state; a change, then its audit entry) is in
the backup up to some step, never with a later step and without an earlier
one; the app already tolerates every such prefix (dangling index entries are
skipped, queue rows are confirmed against the inspection, ``flask index
rebuild`` recreates the queue indexes). Photos: every one a record in the
backup refers to (photos are removed only when nothing refers to them), plus
perhaps some that none does; a photo is opened when it is packed, so one that
a draft at t referred to and that its inspector removed while the archive was
being written is left out. A file outside the lock protocol (none today
besides ``secret_key``) is read when packed, as it is then.

This rests on what ``engine`` does today: a partition file is created and
replaced only under its lock, and never removed; a writer holds one
partition lock at a time.

Each partition is blocked for writers from the moment its lock is taken to
the end of step 2: the opens, not the packing (``BackupResult``
reports the times). A folder that keeps gaining partitions faster than a scan
(never seen in use: a new partition is a new LKS month or a new account) makes
step 1 start over, and after a few tries the backup gives up.

Restore (``restore``) works only on an empty data folder, reads the whole
archive into a hidden staging folder inside it, refuses absolute paths,
``..``, links, devices and anything that is not a plain file under ``data/``,
checks every file against the manifest, and only then moves the files into
place. Nothing is ever written outside the data folder.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import io
import json
import os
import resource
import shutil
import stat
import tarfile
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from filelock import FileLock, Timeout

from .. import timefmt
from . import engine
from .keys import FILE_NAME as KEY_FILE

FORMAT = "inspector-backup"
VERSION = 1
MANIFEST = "manifest.json"
MANIFEST_SIG = "manifest.json.sig"  # the Ed25519 signature of manifest.json's exact bytes
DATA = "data"
BACKUP_LOCK = "backup.lock"
SECRET_KEY = KEY_FILE
AUDIT = "audit"
PHOTOS = "photos"
STAGING_PREFIX = ".backup-"
RESTORE_PREFIX = ".restore-"
MAX_MANIFEST_BYTES = 64 * 1024 * 1024
COMPRESSLEVEL = 6  # photos are JPEG already; level 9 costs much more time for little
SCAN_ROUNDS = 10  # scans per try before a folder that keeps gaining files counts as too busy
TRIES = 3
_CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup or restore refused or failed; the message says why, for the person running it."""


@dataclass
class BackupResult:
    path: Path
    files: int
    bytes: int  # of the files, before compression
    archive_bytes: int
    locks: int  # partition locks taken (the audit lock among them)
    scans: int  # scans of step 1 in the try that succeeded
    lock_wait_ms: float  # from the first lock taken to the last (a scan included)
    frozen_ms: float  # every lock held: opening the partitions
    longest_hold_ms: float  # first lock taken to last released: the longest a writer could wait on us
    skipped: list[str] = field(default_factory=list)  # symlinks and special files, never backed up
    signed_by: str = ""  # the fingerprint of the key that signed the manifest


@dataclass
class RestoreResult:
    files: int
    bytes: int
    audit_ok: bool
    audit_problem: str | None
    audit_entries: int


# --------------------------------------------------------------------------
# Shared
# --------------------------------------------------------------------------


def _hidden_or_lock(name: str) -> bool:
    """Never backed up: temporaries and staging folders (hidden) and lock files."""
    return name.startswith(".") or name.endswith(".lock")


def _check_owner(folder: Path) -> None:
    """Refuse to run as another account than the folder's owner: files made by it could lock the server out."""
    owner = folder.stat().st_uid
    if owner != os.geteuid():
        try:
            import pwd

            who = pwd.getpwuid(owner).pw_name
        except (ImportError, KeyError):
            who = f"uid {owner}"
        raise BackupError(f"{folder} belongs to {who}: run this as that account (e.g. sudo -u {who} ...), "
                          "so that every file it makes stays usable by the server")


def _serialised(root: Path) -> FileLock:
    """The lock that keeps backups and restores of one folder from running at once."""
    return FileLock(str(root / BACKUP_LOCK), timeout=0)


def _remove_stale(root: Path, prefix: str) -> None:
    """Staging folders left by a backup or restore that was killed (only called holding ``backup.lock``)."""
    for entry in os.scandir(root):
        if entry.name.startswith(prefix) and entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path, ignore_errors=True)


# --------------------------------------------------------------------------
# Backup
# --------------------------------------------------------------------------


def create(data_dir: str | Path, archive: str | Path, signer) -> BackupResult:
    """Write a consistent snapshot of ``data_dir`` to the new tar.gz file ``archive``, its manifest signed by
    ``signer`` (a ``signing.Signer``). Nothing is written inside the data folder; any failure is a
    ``BackupError`` saying why in one line (no space, a folder that cannot be written, ...), and no file is left."""
    root = Path(data_dir).resolve()
    out = Path(archive).absolute()
    if not root.is_dir():
        raise BackupError(f"no data folder at {root}")
    if out.resolve().is_relative_to(root):
        raise BackupError(f"{out} is inside the data folder: write the backup somewhere else")
    if not out.parent.is_dir():
        raise BackupError(f"no folder {out.parent} to write the backup in")
    if out.exists() or out.is_symlink():
        raise BackupError(f"{out} already exists: a backup never overwrites a file")
    if not os.access(out.parent, os.W_OK | os.X_OK):
        raise BackupError(f"cannot write in {out.parent} (permission denied): choose a folder this account can write")
    _check_owner(root)
    try:
        with _serialised(root):
            _remove_stale(root, STAGING_PREFIX)  # left by versions that staged inside the data folder
            result, sources = _snapshot(root)
            try:
                result.path = out
                result.signed_by = signer.fingerprint
                result.files, result.bytes, result.archive_bytes = _pack(sources, out, result, signer)
                return result
            finally:
                _close_all(sources)
    except Timeout:
        raise BackupError(f"another backup or restore of {root} is running") from None
    except OSError as error:
        raise BackupError(_why(error, out)) from None


def _why(error: OSError, out: Path) -> str:
    """One line for the person running the backup: what failed, where."""
    where = error.filename or out.parent
    if error.errno == errno.ENOSPC:
        return f"no space left on the disk of {where}: free some space or write the backup to another disk; " \
               "no backup was written"
    if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"cannot write {where} ({error.strerror}); no backup was written"
    return f"backup failed at {where} ({error.strerror or error}); no backup was written"


def _scan(root: Path) -> tuple[list[Path], list[Path], list[str]]:
    """(partition files, other files, skipped entries) of the folder, photos and audit apart.

    A partition file is a ``.json`` file or any file with a ``.lock`` beside it.
    One ``scandir`` per folder and no ``stat`` per file: this runs while locks are held.
    """
    partitions: list[Path] = []
    others: list[Path] = []
    skipped: list[str] = []
    folders = [root]
    while folders:
        here = folders.pop()
        try:
            entries = sorted(os.scandir(here), key=lambda e: e.name)
        except FileNotFoundError:
            continue
        names = {entry.name for entry in entries}
        for entry in entries:
            name = entry.name
            if _hidden_or_lock(name) or (here == root and name in (PHOTOS, AUDIT, SECRET_KEY)):
                continue
            path = here / name
            if entry.is_dir(follow_symlinks=False):
                folders.append(path)
            elif not entry.is_file(follow_symlinks=False):
                skipped.append(path.relative_to(root).as_posix())
            elif name.endswith(".json") or f"{name}.lock" in names:
                partitions.append(path)
            else:
                others.append(path)
    return partitions, others, skipped


class _Locks:
    """Partition locks held by the backup, taken as filelock's native Unix lock takes them: ``flock(2)``
    on ``<file>.lock``, without its bookkeeping (330 us a lock here, against 4 us). Where ``flock`` is
    missing (filelock then falls back to its soft lock), ``FileLock`` itself is used for that file."""

    def __init__(self):
        self.held: dict[str, int | FileLock] = {}

    def __len__(self) -> int:
        return len(self.held)

    def __contains__(self, path: str) -> bool:
        return path in self.held

    def keys(self):
        return self.held.keys()

    def take(self, path: str) -> None:
        deadline = time.monotonic() + engine.LOCK_TIMEOUT_SECONDS
        while True:
            flags = os.O_RDWR | os.O_NOFOLLOW | os.O_CLOEXEC
            try:
                fd = os.open(path, flags)
            except FileNotFoundError:
                fd = os.open(path, flags | os.O_CREAT, 0o666)  # umask applies, as with filelock
            try:
                while True:
                    try:
                        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                        break
                    except (BlockingIOError, PermissionError):  # held by a writer (EACCES on some file systems)
                        if time.monotonic() > deadline:
                            raise BackupError(f"{path} stayed locked for {engine.LOCK_TIMEOUT_SECONDS} s; "
                                              "is a writer stuck?") from None
                        time.sleep(0.001)
                if os.fstat(fd).st_nlink:
                    self.held[path] = fd
                    return
            except OSError as error:
                os.close(fd)
                if error.errno in (errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOLCK):
                    self._take_with_filelock(path, deadline)
                    return
                raise
            except BaseException:
                os.close(fd)
                raise
            os.close(fd)  # the lock file was removed while we waited: lock the one there now

    def _take_with_filelock(self, path: str, deadline: float) -> None:
        lock = FileLock(path, timeout=max(0.0, deadline - time.monotonic()))
        try:
            lock.acquire()
        except Timeout:
            raise BackupError(f"{path} stayed locked for {engine.LOCK_TIMEOUT_SECONDS} s; "
                              "is a writer stuck?") from None
        self.held[path] = lock

    def release_all(self) -> None:
        for held in reversed(list(self.held.values())):
            if isinstance(held, int):
                os.close(held)  # closing the only descriptor of the open file releases its flock
            else:
                held.release()
        self.held.clear()


def _ensure_open_files(count: int) -> None:
    """Room for ``count`` held locks (one descriptor each) and some to spare."""
    wanted = count + 256
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        if hard != resource.RLIM_INFINITY and hard < wanted:
            raise BackupError(f"{count} partitions to lock but at most {hard} open files allowed: "
                              "raise the limit (ulimit -Hn, or LimitNOFILE= for a service)")
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))



@dataclass
class _Source:
    """One file of the archive, by its path in the data folder. A partition is opened under its lock (``fd``):
    the open file keeps that version, as writers replace files rather than change them. An audit file is read
    up to ``length``; the others (photos, files outside the lock protocol) are opened when packed."""

    rel: str
    path: Path
    fd: int | None = None
    length: int | None = None


def _close_all(sources: list[_Source]) -> None:
    for source in sources:
        if source.fd is not None:
            os.close(source.fd)
            source.fd = None


def _snapshot(root: Path) -> tuple[BackupResult, list[_Source]]:
    """Steps 1-3 of the module docstring: every file as it was at one instant."""
    for _ in range(TRIES):
        found = _try_snapshot(root)
        if found is not None:
            return found
        time.sleep(0.2)
    raise BackupError(f"the data folder kept gaining new files through {TRIES} tries of {SCAN_ROUNDS} scans; "
                      "try again later")


def _try_snapshot(root: Path) -> tuple[BackupResult, list[_Source]] | None:
    audit_folder = root / AUDIT
    audit_lock = str(audit_folder / "audit.lock")
    locks = _Locks()
    sources: list[_Source] = []
    started = None  # when the first lock is taken
    try:
        for scans in range(1, SCAN_ROUNDS + 1):
            partitions, others, skipped = _scan(root)
            wanted = {f"{path}.lock" for path in partitions}
            if audit_folder.is_dir():
                wanted.add(audit_lock)
            new = sorted(wanted - locks.keys())
            if not new:
                break
            _ensure_open_files(2 * (len(locks) + len(new)))  # a lock and an open partition each
            started = started or time.perf_counter()
            for lock_path in new:
                locks.take(lock_path)
        else:
            return None
        count = len(locks)
        all_held = time.perf_counter()
        started = started or all_held
        _open_all(root, partitions, sources)
        audit_ends = _audit_ends(audit_folder) if audit_lock in locks else {}
        captured = time.perf_counter()
    except BaseException:
        _close_all(sources)
        raise
    finally:
        locks.release_all()
    released = time.perf_counter()

    for name, end in audit_ends.items():
        sources.append(_Source(f"{AUDIT}/{name}", audit_folder / name, length=end))
    sources += [_Source(path.relative_to(root).as_posix(), path) for path in others]
    photos, missed = _capture_photos(root)
    sources += photos
    sources.sort(key=lambda source: source.rel)
    return BackupResult(path=Path(), files=0, bytes=0, archive_bytes=0, locks=count, scans=scans,
                        lock_wait_ms=(all_held - started) * 1000, frozen_ms=(captured - all_held) * 1000,
                        longest_hold_ms=(released - started) * 1000, skipped=skipped + missed), sources


def _open_all(root: Path, paths: list[Path], sources: list[_Source]) -> None:
    """Open every file of ``paths`` (the locks are held: plain opens, nothing written anywhere)."""
    skip = len(str(root)) + 1
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC
    for path in paths:
        source = str(path)
        sources.append(_Source(source[skip:], path, fd=os.open(source, flags)))


def _whole_lines_end(path: Path) -> int:
    """The length of the file up to the end of its last whole line."""
    with open(path, "rb") as handle:
        size = handle.seek(0, os.SEEK_END)
        pos = size
        while pos > 0:
            step = min(64 * 1024, pos)
            handle.seek(pos - step)
            chunk = handle.read(step)
            if pos == size and chunk.endswith(b"\n"):
                return size
            found = chunk.rfind(b"\n")
            if found >= 0:
                return pos - step + found + 1
            pos -= step
        return 0


def _audit_ends(folder: Path) -> dict[str, int]:
    """Under the audit lock: how much of each audit file belongs to the snapshot (the files only grow)."""
    ends = {}
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        if _hidden_or_lock(entry.name) or not entry.is_file(follow_symlinks=False):
            continue
        ends[entry.name] = (_whole_lines_end(Path(entry.path)) if entry.name.endswith(".jsonl")
                            else entry.stat(follow_symlinks=False).st_size)
    return ends


def _capture_photos(root: Path) -> tuple[list[_Source], list[str]]:
    """Every photo, after the locks (photos are written once; one that a record refers to stays): (sources,
    skipped special files)."""
    skipped: list[str] = []
    found: list[_Source] = []
    photos = root / PHOTOS
    if photos.is_symlink():
        return [], [PHOTOS]
    for folder, dirs, files in os.walk(photos):
        here = Path(folder)
        dirs[:] = sorted(d for d in dirs if not _hidden_or_lock(d) and not os.path.islink(here / d))
        for name in sorted(files):
            if _hidden_or_lock(name):
                continue
            path = here / name
            try:
                if not stat.S_ISREG(os.lstat(path).st_mode):
                    skipped.append(path.relative_to(root).as_posix())
                    continue
            except FileNotFoundError:  # an unreferenced photo removed meanwhile
                continue
            found.append(_Source(path.relative_to(root).as_posix(), path))
    return found, skipped


class _Hashing:
    """A reader that hashes what passes through it (``tarfile`` reads the file through it), at most ``limit``."""

    def __init__(self, handle, limit: int | None = None):
        self.handle = handle
        self.digest = hashlib.sha256()
        self.size = 0
        self.limit = limit

    def read(self, size: int = -1) -> bytes:
        if self.limit is not None:
            left = self.limit - self.size
            size = left if size < 0 else min(size, left)
        data = self.handle.read(size)
        self.digest.update(data)
        self.size += len(data)
        return data


def _open_source(source: _Source):
    """(an open binary file, its status) of ``source``; None when a file opened late is gone."""
    if source.fd is not None:
        fd, source.fd = source.fd, None
        return os.fdopen(fd, "rb"), os.fstat(fd)
    try:
        handle = open(source.path, "rb")
    except FileNotFoundError:
        if source.length is not None:
            raise BackupError(f"{source.path} disappeared during the backup") from None
        return None  # a photo nothing refers to, removed meanwhile
    return handle, os.fstat(handle.fileno())


def signed_manifest(manifest: dict, signer) -> tuple[bytes, bytes]:
    """The manifest's bytes as stored in the archive, and ``signer``'s signature of exactly those bytes."""
    body = json.dumps(manifest, indent=1, ensure_ascii=False).encode("utf-8")
    return body, signer.sign(body)


def _pack(sources: list[_Source], out: Path, result: BackupResult, signer) -> tuple[int, int, int]:
    """Stream every source into the archive beside ``out``; publish it under that name only when complete."""
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".partial")  # mode 0600
    entries = []
    try:
        with os.fdopen(fd, "wb") as raw:
            with tarfile.open(out.name, fileobj=raw, mode="w:gz", compresslevel=COMPRESSLEVEL,
                              format=tarfile.PAX_FORMAT) as tar:
                for source in sources:
                    opened = _open_source(source)
                    if opened is None:
                        continue
                    handle, status = opened
                    with handle:
                        size = status.st_size if source.length is None else source.length
                        info = tarfile.TarInfo(f"{DATA}/{source.rel}")
                        info.size, info.mtime, info.mode = size, int(status.st_mtime), 0o600
                        hashing = _Hashing(handle, size)
                        try:
                            tar.addfile(info, hashing)
                        except OSError as error:
                            if error.errno is not None:
                                raise
                            raise BackupError(f"{source.path} became shorter during the backup") from None
                    entries.append({"path": source.rel, "size": size, "sha256": hashing.digest.hexdigest()})
                manifest = {
                    "format": FORMAT, "version": VERSION,
                    "created_at": timefmt.utcnow(),
                    "excluded": [SECRET_KEY, "*.lock", "hidden files (temporaries)"],
                    "snapshot": {"locks": result.locks, "longest_hold_ms": round(result.longest_hold_ms, 1)},
                    "signed_by": signer.fingerprint,
                    "files": entries,
                }
                body, signature = signed_manifest(manifest, signer)
                for name, data in ((MANIFEST, body), (MANIFEST_SIG, signature)):
                    info = tarfile.TarInfo(name)
                    info.size, info.mtime, info.mode = len(data), int(time.time()), 0o600
                    tar.addfile(info, io.BytesIO(data))
            raw.flush()
            if engine.FSYNC:
                os.fsync(raw.fileno())
        try:
            os.link(tmp, out)  # publishes the whole archive, and never replaces a file already there
        except FileExistsError:
            raise BackupError(f"{out} already exists: a backup never overwrites a file") from None
    finally:
        os.unlink(tmp)
    if engine.FSYNC:
        engine.fsync_folder(out.parent)
    return len(entries), sum(e["size"] for e in entries), out.stat().st_size
