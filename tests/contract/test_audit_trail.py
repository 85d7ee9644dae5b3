"""The audit trail: one hash chain in append order, filters over it, and details that hold no personal data."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime, timedelta, timezone

import pytest

ZERO_HASH = "0" * 64


def _hash(entry: dict) -> str:
    body = {key: value for key, value in entry.items() if key != "hash"}
    raw = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def test_an_empty_trail_verifies(store):
    assert store.audit.verify() == (True, None, 0)
    assert store.audit.entries() == []


def test_each_entry_is_chained_to_the_one_before(store):
    first = store.audit.append("u1", "admin", "lks_changed", "lks", "l1", {"lks_id": "l1"})
    second = store.audit.append(None, "system", "index_rebuilt", None, None)
    third = store.audit.append("u2", "reviewer", "approved", "inspection", "s1", {"count": 1, "status": "ok"})
    assert [e["seq"] for e in (first, second, third)] == [1, 2, 3]
    assert first["prev"] == ZERO_HASH and second["prev"] == first["hash"] and third["prev"] == second["hash"]
    assert all(entry["hash"] == _hash(entry) for entry in (first, second, third))
    assert (first["actor_id"], first["actor_role"], first["action"], first["target_kind"], first["target_id"],
            first["details"]) == ("u1", "admin", "lks_changed", "lks", "l1", {"lks_id": "l1"})
    assert second["details"] is None and second["target_kind"] is None
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", first["at"])
    assert store.audit.entries(newest_first=False) == [first, second, third]
    assert store.audit.verify() == (True, None, 3)


def test_entries_filter_and_page(store):
    log = store.audit
    log.append("u1", "admin", "sign_in", "user", "u1")
    log.append("u2", "reviewer", "approved", "inspection", "s1", {"lks_id": "l1"})
    log.append("u1", "admin", "lks_changed", "lks", "l1")
    log.append("u2", "reviewer", "approved", "inspection", "s2")
    assert [e["seq"] for e in log.entries()] == [4, 3, 2, 1]
    assert [e["seq"] for e in log.entries(newest_first=False)] == [1, 2, 3, 4]
    assert [e["seq"] for e in log.entries(action="approved")] == [4, 2]
    assert [e["seq"] for e in log.entries(actor_id="u1")] == [3, 1]
    assert [e["seq"] for e in log.entries(target_id="s1")] == [2]
    assert [e["seq"] for e in log.entries(action="approved", actor_id="u1")] == []
    assert [e["seq"] for e in log.entries(limit=2, offset=1)] == [3, 2]
    assert [e["seq"] for e in log.entries(limit=None, offset=3)] == [1]
    assert log.entries(month_to="2000-01") == []
    month = datetime.now(timezone.utc).strftime("%Y-%m")
    assert len(log.entries(month_from=month, month_to=month)) == 4


def test_since_and_until_bound_the_time_of_an_entry(store):
    entry = store.audit.append("u1", "admin", "sign_in", "user", "u1")
    at = datetime.fromisoformat(entry["at"])
    later = (at + timedelta(seconds=1)).isoformat()
    assert store.audit.entries(since=entry["at"]) == [entry]  # since: inclusive
    assert store.audit.entries(until=entry["at"]) == []  # until: exclusive
    assert store.audit.entries(until=later) == [entry]
    assert store.audit.entries(since=later) == []


@pytest.mark.parametrize("details", [{"password": "x"}, {"new_password": "x"}, {"name": "Budi"},
                                     {"username": "budi"}, {"answer_text": "ya"}, {"note": "x"},
                                     {"email": "a@b.id"},
                                     {"lks_id": "x" * 500}, {"lks_id": {"nested": 1}},
                                     {"lks_ids": ["l1"] * 1001}])
def test_details_that_could_hold_personal_data_are_refused_before_anything_is_written(store, details):
    with pytest.raises(ValueError):
        store.audit.append("u1", "admin", "account_changed", "user", "u2", details)
    assert store.audit.entries() == [] and store.audit.verify() == (True, None, 0)
    assert store.audit.append("u1", "admin", "account_changed", "user", "u2")["seq"] == 1


def test_details_with_ids_counts_and_states_pass(store):
    entry = store.audit.append("u1", "admin", "bulk_approved", None, None,
                               {"inspection_ids": ["s1", "s2"], "count": 2, "status": "approved", "comment_id": "c1",
                                "name_id": "n1"})
    assert entry["details"] == {"inspection_ids": ["s1", "s2"], "count": 2, "status": "approved", "comment_id": "c1",
                                "name_id": "n1"}
    assert store.audit.entries()[0]["details"] == entry["details"]
