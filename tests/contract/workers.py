"""What child processes of the contract suite run: module-level functions, so a ``forkserver`` child imports them.

Each worker opens its own store from the engine's address, waits at the
barrier so that every worker writes at the same moment, does its part, and
puts what it saw on the queue (or the error, which the test then raises).
"""

from __future__ import annotations

import multiprocessing
import queue
import time
import traceback

from .engines import open_address

TIMEOUT_SECONDS = 60


def context():
    """``forkserver`` (children forked from a clean server that has imported the store), else ``spawn``."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    ctx = multiprocessing.get_context("forkserver")
    # Heeded when the server starts (once per test process). Only modules on the default path import there:
    # the installed package does, this folder does not.
    ctx.set_forkserver_preload(["inspector.store"])
    return ctx


def run(address, *plan: tuple[str, int, dict]) -> list:
    """Run each ``(task, count, args)`` of ``plan`` in its own process, all at once; what each returned, in order."""
    ctx = context()
    barrier, results = ctx.Barrier(len(plan)), ctx.Queue()
    processes = [ctx.Process(target=_main, args=(task, address, n, count, barrier, results, args))
                 for n, (task, count, args) in enumerate(plan)]
    for process in processes:
        process.start()
    found: dict[int, object] = {}
    deadline = time.monotonic() + TIMEOUT_SECONDS
    try:
        while len(found) < len(processes) and time.monotonic() < deadline:
            try:
                worker, value = results.get(timeout=0.2)
                found[worker] = value
            except queue.Empty:
                if not any(p.is_alive() for p in processes):
                    break  # a child died without a word: the exit codes below say how
    finally:
        for process in processes:
            process.join(TIMEOUT_SECONDS)
            if process.is_alive():  # pragma: no cover - only when the test is failing anyway
                process.kill()
                process.join()
    errors = [value for value in found.values() if isinstance(value, str) and value.startswith("Traceback")]
    assert not errors, errors[0]
    assert [p.exitcode for p in processes] == [0] * len(processes)
    assert sorted(found) == list(range(len(processes))), "a worker gave no result"
    return [found[n] for n in range(len(processes))]


def many(task: str, address, count: int, workers: int = 4, **args) -> list:
    """``task`` in ``workers`` processes at once, ``count`` times each."""
    return run(address, *[(task, count, args)] * workers)


def _main(task, address, worker, count, barrier, results, args) -> None:
    try:
        store = open_address(address)
        barrier.wait(TIMEOUT_SECONDS)
        results.put((worker, TASKS[task](store, worker, count, **args)))
    except BaseException:  # noqa: BLE001 - sent to the test, which fails with it
        results.put((worker, traceback.format_exc()))


def bump(worker: int):
    """The change every writer makes: one more ``n``, the writer noted, ``pair`` kept equal to ``n``."""
    def change(record):
        n = record["n"] + 1
        return {**record, "n": n, "seen": record["seen"] + [worker], "pair": [n, n]}
    return change


def _increment(store, worker, count, inspection_id):
    for _ in range(count):
        store.inspections.modify(inspection_id, bump(worker))
    return count


def _append(store, worker, count):
    return [store.audit.append(None, "system", "contract.test", "worker", f"w{worker}", {"n": n})["seq"]
            for n in range(count)]


def _fail_sign_in(store, worker, count, username):
    for _ in range(count):
        store.throttle.record_failure(username, float(worker))
    return count


def _create_user(store, worker, count, username):
    try:
        return store.users.create(username=username, role="inspector", worker=worker)["id"]
    except ValueError:
        return None


def _add_concern(store, worker, count, record):
    stored, new = store.concerns.add_once({**record, "id": store.concerns.new_id(), "worker": worker})
    return (stored["id"], new)


def _insert_inspection(store, worker, count, record):
    try:
        return store.inspections.insert({**record, "worker": worker})["id"]
    except ValueError:
        return None


def _session_key(store, worker, count):
    return store.secrets.session_key()


def _read_during_writes(store, worker, target, inspection_id):
    """Read one inspection over and over while others change it, until its ``n`` reaches ``target``."""
    seen, deadline = [], time.monotonic() + TIMEOUT_SECONDS
    while not seen or (seen[-1][0] < target and time.monotonic() < deadline):
        record = store.inspections.get(inspection_id)
        seen.append((record["n"], len(record["seen"]), record["pair"]))
    return seen


def _deliver_outbox(store, worker, count):
    """Claim and deliver audit entries until none is left: the ids this worker delivered."""
    delivered, deadline = [], time.monotonic() + TIMEOUT_SECONDS
    while store.outbox.pending() and time.monotonic() < deadline:
        for entry in store.outbox.claim(f"w{worker}", lease_seconds=60, limit=1):  # one at a time: interleaved
            since = entry["first_claimed_at"] if entry["tries"] > 1 else None
            store.audit.append(None, "system", "contract.test", "worker", f"w{worker}", {"n": entry["n"]},
                               once=entry["id"], since=since)
            store.outbox.finish(entry)
            delivered.append(entry["id"])
    return delivered


TASKS = {"deliver_outbox": _deliver_outbox, "increment": _increment, "append": _append, "fail_sign_in": _fail_sign_in, "create_user": _create_user,
         "add_concern": _add_concern, "insert_inspection": _insert_inspection, "session_key": _session_key,
         "read_during_writes": _read_during_writes}
