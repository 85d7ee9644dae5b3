"""Waiting in tests for something to become true, bounded so that a stuck run fails instead of hanging.

The bound is never a measurement: a test waits for the condition it needs (a delivery made, a writer's
acknowledgement on disk), never for time to pass, and a slower machine only waits longer.
"""

from __future__ import annotations

import time

import pytest

WAIT_SECONDS = 120  # a bound for a stuck run, never a measurement


def wait_until(check, what: str, seconds: float = WAIT_SECONDS, every: float = 0.01, pause=None):
    """Call ``check`` until it returns something true, and return that; fail the test after ``seconds``.

    ``pause()``, when given, is how to let time pass in between instead of sleeping (a Playwright page's
    ``wait_for_timeout`` also delivers the page's events, so a route handler gets to run).
    """
    deadline = time.monotonic() + seconds
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:  # pragma: no cover - only when the test is failing anyway
            pytest.fail(f"gave up waiting for {what}")
        if pause is None:
            time.sleep(every)
        else:
            pause()
