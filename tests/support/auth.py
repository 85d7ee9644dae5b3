"""Signing in and out through the real pages with the Flask test client: one way, asserted once."""

from __future__ import annotations

from tests.support.builders import PASSWORD, ROLE_USERS


def login(client, username: str, password: str = PASSWORD, **kwargs):
    """Post the sign-in form; the answer, whatever it is."""
    return client.post("/masuk", data={"username": username, "password": password}, **kwargs)


def sign_in(client, who: str, next_path: str | None = None, *, password: str = PASSWORD):
    """Sign ``client`` in as a role (ROLE_USERS) or a username, then to ``next_path``; it must be let in (302).
    The answer."""
    username = ROLE_USERS.get(who, who)
    url = "/masuk" + (f"?next={next_path}" if next_path else "")
    response = client.post(url, data={"username": username, "password": password})
    assert response.status_code == 302, (username, response.status_code)
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
