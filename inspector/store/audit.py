"""The audit trail: an append-only, hash-chained log in JSON Lines, one file per month.

Layout: ``<data>/audit/<YYYY-MM>.jsonl`` (UTC months) and ``audit/audit.lock``.
Each line is one entry; ``hash`` is the sha256 of the entry's canonical JSON
(sorted keys, no spaces, without ``hash``) and ``prev`` is the hash of the
entry before it (64 zeros for the first), across month files, so changing,
removing or reordering a line breaks the chain. Not TinyDB: an append writes
one line (``O_APPEND``, fsync unless ``engine.FSYNC`` is off) instead of
rewriting a file that grows with history.

A crashed append can leave a last line without its newline. That entry was
never acknowledged (``append`` had not returned), so ``verify`` reports it,
and the next ``append`` cuts it off under the lock, copies the torn bytes to
``audit/<YYYY-MM>.jsonl.torn`` for the record, and chains to the last whole line.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from datetime import datetime
from pathlib import Path
from typing import BinaryIO, Callable, Iterator

from filelock import FileLock

from .. import timefmt
from . import digests, engine

ZERO_HASH = "0" * 64
# Details hold ids, codes, counts and states, never personal data: keys naming such data are refused
# (keys ending in _id / _ids always pass), and text values are short.
FORBIDDEN_WORDS = ("password", "sandi", "name", "nama", "answer", "jawaban", "text", "note", "catatan",
                   "comment", "komentar", "email", "phone", "telepon", "address", "alamat")
MAX_TEXT = 120
MAX_LIST = 1000
_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
_CHUNK = 4096
# Per data folder: (file, identity, seq, hash) of the last entry this process wrote or read.
_tips: dict[str, tuple[str, tuple[int, int, int], int, str]] = {}
log = logging.getLogger(__name__)


class AuditError(RuntimeError):
    """The log's last entry cannot be read, so nothing can be chained to it."""


def _now() -> datetime:
    return timefmt.now().replace(microsecond=0)


def entry_hash(entry: dict) -> str:
    """sha256 of the entry's canonical JSON without its ``hash``."""
    body = {key: value for key, value in entry.items() if key != "hash"}
    raw = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def clean_details(details: dict | None) -> dict | None:
    """A copy of ``details`` holding only ids and small scalars; ValueError for anything else."""
    if not details:
        return None
    clean = {}
    for key, value in details.items():
        if not isinstance(key, str) or (not key.endswith(("_id", "_ids"))
                                        and any(word in key.lower() for word in FORBIDDEN_WORDS)):
            raise ValueError(f"audit details may not hold {key!r}: ids only, no personal data")
        many = isinstance(value, (list, tuple))
        if (many and len(value) > MAX_LIST) or not all(map(_small, value if many else [value])):
            raise ValueError(f"audit detail {key!r} must be ids, numbers or short codes")
        clean[key] = list(value) if many else value
    return clean


def _small(value) -> bool:
    return value is None or isinstance(value, (bool, int, float)) or (isinstance(value, str) and len(value) <= MAX_TEXT)


def _identity(stat: os.stat_result) -> tuple[int, int, int]:
    return (stat.st_ino, stat.st_size, stat.st_mtime_ns)


def _line_start(handle: BinaryIO, end: int) -> int:
    """The offset just after the last newline before ``end`` (0 when there is none), read backwards."""
    pos = end
    while pos > 0:
        step = min(_CHUNK, pos)
        handle.seek(pos - step)
        found = handle.read(step).rfind(b"\n")
        if found >= 0:
            return pos - step + found + 1
        pos -= step
    return 0


def _complete_end(handle: BinaryIO) -> tuple[int, int]:
    """(end of the last whole line, file size)."""
    size = handle.seek(0, os.SEEK_END)
    if size == 0:
        return 0, 0
    handle.seek(size - 1)
    return (size if handle.read(1) == b"\n" else _line_start(handle, size)), size


def _last_line(path: Path) -> bytes | None:
    """The last whole line of a file, found by seeking from its end."""
    with open(path, "rb") as handle:
        end, _ = _complete_end(handle)
        if end == 0:
            return None
        start = _line_start(handle, end - 1)
        handle.seek(start)
        return handle.read(end - start)



class AuditLog:
    """Append to, read and verify the chained log under ``<root>/audit``."""

    def __init__(self, root: str | Path):
        self.folder = Path(root) / "audit"
        self._lock = FileLock(str(self.folder / "audit.lock"), timeout=engine.LOCK_TIMEOUT_SECONDS)

    def path(self, month: str) -> Path:
        return self.folder / f"{month}.jsonl"

    def months(self) -> list[str]:
        """The months that have a file, oldest first."""
        if not self.folder.is_dir():
            return []
        return sorted(p.stem for p in self.folder.glob("*.jsonl") if _MONTH.fullmatch(p.stem))

    def append(self, actor_id: str | None, actor_role: str, action: str, target_kind: str | None,
               target_id: str | None, details: dict | None = None,
               traces: Callable[[], list[str]] | None = None, *, once: str | None = None,
               since: str | None = None) -> dict:
        """Chain one entry to the log and return it once it is on disk.

        ``traces``, when given, is called under the log's lock and its result is kept as ``details["digests"]``
        (see ``digests``): read there, the digest of the record a write changed is never older than an entry
        chained before it, however the writes and their entries interleave. With ``once``: at most once, see the
        contract; only the entries chained since ``since`` are searched, so a first try searches nothing.
        """
        if once is not None:
            details = {**(details or {}), "outbox_id": once}
        details = clean_details(details)
        engine.make_folders(self.folder)
        with self._lock:
            if traces is not None:
                found = traces()
                if found:
                    details = clean_details({**(details or {}), digests.KEY: found})
            months = self.months()
            seq, prev = self._tip(months)
            if once is not None and since is not None:
                for earlier in self.entries(month_from=since[:7], since=since, limit=None):
                    if (earlier.get("details") or {}).get("outbox_id") == once:
                        return earlier
            moment = _now()
            # The newest file stays the one appended to, even if the clock went back a month.
            month = max([moment.strftime("%Y-%m"), *months[-1:]])
            entry = {"seq": seq + 1, "at": moment.isoformat(), "actor_id": actor_id, "actor_role": actor_role,
                     "action": action, "target_kind": target_kind, "target_id": target_id,
                     "details": details, "prev": prev}
            entry["hash"] = entry_hash(entry)
            line = json.dumps(entry, ensure_ascii=False, separators=(",", ":")) + "\n"
            path = self.path(month)
            identity = self._write(path, line.encode("utf-8"))
            _tips[str(self.folder)] = (str(path), identity, entry["seq"], entry["hash"])
        return entry

    def _tip(self, months: list[str]) -> tuple[int, str]:
        """(seq, hash) of the last entry: from this process's memory unless the newest file changed since."""
        if not months:
            return 0, ZERO_HASH
        newest = self.path(months[-1])
        cached = _tips.get(str(self.folder))
        if cached and cached[0] == str(newest) and cached[1] == _identity(os.stat(newest)):
            return cached[2], cached[3]
        self._cut_torn_line(newest)
        for month in reversed(months):
            line = _last_line(self.path(month))
            if line is None:
                continue
            try:
                entry = json.loads(line)
                return int(entry["seq"]), str(entry["hash"])
            except (ValueError, KeyError, TypeError):
                raise AuditError(f"audit/{month}.jsonl: the last entry is unreadable; "
                                 "run 'flask audit verify'") from None
        return 0, ZERO_HASH

    def _cut_torn_line(self, path: Path) -> None:
        """Remove a last line without its newline (a crashed, unacknowledged append), keeping a copy aside."""
        with open(path, "r+b") as handle:
            end, size = _complete_end(handle)
            if end == size:
                return
            handle.seek(end)
            torn = handle.read()
            with open(path.with_name(path.name + ".torn"), "ab") as aside:
                aside.write(torn + b"\n")
            handle.truncate(end)
            handle.flush()
            if engine.FSYNC:
                os.fsync(handle.fileno())
        log.warning("audit: removed an unfinished last line of %s (%d bytes) left by a crashed append",
                    path.name, len(torn))

    @staticmethod
    def _write(path: Path, data: bytes) -> tuple[int, int, int]:
        created = not path.exists()
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            if engine.FSYNC:
                os.fsync(fd)
            identity = _identity(os.fstat(fd))
        finally:
            os.close(fd)
        if created and engine.FSYNC:
            engine.fsync_folder(path.parent)
        return identity

    def entries(self, month_from: str | None = None, month_to: str | None = None, action: str | None = None,
                actor_id: str | None = None, target_id: str | None = None, limit: int | None = 100,
                offset: int = 0, newest_first: bool = True, since: str | None = None,
                until: str | None = None) -> list[dict]:
        """Matching entries, reading only the month files in range; ``since``/``until`` bound ``at`` (UTC ISO)."""
        months = [m for m in self.months() if (not month_from or m >= month_from) and (not month_to or m <= month_to)]
        found: list[dict] = []
        for month in reversed(months) if newest_first else months:
            entries = self._parsed(month)
            for entry in reversed(entries) if newest_first else entries:
                if ((action and entry.get("action") != action) or (actor_id and entry.get("actor_id") != actor_id)
                        or (target_id and entry.get("target_id") != target_id)
                        or (since and entry.get("at", "") < since) or (until and entry.get("at", "") >= until)):
                    continue
                if offset > 0:
                    offset -= 1
                    continue
                found.append(entry)
                if limit is not None and len(found) >= limit:
                    return found
        return found

    def stream(self, newest_first: bool = False) -> Iterator[dict]:
        """Every whole, readable entry, one month file in memory at a time."""
        months = self.months()
        for month in reversed(months) if newest_first else months:
            entries = self._parsed(month)
            yield from reversed(entries) if newest_first else entries

    def _parsed(self, month: str) -> list[dict]:
        """The whole, readable entries of one month (``verify`` reports the others)."""
        parsed = []
        for _, _, raw in self._lines({month: None}):
            try:
                entry = json.loads(raw) if raw.endswith(b"\n") else None
            except ValueError:
                continue
            if isinstance(entry, dict):
                parsed.append(entry)
        return parsed

    def _lines(self, ends: dict[str, int | None]) -> Iterator[tuple[str, int, bytes]]:
        """(month, line number, raw line) for each month, up to its given byte length."""
        for month, end in ends.items():
            left = float("inf") if end is None else end
            with open(self.path(month), "rb") as handle:
                for number, raw in enumerate(handle, 1):
                    if left <= 0:
                        break
                    raw = raw[:left] if left < len(raw) else raw
                    left -= len(raw)
                    yield month, number, raw

    def verify(self, on_entry: Callable[[dict], None] | None = None) -> tuple[bool, str | None, int]:
        """Check every hash, link and seq in order: (ok, the first problem, entries intact before it).

        ``on_entry`` is given each entry found intact, in order (one pass for ``store check``)."""
        engine.make_folders(self.folder)
        with self._lock:  # the end of each file now; later appends only add beyond it
            ends = {month: self.path(month).stat().st_size for month in self.months()}
        seq, prev, count = 0, ZERO_HASH, 0
        lines = self._lines(ends)
        for month, number, raw in lines:
            where = f"audit/{month}.jsonl line {number}"
            if not raw.endswith(b"\n"):
                return False, f"{where}: unfinished line (a crashed append; the next append removes it)", count
            try:
                entry = json.loads(raw)
                ok = isinstance(entry["seq"], int) and isinstance(entry["hash"], str) and "prev" in entry
            except (ValueError, KeyError, TypeError):
                ok = False
            if not ok:
                return False, f"{where}: bad JSON, not an audit entry", count
            where += f" (seq {entry['seq']})"
            if entry_hash(entry) != entry["hash"]:
                return False, f"{where}: entry changed: its contents no longer match its hash", count
            if entry["seq"] != seq + 1:
                return False, f"{where}: {_seq_problem(seq, entry['seq'], lines)}", count
            if entry["prev"] != prev:
                return False, (f"{where}: link broken: 'prev' is not the hash of seq {seq} before it "
                               "(that entry was replaced, or entries were removed and renumbered)"), count
            seq, prev, count = entry["seq"], entry["hash"], count + 1
            if on_entry is not None:
                on_entry(entry)
        return True, None, count


def _seq_problem(seq: int, got: int, rest: Iterator[tuple[str, int, bytes]]) -> str:
    """Why seq ``got`` follows ``seq``: the missing entry is further on (reordered) or gone (removed)."""
    wanted = seq + 1
    for month, number, raw in rest:
        try:
            if json.loads(raw).get("seq") == wanted:
                return f"reordered: seq {got} comes before seq {wanted} (found at audit/{month}.jsonl line {number})"
        except (ValueError, AttributeError):
            continue
    if got > wanted:
        missing = str(wanted) if got == wanted + 1 else f"{wanted}-{got - 1}"
        return f"entry removed: seq {missing} missing (seq {got} follows seq {seq})"
    return f"out of order: seq {got} follows seq {seq} (a copied or moved entry)"
