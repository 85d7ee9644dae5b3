"""Error pages in Indonesian: every HTTP error, an expired form, an unhandled exception; and JSON refusals."""

from __future__ import annotations

from flask import Flask, current_app, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from .. import health
from ..audit import AuditUnavailable
from ..store.audit import AuditError
from ..store.contract import DataDamaged
from .helpers import store

ERROR_TEXT = {
    400: ("Permintaan tidak valid", "Data yang dikirim tidak dapat diproses. Periksa isian lalu coba lagi."),
    403: ("Akses ditolak", "Akun Anda tidak memiliki izin untuk halaman ini."),
    404: ("Halaman tidak ditemukan", "Alamat ini tidak ada atau sudah tidak aktif."),
    405: ("Cara akses tidak diizinkan", "Halaman ini tidak menerima permintaan seperti itu."),
    413: ("Berkas terlalu besar", "Ukuran kiriman melebihi batas. Perkecil berkas lalu coba lagi."),
    429: ("Terlalu banyak percobaan", "Tunggu sebentar lalu coba lagi."),
    500: ("Terjadi kesalahan", "Maaf, terjadi kesalahan di server. Data yang sudah tersimpan tetap aman."),
    503: ("Data tidak dapat dibaca", "Sebagian data yang dibutuhkan halaman ini rusak, jadi halaman ini belum bisa "
                                     "ditampilkan. Halaman lain tetap bisa dipakai. Beri tahu admin Inspector."),
    507: ("Penyimpanan server penuh", "Penyimpanan server penuh; jawaban Anda belum tersimpan. Coba kirim lagi "
                                      "nanti. Beri tahu admin Inspector."),
}
AUDIT_UNWRITABLE = ("Jejak audit tidak dapat ditulis, jadi tindakan ini tidak dapat dicatat. Halaman lain tetap bisa "
                    "dibaca. Beri tahu admin Inspector.")
UNRECORDED = ("Belum bisa dicatat", "Server sedang tidak bisa mencatat jejak audit, jadi tindakan ini belum dijalankan. "
              "Coba lagi beberapa saat lagi; beri tahu admin Inspector bila terus terjadi.")
EXPIRED_FORM = "Formulir kedaluwarsa atau tidak sah. Muat ulang halaman lalu kirim lagi."


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(CSRFError, csrf_error)
    app.register_error_handler(DataDamaged, data_damaged)
    app.register_error_handler(AuditError, audit_unwritable)
    app.register_error_handler(AuditUnavailable, audit_unavailable)
    app.register_error_handler(Exception, server_error)


def error_page(code: int, message: str | None = None, title: str | None = None):
    heading, text = ERROR_TEXT.get(code, ERROR_TEXT[400 if code < 500 else 500])
    return render_template("error.html", code=code, title=title or heading, text=message or text), code


def json_error(status: int, message: str, field: str | None = None):
    """A refusal the page's script shows as is; ``title`` is the same heading an error page would carry."""
    body = {"error": message, "title": ERROR_TEXT.get(status, ERROR_TEXT[400])[0]}
    if field:
        body["field"] = field
    return jsonify(body), status


def http_error(error: HTTPException):
    if error.code is None or error.code < 400:
        return error
    response = error_page(error.code, getattr(error, "indonesian", None))
    if error.code == 405 and error.valid_methods:
        return response[0], 405, {"Allow": ", ".join(error.valid_methods)}
    return response


def csrf_error(error: CSRFError):
    return error_page(400, EXPIRED_FORM)


def data_damaged(error: DataDamaged):
    """A damaged data file: this page is unavailable (never shown as empty), the log names the file."""
    current_app.logger.error("damaged data on %s %s: %s", request.method, request.path, error)
    health.raise_alert(store(), "damage", error.where, error.why)
    return error_page(503)


def audit_unwritable(error: AuditError):
    """The audit trail's last entry is unreadable, so nothing can be chained to it: the action's page says so (503),
    the log names the file, an admin alert is raised (``flask store repair`` cuts the line off, keeping it aside)."""
    current_app.logger.error("audit trail not writable on %s %s: %s", request.method, request.path, error)
    where = str(error).split(":", 1)[0]
    health.raise_alert(store(), "damage", where, "the last audit entry is unreadable")
    return error_page(503, AUDIT_UNWRITABLE)


def audit_unavailable(error: AuditUnavailable):
    """Neither the audit trail nor the outbox took the entry (the disk is full): a clear 503, not a 500."""
    current_app.logger.error("audit entry %s could not be stored on %s %s", error, request.method, request.path)
    return render_template("error.html", code=503, title=UNRECORDED[0], text=UNRECORDED[1]), 503


def server_error(error: Exception):
    current_app.logger.exception("unhandled error on %s %s", request.method, request.path)
    return error_page(500)
