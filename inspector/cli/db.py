"""``flask db`` commands: the data folder's layout version, and bringing an older folder up to date.

Every other command refuses to run on a folder whose layout is behind: it
would read or write records in a shape this version no longer knows.
"""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup, ScriptInfo


def init_app(app: Flask) -> None:
    app.cli.add_command(db_group)
    for name, command in app.cli.commands.items():
        if name != db_group.name:
            _refuse_when_behind(command)


def _refuse_when_behind(command: click.Command) -> None:
    """Make ``command`` refuse a data folder whose layout is behind. The command objects are module-level and
    shared by every app, so the app is the one the command line runs (its ScriptInfo), and each is wrapped once."""
    if getattr(command, "refuses_layout_behind", False):
        return
    original = command.invoke

    def invoke(ctx):
        behind = ctx.ensure_object(ScriptInfo).load_app().extensions["store"].layout_behind
        if behind is not None:
            raise click.ClickException(str(behind))
        return original(ctx)

    command.invoke = invoke
    command.refuses_layout_behind = True


@click.group("db", cls=AppGroup, help="The data folder's layout version.")
def db_group():
    pass


@db_group.command("status", help="Print the data folder's layout version and the one this Inspector reads.")
def db_status():
    found, current = current_app.extensions["store"].layout()
    state = "up to date" if found == current else "behind: run `flask db upgrade`" if found < current else "newer"
    click.echo(f"layout version {found}; this Inspector reads {current}: {state}")


@db_group.command("upgrade", help="Bring the data folder's layout up to date (take `flask backup` first). "
                                  "Safe to run again, also after it was cut off.")
def db_upgrade():
    reached = current_app.extensions["store"].upgrade_layout(click.echo)
    found, _current = current_app.extensions["store"].layout()
    click.echo(f"upgraded to layout version {found}" if reached else f"already at layout version {found}")
