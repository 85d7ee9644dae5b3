"""What every response carries: security headers, long-lived static files by content hash, no cookie on them."""

from __future__ import annotations

import hashlib
from pathlib import Path

from flask import Flask, current_app, request
from flask.sessions import SecureCookieSessionInterface
from flask_login import current_user

# Only this server's own files; no inline script or style; never framed. Referrer-Policy stays
# same-origin (not no-referrer): flask-wtf's HTTPS referrer check needs the referrer.
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                           "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")

# Static files are asked for as /static/style.css?v=<hash of the file>: a phone keeps them for a year and
# asks again only when the file changes, instead of revalidating both files on every page (one round trip
# of ~400 ms each on slow 3G).
STATIC_MAX_AGE = 365 * 24 * 3600
# A file kept a year by its hash needs none of these (the ETag revalidates; nobody asks for a range of it):
# on slow 3G each response's headers cost as much as a small file's body.
REDUNDANT_ON_IMMUTABLE = ("Content-Disposition", "Last-Modified", "Accept-Ranges")
_static_hashes: dict[str, tuple[int, str]] = {}


def init_app(app: Flask) -> None:
    app.after_request(security_headers)
    app.url_defaults(static_version)
    app.after_request(static_cache)
    app.session_interface = SessionWithoutStatic()


def security_headers(response):
    """Headers on every response; pages with records must not linger in shared or back-forward caches."""
    if request.endpoint != "static" and current_user.is_authenticated:  # static files hold no records
        response.headers.setdefault("Cache-Control", "no-store")
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    return response


def static_hash(filename: str) -> str | None:
    """A short hash of the static file's content, recomputed only when its modification time changes."""
    path = Path(current_app.static_folder or "", filename)
    try:
        mtime = path.stat().st_mtime_ns
    except OSError:
        return None
    cached = _static_hashes.get(str(path))
    if cached is None or cached[0] != mtime:
        cached = (mtime, hashlib.sha256(path.read_bytes()).hexdigest()[:12])
        _static_hashes[str(path)] = cached
    return cached[1]


def static_version(endpoint: str, values: dict) -> None:
    """url_for('static', filename=...) adds the file's hash as ?v=."""
    if endpoint == "static" and "filename" in values and "v" not in values:
        version = static_hash(values["filename"])
        if version:
            values["v"] = version


def static_cache(response):
    """The current version of a static file may be kept for a year; any other URL is revalidated."""
    if (request.endpoint == "static" and response.status_code in (200, 304) and request.view_args
            and request.args.get("v") == static_hash(request.view_args.get("filename", ""))):
        response.headers["Cache-Control"] = f"public, max-age={STATIC_MAX_AGE}, immutable"
        for name in REDUNDANT_ON_IMMUTABLE:
            response.headers.pop(name, None)
    return response


# Responses the same for everyone and cached by the browser: static files, and the app's icons (fetched with
# every page otherwise: a renewed cookie would not match their Vary: Cookie).
WITHOUT_SESSION = ("static", "app_shell.icon")


class SessionWithoutStatic(SecureCookieSessionInterface):
    """The signed session cookie, left out of static files' responses: a response that may be cached must not
    set a cookie, and Vary: Cookie with a cookie renewed on every page would keep the browser from reusing
    its copy. A static file, or an icon, depends on no session."""

    def save_session(self, app, session, response) -> None:
        if request.endpoint not in WITHOUT_SESSION:
            super().save_session(app, session, response)
