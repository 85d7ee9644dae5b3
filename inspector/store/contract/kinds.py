"""The types every interface of the store contract shares: a record, and the change ``modify`` applies."""

from __future__ import annotations

from typing import Any, Callable

# A record: a dict of JSON values.
Record = dict[str, Any]



class DataDamaged(RuntimeError):
    """Stored data that cannot be what the store wrote (unreadable, cut short, emptied): never read as empty.

    ``where`` names the damaged place (a file of the data folder, a table and row) for the log and the admin;
    the request that needed it fails with this, every other keeps working. What the damaged place held, when
    the store knows it, for the message a person reads: ``part`` (``inspections`` of one LKS and month,
    ``review_pending``, ``review_month``, ``inspector_index``), ``lks_id`` and ``period`` (yyyymm, or yyyy).

    A read over many partitions that is given a ``damaged`` list skips a damaged one and appends its
    DataDamaged there instead of raising: the caller lists the rest and says what is missing.
    """

    def __init__(self, where: str, why: str, part: str = "", lks_id: str = "", period: str = ""):
        super().__init__(f"{where}: {why}")
        self.where, self.why = where, why
        self.part, self.lks_id, self.period = part, lks_id, period

    def about(self, part: str, lks_id: str = "", period: str = "") -> "DataDamaged":
        """This damage, naming what the damaged place held (see the class)."""
        self.part, self.lks_id, self.period = part, lks_id, period
        return self


def skip_or_raise(error: DataDamaged, damaged: "list[DataDamaged] | None") -> None:
    """A read over many partitions met ``error``: note it in ``damaged`` and go on, or raise it without one."""
    if damaged is None:
        raise error
    damaged.append(error)


# What ``modify`` applies: the current record (a deep copy) in, the whole new record or None (a veto) out.
Change = Callable[[Record], "Record | None"]
