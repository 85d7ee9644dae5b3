"""The contract for accounts, failed sign-in counters and the session key (see the package for the common rules)."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from .kinds import Change, Record


@runtime_checkable
class Users(Protocol):
    """User accounts keyed by id (``u`` + 12 hex); usernames unique, trimmed and compared lower-case."""

    def create(self, **fields) -> Record:
        """Store a new account and return it.

        The store sets ``id``, ``created_at``, ``session_version`` 1 and
        ``active`` True (``fields`` may override the last two) and stores the
        username trimmed and lower-cased. Raises ``ValueError`` when the
        username is taken; the check and the insert are one atomic step, so of
        several creates of one username racing each other exactly one succeeds.
        """

    def get(self, user_id: str) -> Record | None:
        """The account, as a deep copy; None when unknown or malformed."""

    def by_username(self, username: str) -> Record | None:
        """The account with this username (trimmed, any case); None when there is none."""

    def all(self) -> list[Record]:
        """Every account, in the order they were created (changes do not move one), for reading."""

    def count(self) -> int:
        """How many accounts there are."""

    def update(self, user_id: str, changes: Record) -> Record | None:
        """Set the keys of ``changes`` on one account in one atomic write; the new record, or None when unknown."""

    def modify(self, user_id: str, change: Change) -> Record | None:
        """Read-change-write of one account (see the package's rules for ``modify``)."""

    def modify_among(self, user_id: str, change) -> Record | None:
        """``modify`` where ``change(record, accounts)`` also gets every account (deep copies) read under the
        same lock as the write: a rule over all accounts (the last active admin) holds against a racing change."""


@runtime_checkable
class Throttle(Protocol):
    """Failure counts per key (callers pass keyed hashes, never addresses or names), shared by every process."""

    def get(self, username: str) -> dict:
        """``{"username", "failures", "last"}``; 0 failures and ``last`` 0.0 when none are counted."""

    def record_failure(self, username: str, when: float, forget_before: float | None = None) -> dict:
        """Count one more failure at ``when`` (epoch seconds) and return the new count.

        With ``forget_before``, every other count whose last failure is older is removed in the same write.

        Atomic: n failures recorded at once, from any threads or processes,
        add exactly n.
        """

    def clear(self, username: str) -> None:
        """Forget the failures of one username; writes nothing when there are none. Idempotent."""


@runtime_checkable
class Secrets(Protocol):
    """Secrets the installation makes for itself and keeps with its data."""

    def session_key(self) -> str:
        """The key that signs session cookies: 64 hex digits, made on first use and the same ever after.

        Every process and every restart on the same data gets the same key;
        processes asking for the first time at once agree on one. A backup
        never holds it (after a restore a new key is made and everyone signs
        in again).
        """
