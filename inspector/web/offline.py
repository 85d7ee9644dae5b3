"""Preparing a phone for work without signal: the list of pages to keep, and the blank checklist pages.

A conflict (a save from the phone's outbox refused because the inspection changed on the server since the
phone kept it) has its own page: the server's answers and the reviewer's comments beside the phone's, and the
inspector's choice, audited. Both lists are the inspector's own: the list is JSON for the phone's script (static/offline.js), which asks the
service worker to keep each page in a cache named after the signed-in account; the blank page of a checklist
version is what a draft made on the phone fills. Neither holds a child's data: LKS facts and questions only.
"""

from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, abort, jsonify, render_template, request, url_for
from flask_login import current_user

from .. import conflicts, inspections, offline, presence
from ..auth import PUBLIC, access
from ..extensions import csrf
from ..timefmt import utcnow
from .errors import json_error
from .helpers import catalog, get_lks_by_id_or_404, log, store
from .inspection.fetch import get_inspection_or_404, posted_inspection
from .inspection.form import answers_from, form_class
from .inspection.page import Shown

bp = Blueprint("offline", __name__, url_prefix="/luring")


@bp.route("/siapkan")
@access("inspector")
def prepare_list():
    """What this inspector's phone keeps: every active LKS's start page and a blank page per checklist."""
    body = offline.preparation(
        store().lks.all(), catalog(),
        start_url=lambda code: f"{request.script_root}/l/{quote(code)}",  # the poster's own address
        blank_url=lambda c: url_for("offline.blank_checklist", checklist_id=c.id, version=c.version))
    body.update(user=current_user.record["id"], cache=f"inspector-user-{current_user.record['id']}",
                listed_at=utcnow())
    return jsonify(body)


@bp.route("/daftar-periksa/<checklist_id>/<int:version>")
@access("inspector")
def blank_checklist(checklist_id: str, version: int):
    """The questions of one checklist version with no answers: kept on the phone for a draft made there."""
    checklist = offline.blank_checklist(catalog(), checklist_id, version)
    if checklist is None:
        abort(404)
    return render_template("app_shell/blank_checklist.html", checklist=checklist, form=form_class(checklist)(),
                           shown=Shown.blank(), rules=offline.scoring_rules(checklist))


@bp.route("/kunjungan", methods=["POST"])
@access("inspector")
def open_from_phone():
    """A draft made on the phone without signal becomes an inspection here, once per its own token.

    JSON out: the inspection's id and key, and where its answers, photos and send go next. Refused with an
    Indonesian message (nothing stored) for an unknown LKS, a checklist not of its kind or of another version.
    """
    if not request.form.get("lks"):
        return json_error(400, "LKS tidak disebut. Mulai inspeksi lagi dari halaman LKS.", "lks")
    lks = store().lks.by_code(request.form["lks"][:16])
    if lks is None or not lks.get("active"):
        return json_error(404, "LKS ini tidak ada atau sudah tidak aktif.", "lks")
    try:
        location = presence.read(request.form)
    except presence.LocationRejected as rejected:
        return json_error(400, rejected.message, "location")
    record, made, reason = offline.open_from_phone(
        store(), catalog(), lks, current_user.record, request.form.get("phone_token", ""),
        request.form.get("checklist", ""), request.form.get("version", ""), location)
    if record is None and reason == offline.CHANGED_VERSION:
        # The phone moves the draft's answers to the version offered now (static/offline.js): what it needs.
        current = catalog()[request.form["checklist"]]
        return jsonify(error=reason, code="changed_version", checklist={
            "id": current.id, "version": current.version, "title": current.title,
            "url": url_for("offline.blank_checklist", checklist_id=current.id, version=current.version),
            "items": [item.id for item in current.items()]}), 409
    if record is None:
        return json_error(400, reason)
    if made:
        log("inspection_started", "inspection", record["id"], lks_id=lks["id"], checklist_id=record["checklist"]["id"],
            location=location["status"])
    inspection_id = record["id"]
    return jsonify(id=inspection_id, key=record["inspection_key"], status=record["status"],
                   save=url_for("inspection.save", inspection_id=inspection_id),
                   upload=url_for("inspection.upload_photo", inspection_id=inspection_id),
                   submit=url_for("inspection.submit", inspection_id=inspection_id),
                   summary=url_for("inspection.summary", inspection_id=inspection_id)), 201 if made else 200


@bp.route("/bentrok/<inspection_id>")
@access("inspector")
def conflict(inspection_id: str):
    """Both sides of a conflict: the server's answers (with the reviewer's comments) here, the phone's filled in
    by the page's script from the phone's copy; and the inspector's two choices."""
    record = get_inspection_or_404(inspection_id, for_editing=True)
    checklist = inspections.checklist_of(store(), record)
    return render_template("app_shell/conflict.html", record=record, lks=get_lks_by_id_or_404(record["lks_id"]),
                           checklist=checklist, sections=conflicts.sides(checklist, record),
                           revision=conflicts.revision(record), editable=record["status"] in inspections.EDITABLE,
                           key=record["inspection_key"])


@bp.route("/bentrok/<inspection_id>", methods=["POST"])
@csrf.exempt
@access(PUBLIC)  # checked by the inspection key, as the inspection's own saves: see fetch.posted_inspection
def resolve(inspection_id: str):
    """The inspector's choice, audited: ``phone`` saves the phone's answers on top of the inspection as the page
    showed it (``base``); ``server`` keeps the server's (the phone then drops its copy). JSON out."""
    record, signed_in = posted_inspection(inspection_id)
    choice = request.form.get("choice")
    if not signed_in:
        return json_error(403, "Masuk lagi sebagai inspektur kunjungan ini untuk memilih.")
    if choice not in ("phone", "server"):
        return json_error(400, "Pilihan tidak dikenal. Pilih salah satu tombol di halaman bentrok.", "choice")
    if choice == "phone":
        checklist = inspections.checklist_of(store(), record)
        form_obj = form_class(checklist)()
        form_obj.validate()
        record, reason = conflicts.keep_phone(store(), inspection_id, answers_from(form_obj, checklist, request.form),
                                              request.form.get("base", "")[:conflicts.REVISION_LENGTH])
        if reason:
            return json_error(409, reason)
    log("conflict_resolved", "inspection", inspection_id, kept=choice, status=record["status"])
    return jsonify(kept=choice, version=conflicts.revision(record),
                   form=url_for("inspection.form", inspection_id=inspection_id))
