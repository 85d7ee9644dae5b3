"""The ``flask`` commands, one module per group; thin like the views: read the arguments, call the domain, print."""

from __future__ import annotations

from flask import Flask

from . import audit, backup, db, demo, forms, index, keys, posters, users


def init_app(app: Flask) -> None:
    """Add every command group to ``app.cli``."""
    for command in (demo.demo_group, users.users_group, forms.forms_group, index.index_group,
                    posters.posters_group, audit.audit_group, keys.keys_group, backup.backup_command, backup.restore_command):
        app.cli.add_command(command)
    db.init_app(app)  # last: it makes every command added before it refuse a data folder whose layout is behind
