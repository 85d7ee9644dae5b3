"""An inspection's summary, and sending it once to Dinas Sosial."""

from __future__ import annotations

from flask import current_app, flash, redirect, url_for

from ... import events, inspections
from ...auth import PUBLIC, access
from ...extensions import csrf
from ..helpers import log, store
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
    record, problems = inspections.submit(store(), checklist, inspection_id, location)
    announced = inspections.claim_announcement(store(), inspection_id)
    if announced is not None:
        sends = announced["versions"]
        log("resubmitted" if len(sends) > 1 else "submitted", "inspection", inspection_id,
            version=len(sends), critical=bool(announced.get("critical")),
            location=(sends[-1].get("location") or {}).get("status", "none"))
        events.emit(store(), current_app.config, "inspection.created", announced)
        if announced.get("critical"):
            events.emit(store(), current_app.config, "inspection.critical", announced)
    if problems:
        flash("Belum bisa dikirim: masih ada isian wajib atau foto yang kurang.", "error")
        return inspection_summary(record, 400)
    flash("Inspeksi terkirim ke Dinas Sosial. Terima kasih.", "success")
    return redirect(url_for("inspection.summary", inspection_id=inspection_id), 303)
