"""The photos of an inspection: one at a time from the page's script (JSON), served to who may see them, removed."""

from __future__ import annotations

import re

from flask import Response, abort, current_app, flash, jsonify, redirect, request, url_for
from werkzeug.exceptions import HTTPException

from ... import inspections, presence
from ...auth import PUBLIC, access
from ...extensions import csrf
from ...photos import capture_time
from ..errors import json_error
from ..helpers import log, store
from ..routes import Routes
from ..uploads import receive_photo
from .fetch import NOT_EDITABLE, get_inspection_or_404, posted_inspection

routes = Routes()

PHOTO_KEY = re.compile(r"[A-Za-z0-9_-]{8,64}", re.ASCII)
JSON_TEXT = {400: "Data foto tidak valid. Muat ulang halaman lalu coba lagi.",
             403: "Akun Anda tidak memiliki izin untuk kunjungan ini.",
             404: "Kunjungan tidak ditemukan.",
             413: "Foto terlalu besar untuk dikirim."}


@routes.route("/kunjungan/<inspection_id>/foto", methods=["POST"])
@csrf.exempt
@access(PUBLIC)  # checked by the inspection key: see fetch.posted_inspection
def upload_photo(inspection_id: str):
    """One photo, sent by the page's script as soon as it is chosen; JSON in, JSON out.

    ``photo_key`` is made by the phone for this photo: a retry of the same
    photo (a lost answer on a weak network) stores nothing new and answers as
    the first did.
    """
    try:
        return _upload_photo(inspection_id)
    except HTTPException as error:
        code = error.code if error.code in JSON_TEXT else 400
        return json_error(code, getattr(error, "indonesian", None) or JSON_TEXT[code])


def _upload_photo(inspection_id: str):
    record, _signed_in = posted_inspection(inspection_id)
    if record["status"] not in inspections.EDITABLE:
        return json_error(409, NOT_EDITABLE)
    form = request.form
    item_id = form.get("item", "")
    checklist = inspections.checklist_of(store(), record)
    if item_id != inspections.GENERAL and item_id not in {item.id for item in checklist.items()}:
        return json_error(400, "Pertanyaan untuk foto ini tidak dikenal.", "item")
    photo_key = form.get("photo_key", "")
    if not PHOTO_KEY.fullmatch(photo_key):
        return json_error(400, "Kode foto tidak valid. Muat ulang halaman lalu coba lagi.", "photo_key")
    taken_at = None
    if form.get("taken_at"):
        try:
            taken_at = capture_time(form["taken_at"])
        except ValueError:
            return json_error(400, "Waktu pengambilan foto tidak masuk akal.", "taken_at")
    try:
        gps = presence.read_point(form.get("gps_lat"), form.get("gps_lon"))
    except presence.LocationRejected as rejected:
        return json_error(400, rejected.message, "gps")
    upload_key = "k:" + photo_key  # never equal to the sha256 keys of photos sent with the form
    stored = _photo_by_key(record, upload_key)
    if stored is None:
        received = receive_photo(request.files.get("photo"))
        if not received.sent:
            return json_error(400, "Tidak ada foto yang terkirim. Coba lagi.", "photo")
        if received.reason:
            return json_error(received.status, received.reason, "photo")
        reason = inspections.add_photo(store(), inspection_id, item_id, received.photo, upload_key,
                                       int(current_app.config["INSPECTOR_MAX_PHOTOS"]), taken_at=taken_at, gps=gps)
        record = store().inspections.get(inspection_id)
        stored = _photo_by_key(record, upload_key)
        if stored is None:
            return json_error(409 if record["status"] not in inspections.EDITABLE else 400, reason or NOT_EDITABLE)
        # The draft changed by one photo: ids only, never the file's name or its capture time and place.
        log("draft_saved", "inspection", inspection_id, photo=stored["id"], item=stored["item"] or None)
        status = 201
    else:
        status = 200
    return jsonify(id=stored["id"], item=stored["item"],
                   url=url_for("inspection.photo", inspection_id=inspection_id, photo_id=stored["id"]),
                   thumb=url_for("inspection.photo", inspection_id=inspection_id, photo_id=stored["id"], size="kecil")), \
        status


def _photo_by_key(record: dict, upload_key: str) -> dict | None:
    return next((p for p in record.get("photos", []) if p.get("upload_key") == upload_key), None)


@routes.route("/kunjungan/<inspection_id>/foto/<photo_id>")
@routes.route("/kunjungan/<inspection_id>/foto/<photo_id>/<size>")
@access("inspector", "reviewer", "admin")
def photo(inspection_id: str, photo_id: str, size: str = "besar"):
    record = get_inspection_or_404(inspection_id)
    if size not in ("besar", "kecil") or not any(p["id"] == photo_id for p in record.get("photos", [])):
        abort(404)
    data = store().photos.read(inspection_id, photo_id, thumb=size == "kecil")
    if data is None:
        abort(404)
    return Response(data, mimetype="image/jpeg", headers={
        "Cache-Control": "private, max-age=86400", "Content-Disposition": f'inline; filename="{photo_id}.jpg"'})


@routes.route("/kunjungan/<inspection_id>/foto/<photo_id>/hapus", methods=["POST"])
@access("inspector")
def photo_delete(inspection_id: str, photo_id: str):
    record = get_inspection_or_404(inspection_id, for_editing=True)
    if inspections.remove_photo(store(), record["id"], photo_id):
        log("draft_saved", "inspection", inspection_id, photo_removed=photo_id)
        flash("Foto dihapus.", "success")
    return redirect(url_for("inspection.form", inspection_id=inspection_id) + "#foto", 303)
