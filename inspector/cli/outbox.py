"""``flask outbox``: deliver what waits in the outbox (for cron, tests, or a server without its thread), and
say what waits."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from .. import announce


@click.group("outbox", cls=AppGroup, help="Audit entries, alerts, e-mails and webhooks waiting to be delivered.")
def outbox_group():
    pass


@outbox_group.command("run", help="Deliver what is due now; with --once one pass, else until nothing is pending.")
@click.option("--once", is_flag=True, help="One pass over what is due, then exit.")
def outbox_run(once: bool):
    store, config = current_app.extensions["store"], current_app.config
    delivered = announce.run(store, config)
    while not once and store.outbox.next_due() is not None:
        delivered += announce.run(store, config) if _wait_for(store) else 0
    shown = announce.status(store)
    click.echo(f"Delivered: {delivered}. Pending: {shown['pending']}. Given up: {shown['failed']}.")


def _wait_for(store) -> bool:
    import time

    due = store.outbox.next_due()
    if due is None:
        return False
    time.sleep(max(0.0, min(5.0, due - time.time())))
    return True


@outbox_group.command("status", help="How many entries wait, are being retried, or were given up.")
def outbox_status():
    shown = announce.status(current_app.extensions["store"])
    click.echo(f"Pending: {shown['pending']} (retrying: {shown['retrying']}). Given up: {shown['failed']}.")
