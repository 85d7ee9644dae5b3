"""``flask posters batch``: one A4 QR poster page per active, registered LKS, into one PDF file."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import click
from flask import current_app
from flask.cli import AppGroup

from .. import posters
from ..places import KECAMATAN


@click.group("posters", cls=AppGroup, help="A4 QR posters to hang at the LKS.")
def posters_group():
    pass


@posters_group.command("batch", help="One A4 poster page per active, registered LKS, into one PDF.")
@click.option("--kecamatan", default="", help="Only the LKS of this kecamatan (default: all of them).")
@click.option("--out", "out_path", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The PDF file to write.")
@click.option("--dpi", type=click.Choice(["150", "300"]), default="300", show_default=True,
              help="Page resolution; the QR is 10 cm wide either way.")
def posters_batch(kecamatan, out_path, dpi):
    try:
        name, records = posters.for_batch(current_app.extensions["store"].lks.all(), kecamatan)
    except posters.UnknownKecamatan:
        raise click.ClickException(f"unknown kecamatan {kecamatan!r}; one of: {', '.join(KECAMATAN)}") from None
    if not records:
        raise click.ClickException(f"no active LKS in {name or 'the register'}")
    base_url = current_app.config["INSPECTOR_BASE_URL"]
    if urlsplit(base_url).hostname in ("localhost", "127.0.0.1", "::1"):
        click.echo(f"Warning: INSPECTOR_BASE_URL is {base_url}; phones cannot reach it. Set it first.", err=True)
    partial = out_path.with_name(out_path.name + ".part")
    try:
        with open(partial, "wb") as out:
            pages = posters.write_pdf(records, base_url, out, int(dpi), f"Poster LKS {name or 'Kota Tangerang'}")
        partial.replace(out_path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    click.echo(f"{pages} posters written to {out_path}; their QR codes open {posters.lks_url(base_url, '<kode>')}.")
