"""``flask store repair [--from-backup FILE]``: damaged files moved aside, partitions put back from a checked
backup, every index rebuilt, and what could not be recovered named by record id. Exit 0 when everything was
recovered, 1 otherwise; never a traceback on damaged input. ``flask index rebuild`` runs it without a backup.
"""

from __future__ import annotations

import time
from pathlib import Path

import click
from flask import current_app

from .. import health, timefmt
from ..review import rebuild_indexes
from ..store import repair as store_repair
from ..store.contract import DataDamaged
from .store_group import store_group


@store_group.command("repair", help="Move damaged files aside (never deleted) into <data>/damaged/<time>/, put "
                                    "back what the backup FILE holds of them, rebuild every index, and name every "
                                    "record not recovered. Exit 1 when something was not recovered.")
@click.option("--from-backup", "backup", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="A backup archive (flask backup) to take damaged partitions from; checked before use.")
def repair_command(backup: Path | None):
    raise SystemExit(0 if run_repair(backup) else 1)


def run_repair(backup: Path | None = None) -> bool:
    """The repair, printed as it goes; whether everything was recovered."""
    store = current_app.extensions["store"]
    root = Path(current_app.config["INSPECTOR_DATA_DIR"])
    started = time.perf_counter()
    signer = current_app.extensions.get("signer")
    report = store_repair.repair(root, backup, now=timefmt.now().strftime("%Y%m%dT%H%M%SZ"),
                                 trusted=[signer.public] if signer is not None else [])
    if report.backup_problem:
        click.echo(f"Backup not used: {report.backup_problem}", err=True)
    for damage in report.damaged:
        click.echo(f"Damaged: {damage.path} ({damage.why}): {damage.note}.")
        if damage.older:
            click.echo(f"  back at the state of the backup, later changes lost ({len(damage.older)}): "
                       + ", ".join(damage.older))
        if damage.lost:
            click.echo(f"  NOT RECOVERED ({len(damage.lost)}): " + ", ".join(damage.lost), err=True)
    rebuilt = True
    try:
        refs: list[dict] = []
        rows = rebuild_indexes(store, store_repair.keeping_refs(store.inspections.every(), refs))
        entries = store_repair.rebuild_inspector_indexes(root, refs)
        click.echo(f"Indexes rebuilt: {rows} sent inspections in the review indexes, {entries} entries in the "
                   "inspectors' own indexes.")
    except DataDamaged as error:  # damage written while the repair ran: say so, never a traceback
        rebuilt = False
        click.echo(f"Indexes NOT rebuilt: {error}; run the repair again.", err=True)
    for damage in report.damaged:
        where = str(root / damage.path)
        if (damage.restored or damage.path.startswith("index/")) and not damage.lost:
            health.close_alert(store, "damage", where)
            health.close_alert(store, "damage", damage.path)  # the audit trail names its files relative
        else:
            health.raise_alert(store, "damage", where, f"not recovered by store repair: {len(damage.lost)} records")
    if report.aside is not None:
        click.echo(f"Damaged files kept in {report.aside}.")
    recovered = report.recovered and rebuilt
    lost = sum(len(d.lost) for d in report.damaged)
    seconds = time.perf_counter() - started
    if not report.damaged:
        click.echo(f"No damaged file found ({seconds:.1f} s).")
    elif recovered:
        click.echo(f"Everything recovered: {len(report.damaged)} damaged files ({seconds:.1f} s).")
    else:
        click.echo(f"NOT everything recovered: {lost} records named above, {len(report.damaged)} damaged files "
                   f"({seconds:.1f} s).", err=True)
    return recovered
