"""The TinyDB engine's reads of inspections: ``peek``, the tie order across LKS, and reading months lazily.

What every engine must do with these reads is in tests/contract/test_inspections.py.
"""

from __future__ import annotations

import pytest

from inspector.store import Store

LKS_ID = "l" + "a" * 12
MERGED_ID = "l" + "b" * 12


@pytest.fixture
def subs(tmp_path):
    return Store(tmp_path / "data").inspections


def _add(subs, lks_id: str, created_at: str, n: int) -> dict:
    return subs.insert({"lks_id": lks_id, "created_at": created_at, "n": n, "answers": {"q1": {"value": "ya"}}})


def test_peek_reads_one_inspection_like_get_and_skips_unknown_ids(subs):
    """``peek`` is this engine's own; peek_many, which the app uses, is in tests/contract/test_inspections.py."""
    first = _add(subs, LKS_ID, "2024-03-01T10:00:00+00:00", 1)
    second = _add(subs, LKS_ID, "2024-03-02T10:00:00+00:00", 2)
    unknown = first["id"][:-1] + ("0" if first["id"][-1] != "0" else "1")
    assert subs.peek(second["id"]) == subs.get(second["id"])
    assert subs.peek("nonsense") is None and subs.peek(unknown) is None


def test_newest_first_orders_like_for_lks_across_merged_records(subs):
    for n, (lks_id, at) in enumerate([(LKS_ID, "2024-03-01T10:00:00+00:00"), (MERGED_ID, "2024-03-01T10:00:00+00:00"),
                                      (MERGED_ID, "2024-11-05T07:30:00+00:00"), (LKS_ID, "2023-12-31T23:59:59+00:00"),
                                      (LKS_ID, "2024-03-20T08:00:00+00:00"), (LKS_ID, "2024-03-01T10:00:00+00:00")]):
        _add(subs, lks_id, at, n)
    listed = [r["n"] for r in subs.newest_first([LKS_ID, MERGED_ID])]
    # Newest first; on a tie within one second, the later one in (order of the LKS given, order of insert) first.
    assert listed == [2, 4, 1, 5, 0, 3]
    assert [r["n"] for r in subs.for_lks([LKS_ID, MERGED_ID])] == listed


def test_newest_first_reads_older_months_only_when_asked(subs):
    newest = _add(subs, LKS_ID, "2024-11-05T07:30:00+00:00", 2)
    _add(subs, LKS_ID, "2024-07-14T12:00:00+00:00", 1)
    _add(subs, LKS_ID, "2023-12-31T23:59:59+00:00", 0)
    records = subs.newest_first(LKS_ID)
    assert next(records)["id"] == newest["id"]
    for path in (subs.root / LKS_ID).glob("*.json"):
        if path.stem != "202411":
            path.unlink()  # not read yet: the rest of the listing no longer finds them
    assert list(records) == []
    assert list(subs.newest_first("../users")) == []
