"""The ``flask store`` group: commands that look after the data folder as a whole (each in its own module
registers on ``store_group``: ``check`` in ``cli/store.py``, ``repair`` in ``cli/repair.py``)."""

from __future__ import annotations

import click
from flask.cli import AppGroup


@click.group("store", cls=AppGroup, help="The data folder as a whole: finding and repairing damage.")
def store_group():
    pass
