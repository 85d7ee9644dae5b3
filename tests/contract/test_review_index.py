"""The review queue's indexes: the pending set, rows by month, put_missing, and rebuilding them whole."""

from __future__ import annotations

import pytest

LKS_ID = "l" + "a" * 12


def _row(n: int, month: str = "2026-01", status: str = "submitted", **extra) -> dict:
    return {"id": f"{LKS_ID}-{month[:4]}{month[5:]}-{n:012x}", "lks_id": LKS_ID, "status": status,
            "first_submitted_at": f"{month}-05T01:00:00+00:00", **extra}


def _ids(rows) -> list[str]:
    return sorted(r["id"] for r in rows)


def test_the_pending_set_takes_a_row_once_and_lets_it_go(store):
    index = store.review_index
    assert index.pending_rows() == []
    one, two = _row(1), _row(2)
    index.mark_pending(one)
    index.mark_pending(two)
    index.mark_pending({**one, "score": 90})  # the same inspection again: replaced, not doubled
    assert _ids(index.pending_rows()) == _ids([one, two])
    assert next(r for r in index.pending_rows() if r["id"] == one["id"])["score"] == 90
    index.clear_pending(one["id"])
    index.clear_pending(one["id"])  # idempotent
    index.clear_pending("nonsense")
    assert _ids(index.pending_rows()) == [two["id"]]


def test_rows_are_kept_by_the_month_first_sent_and_read_by_a_range_of_months(store):
    index = store.review_index
    rows = [_row(1, "2025-12"), _row(2, "2026-01"), _row(3, "2026-01"), _row(4, "2026-03")]
    for row in rows:
        index.put(row)
    index.put({**rows[1], "status": "approved"})  # a later state of the same inspection replaces its row
    assert _ids(index.rows("202601", "202601")) == _ids(rows[1:3])
    assert next(r for r in index.rows("202601", "202601") if r["id"] == rows[1]["id"])["status"] == "approved"
    assert _ids(index.rows("202512", "202602")) == _ids(rows[:3])
    assert _ids(index.rows("000000", "999912")) == _ids(rows)
    assert index.rows("202602", "202602") == []
    assert index.months() == ["202512", "202601", "202603"]
    assert index.pending_rows() == []  # the month rows and the pending set are apart
    for month_from, month_to in (("202601", "202601"), ("202512", "202602"), ("000000", "999912"), ("202602", "202602")):
        streamed = index.stream_rows(month_from, month_to)
        assert not isinstance(streamed, list)  # lazy
        assert sorted(streamed, key=lambda r: r["id"]) == sorted(index.rows(month_from, month_to), key=lambda r: r["id"])


def test_put_refuses_a_row_without_a_month(store):
    with pytest.raises(ValueError):
        store.review_index.put({"id": "x", "status": "submitted", "first_submitted_at": "kemarin"})


def test_put_missing_adds_a_row_only_when_its_month_has_none(store):
    index = store.review_index
    row = _row(1, status="approved")
    assert index.put_missing(_row(1)) is True
    assert index.put_missing(row) is False  # never replaces: the row there may hold a later state
    assert index.rows("202601", "202601") == [_row(1)]
    index.put(row)
    assert index.put_missing(_row(1)) is False
    assert index.rows("202601", "202601") == [row]


def test_rebuild_replaces_every_row_and_the_pending_set(store):
    index = store.review_index
    index.put(_row(1, "2025-11"))
    index.mark_pending(_row(1, "2025-11"))
    index.put(_row(2, "2026-01"))
    fresh = [_row(3, "2026-01"), _row(4, "2026-02", status="approved"), _row(5, "2026-02")]
    index.rebuild(fresh)
    assert _ids(index.rows("000000", "999912")) == _ids(fresh)
    assert index.rows("202511", "202511") == []
    assert _ids(index.pending_rows()) == _ids([fresh[0], fresh[2]])
    index.rebuild([])
    assert index.rows("000000", "999912") == [] and index.pending_rows() == []
