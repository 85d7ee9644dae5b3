"""What the rest of Inspector may ask of the store: one typed interface per record kind, engine-neutral.

Every engine (TinyDB today, PostgreSQL later) implements exactly these
interfaces, and ``tests/contract/`` checks each guarantee written here on
every engine. Nothing here names a file, a folder, a partition or TinyDB;
what an engine adds beyond this (``Store(root)``, ``root``, backup and
restore, ``InspectionStore.peek``, the audit trail's month files) is for the
engine itself, its backup and its own tests, never for the rest of the app.

Rules that hold for every kind unless its interface says otherwise:

* A record is a dict of JSON values (str, int, float, bool, None, lists and
  dicts of them); times are UTC ISO 8601 strings with seconds.
* One call is one atomic write: a reader, in any thread or process, sees a
  record as it was before the write or after it, never a part of it. A write
  is durable once the call returns. Two calls are two writes: no call spans a
  transaction over several records unless its docstring says so.
* Every guarantee holds with writers in several threads and in several
  processes at once.
* ``get`` returns a deep copy the caller may change freely. Lists (``all``,
  ``for_...``, rows) are for reading: a caller may replace a top-level value
  of a listed record, never change a nested value in place.
* A dict given to a write is copied: changing it afterwards changes nothing
  stored.
* Ids have the shape of their kind (``u``, ``l``, ``f``, ``c``, ``p``, ``n``,
  ``w`` and 12 lowercase hex digits; an inspection id is
  ``<lks id>-<yyyymm>-<12 hex>``). A malformed id, ``None`` or ``""``
  included, is read as unknown (``None`` or ``[]``), never as a path or a
  query, unless the method says it raises ``ValueError``.
* ``modify(id, change)`` is read-change-write of one record, holding it
  against every other writer: ``change`` is called once, with a deep copy of
  the current record, and must not call the store. The record becomes what
  ``change`` returns (the whole record: a key left out is removed), and that
  is returned. ``change`` returning ``None`` vetoes: nothing is written and
  ``modify`` returns ``None``. An exception from ``change`` propagates and
  nothing is written; so does a ``ValueError`` when the returned record has
  another id. An unknown or malformed id returns ``None`` without calling
  ``change``.
"""

from __future__ import annotations

from typing import Callable, Protocol, runtime_checkable

from .inspections import ChecklistArchive, Inspections, Photos, ReviewIndex
from .kinds import Change, DataDamaged, Record
from .lks import Concerns, Followups, Lks
from .outbox import Announcement, Outbox
from .trail import AuditTrail, Notifications
from .users import Secrets, Throttle, Users

__all__ = ["Announcement", "AuditTrail", "Change", "ChecklistArchive", "Concerns", "DataDamaged", "Followups", "Inspections", "KINDS", "Lks",
           "Notifications", "Outbox", "Photos", "Record", "ReviewIndex", "Secrets", "Store", "Throttle", "Users"]


@runtime_checkable
class Store(Protocol):
    """Every record kind of one installation's data, each behind its interface."""

    users: Users
    lks: Lks
    inspections: Inspections
    review_index: ReviewIndex
    photos: Photos
    checklists: ChecklistArchive
    audit: AuditTrail
    notifications: Notifications
    followups: Followups
    concerns: Concerns
    throttle: Throttle
    secrets: Secrets
    outbox: Outbox

    # Each engine also sets ``layout_behind``: the refusal (an exception) when the data's layout is older than this
    # code reads and the store was opened anyway, for the ``flask db`` commands; None otherwise. Opened without
    # that leave, a store refuses such data.

    def layout(self) -> tuple[int, int]:
        """(the layout version the data has, the version this code reads)."""
        ...

    def upgrade_layout(self, say: Callable[[str], None] = ...) -> list[int]:
        """Bring the data to the current layout, one version at a time, each step safe to run again after a crash;
        the versions reached, [] when already current. ``say`` hears one line per step."""
        ...


# The interface of each member of a Store, by attribute name.
KINDS: dict[str, type] = {"users": Users, "lks": Lks, "inspections": Inspections, "review_index": ReviewIndex,
                          "photos": Photos, "checklists": ChecklistArchive, "audit": AuditTrail,
                          "notifications": Notifications, "followups": Followups, "concerns": Concerns,
                          "throttle": Throttle, "secrets": Secrets, "outbox": Outbox}
