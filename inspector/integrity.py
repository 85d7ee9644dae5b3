"""The store check as the admins meet it: run it, keep its result, alert on findings, and run it every day.

``run_check`` runs ``store.check`` (records, photos, indexes and the checklist archive against the audit chain),
keeps a short result in the store for the admin's page ``/admin/data`` (when, how long, how many findings,
the first ones, and the chain's state), raises the admin alert ``check`` when anything is found and closes it
when a check comes back clean. ``start_schedule`` runs it in a background thread every
``INSPECTOR_CHECK_EVERY_HOURS`` (0: never, as in tests); cron may run ``flask store check`` as well.
Findings name files and record ids only, never content.
"""

from __future__ import annotations

import logging
import threading
import time

from . import health, timefmt
from .store.check import check

FIRST_SHOWN = 20  # findings kept with the result, for the admin's page
FIRST_RUN_DELAY_SECONDS = 600  # after a start, so that a restart loop does not check again and again
log = logging.getLogger(__name__)


def run_check(store) -> tuple[dict, list]:
    """Check the data folder now: (the result as kept, every finding). Never raises on damaged data."""
    started = time.monotonic()
    report = check(store)
    result = {"at": timefmt.utcnow(), "seconds": round(time.monotonic() - started, 2),
              "findings": len(report.findings), "first": [str(f) for f in report.findings[:FIRST_SHOWN]],
              "records": report.records, "photos": report.photos, "chain_ok": report.chain_ok,
              "chain_problem": report.chain_problem, "chain_entries": report.chain_entries}
    try:
        store.notifications.check_kept(result)
    except Exception:
        log.exception("the store check's result could not be kept")
    if report.findings:
        log.warning("store check: %d findings, first: %s", len(report.findings), report.findings[0])
        health.raise_alert(store, "check", "store check",
                           f"{len(report.findings)} temuan; pertama: {str(report.findings[0])[:200]}")
    else:
        log.info("store check: clean (%d records, %d photos)", report.records, report.photos)
        health.close_alert(store, "check")
    return result, report.findings


def last_result(store) -> dict | None:
    """The result of the latest check, or None before the first (or when it cannot be read)."""
    try:
        return store.notifications.last_check()
    except Exception:
        log.exception("the store check's result could not be read")
        return None


def start_schedule(store, every_hours: float, first_delay: float = FIRST_RUN_DELAY_SECONDS) -> threading.Thread | None:
    """Run ``run_check`` every ``every_hours`` in a daemon thread (the first after ``first_delay``); 0: none."""
    if not every_hours or every_hours <= 0:
        return None

    def loop() -> None:
        time.sleep(first_delay)
        while True:
            try:
                run_check(store)
            except Exception:  # the thread must outlive any one failed check
                log.exception("the scheduled store check failed")
            time.sleep(every_hours * 3600)
    thread = threading.Thread(target=loop, name="store-check", daemon=True)
    thread.start()
    return thread
