"""Builders of the app and its people and places: a fresh app on a temporary data folder, the accounts of
every role (made through the account rules, the test password hashed once per run; admins and reviewers with
a second factor already, as the rules require) and registered LKS."""

from __future__ import annotations

import pyotp

from inspector import accounts, create_app, second_factor
from inspector.demo import demo_lks
from inspector.passwords import hash_password
from inspector.store import signing

PASSWORD = "rahasia-uji-123"
ROLE_USERS = {"admin": "admin1", "reviewer": "peninjau1", "inspector": "petugas1", "operator": "operator1"}

_HASH: list[str] = []


def password_hash() -> str:
    """The Argon2 hash of PASSWORD, made once per run: every account costs a hash otherwise."""
    if not _HASH:
        _HASH.append(hash_password(PASSWORD))
    return _HASH[0]


def make_app(tmp_path, **overrides):
    """An app on ``tmp_path/data`` (CSRF off, the production address, a signing key beside the data folder:
    ``tmp_path/signing-key.pem``) with ``overrides`` on top; no records."""
    config = {"TESTING": True, "INSPECTOR_DATA_DIR": str(tmp_path / "data"), "WTF_CSRF_ENABLED": False,
              "INSPECTOR_BASE_URL": "https://lks.tangerangkota.go.id",
              "INSPECTOR_SIGNING_KEY": str(signing_key(tmp_path / "signing-key.pem").path)}
    config.update(overrides)
    return create_app(config)


def signing_key(path):
    """The signing key at ``path``, made there (and its folder) first if there is none."""
    if path.exists():
        return signing.load(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return signing.generate(path)


def seed_app(app) -> list[dict]:
    """3 demo LKS and one account per role (ROLE_USERS; the operator bound to the first LKS); the LKS."""
    store = app.extensions["store"]
    lks = store.lks.create_many(demo_lks(3))
    for role, username in ROLE_USERS.items():
        add_account(store, username, role, name=f"Uji {role}", agency="Satpol PP" if role == "inspector" else "",
                    lks_ids=[lks[0]["id"]] if role == "operator" else [])
    return lks


def add_account(store, username: str, role: str, *, name: str | None = None, agency: str = "",
                lks_ids=(), password: str = PASSWORD, active: bool = True, hash_now: bool = False,
                two_step: bool | None = None) -> dict:
    """An account made through the account rules. The test password reuses the run's one hash unless
    ``hash_now`` asks the rules to hash it themselves; ``active=False`` deactivates it afterwards.
    ``two_step`` gives it a second factor (a random secret, kept in the store, no recovery codes); by default
    admins and reviewers get one, as they must have one to reach their pages."""
    reuse = password == PASSWORD and not hash_now
    record, errors = accounts.create(store, {
        "username": username, "password": password, "role": role, "name": name or f"Nama {username}",
        "agency": agency, "lks_ids": list(lks_ids)}, **({"password_hash": password_hash()} if reuse else {}))
    assert not errors, errors
    if two_step or (two_step is None and role in second_factor.REQUIRED_ROLES):
        second_factor.activate(store, record["id"], pyotp.random_base32())
    if not active:
        store.users.update(record["id"], {"active": False})
    return store.users.get(record["id"])


def add_inspector(store, username: str = "petugas2", name: str = "Uji petugas lain") -> dict:
    """A second inspector, not the one who makes the inspections (same test password)."""
    return add_account(store, username, "inspector", name=name, agency="Kelurahan")


def add_lks(store, name: str = "LKS Uji", kind: str = "lksa", code: str | None = None, *, prefix: str = "UJ",
            address: str = "Jl. Uji No. 1", kecamatan: str = "Pinang", kelurahan: str = "Kunciran Indah",
            **fields) -> dict:
    """A registered, active LKS written to the register; ``code`` defaults to ``prefix`` and the LKS count."""
    code = code or f"{prefix}{len(store.lks.all()):04d}"
    return store.lks.create(code=code, name=name, kind=kind, address=address, kecamatan=kecamatan,
                            kelurahan=kelurahan, active=True, registered=True, **fields)
