"""``flask forms check``: every checklist definition in forms/ validated, every problem listed."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from ..checklists import ChecklistError, load_folder


@click.group("forms", cls=AppGroup, help="Checklist definitions.")
def forms_group():
    pass


@forms_group.command("check", help="Validate every checklist file; list every problem and exit 1 if any.")
def forms_check():
    folder = current_app.config["INSPECTOR_FORMS_DIR"]
    try:
        found = load_folder(folder)
    except ChecklistError as error:
        for problem in error.problems:
            click.echo(problem, err=True)
        raise SystemExit(1) from None
    for checklist in found.values():
        count = sum(1 for _ in checklist.items())
        click.echo(f"{checklist.id} v{checklist.version} ({checklist.digest}): {count} items, "
                   f"{len(checklist.sections)} sections, kinds {', '.join(checklist.kinds)}")
