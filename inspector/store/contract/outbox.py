"""The contract for the outbox: announcements (audit entries, alerts, e-mails, webhooks) made durable with the
state change that causes them, and handed out to workers one at a time.

An entry is a record with ``id`` (``o`` and 12 hex digits), ``ref`` (the write that staged it), ``kind``
(``audit``, ``event``, ``email``, ``webhook``), what its kind needs, and its delivery state: ``state``
(``pending``), ``tries``, ``next_at`` (epoch seconds before which it is not handed out), ``lease_by`` and
``lease_until`` (who holds it, and until when), ``first_claimed_at`` (UTC ISO, the first hand-out) and
``last_error``. A delivered entry is removed; one that gave up is moved to the failed list.

A record store's write that takes an ``announce`` (``Announcement``) stages the entries ``announce.build``
returns for the record as written, in the SAME atomic write: the record and its announcements are stored
together or not at all. The TinyDB engine keeps them in the record's own partition file (table ``outbox``);
the PostgreSQL engine keeps a queue table written in the record's transaction and hands entries out with
``SELECT ... FOR UPDATE SKIP LOCKED``.
"""

from __future__ import annotations

from typing import Callable, Protocol, runtime_checkable

from .kinds import Record


class Announcement:
    """What one write announces: ``build(record)`` returns the entries (``kind`` and payload) for the record as
    it is written; it runs inside the write, so it must not call the store. After the write, ``ref`` names the
    write and ``entries`` holds what was staged (empty when the write was vetoed)."""

    def __init__(self, build: Callable[[Record], list[Record]]):
        self.build = build
        self.ref: str | None = None
        self.entries: list[Record] = []


@runtime_checkable
class Outbox(Protocol):
    """Entries waiting to be delivered, each handed to one worker at a time, in any thread or process."""

    def put(self, entries: list[Record]) -> Announcement:
        """Stage entries that belong to no record write (an event told on its own, an audit entry the trail
        could not take) in one atomic write; the announcement names them."""

    def claim(self, worker: str, lease_seconds: float, ref: str | None = None,
              kinds: tuple[str, ...] | None = None, limit: int | None = None) -> list[Record]:
        """Hand out the entries due now (of write ``ref`` and of ``kinds``, when given; at most ``limit``), oldest
        first, that no lease holds:
        each gets ``tries`` + 1 and a lease to ``worker`` for ``lease_seconds``, under the store's lock, so
        two workers never hold one entry at once. Returns copies."""

    def finish(self, entry: Record, error: str = "", retry_at: float | None = None) -> None:
        """The outcome of one hand-out: no ``error``: delivered (removed); an error and ``retry_at``: handed
        out again from then on (the schedule is stored: it outlives the process); an error and no
        ``retry_at``: given up (moved to the failed list)."""

    def pending(self) -> list[Record]:
        """Every entry not yet delivered nor given up (copies), oldest first."""

    def failed(self) -> list[Record]:
        """The entries given up, newest first (at most ``MAX_FAILED``)."""

    def next_due(self) -> float | None:
        """The earliest ``next_at`` (or lease end) of the pending entries; None when nothing is pending."""
