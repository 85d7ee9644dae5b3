"""Signing in and out, and changing one's own password."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from .. import accounts
from ..auth import PUBLIC, SIGNED_IN, User, access, role_home
from ..passwords import verify_password
from ..signin_throttle import DEVICE_COOKIE
from .guard import finish_sign_in, throttle
from .helpers import client_address, log, safe_next, store
from .second_step import ask_code, needs_code
from .webforms import ActionForm, LoginForm, PasswordChangeForm

bp = Blueprint("account", __name__)


@bp.route("/masuk", methods=["GET", "POST"])
@access(PUBLIC)
def login():
    form = LoginForm()
    next_path = safe_next(request.args.get("next"))
    if current_user.is_authenticated and request.method == "GET":
        return redirect(next_path or url_for(role_home(current_user)))
    if not form.validate_on_submit():
        return render_template("account/login.html", form=form), (400 if request.method == "POST" else 200)
    username = form.username.data.strip().lower()[:64]
    record = store().users.by_username(username)
    device = throttle().device_of(request.cookies.get(DEVICE_COOKIE), record and record["id"])
    wait = throttle().wait_seconds(username, client_address(), device)  # unknown names wait like real ones
    if wait > 0:
        form.password.errors = [f"Terlalu banyak percobaan gagal. Coba lagi dalam {wait} detik."]
        return render_template("account/login.html", form=form), 429, {"Retry-After": str(wait)}
    if not verify_password(record and record.get("password_hash"), form.password.data) or not record.get("active"):
        throttle().failed(username, client_address(), device)
        if record:
            log("sign_in_failed", "user", record["id"])
        form.password.errors = ["Nama pengguna atau kata sandi salah, atau akun tidak aktif."]
        return render_template("account/login.html", form=form), 401
    missed = throttle().succeeded(username, client_address(), device)
    session.clear()
    session.permanent = True
    if needs_code(record):  # the second step (second_step.py) signs in after the code
        return ask_code(record, next_path, device, missed)
    return finish_sign_in(record, next_path, device, missed)


@bp.route("/keluar", methods=["POST"])
@access(SIGNED_IN)
def logout():
    """Sign out here and on every other device of this account."""
    if ActionForm().validate_on_submit():
        accounts.end_sessions(store(), current_user.record["id"])
        log("sign_out", "user", current_user.record["id"])
        logout_user()
        session.clear()
        flash("Anda sudah keluar.", "info")
    return redirect(url_for("account.login"))


@bp.route("/akun/sandi", methods=["GET", "POST"])
@access(SIGNED_IN)
def change_password():
    """A new password ends the account's other sessions; this one stays signed in."""
    form = PasswordChangeForm()
    if form.validate_on_submit():
        if not verify_password(current_user.record.get("password_hash"), form.current.data):
            form.current.errors = ["Kata sandi sekarang salah."]
        elif form.new.data != form.repeat.data:
            form.repeat.errors = ["Kedua kata sandi baru tidak sama."]
        else:
            reason = accounts.set_password(store(), current_user.record["id"], form.new.data)
            if reason:
                form.new.errors = [reason]
            else:
                login_user(User(store().users.get(current_user.record["id"])))
                log("password_changed", "user", current_user.record["id"])
                flash("Kata sandi sudah diganti. Sesi di perangkat lain sudah diakhiri.", "success")
                return redirect(url_for(role_home(current_user)))
    status = 400 if request.method == "POST" else 200
    return render_template("account/password.html", form=form), status
