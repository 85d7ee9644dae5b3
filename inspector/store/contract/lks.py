"""The contract for the LKS register and what is kept per LKS: follow-ups and the public's concerns."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from .kinds import Change, Record
from .outbox import Announcement


@runtime_checkable
class Lks(Protocol):
    """LKS records keyed by id (``l`` + 12 hex), each with a public code unique in the register, upper-case."""

    def create(self, **fields) -> Record:
        """Store one new LKS (``code`` required) and return it; as ``create_many`` with one record."""

    def create_many(self, records: list[Record]) -> list[Record]:
        """Store several new LKS in one atomic write and return them, in the order given.

        The store sets ``id``, ``created_at`` and ``updated_at`` and stores
        each code upper-cased. Raises ``ValueError`` naming a code used
        already or repeated in ``records``, and then stores none of them; of
        creates racing each other with one code exactly one succeeds.
        """

    def get(self, lks_id: str) -> Record | None:
        """The LKS, as a deep copy; None when unknown or malformed."""

    def by_code(self, code: str) -> Record | None:
        """The LKS with this code (trimmed, any case); None when there is none."""

    def codes(self) -> set[str]:
        """Every code in use."""

    def all(self) -> list[Record]:
        """Every LKS, in the order they were created (changes do not move one), for reading."""

    def change(self, lks_id: str, fields: Record) -> Record | None:
        """Set ``fields`` (and ``updated_at``) on one LKS in one atomic write; the new record, None when unknown.

        A ``code`` is stored upper-cased; ``ValueError`` when another LKS uses
        it, and then nothing is written.
        """


@runtime_checkable
class Followups(Protocol):
    """Follow-ups (tindak lanjut) of an LKS's findings, keyed by id (``f`` + 12 hex), kept per LKS."""

    def new_id(self) -> str:
        """A fresh follow-up id, unused and unguessable; also the owner its photo is saved under."""

    def insert(self, lks_id: str, record: Record) -> Record:
        """Store a new follow-up (carrying ``id``, ``inspection_id`` and ``at``) of one LKS and return it.

        ``ValueError`` for a malformed ``lks_id`` or an id already stored.
        """

    def get(self, lks_id: str, followup_id: str) -> Record | None:
        """One follow-up of one LKS, as a deep copy; None when unknown or either id is malformed."""

    def for_lks(self, lks_id: str) -> list[Record]:
        """Every follow-up of one LKS, oldest ``at`` first, for reading; ``[]`` for a malformed id."""

    def for_inspection(self, lks_id: str, inspection_id: str) -> list[Record]:
        """The follow-ups of one inspection's findings, oldest ``at`` first, for reading."""

    def modify(self, lks_id: str, followup_id: str, change: Change) -> Record | None:
        """Read-change-write of one follow-up (see the package's rules for ``modify``)."""


@runtime_checkable
class Concerns(Protocol):
    """Concerns the public reported about an LKS, keyed by id (``c`` + 12 hex), apart from every inspection."""

    def new_id(self) -> str:
        """A fresh concern id, unused and unguessable."""

    def add_once(self, record: Record, announce: Announcement | None = None) -> tuple[Record, bool]:
        """Store ``record`` unless one with its ``form_token`` is stored: (the stored record, whether it is new).

        Idempotent per form token, and atomic: of several posts of one form
        racing each other exactly one stores a record, and every one gets it.
        What ``announce`` builds for a new record is staged in the outbox in the same atomic write.
        """

    def get(self, concern_id: str) -> Record | None:
        """The concern, as a deep copy; None when unknown or malformed."""

    def by_token(self, form_token: str) -> Record | None:
        """The concern sent from the form with this one-time token; None when there is none."""

    def all(self) -> list[Record]:
        """Every concern, newest ``created_at`` first (equal times in no promised order), for reading."""

    def open_count(self) -> int:
        """How many concerns have status ``open``."""

    def modify(self, concern_id: str, change: Change) -> Record | None:
        """Read-change-write of one concern (see the package's rules for ``modify``)."""
