"""Shared fixtures: a fresh app on a temporary data folder, one account per role, sign-in actions."""

from __future__ import annotations

import os

# Page tests need atomic writes, not power-cut durability: skip fsync (tests/test_store.py turns it back on).
os.environ.setdefault("INSPECTOR_FSYNC", "0")

import pytest  # noqa: E402

from inspector import accounts, create_app  # noqa: E402
from inspector.demo import demo_lks  # noqa: E402
from inspector.passwords import hash_password  # noqa: E402

PASSWORD = "rahasia-uji-123"
ROLE_USERS = {"admin": "admin1", "reviewer": "peninjau1", "inspector": "petugas1", "operator": "operator1"}


def make_app(tmp_path, **overrides):
    config = {"TESTING": True, "INSPECTOR_DATA_DIR": str(tmp_path / "data"), "WTF_CSRF_ENABLED": False,
              "INSPECTOR_BASE_URL": "https://lks.tangerangkota.go.id"}
    config.update(overrides)
    return create_app(config)


@pytest.fixture
def app(tmp_path):
    """An app with 3 LKS (the first bound to the operator) and one account per role."""
    app = make_app(tmp_path)
    seed_app(app)
    return app


_HASH = []


def seed_app(app):
    """3 demo LKS and one account per role, made through the account rules (the hash made once per run)."""
    store = app.extensions["store"]
    lks = store.lks.create_many(demo_lks(3))
    if not _HASH:
        _HASH.append(hash_password(PASSWORD))
    for role, username in ROLE_USERS.items():
        _, errors = accounts.create(store, {
            "username": username, "password": PASSWORD, "role": role, "name": f"Uji {role}",
            "agency": "Satpol PP" if role == "inspector" else "", "lks_ids": [lks[0]["id"]] if role == "operator" else []},
            password_hash=_HASH[0])
        assert not errors, errors
    return lks


def add_inspector(store, username: str = "petugas2", name: str = "Uji petugas lain") -> dict:
    """A second inspector, not the one who makes the inspections (same test password)."""
    if not _HASH:
        _HASH.append(hash_password(PASSWORD))
    record, errors = accounts.create(store, {"username": username, "password": PASSWORD, "role": "inspector",
                                             "name": name, "agency": "Kelurahan", "lks_ids": []},
                                     password_hash=_HASH[0])
    assert not errors, errors
    return record


@pytest.fixture
def store(app):
    return app.extensions["store"]


@pytest.fixture
def client(app):
    return app.test_client()


class AuthActions:
    """Sign in and out through the real pages."""

    def __init__(self, client):
        self.client = client

    def login(self, username: str, password: str = PASSWORD):
        return self.client.post("/masuk", data={"username": username, "password": password})

    def login_as(self, role: str):
        response = self.login(ROLE_USERS[role])
        assert response.status_code == 302, response.status_code
        return response

    def logout(self):
        return self.client.post("/keluar")


@pytest.fixture
def auth(client):
    return AuthActions(client)
