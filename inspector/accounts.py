"""Account rules: usernames, roles, agencies, LKS bindings; creating and changing accounts."""

from __future__ import annotations

import re

from .auth import ROLES
from .passwords import hash_password, weak_password_reason
from .lks import plain_text
from .timefmt import utcnow

_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,31}$")


def clean(store, raw: dict, creating: bool, current: dict | None = None) -> tuple[dict, dict[str, str]]:
    """Validate account fields: (clean fields, {field: Indonesian reason})."""
    errors: dict[str, str] = {}
    out: dict = {}
    if creating:
        username = str(raw.get("username") or "").strip().lower()
        if not _USERNAME.match(username):
            errors["username"] = "Nama pengguna 3-32 karakter: huruf kecil, angka, titik, garis bawah atau strip."
        elif store.users.by_username(username):
            errors["username"] = "Nama pengguna sudah dipakai."
        out["username"] = username
        reason = weak_password_reason(str(raw.get("password") or ""))
        if reason:
            errors["password"] = reason
    name = plain_text(raw.get("name"))
    if not name or len(name) > 100:
        errors["name"] = "Nama lengkap wajib diisi (maksimal 100 karakter)."
    out["name"] = name
    role = str(raw.get("role") or "")
    if role not in ROLES:
        errors["role"] = "Pilih peran yang tersedia."
    out["role"] = role
    agency = plain_text(raw.get("agency"))
    if len(agency) > 80:
        errors["agency"] = "Instansi maksimal 80 karakter."
    elif role == "inspector" and not agency:
        errors["agency"] = "Petugas inspeksi wajib mencantumkan instansi (mis. Satpol PP, Kelurahan Kunciran Indah)."
    out["agency"] = agency
    lks_ids = [i for i in (raw.get("lks_ids") or []) if i]
    known = {r["id"] for r in store.lks.all()}
    if any(i not in known for i in lks_ids):
        errors["lks_ids"] = "LKS yang dipilih tidak ada."
    elif role == "operator" and not lks_ids:
        errors["lks_ids"] = "Operator harus terikat pada setidaknya satu LKS."
    out["lks_ids"] = lks_ids if role == "operator" else []
    if current and current["role"] == "admin" and role != "admin" and _last_admin(store.users.all(), current["id"]):
        errors["role"] = LAST_ADMIN_ROLE
    return out, errors


LAST_ADMIN_ROLE = "Ini admin aktif terakhir; peran tidak bisa diubah."
LAST_ADMIN_ACTIVE = "Admin aktif terakhir tidak bisa dinonaktifkan."


def _last_admin(accounts: list[dict], user_id: str) -> bool:
    admins = [u for u in accounts if u["role"] == "admin" and u.get("active")]
    return len(admins) == 1 and admins[0]["id"] == user_id


def create(store, raw: dict, password_hash: str | None = None) -> tuple[dict | None, dict[str, str]]:
    """Create an account from raw fields; ``password_hash`` may carry the hash of raw["password"] already made."""
    fields, errors = clean(store, raw, creating=True)
    if errors:
        return None, errors
    try:
        record = store.users.create(password_hash=password_hash or hash_password(raw["password"]),
                                    updated_at=utcnow(), **fields)
    except ValueError:
        return None, {"username": "Nama pengguna sudah dipakai."}
    return record, {}


def update(store, user_id: str, raw: dict) -> tuple[dict | None, dict[str, str]]:
    """Change an account's fields. The last active admin keeps the role: checked early for the form, and again
    with the write under the store's lock, so two admins demoting each other at once cannot both succeed."""
    current = store.users.get(user_id)
    fields, errors = clean(store, raw, creating=False, current=current)
    if errors:
        return None, errors
    refused = {}

    def change(record, accounts):
        if record["role"] == "admin" and fields["role"] != "admin" and _last_admin(accounts, user_id):
            refused["role"] = LAST_ADMIN_ROLE
            return None
        return {**record, **fields, "updated_at": utcnow()}

    record = store.users.modify_among(user_id, change)
    return (None, refused) if refused else (record, {})


def set_password(store, user_id: str, password: str) -> str | None:
    """Set a new password and end every session of the account; an Indonesian reason on refusal."""
    reason = weak_password_reason(password)
    if reason:
        return reason
    now = utcnow()
    store.users.modify(user_id, lambda u: {**u, "password_hash": hash_password(password),
                                           "session_version": u.get("session_version", 1) + 1,
                                           "updated_at": now, "password_changed_at": now})
    return None


def end_sessions(store, user_id: str) -> None:
    """Invalidate every session of the account (sign-out everywhere)."""
    store.users.modify(user_id, lambda u: {**u, "session_version": u.get("session_version", 1) + 1})


def set_active(store, user_id: str, active: bool) -> str | None:
    """Enable or disable an account; disabling ends its sessions. A reason on refusal; the last active admin
    is checked with the write, under the store's lock."""
    refused = []

    def change(record, accounts):
        if not active and _last_admin(accounts, user_id):
            refused.append(LAST_ADMIN_ACTIVE)
            return None
        return {**record, "active": active, "updated_at": utcnow(),
                "session_version": record.get("session_version", 1) + (0 if active else 1)}

    store.users.modify_among(user_id, change)
    return refused[0] if refused else None
