"""``flask audit`` commands: checking the audit trail's hash chain."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup


@click.group("audit", cls=AppGroup, help="The audit trail.")
def audit_group():
    pass


@audit_group.command("verify", help="Recompute every hash and link of the audit trail; exit 1 at the first break.")
def audit_verify():
    ok, problem, count = current_app.extensions["store"].audit.verify()
    if ok:
        click.echo(f"OK: {count} entries, chain intact")
        return
    click.echo(f"BROKEN: {problem}", err=True)
    click.echo(f"Entries intact before it: {count}", err=True)
    raise SystemExit(1)
