"""The inspection on a phone: start, fill, save a draft, see the summary, send once (its photos: inspection_photos.py)."""

from __future__ import annotations

import hashlib
import json

from flask import (Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request,
                   url_for)
from flask_login import current_user
from werkzeug.exceptions import BadRequest

from .. import checklists as checklist_rules
from .. import csrf, events, presence, review, inspections
from ..auth import PUBLIC, access
from ..photos import PhotoRejected, process
from . import ERROR_TEXT
from .forms import ActionForm
from .helpers import get_lks_by_id_or_404, get_lks_or_404, log, refuse, store
from .inspection_form import answers_from, form_class, form_data_from

bp = Blueprint("inspection", __name__)


def catalog() -> dict:
    return current_app.extensions["checklists"]


def get_inspection_or_404(inspection_id: str, for_editing: bool = False) -> dict:
    """The inspection, if the signed-in user may see it: its inspector, a reviewer or an admin."""
    record = store().inspections.get(inspection_id) if len(inspection_id or "") <= 64 else None
    if record is None:
        abort(404)
    if current_user.role == "inspector":
        if record["inspector_id"] != current_user.record["id"]:
            abort(404)
    elif current_user.role not in ("reviewer", "admin") or for_editing:
        abort(403)
    return record


NO_LOCATION = {  # what the inspector is told when the phone gave no location at the start
    "refused": "Lokasi tidak tercatat: izin lokasi ditolak di ponsel. Inspeksi tetap bisa dilanjutkan.",
    "unavailable": "Lokasi tidak tercatat: ponsel tidak bisa menentukan lokasi. Inspeksi tetap bisa dilanjutkan.",
}


def _location_or_400() -> dict:
    """The location the page posted (see ``presence.read``); anything malformed ends the request with a 400."""
    try:
        return presence.read(request.form)
    except presence.LocationRejected as rejected:
        refuse(BadRequest, rejected.message)


@bp.route("/inspeksi/lks/<code>/mulai", methods=["POST"])
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
    location = _location_or_400()
    record, made = inspections.begin(store(), checklist, lks, current_user.record, token, location)
    if made:  # the location's outcome only: coordinates never go into the audit trail
        log("inspection_started", "inspection", record["id"], lks_id=lks["id"], checklist_id=checklist.id,
            location=location["status"])
        if location["status"] in NO_LOCATION:
            flash(NO_LOCATION[location["status"]], "info")
    return redirect(url_for("inspection.form", inspection_id=record["id"]), 303)


def _render_form(record, checklist, form, status=200, photo_errors=None):
    lks = get_lks_by_id_or_404(record["lks_id"])
    required_missing = [i for i in inspections.missing(checklist, record) if checklist.item(i).required]
    return render_template("inspection/form.html", record=record, checklist=checklist, form=form, lks=lks,
                           photos=inspections.photos_by_item(record), missing=required_missing,
                           photo_errors=photo_errors or {}, version=answers_version(record),
                           action=ActionForm()), status


def answers_version(record: dict) -> str:
    """Which stored answers a page shows: the phone keeps its unsaved copy only on top of these."""
    answers = json.dumps(record.get("answers", {}), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(answers.encode()).hexdigest()[:16]


@bp.route("/kunjungan/<inspection_id>")
@access("inspector")
def form(inspection_id: str):
    record = get_inspection_or_404(inspection_id, for_editing=True)
    if record["status"] not in inspections.EDITABLE:
        return redirect(url_for("inspection.summary", inspection_id=inspection_id))
    checklist = inspections.checklist_of(store(), record)
    return _render_form(record, checklist, form_class(checklist)(data=form_data_from(record, checklist)))


def _authorise_post(record) -> bool:
    """A post to an inspection must carry its inspection key. Returns whether the poster is signed in as its inspector.

    The inspection key (secret, made at start, only in the inspector's page) ties
    the post to this inspection and serves as its CSRF token, so a save still
    lands when the sign-in has expired; the inspector then signs in again and
    continues. Another signed-in account is refused.
    """
    if not inspections.key_matches(record, request.form.get("inspection_key")):
        abort(400, description="kunci kunjungan")
    signed_in = current_user.is_authenticated and current_user.role == "inspector" and \
        current_user.record["id"] == record["inspector_id"]
    if current_user.is_authenticated and not signed_in:
        abort(403)
    return signed_in


def _posted_inspection(inspection_id: str) -> tuple[dict, bool]:
    """The inspection a POST names (404 if none), authorised by its inspection key; and whether its inspector is signed in."""
    record = store().inspections.get(inspection_id) if len(inspection_id) <= 64 else None
    if record is None:
        abort(404)
    return record, _authorise_post(record)


def _receive_photos(record, checklist) -> tuple[dict[str, str], int]:
    """Process every uploaded photo into the inspection; ({item id: reason}, worst status)."""
    errors, status = {}, 200
    config = current_app.config
    max_bytes = int(config["INSPECTOR_MAX_PHOTO_MB"]) * 1024 * 1024
    fields = [(item.id, f"{item.id}__photos") for item in checklist.items()] + [(inspections.GENERAL, "photos_general")]
    for item_id, name in fields:
        for upload in request.files.getlist(name):
            data = upload.read(max_bytes + 1)
            if not data:
                continue
            upload_key = hashlib.sha256(item_id.encode() + b"\0" + data).hexdigest()
            try:
                processed = process(data, max_bytes=max_bytes)
            except PhotoRejected as rejected:
                errors[item_id or "photos_general"] = rejected.message
                status = max(status, rejected.status)
                continue
            reason = inspections.add_photo(store(), record["id"], item_id, processed, upload_key,
                                      int(config["INSPECTOR_MAX_PHOTOS"]))
            if reason:
                errors[item_id or "photos_general"] = reason
                status = max(status, 400)
    return errors, status


NOT_EDITABLE = "Kunjungan ini sudah dikirim dan tidak bisa diubah lagi."


def _json_error(status: int, message: str, field: str | None = None):
    """A refusal the page's script shows as is; ``title`` is the same heading an error page would carry."""
    body = {"error": message, "title": ERROR_TEXT.get(status, ERROR_TEXT[400])[0]}
    if field:
        body["field"] = field
    return jsonify(body), status


@bp.route("/kunjungan/<inspection_id>", methods=["POST"])
@csrf.exempt
@access(PUBLIC)  # checked by the inspection key: see _authorise_post
def save(inspection_id: str):
    """Save the form as a draft (always), then go to the summary when asked and nothing is wrong.

    The page's script saves in the background too (``autosave=1``, no files):
    that answers JSON, with the version of the answers now stored.
    """
    record, signed_in = _posted_inspection(inspection_id)
    autosave = request.form.get("autosave") == "1"
    if record["status"] not in inspections.EDITABLE:
        if autosave:
            return _json_error(409, NOT_EDITABLE)
        return redirect(url_for("inspection.summary", inspection_id=inspection_id), 303)
    checklist = inspections.checklist_of(store(), record)
    form_obj = form_class(checklist)()
    form_obj.validate()
    photo_errors, photo_status = _receive_photos(record, checklist)
    record = inspections.save_answers(store(), inspection_id, answers_from(form_obj, checklist, request.form)) or \
        store().inspections.get(inspection_id)
    log("draft_saved", "inspection", inspection_id, photos=len(record.get("photos", [])),
        **({"auto": True} if autosave else {}))
    if autosave:
        return jsonify(saved=True, version=answers_version(record), signed_in=signed_in,
                       invalid=sorted(form_obj.errors)), 200
    if not signed_in:
        flash("Sesi Anda sudah berakhir. Isian sudah disimpan sebagai draf; masuk lagi untuk melanjutkan.", "info")
        if form_obj.errors or photo_errors:
            flash("Sebagian isian atau foto tidak valid sehingga tidak tersimpan. Periksa lagi setelah masuk.", "error")
        return redirect(url_for("account.login", next=url_for("inspection.form", inspection_id=inspection_id)), 303)
    if form_obj.errors or photo_errors:
        flash("Ada isian yang perlu diperbaiki. Jawaban lain sudah disimpan.", "error")
        return _render_form(record, checklist, form_obj, max(400, photo_status), photo_errors)
    if request.form.get("action") == "ringkasan":
        return redirect(url_for("inspection.summary", inspection_id=inspection_id), 303)
    flash("Draf tersimpan.", "success")
    return redirect(url_for("inspection.form", inspection_id=inspection_id), 303)


@bp.route("/kunjungan/<inspection_id>/ringkasan")
@access("inspector", "reviewer", "admin")
def summary(inspection_id: str):
    record = get_inspection_or_404(inspection_id)
    checklist = inspections.checklist_of(store(), record)
    lks = get_lks_by_id_or_404(record["lks_id"])
    return render_template("inspection/summary.html", record=record, checklist=checklist, lks=lks,
                           summary=inspections.summary(checklist, record), photos=inspections.photos_by_item(record),
                           can=lambda action: review.allowed(record, current_user, action))


@bp.route("/kunjungan/<inspection_id>/kirim", methods=["POST"])
@csrf.exempt
@access(PUBLIC)  # checked by the inspection key: see _authorise_post
def submit(inspection_id: str):
    """Send once: a double tap or a retry of the same inspection answers as the first did."""
    record, signed_in = _posted_inspection(inspection_id)
    location = _location_or_400()
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
        lks = get_lks_by_id_or_404(record["lks_id"])
        return render_template("inspection/summary.html", record=record, checklist=checklist, lks=lks,
                               summary=inspections.summary(checklist, record), photos=inspections.photos_by_item(record),
                               can=lambda action: review.allowed(record, current_user, action)), 400
    flash("Inspeksi terkirim ke Dinas Sosial. Terima kasih.", "success")
    return redirect(url_for("inspection.summary", inspection_id=inspection_id), 303)


@bp.route("/inspeksi/kunjungan")
@access("inspector")
def mine():
    """The inspector's own inspections: drafts, submitted, and their review state, newest first."""
    records = store().inspections.for_inspector(current_user.record["id"])
    names = {r["id"]: r["name"] for r in store().lks.all()}
    return render_template("inspection/mine.html", records=records, lks_names=names)


def start_page(lks: dict):
    """The inspector's start page of an LKS: the checklists that apply and their open inspections there."""
    open_inspections = [r for r in store().inspections.for_inspector(current_user.record["id"], limit=20, lks_id=lks["id"])
                   if r["status"] in inspections.EDITABLE]
    choices = checklist_rules.for_kind(catalog(), lks["kind"])
    return render_template("inspect/start.html", lks=lks, checklists=choices, open_inspections=open_inspections,
                           action=ActionForm(), start_tokens=[inspections.start_token() for _ in choices])


@bp.app_template_global("proof_of_visit")
def proof_of_visit(record: dict, lks: dict) -> dict:
    """The "Bukti kunjungan" facts of an inspection (see ``presence.assess``): for reviewers' pages only."""
    return presence.assess(record, lks)


from . import inspection_photos  # noqa: E402,F401  (the photo routes, on this blueprint)
