"""Admin pages for accounts: list, create, edit, reset a password, disable."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from ... import accounts
from ...auth import access
from ..helpers import get_user_or_404, log, store
from ..routes import Routes
from ..webforms import ActionForm, PasswordResetForm, UserForm, apply_errors, options

routes = Routes()


def _user_form(record: dict | None = None) -> UserForm:
    form = UserForm(data=None if request.method == "POST" or record is None else record)
    form.lks_ids.choices = options((r["id"], f"{r['name']} ({r['code']})")
                                   for r in sorted(store().lks.all(), key=lambda r: r["name"]))
    return form


@routes.route("/akun")
@access("admin")
def users():
    records = sorted(store().users.all(), key=lambda u: (u["role"], u["username"]))
    lks_names = {r["id"]: r["name"] for r in store().lks.all()}
    return render_template("admin/users.html", records=records, lks_names=lks_names, action=ActionForm(),
                           reset=PasswordResetForm())


@routes.route("/akun/baru", methods=["GET", "POST"])
@access("admin")
def user_new():
    form = _user_form()
    if form.validate_on_submit():
        record, errors = accounts.create(store(), form.data)
        if record:
            log("account_created", "user", record["id"], role=record["role"])
            flash(f"Akun {record['username']} sudah dibuat.", "success")
            return redirect(url_for("admin.users"))
        apply_errors(form, errors)
    status = 400 if request.method == "POST" else 200
    return render_template("admin/user_form.html", form=form, record=None), status


@routes.route("/akun/<user_id>/ubah", methods=["GET", "POST"])
@access("admin")
def user_edit(user_id: str):
    record = get_user_or_404(user_id)
    form = _user_form(record)
    if form.validate_on_submit():
        updated, errors = accounts.update(store(), user_id, form.data)
        if updated:
            log("account_changed", "user", user_id, role=updated["role"])
            flash(f"Akun {updated['username']} sudah diubah.", "success")
            return redirect(url_for("admin.users"))
        apply_errors(form, errors)
    status = 400 if request.method == "POST" else 200
    return render_template("admin/user_form.html", form=form, record=record), status


@routes.route("/akun/<user_id>/sandi", methods=["POST"])
@access("admin")
def user_reset_password(user_id: str):
    record = get_user_or_404(user_id)
    form = PasswordResetForm()
    reason = accounts.set_password(store(), user_id, form.password.data or "") if form.validate_on_submit() \
        else "Isi kata sandi baru."
    if reason:
        flash(f"Kata sandi {record['username']} tidak diganti: {reason}", "error")
        return users(), 400
    log("password_reset", "user", user_id)
    flash(f"Kata sandi {record['username']} sudah diganti; semua sesinya diakhiri.", "success")
    return redirect(url_for("admin.users"))


@routes.route("/akun/<user_id>/status", methods=["POST"])
@access("admin")
def user_status(user_id: str):
    record = get_user_or_404(user_id)
    if ActionForm().validate_on_submit():
        if record["id"] == current_user.record["id"]:
            flash("Anda tidak bisa menonaktifkan akun sendiri.", "error")
        else:
            reason = accounts.set_active(store(), user_id, not record.get("active"))
            if not reason:
                log("account_disabled" if record.get("active") else "account_enabled", "user", user_id)
            flash(reason or f"Akun {record['username']} sekarang {'nonaktif' if record.get('active') else 'aktif'}.",
                  "error" if reason else "success")
    return redirect(url_for("admin.users"))
