"""Restore a backup into an empty data folder: check the manifest's signature and every file against the manifest,
refuse hostile archives.

An archive is read (``open_checked``) into a hidden staging folder and trusted only when all of this holds: it
carries ``manifest.json.sig``, that is the signature of the manifest's exact bytes by one of the ``trusted``
public keys (the installation's own, or one the operator names), and every file matches the manifest. Any
failure is a ``BackupError`` saying why, and the data folder is left as it was.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import tarfile
import tempfile
import zlib
from pathlib import Path

from filelock import Timeout

from . import engine, upgrade
from .audit import AuditLog
from . import signing
from .backup import (_CHUNK, DATA, FORMAT, MANIFEST, MANIFEST_SIG, MAX_MANIFEST_BYTES, RESTORE_PREFIX, SECRET_KEY,
                     VERSION, BackupError, RestoreResult, _check_owner, _hidden_or_lock, _remove_stale,
                     _serialised)

_SIGNATURE = "/signature"  # what _checked_member answers for the signature (a data path never starts with "/")


def restore(archive: str | Path, data_dir: str | Path, trusted) -> RestoreResult:
    """Put the backup ``archive``, signed by one of the ``trusted`` public keys, into the empty folder
    ``data_dir``, then verify the audit trail."""
    source = Path(archive)
    root = Path(data_dir)
    if not source.is_file():
        raise BackupError(f"no backup file {source}")
    engine.make_folders(root)  # new folders 0700, like the store's own
    root = root.resolve()
    if source.resolve().is_relative_to(root):
        raise BackupError(f"{source} is inside the data folder: move it elsewhere first")
    _check_owner(root)
    _refuse_content(root)  # before making anything, even the lock file
    try:
        with _serialised(root):
            _refuse_content(root)
            _remove_stale(root, RESTORE_PREFIX)
            staging = Path(tempfile.mkdtemp(prefix=RESTORE_PREFIX, dir=root))
            try:
                listed = unpack_checked(source, staging, trusted)
                # The layout stamp a fresh start wrote is the backup's to give: without one it is an older layout.
                (root / upgrade.SCHEMA_FILE).unlink(missing_ok=True)
                _place(staging, root, sorted(listed))
            finally:
                shutil.rmtree(staging, ignore_errors=True)
    except Timeout:
        raise BackupError(f"another backup or restore of {root} is running") from None
    ok, problem, count = AuditLog(root).verify()
    return RestoreResult(files=len(listed), bytes=sum(size for size, _ in listed.values()),
                         audit_ok=ok, audit_problem=problem, audit_entries=count)


def unpack_checked(archive: str | Path, staging: str | Path, trusted) -> dict[str, tuple[int, str]]:
    """Every file of the backup ``archive`` into the empty folder ``staging``, the whole archive checked before
    the caller may use any of it: {path in the data folder: (size, sha256)}, or BackupError saying what is wrong.

    The reading half of ``restore``, and what ``flask store repair --from-backup`` takes a copy from: every
    check an archive must pass (its signature by one of the ``trusted`` keys, every file against the manifest)
    belongs here, so both apply it."""
    source = Path(archive)
    if not source.is_file():
        raise BackupError(f"no backup file {source}")
    return open_checked(source, Path(staging), trusted)


def open_checked(source: Path, staging: Path, trusted) -> dict[str, tuple[int, str]]:
    """Every file of the archive ``source`` into the empty folder ``staging``, checked: {path: (size, sha256)}.

    Refused (``BackupError``, whatever was written to ``staging`` is the caller's to remove) unless the manifest
    is signed by one of ``trusted`` (Ed25519 public keys) and lists exactly the files read, with their hashes.
    """
    written, manifest, signature = _unpack_signed(source, staging)
    check_signature(manifest, signature, trusted)
    return _check_manifest(manifest, written)


def check_signature(manifest: bytes, signature: bytes | None, trusted) -> None:
    """Refuse a manifest without a signature, or whose signature is not one of the ``trusted`` keys'."""
    if signature is None:
        raise BackupError(f"refused: the archive has no {MANIFEST_SIG}: an unsigned backup (or one cut short) is "
                          "never restored. Nothing was restored.")
    keys = list(trusted)
    if not keys:
        raise BackupError("no key to check the backup's signature with: set INSPECTOR_SIGNING_KEY, or name the "
                          "public key that signed it (--trusted-key PUB.pem). Nothing was restored.")
    if any(signing.verify(key, manifest, signature) for key in keys):
        return
    try:
        claimed = str(json.loads(manifest).get("signed_by") or "an unnamed key")
    except (ValueError, AttributeError):
        claimed = "an unnamed key"
    ours = ", ".join(signing.fingerprint(key) for key in keys)
    raise BackupError(f"refused: the signature of {MANIFEST} does not verify with the trusted key ({ours}); the "
                      f"manifest says it was signed by {claimed}. The archive was changed, or signed by another "
                      "key: if you trust that key, name its public key with --trusted-key PUB.pem. "
                      "Nothing was restored.")


def _refuse_content(root: Path) -> None:
    content = _content(root)
    if content:
        raise BackupError(f"{root} is not empty ({len(content)} entries, e.g. {content[0]}): "
                          "a backup is restored only into an empty data folder; move the current one aside first")


def _content(root: Path) -> list[str]:
    """What makes the folder not empty: anything but folders, lock files, hidden files, a new ``secret_key`` and
    the layout stamp.

    Starting the app (which ``flask restore`` does) makes ``secret_key`` and ``schema.json``; a backup never holds
    the key.
    """
    found = []
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        for name in list(dirs):
            if os.path.islink(here / name):
                found.append((here / name).relative_to(root).as_posix())
        dirs[:] = [d for d in dirs if not d.startswith(".") and not os.path.islink(here / d)]
        for name in files:
            if _hidden_or_lock(name) or (here == root and name in (SECRET_KEY, upgrade.SCHEMA_FILE)):
                continue
            found.append((here / name).relative_to(root).as_posix())
    return sorted(found)


def _refuse(name: str, why: str) -> BackupError:
    return BackupError(f"refused: archive entry {name!r} {why}; a backup holds only plain files under {DATA}/ "
                       "and its manifest. Nothing was restored.")


def _checked_relative(name: str, path: str) -> str:
    """``path`` (relative to the data folder) if it is one a backup can hold."""
    if not path or path.startswith("/"):
        raise _refuse(name, "is an absolute path")
    if "\\" in path or "\x00" in path:
        raise _refuse(name, "has a backslash or NUL in its name")
    parts = path.split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise _refuse(name, "has an empty, '.' or '..' part")
    if any(part.startswith(".") for part in parts) or parts[-1].endswith(".lock") or path == SECRET_KEY:
        raise _refuse(name, "is a hidden, lock or key file, which a backup never holds")
    return path


def _checked_member(info: tarfile.TarInfo) -> str | None:
    """The data-relative path of a file entry, '' for the manifest, None for a folder; BackupError otherwise."""
    name = info.name
    if info.issym() or info.islnk():
        raise _refuse(name, f"is a link (to {info.linkname!r})")
    if info.ischr() or info.isblk() or info.isfifo():
        raise _refuse(name, "is a device or pipe")
    if info.issparse() or not (info.isreg() or info.isdir()):
        raise _refuse(name, "is not a plain file")
    if name.startswith("/"):
        raise _refuse(name, "is an absolute path")
    if name == MANIFEST and info.isreg():
        return ""
    if name == MANIFEST_SIG and info.isreg():
        return _SIGNATURE
    if info.isdir() and name == DATA:
        return None
    if not name.startswith(f"{DATA}/"):
        _checked_relative(name, name)  # reports '..' and such first
        raise _refuse(name, f"is outside {DATA}/")
    path = _checked_relative(name, name[len(DATA) + 1:])
    return None if info.isdir() else path


def _unpack(source: Path, staging: Path) -> tuple[dict[str, tuple[int, str]], bytes]:
    """Every file of the archive into ``staging``: ({path: (size, sha256)}, the manifest's bytes), unchecked:
    ``open_checked`` checks the signature and the manifest too."""
    written, manifest, _ = _unpack_signed(source, staging)
    return written, manifest


def _unpack_signed(source: Path, staging: Path) -> tuple[dict[str, tuple[int, str]], bytes, bytes | None]:
    """Every file of the archive into ``staging``: ({path: (size, sha256)}, the manifest, its signature or None)."""
    written: dict[str, tuple[int, str]] = {}
    manifest: bytes | None = None
    signature: bytes | None = None
    try:
        # gzip itself (not tarfile's stream) so that reading to the end checks the CRC of everything
        with gzip.open(source, "rb") as unzipped, tarfile.open(fileobj=unzipped, mode="r|") as tar:
            for info in tar:
                path = _checked_member(info)
                if path is None:
                    continue
                handle = tar.extractfile(info)
                if path == _SIGNATURE:
                    if signature is not None or info.size > signing.SIGNATURE_BYTES:
                        raise _refuse(info.name, "appears twice or is too large")
                    signature = handle.read()
                    continue
                if path == "":
                    if manifest is not None or info.size > MAX_MANIFEST_BYTES:
                        raise _refuse(info.name, "appears twice or is too large")
                    manifest = handle.read()
                    continue
                written[path] = _write_new(staging, path, handle, info)
            while unzipped.read(_CHUNK):  # past the end-of-archive blocks, to the CRC and length
                pass
    except (tarfile.TarError, EOFError, zlib.error, OSError) as error:  # reading: gzip's errors are OSErrors
        raise BackupError(f"{source} is damaged or not a tar.gz backup ({error}); nothing was restored") from None
    if manifest is None:
        raise BackupError(f"{source} has no {MANIFEST}: not an Inspector backup, or cut short; nothing was restored")
    return written, manifest, signature


def _write_new(staging: Path, path: str, handle, info: tarfile.TarInfo) -> tuple[int, str]:
    """One file into ``staging``: reading errors go to the caller, writing errors say so."""
    target = staging / path
    try:
        engine.make_folders(target.parent)
    except (FileExistsError, NotADirectoryError):
        raise _refuse(info.name, "is below a path that is a file") from None
    except OSError as error:
        raise BackupError(f"cannot write into {staging.parent} ({error}); nothing was restored") from None
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    except FileExistsError:
        raise _refuse(info.name, "appears twice") from None
    except OSError as error:
        raise BackupError(f"cannot write into {staging.parent} ({error}); nothing was restored") from None
    digest, size = hashlib.sha256(), 0
    try:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
            try:
                view = memoryview(chunk)
                while view:
                    view = view[os.write(fd, view):]
            except OSError as error:
                raise BackupError(f"cannot write into {staging.parent} ({error}); nothing was restored") from None
        if engine.FSYNC:
            os.fsync(fd)
    finally:
        os.close(fd)
    os.utime(target, (info.mtime, info.mtime))
    return size, digest.hexdigest()


def _check_manifest(raw: bytes, written: dict[str, tuple[int, str]]) -> dict[str, tuple[int, str]]:
    """The manifest's files, when they are exactly the files read with the same sizes and hashes."""
    try:
        manifest = json.loads(raw)
        if manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
            raise BackupError(f"{MANIFEST}: not an Inspector backup of format version {VERSION}; nothing was restored")
        listed: dict[str, tuple[int, str]] = {}
        for entry in manifest["files"]:
            path = _checked_relative(f"{MANIFEST}: {entry['path']}", entry["path"])
            if path in listed:
                raise BackupError(f"{MANIFEST} lists {path} twice; nothing was restored")
            listed[path] = (int(entry["size"]), str(entry["sha256"]))
    except (ValueError, KeyError, TypeError, AttributeError):
        raise BackupError(f"{MANIFEST} is unreadable; nothing was restored") from None
    differ = sorted(p for p in listed.keys() & written.keys() if listed[p] != written[p])
    missing = sorted(listed.keys() - written.keys())
    unlisted = sorted(written.keys() - listed.keys())
    if differ or missing or unlisted:
        problems = [f"{len(differ)} differ from their SHA-256 or size (e.g. {differ[0]})" if differ else "",
                    f"{len(missing)} listed but absent (e.g. {missing[0]})" if missing else "",
                    f"{len(unlisted)} present but not listed (e.g. {unlisted[0]})" if unlisted else ""]
        raise BackupError("manifest check failed: files " + "; ".join(p for p in problems if p)
                          + ". The archive is damaged or was changed; nothing was restored.")
    return listed


def _place(staging: Path, root: Path, paths: list[str]) -> None:
    """Move the checked files from ``staging`` into the data folder."""
    for path in paths:
        if os.path.lexists(root / path):
            raise BackupError(f"{root / path} exists already; nothing was restored")
    folders = {root}
    try:
        for path in paths:
            target = root / path
            engine.make_folders(target.parent)
            folders.add(target.parent)
            try:
                os.rename(staging / path, target)
            except OSError:  # another file system mounted inside the data folder
                shutil.copy2(staging / path, target)
    except OSError as error:
        raise BackupError(f"restore stopped part way ({error}): empty {root} and restore again") from None
    if engine.FSYNC:
        for folder in sorted(folders, key=lambda f: len(f.parts), reverse=True):
            engine.fsync_folder(folder)
