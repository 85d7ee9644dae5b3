"""The contract for inspections, their indexes (per inspector; the review queue), checklists and photos."""

from __future__ import annotations

from typing import Callable, Iterator, Protocol, runtime_checkable

from .kinds import Change, DataDamaged, Record
from .outbox import Announcement


@runtime_checkable
class Inspections(Protocol):
    """Inspections, drafts included, of every LKS; ids ``<lks id>-<yyyymm>-<12 hex>``.

    An inspection's id names its LKS and the month of its ``created_at``. An
    inspection with an ``inspector_id`` is listed by ``for_inspector`` from
    the moment ``insert`` returns; a crash during ``insert`` may leave it
    listed but missing (lists skip it), never stored but unlisted.

    Reads over many records take ``damaged``: with a list, stored data that cannot be read (``DataDamaged``,
    with ``part``, ``lks_id`` and ``period`` set) is skipped and noted there, and the rest is returned;
    without one, it raises.
    """

    def new_id(self, lks_id: str, period: str) -> str:
        """A fresh id for an inspection of ``lks_id`` created in month ``period`` (yyyymm)."""

    def insert(self, record: Record) -> Record:
        """Store a new inspection (``lks_id`` required) and return it.

        Fills ``created_at`` (now) and ``id`` (``new_id`` of its LKS and month)
        when missing, in the dict given too. ``ValueError`` for a malformed id
        or inspector id, or an id already stored: of inserts racing each other
        with one id exactly one succeeds (a start retried with one token makes
        one inspection).
        """

    def get(self, inspection_id: str) -> Record | None:
        """The inspection, as a deep copy; None when unknown or malformed."""

    def peek_many(self, inspection_ids: list[str], damaged: list[DataDamaged] | None = None) -> list[Record]:
        """Several inspections, in the order asked, for reading; unknown and malformed ids are skipped."""

    def stream(self, inspection_ids: list[str], chunk: int = 500, keep_order: bool = True) -> Iterator[Record]:
        """The same inspections as ``peek_many``, lazily: memory follows ``chunk``, not the number asked for, and
        nothing is kept for later reads (an export of 100,000 inspections). In the same order; with
        ``keep_order=False`` in the order the engine reads fastest (each asked for exactly once)."""

    def modify(self, inspection_id: str, change: Change, announce: Announcement | None = None) -> Record | None:
        """Read-change-write of one inspection (see the package's rules for ``modify``); the entries
        ``announce`` builds for the new record are staged in the outbox in the same atomic write."""

    def remove(self, inspection_id: str, only_if: Callable[[Record], bool]) -> Record | None:
        """Remove one inspection when ``only_if(record)`` holds, judged under the same lock as ``modify``.

        Returns the removed record, or None (unknown, malformed, or ``only_if`` said no: nothing changes).
        From then on ``get`` answers None and ``for_inspector`` no longer lists it.
        """

    def newest_first(self, lks_ids: str | list[str], damaged: list[DataDamaged] | None = None) -> Iterator[Record]:
        """The inspections of one LKS (or of several: merged records), newest ``created_at`` first, for reading.

        Lazy: a caller that stops early does not pay for the older history.
        Of one LKS, equal ``created_at`` come later-stored first; across LKS,
        the order of equal times is not promised. Malformed ids are skipped.
        """

    def for_lks(self, lks_ids: str | list[str], damaged: list[DataDamaged] | None = None) -> list[Record]:
        """``newest_first`` as a list."""

    def every(self, damaged: list[DataDamaged] | None = None) -> Iterator[Record]:
        """Every inspection of every LKS, in no promised order (for rebuilding indexes: reads all history)."""

    def for_inspector(self, user_id: str, limit: int = 50, lks_id: str | None = None,
                      damaged: list[DataDamaged] | None = None) -> list[Record]:
        """The newest ``limit`` inspections an inspector started (of one LKS, if given), drafts included.

        Newest ``created_at`` first (equal times in no promised order); the cost follows ``limit``, not history.
        ``[]`` for an inspector who started none; ``ValueError`` for a
        malformed user id.
        """


@runtime_checkable
class ReviewIndex(Protocol):
    """Summary rows of sent inspections, for the review queue and its filters; ``rebuild`` remakes them.

    A row is a dict with at least ``id``, ``status`` and ``first_submitted_at``
    (its month, yyyymm, is the month it is kept under). Rows may run ahead of
    or behind their inspection after a crash: readers confirm rows against
    the inspection.
    """

    def mark_pending(self, row: Record) -> None:
        """Put the row in the pending set (what waits for review), replacing one with its id. Idempotent."""

    def clear_pending(self, inspection_id: str) -> None:
        """Take the inspection out of the pending set; nothing happens when it is not there. Idempotent."""

    def pending_rows(self) -> list[Record]:
        """The pending set, in no promised order."""

    def put(self, row: Record) -> None:
        """Keep the row as its inspection's current state in its month, replacing one with its id. Idempotent.

        ``ValueError`` when ``first_submitted_at`` does not name a month.
        """

    def put_missing(self, row: Record) -> bool:
        """Add the row to its month only when its inspection has none there: whether it added one.

        Never replaces a row (which may hold a later state); of calls racing
        each other for one inspection exactly one returns True.
        """

    def months(self) -> list[str]:
        """The months (yyyymm) that may hold rows, oldest first."""

    def rows(self, month_from: str, month_to: str, damaged: list[DataDamaged] | None = None) -> list[Record]:
        """Every row of the months from ``month_from`` to ``month_to`` (yyyymm, inclusive), no promised order.

        With ``damaged``, a month that cannot be read is skipped and noted there (``part`` ``review_month``);
        without, it raises ``DataDamaged``. So does ``pending_rows`` (``review_pending``)."""

    def stream_rows(self, month_from: str, month_to: str, damaged: list[DataDamaged] | None = None
                    ) -> Iterator[Record]:
        """The rows of ``rows``, lazily: memory follows one month, and nothing is kept for later reads."""

    def rebuild(self, rows: list[Record]) -> None:
        """Replace every row with these (from a scan of every inspection); pending: those with status submitted.

        Each month and the pending set are replaced whole; a reader during the
        rebuild may see some months replaced and others not yet.
        """


@runtime_checkable
class ChecklistArchive(Protocol):
    """Checklist definitions keyed by the digest of their content: added once, never changed."""

    def keep(self, digest: str, source: dict) -> None:
        """Archive a definition under its digest; when one is kept already, nothing changes. Idempotent."""

    def get(self, digest: str) -> dict | None:
        """The definition kept under ``digest``, for reading; None when there is none."""


@runtime_checkable
class Photos(Protocol):
    """JPEG files and their thumbnails, kept under their owner (an inspection, follow-up or LKS id).

    The record of a photo (its id, sizes, digest) lives in its owner's record.
    An owner is 1-64 of ``a-z0-9-``; a photo id is ``p`` + 12 hex.
    """

    def save(self, owner: str, jpeg: bytes, thumb: bytes) -> str:
        """Keep a photo and its thumbnail, durably, both before returning; the new photo id.

        ``ValueError`` for a malformed owner.
        """

    def read(self, owner: str, photo_id: str, thumb: bool = False) -> bytes | None:
        """The whole photo (or its thumbnail); None when unknown or either name is malformed."""

    def delete(self, owner: str, photo_id: str) -> None:
        """Remove a photo and its thumbnail that no record refers to; nothing happens when it is gone. Idempotent.

        ``ValueError`` for a malformed owner or photo id.
        """
