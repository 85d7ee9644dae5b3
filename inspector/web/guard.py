"""Before every request: the access rule each view declares (``auth.access``), and the signed-in user of the session."""

from __future__ import annotations

from flask import abort, current_app, g, request
from flask_login import current_user

from ..auth import PUBLIC, SIGNED_IN, SignInThrottle, User
from ..extensions import login_manager
from ..store.contract import DataDamaged

# Endpoints Flask itself adds; everything else must declare its access.
BUILTIN_PUBLIC = {"static"}


def load_user(session_id: str) -> User | None:
    """A session is valid only while the account is active and its session version unchanged.

    When the accounts cannot be read, nobody is signed in for this request and the damage is kept for
    ``enforce_access``, which answers with it: the error page then renders as for a visitor instead of failing
    on the same damage again (a 500)."""
    user_id, _, version = session_id.partition(":")
    try:
        record = current_app.extensions["store"].users.get(user_id)
    except DataDamaged as error:
        g.users_damaged = error
        return None
    if record is None or not record.get("active") or str(record.get("session_version", 1)) != version:
        return None
    return User(record)


def enforce_access():
    """A route without a declaration is refused; others get their rule."""
    endpoint = request.endpoint
    if endpoint is None or endpoint in BUILTIN_PUBLIC:
        return None
    view = current_app.view_functions.get(endpoint)
    who = getattr(view, "access", None)
    if who is None:
        abort(403)
    if PUBLIC in who:
        return None
    if not current_user.is_authenticated:
        if "users_damaged" in g:
            raise g.users_damaged
        return login_manager.unauthorized()
    if SIGNED_IN in who or current_user.role in who:
        return None
    abort(403)


def throttle() -> SignInThrottle:
    """This request's sign-in throttle, with the configured limits."""
    if "throttle" not in g:
        cfg = current_app.config
        g.throttle = SignInThrottle(current_app.extensions["store"], int(cfg["INSPECTOR_LOGIN_FREE_FAILURES"]),
                                    int(cfg["INSPECTOR_LOGIN_MAX_WAIT_SECONDS"]))
    return g.throttle
