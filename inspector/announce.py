"""Announcing state changes durably: what a send, a decision or a report announces, and its delivery.

A change that announces stages its outbox entries in its own atomic write (``store.outbox``): its audit
entry (``audit.entry``) and its events (``events.entries``). Right after the write, ``deliver_now`` delivers
what is local and quick (the audit entry, the in-app alerts) in the request; e-mails and webhooks, and
anything that failed, are left to the folder's worker thread (``outbox``), which ``run_pending`` drives,
and to ``flask outbox run``. Every delivery is idempotent per entry id, so a delivery repeated after a
crash or a lost lease stores one audit entry and one alert per account, and sends a webhook with the same
idempotency id.

Retries: audit entries and in-app alerts are retried until they are delivered (the trail may be
unwritable for a while: the entry waits, never dropped); e-mails and webhooks up to
``INSPECTOR_SEND_TRIES`` tries, then given up (the admin sees them). Between tries the wait doubles
from ``INSPECTOR_SEND_BACKOFF_SECONDS``; the schedule is kept in the store.
"""

from __future__ import annotations

import logging
import time

from . import audit, events, notify, outbox
from .store.contract.outbox import Announcement

LOCAL = ("audit", "event")
# The kinds of entry, for the admin's page.
KIND_LABELS = {"audit": "jejak audit", "event": "notifikasi dalam aplikasi", "email": "e-mail", "webhook": "webhook"}
log = logging.getLogger(__name__)


class GiveUp(RuntimeError):
    """An entry that no retry can deliver (a malformed one): moved to the failed list at once."""


def announcement(build) -> Announcement:
    """An announcement for a record store's write: ``build(record)`` returns its entries (no store calls)."""
    return Announcement(build)


def deliver(store, config, entry: dict) -> None:
    """One try of one entry; raises when it was not delivered."""
    kind = entry.get("kind")
    if kind == "audit":
        try:
            audit.deliver(store, entry)
        except ValueError as error:  # details no trail will take: retrying cannot help
            raise GiveUp(str(error)) from None
    elif kind == "event":
        events.react(store, entry)
    elif kind == "email":
        if not notify.email_configured(config):
            raise GiveUp("e-mail is no longer configured")
        notify.deliver_email(config, entry)
    elif kind == "webhook":
        notify.deliver_webhook(store, config, entry)
    else:
        raise GiveUp(f"unknown kind {kind!r}")


def run(store, config, ref: str | None = None, kinds: tuple[str, ...] | None = None, stop=None) -> int:
    """Claim and deliver what is due now (of one write ``ref`` / of ``kinds``, when given): how many were
    delivered. Each outcome is written back at once: delivered, due again later, or given up."""
    tries, base, timeout = notify.settings(config)
    lease = max(60.0, 3 * timeout)
    delivered = 0
    for entry in store.outbox.claim(outbox.worker_id(), lease, ref=ref, kinds=kinds):
        if stop is not None and stop.is_set():
            store.outbox.finish(entry, "stopped", time.time())  # handed back at once, not after the lease
            continue
        try:
            deliver(store, config, entry)
        except GiveUp as error:
            log.error("outbox: %s entry %s given up: %s", entry.get("kind"), entry["id"], error)
            store.outbox.finish(entry, str(error)[:120])
            continue
        except Exception as error:
            reason = notify.describe(error)
            if entry["kind"] in ("email", "webhook") and entry["tries"] >= tries:
                store.outbox.finish(entry, reason)
            else:
                store.outbox.finish(entry, reason, time.time() + outbox.backoff(entry["tries"], base))
            continue
        store.outbox.finish(entry)
        delivered += 1
    return delivered


def run_pending(store, config, stop=None) -> float | None:
    """One pass of the worker over everything due; when the next entry falls due (None: nothing pending)."""
    run(store, config, stop=stop)
    return store.outbox.next_due()


def deliver_now(store, config, announced: Announcement | None) -> None:
    """After a write that announced: deliver its local entries here, note its webhooks for the admin, and
    wake the worker for the rest. Never raises: what is not delivered now stays in the outbox."""
    if announced is None or not announced.entries:
        return
    local = [e for e in announced.entries if e["kind"] in LOCAL]
    delivered = 0
    try:
        for entry in announced.entries:
            if entry["kind"] == "webhook":
                notify.note_webhook(store, entry)
        delivered = run(store, config, ref=announced.ref, kinds=LOCAL)
    except Exception:
        log.exception("outbox: delivering in the request failed; the worker delivers later")
    if delivered < len(local) or len(local) < len(announced.entries):
        outbox.wake(store)


def emit(store, config, event: str, record: dict) -> None:
    """Announce ``event`` for a change already stored (or told on its own): staged durably, then delivered as
    ``deliver_now`` does. Never raises into the caller but for an unknown event (ValueError)."""
    if event not in events.EVENTS:
        raise ValueError(f"unknown event {event}")
    try:
        found = (events.concern_facts if event.startswith("concern.") else events.facts)(store, record)
    except Exception:
        log.exception("event %s: the record could not be read", event)
        return
    try:
        announced = store.outbox.put(events.entries(config, event, found))
    except Exception:
        log.exception("event %s: it could not be stored in the outbox", event)
        return
    deliver_now(store, config, announced)


def status(store) -> dict:
    """What the admin sees: how many entries wait (and of them, how many were tried and failed), how many
    were given up."""
    pending = store.outbox.pending()
    return {"pending": len(pending), "retrying": sum(1 for e in pending if e.get("tries") and e.get("last_error")),
            "failed": len(store.outbox.failed()), "running": bool(outbox.running())}
