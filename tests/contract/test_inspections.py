"""Inspections: ids that name their LKS and month, newest-first history, each inspector's list, copies."""

from __future__ import annotations

import re
import threading

import pytest

from . import workers

LKS_ID = "l" + "a" * 12
OTHER_LKS_ID = "l" + "b" * 12
YEAR = "202406"  # a month: year and month
CREATED = "2024-06-01T08:00:00+00:00"
INSPECTION_ID = re.compile(r"^l[0-9a-f]{12}-\d{6}-[0-9a-f]{12}$")
INSPECTOR = "u" + "1" * 12


def _inspection(**extra) -> dict:
    return {"lks_id": LKS_ID, "created_at": CREATED, **extra}


def test_inspection_insert_get_and_for_lks_newest_first(store):
    subs = store.inspections
    inserted = [
        subs.insert({"lks_id": LKS_ID, "created_at": "2024-03-01T10:00:00+00:00", "n": 1}),
        subs.insert({"lks_id": LKS_ID, "created_at": "2023-12-31T23:59:59+00:00", "n": 0}),
        subs.insert({"lks_id": LKS_ID, "created_at": "2024-11-05T07:30:00+00:00", "n": 3}),
        subs.insert({"lks_id": LKS_ID, "created_at": "2024-07-14T12:00:00+00:00", "n": 2}),
        subs.insert({"lks_id": OTHER_LKS_ID, "created_at": "2025-01-01T00:00:00+00:00", "n": 99}),
    ]
    for record in inserted:
        assert INSPECTION_ID.match(record["id"])
        period = record["created_at"][:4] + record["created_at"][5:7]
        assert record["id"].startswith(f"{record['lks_id']}-{period}-")
        assert subs.get(record["id"]) == record
    assert len({r["id"] for r in inserted}) == len(inserted)

    assert [r["n"] for r in subs.for_lks(LKS_ID)] == [3, 2, 1, 0]
    assert [r["n"] for r in subs.for_lks(OTHER_LKS_ID)] == [99]
    assert subs.for_lks("l" + "c" * 12) == []

    # created_at is filled in when missing.
    fresh = subs.insert({"lks_id": OTHER_LKS_ID})
    assert subs.get(fresh["id"])["created_at"] == fresh["created_at"]


def test_insert_fills_id_and_created_at_in_the_dict_given(store):
    record = {"lks_id": LKS_ID}
    returned = store.inspections.insert(record)
    assert returned is record and INSPECTION_ID.fullmatch(record["id"]) and record["created_at"]
    made = store.inspections.new_id(LKS_ID, "202401")
    assert INSPECTION_ID.fullmatch(made) and made.startswith(f"{LKS_ID}-202401-")
    assert made != store.inspections.new_id(LKS_ID, "202401")
    kept = store.inspections.insert({"id": made, "lks_id": LKS_ID, "created_at": "2024-01-09T00:00:00+00:00"})
    assert store.inspections.get(made) == kept


def test_insert_refuses_an_id_already_stored_or_malformed(store):
    record = store.inspections.insert(_inspection(inspector_id=INSPECTOR, n=1))
    with pytest.raises(ValueError):
        store.inspections.insert(_inspection(id=record["id"], inspector_id=INSPECTOR, n=2))
    for bad in ("nonsense", "../users", f"{LKS_ID}-{YEAR}-XYZ"):
        with pytest.raises(ValueError):
            store.inspections.insert(_inspection(id=bad))
    with pytest.raises(ValueError):
        store.inspections.insert(_inspection(inspector_id="../admin"))
    assert [r["n"] for r in store.inspections.for_lks(LKS_ID)] == [1]
    assert [r["id"] for r in store.inspections.for_inspector(INSPECTOR)] == [record["id"]]


@pytest.mark.parametrize(
    "bad_id",
    [
        "",
        None,
        "nonsense",
        "../users",
        f"{LKS_ID}-{YEAR}",
        f"{LKS_ID}-{YEAR}-XYZ",
        f"{LKS_ID}-{YEAR}-{'0' * 11}",
        f"../{LKS_ID}-{YEAR}-{'0' * 12}",
        f"{LKS_ID}/../..-{YEAR}-{'0' * 12}",
        f"{LKS_ID.upper()}-{YEAR}-{'0' * 12}",
    ],
)
def test_inspection_get_with_a_malformed_id_returns_none(store, bad_id):
    store.inspections.insert(_inspection())
    assert store.inspections.get(bad_id) is None
    assert store.inspections.peek_many([bad_id]) == []


def test_inspection_get_of_an_unknown_well_formed_id_returns_none(store):
    record = store.inspections.insert(_inspection())
    assert store.inspections.get(record["id"][:-1] + ("0" if record["id"][-1] != "0" else "1")) is None
    assert store.inspections.get(f"{OTHER_LKS_ID}-1999-{'0' * 12}") is None


@pytest.mark.parametrize("bad_lks", ["../users", "../secret", "..", ".", "", "secret", f"{LKS_ID}/../../secret"])
def test_history_of_a_malformed_lks_id_is_empty(store, bad_lks):
    store.users.create(username="admin")
    store.inspections.insert(_inspection())
    assert store.inspections.for_lks(bad_lks) == []
    assert list(store.inspections.newest_first([bad_lks])) == []
    assert len(store.inspections.for_lks([bad_lks, LKS_ID])) == 1


def test_values_given_to_or_returned_by_a_write_do_not_leak_into_what_readers_see(store):
    """Nested values of an inserted record stay the caller's: changing them later changes nothing stored."""
    record = {"lks_id": "l" + "0" * 12, "answers": {"q1": "ya"}}
    store.inspections.insert(record)
    assert store.inspections.get(record["id"])["answers"] == {"q1": "ya"}
    record["answers"]["q1"] = "TAMPERED"
    assert store.inspections.get(record["id"])["answers"] == {"q1": "ya"}
    assert store.inspections.for_lks("l" + "0" * 12)[0]["answers"] == {"q1": "ya"}


def _add(subs, lks_id: str, created_at: str, n: int) -> dict:
    return subs.insert({"lks_id": lks_id, "created_at": created_at, "n": n, "answers": {"q1": {"value": "ya"}}})


def test_peek_many_returns_the_asked_inspections_in_order_and_skips_unknown_ids(store):
    subs = store.inspections
    first = _add(subs, LKS_ID, "2024-03-01T10:00:00+00:00", 1)
    second = _add(subs, LKS_ID, "2024-03-02T10:00:00+00:00", 2)
    other = _add(subs, OTHER_LKS_ID, "2025-01-01T00:00:00+00:00", 3)
    unknown = first["id"][:-1] + ("0" if first["id"][-1] != "0" else "1")
    found = subs.peek_many([other["id"], "../users", unknown, second["id"], first["id"]])
    assert [r["n"] for r in found] == [3, 2, 1]
    assert found == [subs.get(other["id"]), subs.get(second["id"]), subs.get(first["id"])]
    found[0]["n"] = 99  # a copy: the stored record is untouched
    assert subs.get(other["id"])["n"] == 3
    assert subs.peek_many([]) == []


@pytest.mark.parametrize("chunk", [1, 2, 500])
def test_stream_gives_what_peek_many_gives_in_the_same_order_lazily_whatever_the_chunk(store, chunk):
    subs = store.inspections
    made = [_add(subs, lks_id, f"2024-0{month}-0{day}T10:00:00+00:00", n) for n, (lks_id, month, day) in
            enumerate([(LKS_ID, 3, 1), (OTHER_LKS_ID, 3, 2), (LKS_ID, 4, 1), (LKS_ID, 3, 5), (OTHER_LKS_ID, 5, 1)])]
    asked = [made[4]["id"], "../users", made[0]["id"], made[3]["id"], made[1]["id"], made[2]["id"], "x" * 40]
    streamed = subs.stream(asked, chunk=chunk)
    assert not isinstance(streamed, list)  # lazy
    assert list(streamed) == subs.peek_many(asked)
    assert [r["n"] for r in subs.stream(asked, chunk=chunk)] == [4, 0, 3, 1, 2]
    assert list(subs.stream([], chunk=chunk)) == []
    fastest = list(subs.stream(asked, chunk=chunk, keep_order=False))
    assert sorted(r["id"] for r in fastest) == sorted(r["id"] for r in subs.peek_many(asked))  # each once
    assert len(fastest) == 5


def test_newest_first_is_lazy_and_puts_the_later_stored_first_on_equal_times(store):
    subs = store.inspections
    for n, at in enumerate(["2024-03-01T10:00:00+00:00", "2024-11-05T07:30:00+00:00", "2024-03-01T10:00:00+00:00",
                            "2023-12-31T23:59:59+00:00", "2024-03-01T10:00:00+00:00"]):
        _add(subs, LKS_ID, at, n)
    _add(subs, OTHER_LKS_ID, "2024-06-01T00:00:00+00:00", 9)
    records = subs.newest_first(LKS_ID)
    assert iter(records) is records  # an iterator, not a list read whole
    assert next(records)["n"] == 1
    assert [r["n"] for r in records] == [4, 2, 0, 3]
    assert [r["n"] for r in subs.for_lks(LKS_ID)] == [1, 4, 2, 0, 3]
    both = [r["n"] for r in subs.newest_first([LKS_ID, OTHER_LKS_ID])]
    assert both[:2] == [1, 9] and sorted(both) == [0, 1, 2, 3, 4, 9]


def test_every_lists_every_inspection_once(store):
    made = {_add(store.inspections, lks, at, n)["id"] for n, (lks, at) in enumerate(
        [(LKS_ID, "2024-03-01T10:00:00+00:00"), (OTHER_LKS_ID, "2023-01-01T00:00:00+00:00"),
         (LKS_ID, "2025-07-01T00:00:00+00:00")])}
    listed = [r["id"] for r in store.inspections.every()]
    assert sorted(listed) == sorted(made)


def test_for_inspector_returns_the_newest_inspections_up_to_the_limit_across_years(store):
    """The list follows the index from the newest year and stops at the limit; one LKS can be asked for."""
    inspector = INSPECTOR
    made = []
    for n, when in enumerate(["2024-05-01T01:00:00+00:00", "2025-02-01T01:00:00+00:00",
                              "2025-09-01T01:00:00+00:00", "2026-01-01T01:00:00+00:00"]):
        lks_id = LKS_ID if n % 2 == 0 else OTHER_LKS_ID
        made.append(store.inspections.insert({"lks_id": lks_id, "inspector_id": inspector, "created_at": when}))
    store.inspections.insert({"lks_id": LKS_ID, "inspector_id": "u" + "3" * 12, "created_at": CREATED})
    store.inspections.insert({"lks_id": LKS_ID, "created_at": CREATED})
    assert [r["id"] for r in store.inspections.for_inspector(inspector)] == [m["id"] for m in reversed(made)]
    assert [r["id"] for r in store.inspections.for_inspector(inspector, limit=2)] == [made[3]["id"], made[2]["id"]]
    assert [r["id"] for r in store.inspections.for_inspector(inspector, lks_id=LKS_ID)] == [made[2]["id"],
                                                                                          made[0]["id"]]
    assert store.inspections.for_inspector("u" + "2" * 12) == []
    assert store.inspections.for_inspector(inspector)[0] == store.inspections.get(made[3]["id"])


@pytest.mark.parametrize("bad", ["", None, "../index", "U" + "1" * 12, "u" + "1" * 11])
def test_for_inspector_refuses_a_malformed_user_id(store, bad):
    with pytest.raises(ValueError):
        store.inspections.for_inspector(bad)


def test_threads_inserting_one_id_at_once_store_it_once(store):
    record_id = store.inspections.new_id(LKS_ID, YEAR)
    barrier, won, lost = threading.Barrier(6), [], []

    def insert(worker):
        barrier.wait(workers.TIMEOUT_SECONDS)
        try:
            won.append(store.inspections.insert(_inspection(id=record_id, inspector_id=INSPECTOR, worker=worker)))
        except ValueError:
            lost.append(worker)

    threads = [threading.Thread(target=insert, args=(w,)) for w in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(workers.TIMEOUT_SECONDS)
    assert len(won) == 1 and len(lost) == 5
    assert [r["worker"] for r in store.inspections.for_lks(LKS_ID)] == [won[0]["worker"]]
    assert [r["id"] for r in store.inspections.for_inspector(INSPECTOR)] == [record_id]


def test_processes_inserting_one_id_at_once_store_it_once(engine, store):
    record_id = store.inspections.new_id(LKS_ID, YEAR)
    ids = workers.many("insert_inspection", engine.address, 1,
                       record=_inspection(id=record_id, inspector_id=INSPECTOR))
    assert ids.count(record_id) == 1 and ids.count(None) == 3
    stored = store.inspections.for_lks(LKS_ID)
    assert [r["id"] for r in stored] == [record_id] and stored[0]["worker"] == ids.index(record_id)
    assert [r["id"] for r in store.inspections.for_inspector(INSPECTOR)] == [record_id]


def test_remove_takes_an_inspection_out_of_its_lks_and_its_inspectors_list_when_allowed(store):
    subs = store.inspections
    kept = subs.insert(_inspection(inspector_id=INSPECTOR, status="submitted"))
    draft = subs.insert(_inspection(inspector_id=INSPECTOR, status="draft"))
    assert subs.remove(kept["id"], lambda r: r["status"] == "draft") is None  # refused: nothing changes
    assert subs.get(kept["id"]) == kept
    removed = subs.remove(draft["id"], lambda r: r["status"] == "draft")
    assert removed == draft
    assert subs.get(draft["id"]) is None
    assert [r["id"] for r in subs.for_lks(LKS_ID)] == [kept["id"]]
    assert [r["id"] for r in subs.for_inspector(INSPECTOR)] == [kept["id"]]
    assert subs.remove(draft["id"], lambda r: True) is None  # a repeat removes nothing more
    assert subs.remove("not-an-id", lambda r: True) is None
