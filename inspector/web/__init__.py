"""The pages: one blueprint per audience, error pages, and what every template may use."""

from __future__ import annotations

import hashlib
from pathlib import Path

from flask import Flask, current_app, render_template, request
from flask.sessions import SecureCookieSessionInterface
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from .. import register as lks_register
from ..auth import ROLES, role_home
from ..places import KECAMATAN
from ..timefmt import format_date, format_wib

ERROR_TEXT = {
    400: ("Permintaan tidak valid", "Data yang dikirim tidak dapat diproses. Periksa isian lalu coba lagi."),
    403: ("Akses ditolak", "Akun Anda tidak memiliki izin untuk halaman ini."),
    404: ("Halaman tidak ditemukan", "Alamat ini tidak ada atau sudah tidak aktif."),
    405: ("Cara akses tidak diizinkan", "Halaman ini tidak menerima permintaan seperti itu."),
    413: ("Berkas terlalu besar", "Ukuran kiriman melebihi batas. Perkecil berkas lalu coba lagi."),
    429: ("Terlalu banyak percobaan", "Tunggu sebentar lalu coba lagi."),
    500: ("Terjadi kesalahan", "Maaf, terjadi kesalahan di server. Data yang sudah tersimpan tetap aman."),
}


def register(app: Flask) -> None:
    from . import account, admin, app_shell, audit, export, inspect, operator, oversight, public, review, inspection

    for module in (public, account, inspect, inspection, review, oversight, export, operator, admin, audit, app_shell):
        app.register_blueprint(module.bp)
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(CSRFError, csrf_error)
    app.register_error_handler(Exception, server_error)
    app.jinja_env.filters.update(wib=format_wib, tanggal=format_date)
    app.jinja_env.globals.update(ROLES=ROLES, KINDS=lks_register.KINDS, GRADES=lks_register.GRADES,
                                 KECAMATAN=list(KECAMATAN))
    app.context_processor(template_globals)
    app.after_request(security_headers)
    app.url_defaults(static_version)
    app.after_request(static_cache)
    app.session_interface = SessionWithoutStatic()


def template_globals() -> dict:
    home = role_home(current_user) if current_user.is_authenticated else None
    return {"home_endpoint": home}


def error_page(code: int, message: str | None = None):
    title, text = ERROR_TEXT.get(code, ERROR_TEXT[400 if code < 500 else 500])
    return render_template("error.html", code=code, title=title, text=message or text), code


def http_error(error: HTTPException):
    if error.code is None or error.code < 400:
        return error
    response = error_page(error.code, getattr(error, "indonesian", None))
    if error.code == 405 and error.valid_methods:
        return response[0], 405, {"Allow": ", ".join(error.valid_methods)}
    return response


def csrf_error(error: CSRFError):
    return error_page(400, "Formulir kedaluwarsa atau tidak sah. Muat ulang halaman lalu kirim lagi.")


def server_error(error: Exception):
    from flask import current_app

    current_app.logger.exception("unhandled error on %s %s", request.method, request.path)
    return error_page(500)


# Only this server's own files; no inline script or style; never framed. Referrer-Policy stays
# same-origin (not no-referrer): flask-wtf's HTTPS referrer check needs the referrer.
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                           "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


def security_headers(response):
    """Headers on every response; pages with records must not linger in shared or back-forward caches."""
    if request.endpoint != "static" and current_user.is_authenticated:  # static files hold no records
        response.headers.setdefault("Cache-Control", "no-store")
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    return response


# Static files are asked for as /static/style.css?v=<hash of the file>: a phone keeps them for a year and
# asks again only when the file changes, instead of revalidating both files on every page (one round trip
# of ~400 ms each on slow 3G).
STATIC_MAX_AGE = 365 * 24 * 3600
_static_hashes: dict[str, tuple[int, str]] = {}


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
    return response


class SessionWithoutStatic(SecureCookieSessionInterface):
    """The signed session cookie, left out of static files' responses: a response that may be cached must not
    set a cookie, and Vary: Cookie with a cookie renewed on every page would keep the browser from reusing
    its copy. A static file depends on no session."""

    def save_session(self, app, session, response) -> None:
        if request.endpoint != "static":
            super().save_session(app, session, response)
