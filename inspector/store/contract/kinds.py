"""The types every interface of the store contract shares: a record, and the change ``modify`` applies."""

from __future__ import annotations

from typing import Any, Callable

# A record: a dict of JSON values.
Record = dict[str, Any]



class DataDamaged(RuntimeError):
    """Stored data that cannot be what the store wrote (unreadable, cut short, emptied): never read as empty.

    ``where`` names the damaged place (a file of the data folder, a table and row) for the log and the admin;
    the request that needed it fails with this, every other keeps working.
    """

    def __init__(self, where: str, why: str):
        super().__init__(f"{where}: {why}")
        self.where, self.why = where, why


# What ``modify`` applies: the current record (a deep copy) in, the whole new record or None (a veto) out.
Change = Callable[[Record], "Record | None"]
