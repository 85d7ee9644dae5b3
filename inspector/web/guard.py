"""Before every request: the access rule each view declares (``auth.access``), the signed-in user of the session,
and an admin or reviewer without a second factor sent to enrol before any page that is not public."""

from __future__ import annotations

from flask import abort, current_app, g, redirect, request, url_for
from flask_login import current_user

from ..auth import PUBLIC, SIGNED_IN, SignInThrottle, User
from ..extensions import login_manager
from ..second_factor import must_enrol

# Endpoints Flask itself adds; everything else must declare its access.
BUILTIN_PUBLIC = {"static"}
# What an admin or reviewer without a second factor may reach besides public pages: enrolling, signing out.
WHILE_ENROLLING = {"two_step.setup", "account.logout"}


def load_user(session_id: str) -> User | None:
    """A session is valid only while the account is active and its session version unchanged."""
    user_id, _, version = session_id.partition(":")
    record = current_app.extensions["store"].users.get(user_id)
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
        return login_manager.unauthorized()
    if must_enrol(current_user.record) and endpoint not in WHILE_ENROLLING:
        return redirect(url_for("two_step.setup"), 303)
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
