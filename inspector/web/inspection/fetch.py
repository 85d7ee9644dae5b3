"""The inspection a page or a post names, with who may use it: its inspector, a reviewer or an admin see it;
a post must carry its inspection key; and the phone's location a post carries."""

from __future__ import annotations

from flask import abort, request
from flask_login import current_user
from werkzeug.exceptions import BadRequest, Forbidden

from ... import inspections, presence
from ..helpers import refuse, store

NOT_EDITABLE = "Kunjungan ini sudah dikirim dan tidak bisa diubah lagi."
KEY_OUTLIVED = ("Akun petugas kunjungan ini sudah nonaktif atau kata sandinya diganti. Masuk lagi untuk "
                "menyimpan; tanpa masuk, perubahan ini tidak disimpan.")


def get_inspection_or_404(inspection_id: str, for_editing: bool = False) -> dict:
    """The inspection, if the signed-in user may see it: its inspector, a reviewer or an admin."""
    record = store().inspections.get(inspection_id) if len(inspection_id or "") <= 64 else None
    if record is None:
        abort(404)
    if current_user.role == "inspector":
        if record["inspector_id"] != current_user.record["id"]:
            abort(404)
    elif current_user.role not in ("reviewer", "admin") or for_editing:
        abort(403)
    return record


def _authorise_post(record) -> bool:
    """A post to an inspection must carry its inspection key. Returns whether the poster is signed in as its inspector.

    The inspection key (secret, made at start, only in the inspector's page) ties
    the post to this inspection and serves as its CSRF token, so a save still
    lands when the sign-in has expired; the inspector then signs in again and
    continues. Another signed-in account is refused, and so is the key alone once its inspector's account is
    disabled or its password set anew (``inspections.key_alone_accepted``).
    """
    if not inspections.key_matches(record, request.form.get("inspection_key")):
        abort(400)
    signed_in = current_user.is_authenticated and current_user.role == "inspector" and \
        current_user.record["id"] == record["inspector_id"]
    if current_user.is_authenticated and not signed_in:
        abort(403)
    if not signed_in and not inspections.key_alone_accepted(record, store().users.get(record["inspector_id"])):
        refuse(Forbidden, KEY_OUTLIVED)
    return signed_in


def posted_inspection(inspection_id: str) -> tuple[dict, bool]:
    """The inspection a POST names (404 if none), authorised by its inspection key; and whether its inspector is signed in."""
    record = store().inspections.get(inspection_id) if len(inspection_id) <= 64 else None
    if record is None:
        abort(404)
    return record, _authorise_post(record)


def location_or_400() -> dict:
    """The location the page posted (see ``presence.read``); anything malformed ends the request with a 400."""
    try:
        return presence.read(request.form)
    except presence.LocationRejected as rejected:
        refuse(BadRequest, rejected.message)
