"""The code an account's authenticator app would show now, made with pyotp from the secret in the store."""

from __future__ import annotations

import pyotp

from inspector import timefmt


def current_code(store, username: str, *, forget_last: bool = True) -> str:
    """The account's code for now (the app's one clock, which tests may set).

    A test run signs one account in many times within one 30-second step, and a code is accepted once per
    step; so by default the account's last accepted step is forgotten first. The rule itself is tested with
    ``forget_last=False`` in tests/test_second_factor.py.
    """
    record = store.users.by_username(username)
    if forget_last:
        store.users.modify(record["id"], lambda u: {**u, "totp_last_step": -1})
    return pyotp.TOTP(record["totp_secret"]).at(timefmt.now())


def code_at_step(secret: str, step: int) -> str:
    return pyotp.TOTP(secret).at(step * 30)
