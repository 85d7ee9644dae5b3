"""The types every interface of the store contract shares: a record, and the change ``modify`` applies."""

from __future__ import annotations

from typing import Any, Callable

# A record: a dict of JSON values.
Record = dict[str, Any]

# What ``modify`` applies: the current record (a deep copy) in, the whole new record or None (a veto) out.
Change = Callable[[Record], "Record | None"]
