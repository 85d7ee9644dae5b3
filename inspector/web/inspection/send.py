"""An inspection's summary, and sending it once to Dinas Sosial."""

from __future__ import annotations

from flask import current_app, flash, redirect, url_for
from flask_login import current_user

from ... import inspections
from ...auth import PUBLIC, access
from ...extensions import csrf
from ..helpers import store
from ..pages import inspection_summary
from ..routes import Routes
from .fetch import get_inspection_or_404, location_or_400, posted_inspection

routes = Routes()


@routes.route("/kunjungan/<inspection_id>/ringkasan")
@access("inspector", "reviewer", "admin")
def summary(inspection_id: str):
    return inspection_summary(get_inspection_or_404(inspection_id))


@routes.route("/kunjungan/<inspection_id>/kirim", methods=["POST"])
@csrf.exempt
@access(PUBLIC)  # checked by the inspection key: see fetch.posted_inspection
def submit(inspection_id: str):
    """Send once: a double tap or a retry of the same inspection answers as the first did."""
    record, signed_in = posted_inspection(inspection_id)
    location = location_or_400()
    if not signed_in:
        flash("Sesi Anda sudah berakhir. Draf tetap tersimpan; masuk lagi lalu kirim.", "info")
        return redirect(url_for("account.login", next=url_for("inspection.summary", inspection_id=inspection_id)), 303)
    checklist = inspections.checklist_of(store(), record)
    # Its audit entry, alerts, e-mail and webhooks are stored with the send itself (see inspections.submit).
    record, problems = inspections.submit(store(), checklist, inspection_id, location, current_user,
                                          current_app.config)
    if problems:
        flash("Belum bisa dikirim: masih ada isian wajib atau foto yang kurang.", "error")
        return inspection_summary(record, 400)
    flash("Inspeksi terkirim ke Dinas Sosial. Terima kasih.", "success")
    return redirect(url_for("inspection.summary", inspection_id=inspection_id), 303)
