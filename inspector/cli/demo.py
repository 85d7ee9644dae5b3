"""``flask demo seed``: demo LKS and one account per role, on an empty data folder."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from .. import demo


@click.group("demo", cls=AppGroup, help="Demo data.")
def demo_group():
    pass


@demo_group.command("seed", help="Fill an empty data folder with demo LKS and one account per role.")
def demo_seed():
    credentials = demo.seed(current_app.extensions["store"])
    if credentials is None:
        click.echo("Data folder already holds data; demo data not added.")
        return
    click.echo(f"Demo data added: {demo.LKS_COUNT} fictional LKS. DEMO ONLY accounts (username / password / role):")
    for username, password, role in credentials:
        click.echo(f"  {username:<10} {password:<22} {role}")
    click.echo("Second factor of the DEMO ONLY admin and reviewer (secret; a code: oathtool --totp -b SECRET):")
    for username, secret in demo.DEMO_SECRETS.items():
        click.echo(f"  {username:<10} {secret}")
