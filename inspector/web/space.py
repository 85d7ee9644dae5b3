"""Before a request that writes: refuse it with 507 when the write would leave too little free space.

A refused request stores nothing. The phone's scripts (the outbox, the photo queue) get JSON 507 and keep the
item to send again later; a page posted without script gets the Indonesian error page, and the checklist
form (``inspection.save``, which checks for itself) comes back with what was posted. Signing in and out are
let through: they write a few bytes, and an admin must be able to sign in to see why the disk is full.
"""

from __future__ import annotations

from flask import Flask, current_app, request

from .. import disk
from .errors import error_page, json_error
from .helpers import store

WRITING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
LET_THROUGH = frozenset({"account.login", "two_step.code", "account.logout"})
CHECKS_ITSELF = frozenset({"inspection.save"})
ANSWER_JSON = frozenset({"offline.open_from_phone", "inspection.upload_photo"})  # routes only scripts call


def init_app(app: Flask) -> None:
    app.before_request(refuse_when_full)


def wants_json() -> bool:
    """The page's script asked (the outbox and photo queue send ``Accept: application/json``; autosave)."""
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return (request.endpoint in ANSWER_JSON or best == "application/json" or request.is_json
            or request.form.get("autosave") == "1")


def no_room() -> bool:
    """True when this request's body would leave less than the configured free space."""
    return not disk.room_for(store(), current_app.config, request.content_length or 0)


def log_refused() -> None:
    current_app.logger.error("write refused for lack of disk space: %s %s", request.method, request.endpoint)


def refusal():
    """The 507 answer: JSON for a script, else the error page."""
    log_refused()
    if wants_json():
        return json_error(507, disk.FULL)
    return error_page(507, f"{disk.FULL} Coba lagi nanti, dan beri tahu admin Inspector.")


def refuse_when_full():
    if request.method not in WRITING_METHODS or request.endpoint in LET_THROUGH | CHECKS_ITSELF:
        return None
    if request.endpoint is None:  # a 404 or 405 writes nothing
        return None
    return refusal() if no_room() else None
