"""Writers at once, in threads and in processes: nothing lost, nothing doubled, readers see whole records."""

from __future__ import annotations

import threading
import time
from collections import Counter

from . import workers

LKS_ID = "l" + "a" * 12
WRITERS, PER_WRITER = 4, 25


def _counter(store) -> str:
    return store.inspections.insert({"lks_id": LKS_ID, "n": 0, "seen": [], "pair": [0, 0]})["id"]


def _threads(target, count: int) -> list:
    """Run ``target(n)`` in ``count`` threads released together; what each returned."""
    barrier, results, errors = threading.Barrier(count), [None] * count, []

    def work(n):
        try:
            barrier.wait(workers.TIMEOUT_SECONDS)
            results[n] = target(n)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(workers.TIMEOUT_SECONDS)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    return results


def _assert_whole_reads(seen: list) -> None:
    """Every read was a whole record (n, its log and its pair agree), none went back in time, the last is final."""
    assert seen and seen[-1][0] == WRITERS * PER_WRITER
    for n, logged, pair in seen:
        assert logged == n and pair == [n, n]
    assert [n for n, _, _ in seen] == sorted(n for n, _, _ in seen)


def _assert_counted(store, inspection_id: str) -> None:
    record = store.inspections.get(inspection_id)
    assert record["n"] == WRITERS * PER_WRITER and record["pair"] == [record["n"]] * 2
    assert Counter(record["seen"]) == {w: PER_WRITER for w in range(WRITERS)}


def test_threads_modifying_one_record_lose_no_change(store):
    inspection_id = _counter(store)

    def increment(worker):
        for _ in range(PER_WRITER):
            store.inspections.modify(inspection_id, workers.bump(worker))
    _threads(increment, WRITERS)
    _assert_counted(store, inspection_id)


def test_processes_modifying_one_record_lose_no_change(engine, store):
    inspection_id = _counter(store)
    assert workers.many("increment", engine.address, PER_WRITER, WRITERS, inspection_id=inspection_id) == \
        [PER_WRITER] * WRITERS
    _assert_counted(engine.open(), inspection_id)


def test_readers_in_other_processes_see_a_record_whole_while_it_is_written(engine, store):
    inspection_id = _counter(store)
    plan = [("increment", PER_WRITER, {"inspection_id": inspection_id})] * WRITERS
    plan += [("read_during_writes", WRITERS * PER_WRITER, {"inspection_id": inspection_id})] * 2
    results = workers.run(engine.address, *plan)
    for seen in results[WRITERS:]:
        _assert_whole_reads(seen)
    _assert_counted(store, inspection_id)


def test_readers_in_other_threads_see_a_record_whole_while_it_is_written(store):
    inspection_id = _counter(store)

    def work(n):
        if n < WRITERS:
            for _ in range(PER_WRITER):
                store.inspections.modify(inspection_id, workers.bump(n))
            return None
        seen, deadline = [], time.monotonic() + workers.TIMEOUT_SECONDS
        while not seen or (seen[-1][0] < WRITERS * PER_WRITER and time.monotonic() < deadline):
            record = store.inspections.get(inspection_id)
            seen.append((record["n"], len(record["seen"]), record["pair"]))
        return seen
    results = _threads(work, WRITERS + 2)
    for seen in results[WRITERS:]:
        _assert_whole_reads(seen)
    _assert_counted(store, inspection_id)


def _assert_one_chain(store, appends: int, by_worker: list[list[int]]) -> None:
    ok, problem, count = store.audit.verify()
    assert (ok, problem, count) == (True, None, appends)
    assert sorted(seq for seqs in by_worker for seq in seqs) == list(range(1, appends + 1))
    for seqs in by_worker:
        assert seqs == sorted(seqs)  # each writer's entries in the order it appended them
    entries = store.audit.entries(limit=None, newest_first=False)
    assert [e["seq"] for e in entries] == list(range(1, appends + 1))
    assert all(later["prev"] == earlier["hash"] for earlier, later in zip(entries, entries[1:]))


def test_audit_appends_from_several_processes_make_one_unbroken_chain(engine, store):
    store.audit.append(None, "system", "contract.start", None, None)
    by_worker = workers.many("append", engine.address, PER_WRITER, WRITERS)
    _assert_one_chain(engine.open(), 1 + WRITERS * PER_WRITER, [[1]] + by_worker)


def test_audit_appends_from_several_threads_make_one_unbroken_chain(store):
    def append(worker):
        return [store.audit.append(None, "system", "contract.test", "worker", f"w{worker}", {"n": n})["seq"]
                for n in range(PER_WRITER)]
    _assert_one_chain(store, WRITERS * PER_WRITER, _threads(append, WRITERS))


def test_failed_sign_ins_counted_from_several_processes_add_up(engine, store):
    workers.many("fail_sign_in", engine.address, PER_WRITER, WRITERS, username="petugas")
    assert store.throttle.get("petugas")["failures"] == WRITERS * PER_WRITER


def test_one_username_created_by_several_processes_at_once_is_taken_once(engine, store):
    ids = workers.many("create_user", engine.address, 1, WRITERS, username="petugas")
    assert len([i for i in ids if i]) == 1
    assert [u["id"] for u in store.users.all()] == [i for i in ids if i]


def test_one_form_posted_by_several_processes_at_once_stores_one_concern(engine, store):
    record = {"lks_id": LKS_ID, "form_token": "token-1", "status": "open", "created_at": "2026-01-01T00:00:00+00:00"}
    results = workers.many("add_concern", engine.address, 1, WRITERS, record=record)
    assert len({concern_id for concern_id, _ in results}) == 1
    assert sorted(new for _, new in results) == [False] * (WRITERS - 1) + [True]
    assert [c["id"] for c in store.concerns.all()] == [results[0][0]]


def test_one_lks_code_created_by_several_threads_at_once_is_used_once(store):
    def create(n):
        try:
            return store.lks.create(code="TNG-001", name=f"LKS {n}")["id"]
        except ValueError:
            return None
    made = [i for i in _threads(create, WRITERS) if i]
    assert len(made) == 1 and [r["id"] for r in store.lks.all()] == made


def test_a_missing_queue_row_added_by_several_threads_at_once_is_added_once(store):
    row = {"id": f"{LKS_ID}-202601-{'0' * 12}", "status": "submitted",
           "first_submitted_at": "2026-01-05T00:00:00+00:00"}
    added = _threads(lambda n: store.review_index.put_missing({**row, "worker": n}), WRITERS)
    assert sorted(added) == [False] * (WRITERS - 1) + [True]
    assert [r["worker"] for r in store.review_index.rows("202601", "202601")] == [added.index(True)]


def test_one_checklist_kept_by_several_threads_at_once_is_kept_once(store):
    _threads(lambda n: store.checklists.keep("d" * 64, {"id": "lksa", "writer": n}), WRITERS)
    kept = store.checklists.get("d" * 64)
    assert kept["id"] == "lksa" and kept["writer"] in range(WRITERS)
    store.checklists.keep("d" * 64, {"id": "other"})
    assert store.checklists.get("d" * 64) == kept
