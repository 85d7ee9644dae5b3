"""The admin resets another account's second factor (a phone lost, recovery codes gone): asked once to confirm,
recorded in the audit trail; every session of the account ends and its owner enrols again."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from ... import second_factor
from ...auth import access
from ..helpers import get_user_or_404, log, store
from ..routes import Routes
from ..webforms import ActionForm

routes = Routes()


@routes.route("/akun/<user_id>/dua-langkah", methods=["GET", "POST"])
@access("admin")
def user_reset_second_factor(user_id: str):
    record = get_user_or_404(user_id)
    form = ActionForm()
    if request.method == "POST" and form.validate_on_submit():
        second_factor.reset(store(), user_id)
        log("second_factor_reset", "user", user_id)
        flash(f"Verifikasi dua langkah {record['username']} sudah diatur ulang; semua sesinya diakhiri. "
              f"Ia memasangnya lagi saat masuk berikutnya.", "success")
        return redirect(url_for("admin.users"), 303)
    return render_template("admin/second_factor_reset.html", record=record, form=form,
                           enrolled=second_factor.enrolled(record), required=second_factor.required(record)), \
        (400 if request.method == "POST" else 200)
