"""The ``flask`` commands, one module per group (the ``store`` group: one module per command, ``repair`` among
them); thin like the views: read the arguments, call the domain, print."""

from __future__ import annotations

from flask import Flask

# repair and store register their commands on the store group when imported.
from . import audit, backup, db, demo, forms, index, keys, outbox, posters, repair, store, store_group, users  # noqa: F401


def init_app(app: Flask) -> None:
    """Add every command group to ``app.cli``."""
    for command in (demo.demo_group, users.users_group, forms.forms_group, index.index_group,
                    posters.posters_group, audit.audit_group, outbox.outbox_group, keys.keys_group,
                    backup.backup_command, backup.restore_command, store_group.store_group):
        app.cli.add_command(command)
    db.init_app(app)  # last: it makes every command added before it refuse a data folder whose layout is behind
