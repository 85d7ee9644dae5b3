"""The outbox: announcements staged in the same write as their record, handed to one worker at a time, retried
on a schedule the store keeps, delivered once however many workers and processes share the data."""

from __future__ import annotations

import time

import pytest

from inspector.store.contract import Announcement

from . import workers

LKS_ID = "l" + "a" * 12
USER_ID = "u" + "b" * 12


def _draft(store) -> str:
    return store.inspections.insert({"lks_id": LKS_ID, "status": "draft", "n": 0})["id"]


def _announcing(*kinds: str) -> Announcement:
    return Announcement(lambda record: [{"kind": kind, "about": record["id"], "n": record["n"]} for kind in kinds])


def test_a_write_that_announces_stores_its_entries_with_the_record_and_a_veto_stores_none(engine, store):
    record_id = _draft(store)
    announced = _announcing("audit", "event")
    store.inspections.modify(record_id, lambda r: {**r, "n": 1}, announced)
    assert [(e["kind"], e["about"], e["n"]) for e in announced.entries] == [("audit", record_id, 1),
                                                                            ("event", record_id, 1)]
    assert {e["id"] for e in engine.open().outbox.pending()} == {e["id"] for e in announced.entries}

    vetoed = _announcing("audit")
    assert store.inspections.modify(record_id, lambda r: None, vetoed) is None
    assert vetoed.entries == [] and len(store.outbox.pending()) == 2


def test_a_change_that_raises_stores_neither_the_record_nor_its_announcements(store):
    record_id = _draft(store)

    def broken(record):
        raise RuntimeError("no")

    with pytest.raises(RuntimeError):
        store.inspections.modify(record_id, broken, _announcing("audit"))
    assert store.outbox.pending() == [] and store.inspections.get(record_id)["n"] == 0


def test_a_new_concern_stores_its_announcements_in_the_same_write_and_a_repeat_none(store):
    record = {"id": store.concerns.new_id(), "lks_id": LKS_ID, "form_token": "t1", "status": "open",
              "created_at": "2026-01-01T00:00:00+00:00", "n": 0}
    first, again = _announcing("event"), _announcing("event")
    assert store.concerns.add_once(record, first)[1] is True
    assert store.concerns.add_once({**record, "id": store.concerns.new_id()}, again)[1] is False
    assert len(first.entries) == 1 and again.entries == [] and len(store.outbox.pending()) == 1


def test_a_claimed_entry_is_held_by_its_worker_until_it_finishes_or_its_lease_ends(engine, store):
    store.outbox.put([{"kind": "audit", "n": 1}])
    (mine,) = store.outbox.claim("w1", lease_seconds=60)
    assert mine["tries"] == 1 and mine["lease_by"] == "w1" and mine["first_claimed_at"]
    assert engine.open().outbox.claim("w2", lease_seconds=60) == []  # held: another process gets nothing
    store.outbox.finish(mine)
    assert store.outbox.pending() == [] and store.outbox.claim("w2", lease_seconds=60) == []

    store.outbox.put([{"kind": "audit", "n": 2}])
    (lost,) = store.outbox.claim("w1", lease_seconds=0)  # its worker died: the lease is over at once
    (taken,) = engine.open().outbox.claim("w2", lease_seconds=60)
    assert taken["id"] == lost["id"] and taken["tries"] == 2 and taken["first_claimed_at"] == lost["first_claimed_at"]


def test_the_retry_schedule_and_the_given_up_entries_are_kept_by_the_store(engine, store):
    store.outbox.put([{"kind": "webhook", "n": 1}, {"kind": "email", "n": 2}])
    first, second = sorted(store.outbox.claim("w1", lease_seconds=60), key=lambda e: e["n"])
    later = time.time() + 3600
    store.outbox.finish(first, "HTTP 500", later)
    store.outbox.finish(second, "koneksi ditolak")  # no retry: given up

    reopened = engine.open().outbox
    (waiting,) = reopened.pending()
    assert (waiting["tries"], waiting["next_at"], waiting["last_error"]) == (1, later, "HTTP 500")
    assert reopened.next_due() == later and reopened.claim("w2", lease_seconds=60) == []
    (failed,) = reopened.failed()
    assert failed["n"] == 2 and failed["last_error"] == "koneksi ditolak" and failed["tries"] == 1


def test_claim_takes_only_the_write_and_the_kinds_asked_for(store):
    record_id = _draft(store)
    mine = _announcing("audit", "webhook")
    store.inspections.modify(record_id, lambda r: {**r, "n": 1}, mine)
    store.outbox.put([{"kind": "audit", "n": 9}])
    claimed = store.outbox.claim("w1", lease_seconds=60, ref=mine.ref, kinds=("audit",))
    assert [(e["kind"], e["ref"]) for e in claimed] == [("audit", mine.ref)]


def test_an_audit_entry_and_an_alert_delivered_twice_are_stored_once(store):
    since = "2000-01-01T00:00:00+00:00"
    first = store.audit.append(None, "system", "submitted", "inspection", "x", {"version": 1}, once="o1", since=None)
    again = store.audit.append(None, "system", "submitted", "inspection", "x", {"version": 1}, once="o1", since=since)
    assert again["seq"] == first["seq"] == 1 and first["details"] == {"version": 1, "outbox_id": "o1"}
    assert len(store.audit.entries(limit=None)) == 1
    for _ in range(2):
        store.notifications.add([USER_ID], {"kind": "critical", "inspection_id": "x"}, once="o2")
    assert len(store.notifications.for_user(USER_ID)) == 1


def test_workers_in_several_processes_deliver_each_entry_exactly_once(engine, store):
    for n in range(30):
        store.outbox.put([{"kind": "audit", "n": n}])
    delivered = workers.many("deliver_outbox", engine.address, 0, workers=3)
    ids = [entry_id for part in delivered for entry_id in part]
    assert len(ids) == len(set(ids)) == 30 and store.outbox.pending() == []
    chained = [e["details"]["outbox_id"] for e in store.audit.entries(limit=None)]
    assert sorted(chained) == sorted(ids)
