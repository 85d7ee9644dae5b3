"""``flask`` commands: demo data and accounts, for the first admin on a fresh server; posters."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from . import accounts, audit, demo
from .auth import ROLES
from .places import KECAMATAN


def _store():
    return current_app.extensions["store"]


def register(app: Flask) -> None:
    app.cli.add_command(demo_group)
    app.cli.add_command(users_group)
    app.cli.add_command(forms_group)
    app.cli.add_command(index_group)
    app.cli.add_command(posters_group)
    from .cli_audit import register as register_audit
    register_audit(app)
    from .cli_backup import register as register_backup
    register_backup(app)
    from .cli_db import init_app as init_db  # last: it guards every command added before it
    init_db(app)


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
    from . import posters

    try:
        name, records = posters.for_batch(_store().lks.all(), kecamatan)
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


@click.group("index", cls=AppGroup, help="The review queue's indexes.")
def index_group():
    pass


@index_group.command("rebuild", help="Recreate the review indexes from the inspections (after a crash or restore).")
def index_rebuild():
    from .review import rebuild_indexes

    click.echo(f"Review indexes rebuilt: {rebuild_indexes(_store())} inspections.")


@click.group("forms", cls=AppGroup, help="Checklist definitions.")
def forms_group():
    pass


@forms_group.command("check", help="Validate every checklist file; list every problem and exit 1 if any.")
def forms_check():
    from .checklists import ChecklistError, load_folder

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


@click.group("demo", cls=AppGroup, help="Demo data.")
def demo_group():
    pass


@demo_group.command("seed", help="Fill an empty data folder with demo LKS and one account per role.")
def demo_seed():
    credentials = demo.seed(_store())
    if credentials is None:
        click.echo("Data folder already holds data; demo data not added.")
        return
    click.echo(f"Demo data added: {demo.LKS_COUNT} fictional LKS. DEMO ONLY accounts (username / password / role):")
    for username, password, role in credentials:
        click.echo(f"  {username:<10} {password:<22} {role}")


@click.group("users", cls=AppGroup, help="Accounts.")
def users_group():
    pass


@users_group.command("create", help="Create an account (the first admin on a fresh server).")
@click.argument("username")
@click.option("--role", type=click.Choice(list(ROLES)), required=True)
@click.option("--name", required=True, help="Full name.")
@click.option("--agency", default="", help="Satpol PP, Dinas Sosial, Kelurahan ...")
@click.option("--lks", "lks_codes", multiple=True, help="Public code of an LKS (operators; repeatable).")
@click.password_option(help="Asked for when not given.")
def users_create(username, role, name, agency, lks_codes, password):
    store = _store()
    lks_ids = []
    for code in lks_codes:
        record = store.lks.by_code(code)
        if record is None:
            raise click.ClickException(f"unknown LKS code {code}")
        lks_ids.append(record["id"])
    record, errors = accounts.create(store, {"username": username, "password": password, "role": role,
                                             "name": name, "agency": agency, "lks_ids": lks_ids})
    if errors:
        raise click.ClickException("; ".join(f"{k}: {v}" for k, v in errors.items()))
    audit.record(store, None, "account_created", "user", record["id"], role=role)
    click.echo(f"Account {record['username']} ({role}) created.")


def _user_or_fail(username: str) -> dict:
    record = _store().users.by_username(username)
    if record is None:
        raise click.ClickException(f"no account {username}")
    return record


@users_group.command("reset-password", help="Set a new password and end the account's sessions.")
@click.argument("username")
@click.password_option(help="Asked for when not given.")
def users_reset_password(username, password):
    user_id = _user_or_fail(username)["id"]
    reason = accounts.set_password(_store(), user_id, password)
    if reason:
        raise click.ClickException(reason)
    audit.record(_store(), None, "password_reset", "user", user_id)
    click.echo(f"Password of {username} changed; its sessions ended.")


@users_group.command("disable", help="Disable an account and end its sessions.")
@click.argument("username")
def users_disable(username):
    user_id = _user_or_fail(username)["id"]
    reason = accounts.set_active(_store(), user_id, False)
    if reason:
        raise click.ClickException(reason)
    audit.record(_store(), None, "account_disabled", "user", user_id)
    click.echo(f"Account {username} disabled.")


@users_group.command("enable", help="Enable a disabled account.")
@click.argument("username")
def users_enable(username):
    user_id = _user_or_fail(username)["id"]
    accounts.set_active(_store(), user_id, True)
    audit.record(_store(), None, "account_enabled", "user", user_id)
    click.echo(f"Account {username} enabled.")


@users_group.command("list", help="List accounts (no passwords).")
def users_list():
    for user in sorted(_store().users.all(), key=lambda u: (u["role"], u["username"])):
        state = "active" if user.get("active") else "disabled"
        click.echo(f"{user['username']:<20} {user['role']:<10} {state}")
