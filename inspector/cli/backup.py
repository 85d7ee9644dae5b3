"""``flask backup FILE`` and ``flask restore FILE``: a consistent copy of the data folder, and putting it back."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from ..store import signing
from ..store.backup import BackupError, create
from ..store.restore import restore


def _size(count: int) -> str:
    return f"{count / 1024 / 1024:.1f} MB" if count >= 1024 * 1024 else f"{count / 1024:.1f} kB"


@click.command("backup", help="Write a consistent snapshot of the data folder to FILE (a new .tar.gz) "
                              "while the server keeps serving.")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(file: Path):
    if not file.name.endswith((".tar.gz", ".tgz")):
        raise click.ClickException(f"{file}: name the backup *.tar.gz")
    signer = current_app.extensions.get("signer")
    if signer is None:
        raise click.ClickException(f"{current_app.extensions.get('signer_problem')}: a backup is always signed; "
                                   "make a key outside the data folder with `flask keys generate PATH` and set "
                                   "INSPECTOR_SIGNING_KEY=PATH")
    try:
        result = create(current_app.config["INSPECTOR_DATA_DIR"], file, signer)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Backup written: {result.path} ({result.files} files, {_size(result.bytes)}; "
               f"archive {_size(result.archive_bytes)}), signed by {result.signed_by}.")
    click.echo(f"Snapshot: {result.locks} partition locks in {result.scans} scan(s); writers waited at most "
               f"{result.longest_hold_ms:.0f} ms (taking the locks {result.lock_wait_ms:.0f} ms, "
               f"all held {result.frozen_ms:.0f} ms).")
    for path in result.skipped:
        click.echo(f"Skipped (a symlink or special file, never backed up): {path}", err=True)
    click.echo("It holds personal data and password hashes: keep it like the server, encrypt it before it "
               "leaves the machine. The session key is not in it: after a restore everyone signs in again.")


@click.command("restore", help="Put the backup FILE into the data folder, which must be empty; check its "
                               "signature and every file first, then verify the audit trail.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--trusted-key", "trusted_keys", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
              help="A public key (PEM) whose signature is accepted besides INSPECTOR_SIGNING_KEY's: a backup made "
                   "with another installation's key. Repeatable.")
@with_appcontext
def restore_command(file: Path, trusted_keys: tuple[Path, ...]):
    root = current_app.config["INSPECTOR_DATA_DIR"]
    signer = current_app.extensions.get("signer")
    try:
        trusted = [signer.public] if signer is not None else []
        trusted += [signing.load_public(path) for path in trusted_keys]
        result = restore(file, root, trusted)
    except (BackupError, signing.SigningError) as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Restored {result.files} files ({_size(result.bytes)}) into {root}; the manifest's signature "
               "verified and every file matched it.")
    if not result.audit_ok:
        click.echo(f"Audit trail: BROKEN: {result.audit_problem}", err=True)
        click.echo(f"Entries intact before it: {result.audit_entries}", err=True)
        raise SystemExit(1)
    click.echo(f"Audit trail: OK: {result.audit_entries} entries, chain intact.")
