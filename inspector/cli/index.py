"""``flask index rebuild``: the review indexes (and the oversight state) made again from the inspections."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from ..review import rebuild_indexes


@click.group("index", cls=AppGroup, help="The review queue's indexes.")
def index_group():
    pass


@index_group.command("rebuild", help="Recreate the review indexes from the inspections (after a crash or restore).")
def index_rebuild():
    click.echo(f"Review indexes rebuilt: {rebuild_indexes(current_app.extensions['store'])} inspections.")
