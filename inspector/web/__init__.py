"""The pages: one blueprint per audience, error pages, and what every template may use."""

from __future__ import annotations

from flask import Flask, render_template, request
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
    from . import account, admin, audit, export, inspect, operator, oversight, public, review, visit

    for module in (public, account, inspect, visit, review, oversight, export, operator, admin, audit):
        app.register_blueprint(module.bp)
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(CSRFError, csrf_error)
    app.register_error_handler(Exception, server_error)
    app.jinja_env.filters.update(wib=format_wib, tanggal=format_date)
    app.jinja_env.globals.update(ROLES=ROLES, KINDS=lks_register.KINDS, GRADES=lks_register.GRADES,
                                 KECAMATAN=list(KECAMATAN))
    app.context_processor(template_globals)
    app.after_request(security_headers)


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
    if current_user.is_authenticated:
        response.headers.setdefault("Cache-Control", "no-store")
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    return response
