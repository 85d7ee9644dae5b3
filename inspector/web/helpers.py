"""Small helpers the blueprints share: store access (reads; writes go through the domain), the audit log,
refusals, fetch-or-404, safe redirects, client address."""

from __future__ import annotations

from typing import NoReturn
from urllib.parse import urlsplit

from flask import abort, current_app, request
from flask_login import current_user
from werkzeug.exceptions import HTTPException

from .. import audit


def store():
    """The app's store: views read from it; every write goes through a domain module (tests/test_layers.py)."""
    return current_app.extensions["store"]


def catalog() -> dict:
    """The checklists this server offers, by id (loaded at start from forms/)."""
    return current_app.extensions["checklists"]


def log(action: str, target_kind: str | None, target_id: str | None, **details) -> None:
    """Append to the audit trail as the signed-in user (or anonymous): the audit domain's own write."""
    audit.record(store(), current_user, action, target_kind, target_id, anonymous=True, **details)


def refuse(error: type[HTTPException], message: str) -> NoReturn:
    """End the request with ``error``'s page, carrying its own Indonesian text."""
    exception = error()
    exception.indonesian = message
    raise exception


def get_lks_or_404(code: str, active_only: bool = True) -> dict:
    """The LKS with this public code; a friendly 404 when unknown or inactive."""
    record = store().lks.by_code(code) if code and len(code) <= 16 else None
    if record is None or (active_only and not record.get("active")):
        abort(404)
    return record


def get_lks_by_id_or_404(lks_id: str) -> dict:
    record = store().lks.get(lks_id) if lks_id and len(lks_id) <= 32 else None
    if record is None:
        abort(404)
    return record


def get_sent_inspection_or_404(inspection_id: str) -> dict:
    """A sent inspection (any state but draft), for the reviewer's pages; 404 for a draft or an unknown id."""
    record = store().inspections.get(inspection_id) if len(inspection_id or "") <= 64 else None
    if record is None or record["status"] == "draft":
        abort(404)
    return record


def get_user_or_404(user_id: str) -> dict:
    record = store().users.get(user_id) if user_id and len(user_id) <= 32 else None
    if record is None:
        abort(404)
    return record


def safe_next(target: str | None) -> str | None:
    """A same-site path to return to after sign-in, or None for anything else (a control character such as CR
    or LF, which would split the Location header, included)."""
    if not target or len(target) > 512 or any(ord(c) < 0x21 or 0x7f <= ord(c) <= 0x9f for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


def client_address() -> str:
    return request.remote_addr or "-"
