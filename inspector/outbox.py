"""The outbox's worker thread: one per data folder in each server process, delivering what the store holds.

Nothing waits in memory: every announcement is in the store (see ``store.outbox``) from the write that
caused it, with its retry schedule, so a stopped or killed process loses none; the next process on the same
folder delivers it. ``attach`` (called by the app factory) makes the folder's runner and starts its thread
at once when something is pending; a request that leaves work behind, or an audit entry that had to wait,
``wake``s it. The thread runs ``work(store, config)`` (``announce.run_pending``), which returns when it next
has something due, and sleeps until then (at most ``POLL_SECONDS``, so that work left by another process on
the same folder is found too). Several processes may run one each: the store's leases keep one entry with
one worker at a time.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from typing import Callable

log = logging.getLogger(__name__)
POLL_SECONDS = 5.0
MAX_BACKOFF_SECONDS = 600.0
_runners: dict[str, "Runner"] = {}
_guard = threading.Lock()


def worker_id() -> str:
    """Who holds a lease: host, process and thread, so that a lease never outlives confusion about its owner."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def backoff(tries: int, base: float, cap: float = MAX_BACKOFF_SECONDS) -> float:
    """Seconds before try ``tries`` + 1: ``base``, ``2 * base``, ``4 * base`` ... up to ``cap``."""
    return min(cap, max(0.0, base) * 2 ** max(0, tries - 1))


class Runner:
    """The daemon thread of one data folder: runs ``work`` when woken or when its next entry falls due."""

    def __init__(self, store, config: dict, work: Callable, poll: float = POLL_SECONDS, enabled: bool = True):
        self.store, self.config, self.work, self.poll, self.enabled = store, config, work, poll, enabled
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._start_guard = threading.Lock()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def wake(self) -> None:
        """Run soon: starts the thread on first use (never when the thread is switched off)."""
        if not self.enabled:
            return
        with self._start_guard:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="inspector-outbox", daemon=True)
                self._thread.start()
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> bool:
        """End the thread after the delivery in hand (nothing is lost: the rest stays in the store)."""
        self._stop.set()
        self._wake.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
            return not thread.is_alive()
        return True

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            try:
                due = self.work(self.store, self.config, self._stop)
            except Exception:  # a pass that failed (a damaged file, a full disk) is tried again later
                log.exception("outbox: a delivery pass failed")
                due = None
            wait = self.poll if due is None else min(self.poll, max(0.0, due - time.time()))
            self._wake.wait(wait)


def attach(store, config: dict, work: Callable) -> Runner:
    """The runner of ``store``'s folder for this process (made once, with this ``config`` and ``work``);
    its thread starts now when the store holds pending announcements (left by a stopped process), unless
    ``INSPECTOR_OUTBOX_THREAD`` is off (then ``flask outbox run`` delivers, from cron)."""
    key = str(getattr(store, "root", id(store)))
    poll = float(config.get("INSPECTOR_OUTBOX_POLL_SECONDS", POLL_SECONDS))
    enabled = str(config.get("INSPECTOR_OUTBOX_THREAD", True)).strip().lower() not in ("0", "false", "no", "off")
    with _guard:
        runner = _runners.get(key)
        if runner is None:
            runner = _runners[key] = Runner(store, config, work, poll, enabled)
        else:  # a newer app on the same folder: its settings
            runner.store, runner.config, runner.work, runner.poll, runner.enabled = store, config, work, poll, enabled
    try:
        pending = store.outbox.next_due() is not None
    except Exception:
        log.exception("outbox: what is pending could not be read at start")
        pending = True
    if pending:
        runner.wake()
    return runner


def wake(store) -> bool:
    """Wake the runner of ``store``'s folder, when this process has one; False otherwise."""
    runner = _runners.get(str(getattr(store, "root", id(store))))
    if runner is None:
        return False
    runner.wake()
    return True


def running() -> list[Runner]:
    """The runners of this process whose thread is alive."""
    with _guard:
        return [r for r in _runners.values() if r.running]


def stop_all(timeout: float = 10.0) -> bool:
    """Stop and forget every runner of this process (tests; shutdown); True when every thread ended."""
    with _guard:
        stopping = list(_runners.values())
        _runners.clear()
    return all([r.stop(timeout) for r in stopping])
