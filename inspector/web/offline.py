"""Preparing a phone for work without signal: the list of pages to keep, and the blank checklist pages.

Both are the inspector's own: the list is JSON for the phone's script (static/offline.js), which asks the
service worker to keep each page in a cache named after the signed-in account; the blank page of a checklist
version is what a draft made on the phone fills. Neither holds a child's data: LKS facts and questions only.
"""

from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, abort, jsonify, render_template, request, url_for
from flask_login import current_user

from .. import offline, presence
from ..auth import access
from ..timefmt import utcnow
from .errors import json_error
from .helpers import catalog, log, store
from .inspection.form import form_class
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
    if record is None:
        return json_error(409 if reason == offline.CHANGED_VERSION else 400, reason)
    if made:
        log("inspection_started", "inspection", record["id"], lks_id=lks["id"], checklist_id=record["checklist"]["id"],
            location=location["status"])
    inspection_id = record["id"]
    return jsonify(id=inspection_id, key=record["inspection_key"], status=record["status"],
                   save=url_for("inspection.save", inspection_id=inspection_id),
                   upload=url_for("inspection.upload_photo", inspection_id=inspection_id),
                   submit=url_for("inspection.submit", inspection_id=inspection_id),
                   summary=url_for("inspection.summary", inspection_id=inspection_id)), 201 if made else 200
