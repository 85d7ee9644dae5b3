"""``flask store check``: the data folder cross-checked against the audit chain; exit 1 on any finding."""

from __future__ import annotations

import click
from flask import current_app

from ..integrity import run_check
from .store_group import store_group


@store_group.command("check", help="Cross-check the audit chain, records, indexes, photos and the checklist "
                                   "archive; name every finding; exit 1 on any.")
def store_check():
    result, findings = run_check(current_app.extensions["store"])
    for finding in findings:
        click.echo(f"FINDING {finding}", err=True)
    chain = "intact" if result["chain_ok"] else f"BROKEN: {result['chain_problem']}"
    click.echo(f"Checked {result['records']} records, {result['photos']} photos, {result['chain_entries']} "
               f"audit entries (chain {chain}) in {result['seconds']} s: {result['findings']} findings.")
    if findings:
        raise SystemExit(1)
