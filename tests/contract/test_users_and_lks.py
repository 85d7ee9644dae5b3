"""Accounts, the LKS register, failed sign-in counters and the session key."""

from __future__ import annotations

import re

import pytest

from . import workers

ID = {"user": re.compile(r"^u[0-9a-f]{12}$"), "lks": re.compile(r"^l[0-9a-f]{12}$")}


def test_user_create_rejects_a_duplicate_username_case_insensitively(store):
    alice = store.users.create(username="Alice", role="inspector")
    assert alice["username"] == "alice"
    assert alice["id"].startswith("u")
    assert ID["user"].fullmatch(alice["id"])
    assert (alice["session_version"], alice["active"]) == (1, True) and alice["created_at"]
    for taken in ("alice", "ALICE", "  aLiCe "):
        with pytest.raises(ValueError, match="taken"):
            store.users.create(username=taken, role="admin")
    assert store.users.count() == 1
    assert store.users.by_username(" ALICE ")["id"] == alice["id"]
    assert store.users.get(alice["id"]) == alice
    store.users.create(username="bob")
    assert store.users.count() == 2
    assert store.users.by_username("carol") is None


def test_users_are_listed_in_the_order_they_were_created_and_update_sets_keys(store):
    made = [store.users.create(username=f"user{n}", role="inspector", name=f"U{n}") for n in range(4)]
    updated = store.users.update(made[1]["id"], {"name": "Baru", "agency": "Satpol PP"})
    assert updated == {**made[1], "name": "Baru", "agency": "Satpol PP"}
    assert store.users.get(made[1]["id"]) == updated
    assert [u["id"] for u in store.users.all()] == [m["id"] for m in made]  # a change does not move a record
    assert store.users.update("u" + "0" * 12, {"name": "x"}) is None
    assert store.users.count() == 4


def test_lks_by_code_is_case_insensitive(store):
    made = store.lks.create(code="TNG-001", name="Panti Asuhan Satu")
    assert made["id"].startswith("l")
    for asked in ("TNG-001", "tng-001", " Tng-001 "):
        found = store.lks.by_code(asked)
        assert found is not None and found["id"] == made["id"]
    assert store.lks.by_code("TNG-002") is None


def test_lks_create_many_refuses_a_duplicate_code_and_writes_nothing(store):
    store.lks.create(code="TNG-001", name="One")
    before = store.lks.all()

    # A code already in the register.
    with pytest.raises(ValueError, match="TNG-001"):
        store.lks.create_many([{"code": "TNG-002", "name": "Two"}, {"code": "TNG-001", "name": "Again"}])
    # A code repeated inside the batch.
    with pytest.raises(ValueError, match="TNG-003"):
        store.lks.create_many([{"code": "TNG-003", "name": "Three"}, {"code": "TNG-003", "name": "Three b"}])

    assert store.lks.all() == before
    assert store.lks.codes() == {"TNG-001"}
    assert store.lks.by_code("TNG-002") is None

    made = store.lks.create_many([{"code": "TNG-002", "name": "Two"}, {"code": "TNG-003", "name": "Three"}])
    assert len({r["id"] for r in made}) == 2
    assert [r["name"] for r in made] == ["Two", "Three"] and made[1]["code"] == "TNG-003"
    assert all(ID["lks"].fullmatch(r["id"]) and r["created_at"] and r["updated_at"] for r in made)
    assert store.lks.codes() == {"TNG-001", "TNG-002", "TNG-003"}
    assert [r["code"] for r in store.lks.all()] == ["TNG-001", "TNG-002", "TNG-003"]


def test_lks_change_sets_fields_and_refuses_a_code_of_another_lks(store):
    one, two = store.lks.create_many([{"code": "TNG-001", "name": "One"}, {"code": "TNG-002", "name": "Two"}])
    changed = store.lks.change(two["id"], {"name": "Dua", "code": "tng-009"})
    assert (changed["name"], changed["code"]) == ("Dua", "TNG-009")
    assert changed["updated_at"] >= two["updated_at"] and changed["created_at"] == two["created_at"]
    assert store.lks.get(two["id"]) == changed
    with pytest.raises(ValueError, match="TNG-001"):
        store.lks.change(two["id"], {"code": "TNG-001", "name": "Stolen"})
    assert store.lks.get(two["id"]) == changed
    assert store.lks.change(one["id"], {"code": "TNG-001", "active": False})["active"] is False  # its own code
    assert store.lks.change("l" + "0" * 12, {"name": "x"}) is None
    assert [r["id"] for r in store.lks.all()] == [one["id"], two["id"]]


@pytest.mark.parametrize("bad", ["", None, "nonsense", "../lks", "l" + "0" * 12])
def test_an_unknown_or_malformed_account_or_lks_id_reads_as_none(store, bad):
    store.users.create(username="admin")
    store.lks.create(code="TNG-001")
    assert store.users.get(bad) is None
    assert store.lks.get(bad) is None


def test_modify_among_sees_every_account_and_may_veto(store):
    made = [store.users.create(username=f"admin{n}", role="admin") for n in range(2)]
    seen = []

    def demote_unless_last(record, accounts):
        seen.append(sorted(a["id"] for a in accounts))
        admins = [a for a in accounts if a["role"] == "admin" and a["active"]]
        return None if len(admins) == 1 else {**record, "role": "reviewer"}

    assert store.users.modify_among(made[0]["id"], demote_unless_last)["role"] == "reviewer"
    assert store.users.modify_among(made[1]["id"], demote_unless_last) is None  # the last admin: vetoed
    assert seen == [sorted(m["id"] for m in made)] * 2
    assert [u["role"] for u in store.users.all()] == ["reviewer", "admin"]
    assert store.users.modify_among("u" + "0" * 12, demote_unless_last) is None
    with pytest.raises(ValueError):
        store.users.modify_among(made[1]["id"], lambda record, accounts: {**record, "id": "u" + "1" * 12})


def test_throttle_forgets_old_counts_in_the_write_of_a_new_one(store):
    throttle = store.throttle
    throttle.record_failure("old", 100.0)
    throttle.record_failure("recent", 500.0)
    throttle.record_failure("new", 1000.0, forget_before=400.0)
    assert throttle.get("old")["failures"] == 0
    assert throttle.get("recent")["failures"] == 1 and throttle.get("new")["failures"] == 1
    assert throttle.record_failure("new", 2000.0, forget_before=1500.0)["failures"] == 2  # never its own


def test_throttle_record_and_clear(store):
    throttle = store.throttle
    assert throttle.get("alice") == {"username": "alice", "failures": 0, "last": 0.0}
    throttle.clear("alice")  # clearing an account without failures is harmless
    assert throttle.get("alice") == {"username": "alice", "failures": 0, "last": 0.0}

    assert throttle.record_failure("alice", 100.0) == {"username": "alice", "failures": 1, "last": 100.0}
    assert throttle.record_failure("alice", 105.5) == {"username": "alice", "failures": 2, "last": 105.5}
    throttle.record_failure("bob", 200.0)
    assert throttle.get("alice") == {"username": "alice", "failures": 2, "last": 105.5}
    assert throttle.get("bob")["failures"] == 1

    throttle.clear("alice")
    assert throttle.get("alice") == {"username": "alice", "failures": 0, "last": 0.0}
    assert throttle.get("bob") == {"username": "bob", "failures": 1, "last": 200.0}
    assert throttle.record_failure("alice", 300.0)["failures"] == 1


def test_the_session_key_is_made_once_and_kept(engine, store):
    key = store.secrets.session_key()
    assert re.fullmatch(r"[0-9a-f]{64}", key)
    assert store.secrets.session_key() == key
    assert engine.open().secrets.session_key() == key  # a restart on the same data


def test_processes_asking_for_the_first_session_key_at_once_agree_on_one(engine):
    keys = workers.many("session_key", engine.address, 1)
    assert len(set(keys)) == 1
    assert engine.open().secrets.session_key() == keys[0]
