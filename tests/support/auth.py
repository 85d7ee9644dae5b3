"""Signing in and out through the real pages with the Flask test client: one way, asserted once."""

from __future__ import annotations

import re

from tests.support.builders import PASSWORD, ROLE_USERS
from tests.support.second_factor import current_code

SECOND_STEP = "/masuk/kode"


def login(client, username: str, password: str = PASSWORD, **kwargs):
    """Post the sign-in form; the answer, whatever it is."""
    return client.post("/masuk", data={"username": username, "password": password}, **kwargs)


def enter_code(client, code: str, **kwargs):
    """Post the second step's form (with the page's CSRF token when the app checks them); the answer."""
    return client.post(SECOND_STEP, data={"code": code, **_token(client, SECOND_STEP)}, **kwargs)


def _token(client, page: str) -> dict:
    """``{"csrf_token": ...}`` read from ``page`` when the app checks CSRF tokens (as in production), else {}."""
    if not client.application.config.get("WTF_CSRF_ENABLED", True):
        return {}
    html = client.get(page).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or \
        re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, f"no csrf_token on {page}"
    return {"csrf_token": match.group(1)}


def sign_in(client, who: str, next_path: str | None = None, *, password: str = PASSWORD):
    """Sign ``client`` in as a role (ROLE_USERS) or a username, then to ``next_path``; it must be let in (302),
    after the second step when the account has a second factor (its current code, made from the stored secret).
    The last answer."""
    username = ROLE_USERS.get(who, who)
    url = "/masuk" + (f"?next={next_path}" if next_path else "")
    response = client.post(url, data={"username": username, "password": password, **_token(client, url)})
    assert response.status_code == 302, (username, response.status_code)
    return finish_sign_in(client, response, username)


def finish_sign_in(client, response, username: str):
    """After the password step's ``response``: the second step with the account's current code when it asks
    for one (it must let the client in: 302), else ``response`` itself. The last answer."""
    if response.status_code == 302 and response.headers["Location"] == SECOND_STEP:
        response = enter_code(client, current_code(client.application.extensions["store"], username))
        assert response.status_code == 302, (username, "second step", response.status_code)
    return response


def client_as(app, who: str, password: str = PASSWORD):
    """A separate browser signed in as a role (ROLE_USERS) or a username."""
    client = app.test_client()
    sign_in(client, who, password=password)
    return client


class AuthActions:
    """Sign in and out through the real pages."""

    def __init__(self, client):
        self.client = client

    def login(self, username: str, password: str = PASSWORD):
        return login(self.client, username, password)

    def login_as(self, role: str):
        return sign_in(self.client, ROLE_USERS[role])

    def logout(self):
        return self.client.post("/keluar")
