"""``flask index rebuild``: now ``flask store repair`` without a backup (which rebuilds every index, the
inspectors' own included, after moving damaged files aside), kept under its old name."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from .repair import run_repair


@click.group("index", cls=AppGroup, help="The indexes (see flask store repair).")
def index_group():
    pass


@index_group.command("rebuild", help="flask store repair without a backup: damaged files moved aside, every index "
                                     "recreated from the inspections. Exit 1 when something was not recovered.")
def index_rebuild():
    raise SystemExit(0 if run_repair(None) else 1)
