"""Before every request: a POST from another site is refused, a session past its absolute lifetime ends, the
access rule each view declares (``auth.access``) is applied to the session's user, and an admin or reviewer
without a second factor is sent to enrol before any page that is not public."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import abort, current_app, flash, g, redirect, request, session, url_for
from flask_login import current_user, login_user, logout_user
from werkzeug.exceptions import Forbidden

from .. import timefmt
from ..audit import AuditUnavailable
from ..auth import PUBLIC, SIGNED_IN, User, role_home
from ..extensions import login_manager
from ..second_factor import must_enrol
from ..signin_throttle import DEVICE_COOKIE, DEVICE_DAYS, SignInThrottle
from ..store.contract import DataDamaged
from .helpers import log, refuse

# Endpoints Flask itself adds; everything else must declare its access.
BUILTIN_PUBLIC = {"static"}
# What an admin or reviewer without a second factor may reach besides public pages: enrolling, signing out.
WHILE_ENROLLING = {"two_step.setup", "account.logout"}


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
    if must_enrol(current_user.record) and endpoint not in WHILE_ENROLLING:
        return redirect(url_for("two_step.setup"), 303)
    if SIGNED_IN in who or current_user.role in who:
        return None
    abort(403)


FOREIGN_POST = ("Permintaan ini datang dari situs lain dan ditolak. Buka halaman ini langsung dari alamat "
                "Inspector, lalu coba lagi.")


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


def refuse_foreign_post():
    """A POST whose Origin header names another site is refused (over plain http too, where flask-wtf checks
    no Referer); a request without Origin (an old browser, a script) meets the CSRF token as before."""
    if request.method != "POST" or "Origin" not in request.headers:
        return None
    origin = request.headers["Origin"].strip()
    own = {_origin(request.host_url), _origin(current_app.config["INSPECTOR_BASE_URL"])}
    if origin.lower() == "null" or _origin(origin) not in own:
        current_app.logger.warning("POST refused: Origin names another site (%s)", request.endpoint)
        refuse(Forbidden, FOREIGN_POST)
    return None


def finish_sign_in(record: dict, next_path: str | None, device: str | None = None, missed: int = 0, **details):
    """Sign ``record`` in (after the password, or after the second step): the session's clock, its audit entry,
    the notice of failed attempts since the last sign-in, the device cookie; the redirect to where it goes."""
    login_user(User(record))
    start_session_clock()
    try:
        log("sign_in", "user", record["id"], **details)  # a trail that cannot be appended: the entry waits
    except AuditUnavailable:  # nor the outbox: no sign-in without its entry (a 503, see web.errors)
        logout_user()
        raise
    if missed:
        flash(f"Ada {missed} percobaan masuk yang gagal ke akun Anda sejak Anda terakhir masuk. Jika itu bukan "
              "Anda, ganti kata sandi.", "error")
    response = redirect(next_path or url_for(role_home(current_user)))
    remember_device(response, record["id"], device)
    return response


def start_session_clock() -> None:
    """Note when this session signed in: it ends INSPECTOR_SESSION_MAX_HOURS later, however active."""
    session["signed_in_at"] = int(timefmt.now().timestamp())


def end_old_session():
    """Past its absolute lifetime (or without a start, from before the rule), a session is signed out."""
    if not current_user.is_authenticated:
        return None
    started = session.get("signed_in_at")
    limit = float(current_app.config["INSPECTOR_SESSION_MAX_HOURS"]) * 3600
    if isinstance(started, int) and timefmt.now().timestamp() - started < limit:
        return None
    logout_user()  # the request goes on as anonymous: a page asks to sign in again, a keyed save still lands
    session.clear()
    flash("Sesi Anda sudah berakhir (paling lama "
          f"{current_app.config['INSPECTOR_SESSION_MAX_HOURS']} jam sejak masuk). Silakan masuk lagi.", "info")
    return None


def throttle() -> SignInThrottle:
    """This request's sign-in throttle, with the configured limits."""
    if "throttle" not in g:
        cfg = current_app.config
        g.throttle = SignInThrottle(current_app.extensions["store"], current_app.secret_key or "",
                                    int(cfg["INSPECTOR_LOGIN_FREE_FAILURES"]),
                                    int(cfg["INSPECTOR_LOGIN_MAX_WAIT_SECONDS"]))
    return g.throttle


def remember_device(response, user_id: str, device: str | None) -> None:
    """A device that signed in keeps a signed cookie naming the account, so that it is let in while strangers
    guess elsewhere (see ``signin_throttle``); a known device keeps the one it has."""
    if device:
        return
    response.set_cookie(DEVICE_COOKIE, throttle().device_cookie(user_id), max_age=DEVICE_DAYS * 86400,
                        httponly=True, samesite="Lax", secure=current_app.config["SESSION_COOKIE_SECURE"])
