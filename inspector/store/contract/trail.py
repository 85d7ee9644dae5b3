"""The contract for the audit trail and for notifications (alerts, webhook deliveries, the oversight state)."""

from __future__ import annotations

from typing import Callable, Iterator, Protocol, runtime_checkable

from .kinds import Record

MAX_ALERTS_PER_USER = 200  # alerts kept per account: read ones go first, oldest first
MAX_DELIVERIES = 500  # webhook deliveries kept: finished ones go first, oldest first


@runtime_checkable
class AuditTrail(Protocol):
    """An append-only, hash-chained log of who did what; no entry is ever changed or removed.

    Each entry has ``seq`` (1, 2, 3, ... with no gap), ``at``, ``actor_id``,
    ``actor_role``, ``action``, ``target_kind``, ``target_id``, ``details``,
    ``prev`` (the ``hash`` of the entry before it; 64 zeros for the first) and
    ``hash`` (sha256 of the entry's canonical JSON without ``hash``).
    """

    def append(self, actor_id: str | None, actor_role: str, action: str, target_kind: str | None,
               target_id: str | None, details: dict | None = None,
               traces: Callable[[], list[str]] | None = None, *, once: str | None = None,
               since: str | None = None) -> dict:
        """Chain one entry after the last and return it once it is durable.

        ``traces`` (optional) is called while the entry is being chained, after every entry before it: its
        list of digest traces (``store.digests``) is kept as the entry's ``details["digests"]``.

        With ``once`` (an outbox entry's id, kept in ``details`` as ``outbox_id``), an entry already chained
        with that id at or after ``since`` (UTC ISO: when its delivery was first tried) is returned instead of
        a second one: delivering one announcement twice chains it once.

        Appends from any threads and processes are serialised into one
        unbroken chain: n appends make seq last+1 .. last+n, each linked to the
        one before. ``ValueError``, before anything is written, for details
        that could hold personal data (keys naming names, notes, contacts;
        keys ending ``_id``/``_ids`` always pass) or that are not ids, numbers
        or short codes.
        """

    def entries(self, month_from: str | None = None, month_to: str | None = None, action: str | None = None,
                actor_id: str | None = None, target_id: str | None = None, limit: int | None = 100,
                offset: int = 0, newest_first: bool = True, since: str | None = None,
                until: str | None = None) -> list[dict]:
        """Entries matching every filter given, by ``seq`` (highest first unless ``newest_first`` is False).

        ``month_from``/``month_to`` are UTC months ``YYYY-MM`` (inclusive);
        ``since`` (inclusive) and ``until`` (exclusive) bound ``at``; ``offset``
        skips matches, ``limit`` (None: no limit) caps them.
        """

    def verify(self, on_entry: Callable[[dict], None] | None = None) -> tuple[bool, str | None, int]:
        """Check every hash, link and seq in order: (ok, the first problem, entries intact before it).

        ``on_entry``, when given, receives each intact entry in order, as the check reads it."""

    def stream(self, newest_first: bool = False) -> Iterator[dict]:
        """Every whole, readable entry by ``seq`` (lowest first unless ``newest_first``), read lazily."""


@runtime_checkable
class Notifications(Protocol):
    """Each account's alerts, the webhook delivery log, and the oversight state (bounded, not history).

    The alert methods raise ``ValueError`` for a malformed user id.
    """

    def add(self, user_ids: list[str], alert: Record, once: str | None = None) -> None:
        """Give each account its own unread copy of ``alert`` (with ``id``, ``created_at``, ``read_at`` None).

        With ``once`` (an outbox entry's id), an account that already has the alert of that id gets nothing
        more: delivering one announcement twice stores one alert.

        Keeps at most ``MAX_ALERTS_PER_USER`` per account: read ones go
        first, oldest first; unread ones only when nothing else is left.
        """

    def for_user(self, user_id: str) -> list[Record]:
        """One account's alerts, newest ``created_at`` first (those of one second in no promised order)."""

    def unread_count(self, user_id: str) -> int:
        """How many of the account's alerts are unread."""

    def get_alert(self, user_id: str, alert_id: str) -> Record | None:
        """One alert of one account; None when that account has no such alert."""

    def mark_read(self, user_id: str, alert_id: str | None = None) -> int:
        """Mark one alert (None: every alert) of the account read: how many were unread. Idempotent."""

    def delivery_add(self, record: Record) -> Record:
        """Log a webhook delivery (with its ``state``) and return it with ``id``, ``created_at``, ``updated_at``.

        A record carrying the ``id`` of a kept delivery updates that one instead (a retry of the same delivery).

        Keeps at most ``MAX_DELIVERIES``: finished ones go first, oldest first.
        """

    def delivery_update(self, delivery_id: str, changes: Record) -> None:
        """Set ``changes`` (and ``updated_at``) on one delivery; nothing happens when it is not kept."""

    def delivery_list(self) -> list[Record]:
        """Every kept delivery, newest ``created_at`` first (those of one second in no promised order)."""

    def inspected(self) -> tuple[dict[str, str], bool]:
        """({lks id: time of its latest approved inspection}, whether it was ever filled from all history)."""

    def note_inspected(self, times: dict[str, str], built: bool = False) -> None:
        """Keep, per LKS, the later of the stored time and the one given (``built``: filled from all history).

        Never moves a time back, so calls in any order end in the latest
        times; writes nothing when nothing changes.
        """

    def open_critical(self) -> list[str]:
        """Ids of inspections whose critical finding has not been approved or rejected yet."""

    def critical_opened(self, inspection_id: str, lks_id: str) -> None:
        """Note an inspection with an open critical finding. Idempotent."""

    def critical_closed(self, inspection_ids: list[str]) -> None:
        """Forget these inspections' open critical findings; ids not open are ignored. Idempotent."""

    def health_open(self) -> list[Record]:
        """Open alerts about the data itself (``kind``, ``subject``, ``text``, ``at``), in no promised order."""

    def health_opened(self, kind: str, subject: str, text: str = "") -> bool:
        """Open an alert of ``kind`` about ``subject`` unless one is open: True when newly opened."""

    def health_closed(self, kind: str, subject: str | None = None) -> None:
        """Close the open alert of ``kind`` about ``subject`` (None: all of that kind). Idempotent."""

    def check_kept(self, result: Record) -> None:
        """Keep the result of the latest store check (replacing the one before)."""

    def last_check(self) -> Record | None:
        """The result kept by ``check_kept``, or None before the first check."""

