"""``modify(id, change)`` on every kind that has it: read-change-write of one record, with a veto.

One table of kinds: how to store a record of the kind, and how to call
``modify``/``get`` on it, so each rule is checked once for every kind.
"""

from __future__ import annotations

import pytest

LKS_ID = "l" + "a" * 12


def _user(store):
    record = store.users.create(username="petugas", role="inspector", nested={"a": [1]}, n=0)
    return record["id"], (lambda i, c: store.users.modify(i, c)), store.users.get


def _inspection(store):
    record = store.inspections.insert({"lks_id": LKS_ID, "status": "draft", "nested": {"a": [1]}, "n": 0})
    return record["id"], store.inspections.modify, store.inspections.get


def _followup(store):
    record = {"id": store.followups.new_id(), "lks_id": LKS_ID, "inspection_id": "x", "at": "2026-01-01T00:00:00+00:00",
              "nested": {"a": [1]}, "n": 0}
    store.followups.insert(LKS_ID, record)
    return (record["id"], (lambda i, c: store.followups.modify(LKS_ID, i, c)),
            (lambda i: store.followups.get(LKS_ID, i)))


def _concern(store):
    record = {"id": store.concerns.new_id(), "lks_id": LKS_ID, "form_token": "t1", "status": "open",
              "created_at": "2026-01-01T00:00:00+00:00", "nested": {"a": [1]}, "n": 0}
    store.concerns.add_once(record)
    return record["id"], store.concerns.modify, store.concerns.get


KINDS = {"users": _user, "inspections": _inspection, "followups": _followup, "concerns": _concern}
UNKNOWN = {"users": "u" + "0" * 12, "inspections": f"{LKS_ID}-202601-{'0' * 12}", "followups": "f" + "0" * 12,
           "concerns": "c" + "0" * 12}


@pytest.fixture(params=sorted(KINDS))
def kind(request, store):
    record_id, modify, get = KINDS[request.param](store)
    return request.param, record_id, modify, get


def test_modify_writes_what_the_change_returns_and_returns_it(kind):
    name, record_id, modify, get = kind
    calls = []

    def change(record):
        calls.append(record)
        return {**record, "n": record["n"] + 1, "nested": {"b": 2}}

    updated = modify(record_id, change)
    assert len(calls) == 1 and calls[0]["n"] == 0 and calls[0]["id"] == record_id
    assert updated["n"] == 1 and updated["nested"] == {"b": 2}
    assert get(record_id) == updated
    updated["nested"]["b"] = "tampered"  # the returned record is a copy
    assert get(record_id)["nested"] == {"b": 2}


def test_the_record_becomes_exactly_what_the_change_returns(kind):
    name, record_id, modify, get = kind
    modify(record_id, lambda r: {k: v for k, v in r.items() if k != "nested"})
    assert "nested" not in get(record_id)


def test_a_veto_writes_nothing_even_when_the_change_altered_its_copy(kind):
    name, record_id, modify, get = kind
    before = get(record_id)

    def veto(record):
        record["n"] = 99
        record["nested"]["a"].append("tampered")
        return None

    assert modify(record_id, veto) is None
    assert get(record_id) == before


def test_a_change_that_raises_writes_nothing_and_the_error_reaches_the_caller(kind):
    name, record_id, modify, get = kind
    before = get(record_id)

    def fail(record):
        record["n"] = 99
        raise RuntimeError("change refused")

    with pytest.raises(RuntimeError, match="change refused"):
        modify(record_id, fail)
    assert get(record_id) == before


def test_a_change_may_not_alter_the_id(kind):
    name, record_id, modify, get = kind
    before = get(record_id)
    with pytest.raises(ValueError):
        modify(record_id, lambda r: {**r, "id": UNKNOWN[name], "n": 5})
    assert get(record_id) == before
    assert get(UNKNOWN[name]) is None


@pytest.mark.parametrize("bad", ["unknown", "", None, "../users", "x" * 200])
def test_modify_of_an_unknown_or_malformed_id_returns_none_without_calling_the_change(kind, bad):
    name, record_id, modify, get = kind
    calls = []
    asked = UNKNOWN[name] if bad == "unknown" else bad
    assert modify(asked, lambda r: calls.append(r) or r) is None
    assert calls == []
    assert get(asked) is None


def test_get_returns_a_copy_the_caller_may_change(kind):
    name, record_id, modify, get = kind
    got = get(record_id)
    got["nested"]["a"].append("tampered")
    got["n"] = 42
    assert get(record_id)["nested"] == {"a": [1]} and get(record_id)["n"] == 0
