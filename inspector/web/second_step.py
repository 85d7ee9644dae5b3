"""The second step of signing in (a code after the password) and the owner's second-factor page.

Guarantees: an account with a second factor is signed in only after its code (the password step leaves just a
pending sign-in in the session, for five minutes, tied to the account's session version); wrong codes are
throttled like passwords, under their own count; an admin or reviewer without a second factor reaches no page
but the enrolment page (``guard.enforce_access`` asks ``second_factor.must_enrol``). An enrolment takes
effect only with a code of the new secret, and shows its recovery codes once. Secrets and codes are
never logged; these pages are never cached.
"""

from __future__ import annotations

import base64

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user

from .. import second_factor, timefmt
from ..auth import PUBLIC, SIGNED_IN, access, role_home
from ..passwords import verify_password
from ..qr import qr_png
from .guard import finish_sign_in, throttle
from .helpers import client_address, log, store
from .webforms import CodeForm, SecondFactorForm

bp = Blueprint("two_step", __name__)

PENDING = "two_step"
PENDING_SECONDS = 300


def needs_code(record: dict) -> bool:
    return second_factor.enrolled(record)


def ask_code(record: dict, next_path: str | None, device: str | None = None, missed: int = 0):
    """After the right password: remember who is half signed in (and, for the sign-in the code finishes, from
    which known device and after how many failed attempts) and ask for the code."""
    session[PENDING] = {"user": record["id"], "version": record.get("session_version", 1), "next": next_path,
                        "until": timefmt.now().timestamp() + PENDING_SECONDS, "device": device, "missed": missed}
    return redirect(url_for("two_step.code"))


def _pending() -> tuple[dict | None, dict | None]:
    """(the pending sign-in, its account) when one is under way, still valid and the account unchanged."""
    pending = session.get(PENDING)
    if not isinstance(pending, dict) or not isinstance(pending.get("until"), (int, float)) \
            or pending["until"] < timefmt.now().timestamp():
        return None, None
    record = store().users.get(str(pending.get("user") or ""))
    if record is None or not record.get("active") or record.get("session_version", 1) != pending.get("version"):
        return None, None
    return pending, record


def _no_store(response, status: int = 200, headers: dict | None = None):
    return response, status, {"Cache-Control": "no-store", **(headers or {})}


@bp.route("/masuk/kode", methods=["GET", "POST"])
@access(PUBLIC)
def code():
    if current_user.is_authenticated:
        return redirect(url_for(role_home(current_user)))
    pending, record = _pending()
    if record is None:
        session.pop(PENDING, None)
        flash("Masuk dulu dengan nama pengguna dan kata sandi.", "info")
        return redirect(url_for("account.login"))
    form = CodeForm()
    if request.method == "GET":
        return _no_store(render_template("account/code.html", form=form))
    if not form.validate_on_submit():
        return _no_store(render_template("account/code.html", form=form), 400)
    key = f"{record['username']}#kode"  # its own count: wrong codes never lock the password out, nor the reverse
    wait = throttle().wait_seconds(key, client_address())
    if wait > 0:
        form.code.errors = [f"Terlalu banyak kode salah. Coba lagi dalam {wait} detik."]
        return _no_store(render_template("account/code.html", form=form), 429, {"Retry-After": str(wait)})
    kind, reason = second_factor.verify(store(), record["id"], form.code.data)
    if kind is None:
        malformed = reason in (second_factor.MALFORMED, second_factor.TOO_LONG)
        if malformed:  # not a guess: not counted; the log names the damage, never the text
            current_app.logger.warning("second step: a code of %d characters that is no code was refused",
                                       len(form.code.data or ""))
        else:
            throttle().failed(key, client_address())
            log("second_factor_failed", "user", record["id"])
        form.code.errors = [reason]
        return _no_store(render_template("account/code.html", form=form), 400 if malformed else 401)
    throttle().succeeded(key, client_address())
    session.pop(PENDING, None)
    device = pending.get("device") if isinstance(pending.get("device"), str) else None
    missed = pending.get("missed") if isinstance(pending.get("missed"), int) else 0
    response = finish_sign_in(store().users.get(record["id"]), pending.get("next"), device, missed,
                              second_factor=kind)
    if kind == "recovery":
        left = second_factor.recovery_left(current_user.record)
        flash(f"Kode pemulihan dipakai; sisa {left}. Pasang ulang verifikasi dua langkah bila ponsel Anda hilang.",
              "info")
    return response


def _qr_data_uri(secret: str, username: str) -> str:
    """The enrolment QR as an inline PNG: made here, never by a third party."""
    png = qr_png(second_factor.otpauth_uri(secret, username), box_size=5)
    return "data:image/png;base64," + base64.b64encode(png).decode()


def _setup_page(form: SecondFactorForm, status: int = 200):
    record = store().users.get(current_user.record["id"])
    pending = record.get("totp_pending")
    return _no_store(render_template(
        "account/second_factor.html", form=form, record=record, required=second_factor.required(record),
        enrolled=second_factor.enrolled(record), recovery_left=second_factor.recovery_left(record),
        secret=second_factor.grouped(pending) if pending else None,
        qr=_qr_data_uri(pending, record["username"]) if pending else None), status)


@bp.route("/akun/dua-langkah", methods=["GET", "POST"])
@access(SIGNED_IN)
def setup():
    """Enrol (a QR and the secret as text, then one code), change the phone, or turn an optional factor off."""
    form = SecondFactorForm()
    if request.method == "GET":
        return _setup_page(form)
    user_id = current_user.record["id"]
    action = form.action.data if form.validate_on_submit() else None
    if action == "start":
        second_factor.start(store(), user_id)
        return redirect(url_for("two_step.setup"), 303)
    if action == "confirm":
        codes, reason = second_factor.confirm(store(), user_id, form.code.data)
        if reason:
            form.code.errors = [reason]
            return _setup_page(form, 400)
        log("second_factor_enrolled", "user", user_id)
        return _no_store(render_template("account/recovery_codes.html",
                                         codes=[second_factor.shown(c) for c in codes]))
    if action == "off":
        if not verify_password(current_user.record.get("password_hash"), (form.password.data or "")[:256]):
            form.password.errors = ["Kata sandi salah."]
            return _setup_page(form, 400)
        reason = second_factor.turn_off(store(), user_id)
        if reason:
            flash(reason, "error")
            return _setup_page(form, 400)
        log("second_factor_off", "user", user_id)
        flash("Verifikasi dua langkah sudah dimatikan.", "success")
        return redirect(url_for("two_step.setup"), 303)
    flash("Permintaan tidak dikenal. Muat ulang halaman lalu coba lagi.", "error")
    return _setup_page(form, 400)
