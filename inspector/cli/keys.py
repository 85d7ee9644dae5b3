"""``flask keys generate PATH``: the Ed25519 key that signs backups and evidence bundles, kept outside the data folder."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from ..store import signing


@click.group("keys", cls=AppGroup, help="The key that signs backups and evidence bundles.")
def keys_group():
    pass


@keys_group.command("generate", help="Write a new Ed25519 private key to PATH (mode 0600, outside the data "
                                     "folder); then set INSPECTOR_SIGNING_KEY=PATH.")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def keys_generate(path: Path):
    try:
        signer = signing.generate(path, current_app.config["INSPECTOR_DATA_DIR"])
    except signing.SigningError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Signing key written: {signer.path} (mode 0600). Set INSPECTOR_SIGNING_KEY={signer.path}")
    click.echo(f"Public key fingerprint: {signer.fingerprint}")
    click.echo("Give this fingerprint to whoever checks the evidence bundles (police, Kemensos) by another "
               "channel than the bundles themselves. Keep the key (or at least its public key: flask keys show) "
               "apart from the backups: a restore checks their signature against it.")


@keys_group.command("show", help="Print the fingerprint and public key (PEM) of INSPECTOR_SIGNING_KEY.")
def keys_show():
    signer = current_app.extensions.get("signer")
    if signer is None:
        raise click.ClickException(current_app.extensions.get("signer_problem", "no signing key"))
    click.echo(f"Public key fingerprint: {signer.fingerprint}")
    click.echo(signer.public_pem.decode().rstrip())
