"""Filling an inspection on a phone: the form, and saving it as a draft (by the button, or in the background)."""

from __future__ import annotations

import hashlib

from flask import current_app, flash, jsonify, redirect, render_template, request, url_for

from ... import conflicts, disk, guide, inspections
from ...auth import PUBLIC, access
from ...extensions import csrf
from .. import space
from ..errors import json_error
from ..helpers import get_lks_by_id_or_404, log, store
from ..routes import Routes
from ..uploads import receive_photo
from .fetch import NOT_EDITABLE, get_inspection_or_404, posted_inspection
from .form import answers_from, form_class
from .page import Shown, questions

routes = Routes()


def _render_form(record, checklist, form=None, status=200, photo_errors=None):
    """The checklist page of ``record``: its stored answers, or what ``form`` posted with its errors."""
    lks = get_lks_by_id_or_404(record["lks_id"])
    required = {item.id for item in checklist.items() if item.required}
    required_missing = [i for i in inspections.missing(checklist, record) if i in required]
    photos = inspections.photos_by_item(record)
    progress = guide.progress(checklist, record)
    facts = dict(photos=photos, photo_errors=photo_errors or {}, progress=progress,
                 critical={item.id for item in guide.critical_now(checklist, record["answers"])},
                 comments=guide.item_comments(record))
    shown = Shown.of_record(record, checklist, **facts) if form is None else \
        Shown.of_form(record, form, checklist, **facts)
    return render_template("inspection/form.html", record=record, checklist=checklist, lks=lks, shown=shown,
                           questions=questions(checklist, shown), photos=photos, missing=required_missing,
                           version=answers_version(record), progress=progress), status


def answers_version(record: dict) -> str:
    """Which state of the inspection a page shows (``conflicts.revision``): the phone keeps its unsaved copy
    only on top of it, and a background save naming it as ``base`` lands only while it is unchanged."""
    return conflicts.revision(record)


@routes.route("/kunjungan/<inspection_id>")
@access("inspector")
def form(inspection_id: str):
    record = get_inspection_or_404(inspection_id, for_editing=True)
    if record["status"] not in inspections.EDITABLE:
        return redirect(url_for("inspection.summary", inspection_id=inspection_id))
    checklist = inspections.checklist_of(store(), record)
    return _render_form(record, checklist)


def _receive_photos(record, checklist) -> tuple[dict[str, str], int]:
    """Process every uploaded photo into the inspection; ({item id: reason}, worst status)."""
    errors, status = {}, 200
    max_photos = int(current_app.config["INSPECTOR_MAX_PHOTOS"])
    fields = [(item.id, f"{item.id}__photos") for item in checklist.items()] + [(inspections.GENERAL, "photos_general")]
    for item_id, name in fields:
        for upload in request.files.getlist(name):
            received = receive_photo(upload)
            if not received.sent:
                continue
            if received.reason:
                errors[item_id or "photos_general"] = received.reason
                status = max(status, received.status)
                continue
            upload_key = hashlib.sha256(item_id.encode() + b"\0" + received.data).hexdigest()
            reason = inspections.add_photo(store(), record["id"], item_id, received.photo, upload_key, max_photos)
            if reason:
                errors[item_id or "photos_general"] = reason
                status = max(status, 400)
    return errors, status


@routes.route("/kunjungan/<inspection_id>", methods=["POST"])
@csrf.exempt
@access(PUBLIC)  # checked by the inspection key: see fetch.posted_inspection
def save(inspection_id: str):
    """Save the form as a draft (always), then go to the summary when asked and nothing is wrong.

    "Simpan draf" returns to the inspector's place: the section or question the page's script last saw in use
    (``place_js``; a section's own button is in use when pressed), else, without the script, the section whose
    own button was pressed (``place``).

    The page's script saves in the background too (``autosave=1``, no files):
    that answers JSON, with the version of the answers now stored.
    """
    record, signed_in = posted_inspection(inspection_id)
    autosave = request.form.get("autosave") == "1"
    if record["status"] not in inspections.EDITABLE:
        if autosave:
            return json_error(409, NOT_EDITABLE)
        return redirect(url_for("inspection.summary", inspection_id=inspection_id), 303)
    checklist = inspections.checklist_of(store(), record)
    form_obj = form_class(checklist)()
    if space.no_room():  # nothing stored: the form comes back with what was posted, the script keeps its copy
        if autosave or space.wants_json():
            return space.refusal()
        space.log_refused()
        flash(f"{disk.FULL} {disk.FULL_HINT} Foto yang dipilih perlu dipilih lagi.", "error")
        return _render_form(record, checklist, form_obj, 507)
    form_obj.validate()
    base = request.form.get("base", "")[:conflicts.REVISION_LENGTH] if autosave else ""
    if base:  # the phone's copy was typed on this revision: never over a changed inspection
        record, reason = conflicts.save_on(store(), inspection_id, answers_from(form_obj, checklist, request.form), base)
        if reason:
            log("save_conflict", "inspection", inspection_id, status=record["status"])
            return jsonify(error=reason, conflict=reason == conflicts.CHANGED, status=record["status"],
                           version=answers_version(record)), 409
        photo_errors, photo_status = {}, 200
    else:
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
    place = guide.place(checklist, request.form.get("place_js") or request.form.get("place"))
    return redirect(url_for("inspection.form", inspection_id=inspection_id) + (f"#{place}" if place else ""), 303)
