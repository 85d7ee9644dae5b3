"""Notifications: each account's alerts (bounded), the webhook delivery log, the oversight state."""

from __future__ import annotations

import re

import pytest

from inspector.store.contract.trail import MAX_ALERTS_PER_USER

ALICE, BOB = "u" + "1" * 12, "u" + "2" * 12
LKS_A, LKS_B = "l" + "a" * 12, "l" + "b" * 12


def test_each_account_gets_its_own_unread_copy_of_an_alert(store):
    notes = store.notifications
    notes.add([ALICE, BOB], {"kind": "critical", "inspection_id": "s1"})
    notes.add([ALICE], {"kind": "decided", "inspection_id": "s2"})
    alice, bob = notes.for_user(ALICE), notes.for_user(BOB)
    assert sorted(a["inspection_id"] for a in alice) == ["s1", "s2"]
    assert alice == sorted(alice, key=lambda a: a["created_at"], reverse=True)  # newest first
    assert [a["inspection_id"] for a in bob] == ["s1"]
    assert all(re.fullmatch(r"n[0-9a-f]{12}", a["id"]) and a["read_at"] is None and a["created_at"] for a in alice)
    assert bob[0]["id"] not in {a["id"] for a in alice}
    assert (notes.unread_count(ALICE), notes.unread_count(BOB)) == (2, 1)
    assert notes.get_alert(ALICE, alice[0]["id"]) == alice[0]
    assert notes.get_alert(BOB, alice[0]["id"]) is None  # another account's alert
    assert notes.for_user("u" + "3" * 12) == [] and notes.unread_count("u" + "3" * 12) == 0


def test_mark_read_marks_one_or_every_alert_once(store):
    notes = store.notifications
    notes.add([ALICE], {"kind": "a"})
    notes.add([ALICE], {"kind": "b"})
    notes.add([ALICE], {"kind": "c"})
    newest = next(a for a in notes.for_user(ALICE) if a["kind"] == "c")
    assert notes.mark_read(ALICE, newest["id"]) == 1
    assert notes.mark_read(ALICE, newest["id"]) == 0  # idempotent
    assert notes.get_alert(ALICE, newest["id"])["read_at"]
    assert notes.unread_count(ALICE) == 2
    assert notes.mark_read(ALICE) == 2
    assert notes.mark_read(ALICE) == 0
    assert notes.unread_count(ALICE) == 0
    assert notes.mark_read(BOB) == 0  # an account without alerts


@pytest.mark.parametrize("bad", ["../users", "", None, "nonsense"])
def test_alert_methods_refuse_a_malformed_user_id(store, bad):
    notes = store.notifications
    for call in (lambda: notes.add([bad], {"kind": "a"}), lambda: notes.for_user(bad),
                 lambda: notes.unread_count(bad), lambda: notes.get_alert(bad, "n" + "0" * 12),
                 lambda: notes.mark_read(bad)):
        with pytest.raises(ValueError):
            call()


def test_an_accounts_alerts_stay_bounded_and_read_ones_go_first(store):
    notes = store.notifications
    notes.add([ALICE], {"kind": "old"})
    notes.mark_read(ALICE)
    for n in range(MAX_ALERTS_PER_USER - 1):
        notes.add([ALICE], {"kind": "new", "n": n})
    assert len(notes.for_user(ALICE)) == MAX_ALERTS_PER_USER
    notes.add([ALICE], {"kind": "new", "n": "one more"})
    alerts = notes.for_user(ALICE)
    assert len(alerts) == MAX_ALERTS_PER_USER and notes.unread_count(ALICE) == MAX_ALERTS_PER_USER
    assert all(a["kind"] == "new" for a in alerts)  # the read one went, not an unread one
    notes.add([ALICE], {"kind": "new", "n": "extra"})  # nothing read is left: an unread one goes
    alerts = notes.for_user(ALICE)
    assert len(alerts) == MAX_ALERTS_PER_USER and {"one more", "extra"} <= {a["n"] for a in alerts}


def test_webhook_deliveries_are_logged_updated_and_listed_newest_first(store):
    notes = store.notifications
    first = notes.delivery_add({"url": "https://a.example/hook", "state": "queued", "tries": 0})
    second = notes.delivery_add({"url": "https://b.example/hook", "state": "queued", "tries": 0})
    assert re.fullmatch(r"w[0-9a-f]{12}", first["id"]) and first["created_at"] and first["updated_at"]
    notes.delivery_update(first["id"], {"state": "done", "tries": 2, "last_error": None})
    notes.delivery_update("w" + "0" * 12, {"state": "done"})  # not kept: nothing happens
    listed = notes.delivery_list()
    assert [d["id"] for d in listed] in ([second["id"], first["id"]], [first["id"], second["id"]])
    assert listed == sorted(listed, key=lambda d: d["created_at"], reverse=True)
    changed = next(d for d in listed if d["id"] == first["id"])
    assert (changed["state"], changed["tries"], changed["url"]) == ("done", 2, "https://a.example/hook")
    assert changed["updated_at"] >= first["updated_at"]
    assert len(listed) == 2


def test_the_latest_approved_time_per_lks_never_moves_back(store):
    notes = store.notifications
    assert notes.inspected() == ({}, False)
    notes.note_inspected({LKS_A: "2026-01-05T00:00:00+00:00"})
    notes.note_inspected({LKS_A: "2025-12-01T00:00:00+00:00", LKS_B: "2026-02-01T00:00:00+00:00"})
    notes.note_inspected({LKS_A: ""})
    assert notes.inspected() == ({LKS_A: "2026-01-05T00:00:00+00:00", LKS_B: "2026-02-01T00:00:00+00:00"}, False)
    notes.note_inspected({}, built=True)
    assert notes.inspected()[1] is True
    notes.note_inspected({LKS_A: "2026-03-01T00:00:00+00:00"})
    assert notes.inspected() == ({LKS_A: "2026-03-01T00:00:00+00:00", LKS_B: "2026-02-01T00:00:00+00:00"}, True)


def test_open_critical_findings_are_noted_once_and_closed(store):
    notes = store.notifications
    assert notes.open_critical() == []
    notes.critical_opened("s1", LKS_A)
    notes.critical_opened("s2", LKS_B)
    notes.critical_opened("s1", LKS_A)  # idempotent
    assert sorted(notes.open_critical()) == ["s1", "s2"]
    notes.critical_closed(["s1", "s9"])
    notes.critical_closed(["s1"])
    assert notes.open_critical() == ["s2"]
    notes.critical_closed([])
    assert notes.open_critical() == ["s2"]
