"""``flask users``: create the first admin on a fresh server, reset a password or a second factor, disable,
enable, list accounts.

Each change is written by ``accounts`` and recorded in the audit trail as done by the system.
"""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from .. import accounts, audit, second_factor
from ..auth import ROLES


def _store():
    return current_app.extensions["store"]


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
    if second_factor.required(record):
        _print_enrolment(record["username"], second_factor.start(store, record["id"]))


def _print_enrolment(username: str, secret: str) -> None:
    """The pending secret, for an authenticator app; it takes effect with its first code at sign-in."""
    click.echo("Second factor (required for this role): add this secret to an authenticator app,")
    click.echo(f"  secret: {secret}")
    click.echo(f"  or as a link/QR: {second_factor.otpauth_uri(secret, username)}")
    click.echo("then sign in: the enrolment page asks for one code and shows the recovery codes once.")


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


@users_group.command("reset-second-factor",
                     help="Remove an account's second factor and end its sessions; a new secret is printed.")
@click.argument("username")
def users_reset_second_factor(username):
    record = _user_or_fail(username)
    second_factor.reset(_store(), record["id"])
    audit.record(_store(), None, "second_factor_reset", "user", record["id"])
    click.echo(f"Second factor of {username} removed; its sessions ended.")
    if second_factor.required(record):
        _print_enrolment(username, second_factor.start(_store(), record["id"]))


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


@users_group.command("list", help="List accounts and whether they have a second factor (no secrets).")
def users_list():
    for user in sorted(_store().users.all(), key=lambda u: (u["role"], u["username"])):
        state = "active" if user.get("active") else "disabled"
        two_step = "2fa" if second_factor.enrolled(user) else ("2fa-pending" if user.get("totp_pending") else "-")
        click.echo(f"{user['username']:<20} {user['role']:<10} {state:<9} {two_step}")
