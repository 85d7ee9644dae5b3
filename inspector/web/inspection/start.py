"""Starting an inspection at an LKS (once per start form), and the inspector's own inspections."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.exceptions import BadRequest

from ... import health, inspections
from ...auth import access
from ..helpers import catalog, get_lks_or_404, log, refuse, store
from ..routes import Routes
from .fetch import location_or_400

routes = Routes()

NO_LOCATION = {  # what the inspector is told when the phone gave no location at the start
    "refused": "Lokasi tidak tercatat: izin lokasi ditolak di ponsel. Inspeksi tetap bisa dilanjutkan.",
    "unavailable": "Lokasi tidak tercatat: ponsel tidak bisa menentukan lokasi. Inspeksi tetap bisa dilanjutkan.",
}


@routes.route("/inspeksi/lks/<code>/mulai", methods=["POST"])
@access("inspector")
def start(code: str):
    """Open an inspection, once per start form (its one-time ``start_token``), with the phone's location if given."""
    lks = get_lks_or_404(code)
    checklist = catalog().get(request.form.get("checklist", ""))
    if checklist is None or lks["kind"] not in checklist.kinds:
        abort(400)
    token = request.form.get("start_token") or None  # a page from before the token: no repeat check
    if token is not None and not inspections.START_TOKEN.fullmatch(token):
        refuse(BadRequest, "Formulir mulai inspeksi tidak sah. Muat ulang halaman LKS lalu tekan Mulai lagi.")
    location = location_or_400()
    record, made = inspections.begin(store(), checklist, lks, current_user.record, token, location)
    if made:  # the location's outcome only: coordinates never go into the audit trail
        log("inspection_started", "inspection", record["id"], lks_id=lks["id"], checklist_id=checklist.id,
            location=location["status"])
        if location["status"] in NO_LOCATION:
            flash(NO_LOCATION[location["status"]], "info")
    return redirect(url_for("inspection.form", inspection_id=record["id"]), 303)


@routes.route("/inspeksi/kunjungan")
@access("inspector")
def mine():
    """The inspector's own inspections: drafts, submitted, and their review state, newest first."""
    damaged = []
    records = store().inspections.for_inspector(current_user.record["id"], damaged=damaged)
    names = {r["id"]: r["name"] for r in store().lks.all()}
    return render_template("inspection/mine.html", records=records, lks_names=names,
                           damage_notes=health.contain(store(), damaged))
