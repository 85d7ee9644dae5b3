"""Follow-ups kept per LKS, and the public's concerns kept once per form."""

from __future__ import annotations

import re

import pytest

LKS_A, LKS_B = "l" + "a" * 12, "l" + "b" * 12
INSPECTION = f"{LKS_A}-202601-{'1' * 12}"


def _followup(store, lks_id: str, inspection_id: str, at: str, **extra) -> dict:
    record = {"id": store.followups.new_id(), "lks_id": lks_id, "inspection_id": inspection_id, "at": at,
              "item_id": "q1", "accepted": None, **extra}
    return store.followups.insert(lks_id, record)


def test_follow_ups_are_kept_per_lks_oldest_first(store):
    later = _followup(store, LKS_A, INSPECTION, "2026-02-01T00:00:00+00:00")
    earlier = _followup(store, LKS_A, INSPECTION, "2026-01-10T00:00:00+00:00")
    other = _followup(store, LKS_A, f"{LKS_A}-202512-{'2' * 12}", "2026-01-20T00:00:00+00:00")
    elsewhere = _followup(store, LKS_B, INSPECTION, "2026-01-01T00:00:00+00:00")
    assert re.fullmatch(r"f[0-9a-f]{12}", later["id"]) and store.followups.new_id() != later["id"]
    assert [r["id"] for r in store.followups.for_lks(LKS_A)] == [earlier["id"], other["id"], later["id"]]
    assert [r["id"] for r in store.followups.for_inspection(LKS_A, INSPECTION)] == [earlier["id"], later["id"]]
    assert [r["id"] for r in store.followups.for_lks(LKS_B)] == [elsewhere["id"]]
    assert store.followups.get(LKS_A, later["id"]) == later
    assert store.followups.get(LKS_B, later["id"]) is None  # kept under its own LKS only
    with pytest.raises(ValueError):
        store.followups.insert(LKS_A, dict(later))  # the id is stored already
    assert len(store.followups.for_lks(LKS_A)) == 3


@pytest.mark.parametrize("bad", ["../users", "", None, "L" + "A" * 12, "nonsense"])
def test_a_malformed_lks_or_follow_up_id_reads_as_unknown(store, bad):
    record = _followup(store, LKS_A, INSPECTION, "2026-01-10T00:00:00+00:00")
    assert store.followups.for_lks(bad) == []
    assert store.followups.get(bad, record["id"]) is None
    assert store.followups.get(LKS_A, bad) is None
    assert store.followups.modify(bad, record["id"], lambda r: r) is None
    with pytest.raises(ValueError):
        store.followups.insert(bad, {**record, "id": store.followups.new_id()})


def _concern(store, token: str, created_at: str, status: str = "open") -> dict:
    return {"id": store.concerns.new_id(), "lks_id": LKS_A, "created_at": created_at, "what": "x", "when": "now",
            "contact": "", "form_token": token, "status": status}


def test_a_concern_is_stored_once_per_form(store):
    first = _concern(store, "token-1", "2026-01-01T00:00:00+00:00")
    stored, new = store.concerns.add_once(first)
    assert new is True and stored == first and re.fullmatch(r"c[0-9a-f]{12}", first["id"])
    again, new = store.concerns.add_once(_concern(store, "token-1", "2026-01-02T00:00:00+00:00"))
    assert new is False and again == first  # a second tap on "Kirim" gets the stored report
    assert store.concerns.by_token("token-1") == first and store.concerns.by_token("token-2") is None
    assert store.concerns.get(first["id"]) == first
    assert [c["id"] for c in store.concerns.all()] == [first["id"]]


def test_concerns_are_listed_newest_first_and_open_ones_counted(store):
    made = [store.concerns.add_once(_concern(store, f"t{n}", at, status))[0] for n, (at, status) in enumerate(
        [("2026-01-02T00:00:00+00:00", "open"), ("2026-03-01T00:00:00+00:00", "handled"),
         ("2025-12-31T00:00:00+00:00", "open")])]
    assert [c["id"] for c in store.concerns.all()] == [made[1]["id"], made[0]["id"], made[2]["id"]]
    assert store.concerns.open_count() == 2
    store.concerns.modify(made[0]["id"], lambda r: {**r, "status": "handled"})
    assert store.concerns.open_count() == 1


@pytest.mark.parametrize("bad", ["../users", "", None, "C" + "0" * 12, "c" + "0" * 12])
def test_an_unknown_or_malformed_concern_id_reads_as_none(store, bad):
    store.concerns.add_once(_concern(store, "token-1", "2026-01-01T00:00:00+00:00"))
    assert store.concerns.get(bad) is None
