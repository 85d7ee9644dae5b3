"""The inspector's pages: finding an LKS and its start page."""

from __future__ import annotations

import hashlib

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from .. import register
from ..auth import access
from ..photos import PhotoRejected, process
from ..timefmt import utcnow
from .forms import ProvisionalLksForm, apply_errors
from ..places import KECAMATAN
from .helpers import get_lks_or_404, log, search_lks, store
from .inspection import start_page

bp = Blueprint("inspect", __name__, url_prefix="/inspeksi")


@bp.route("/")
@access("inspector")
def index():
    """Find an LKS without its poster: by name, kelurahan or kecamatan."""
    query = request.args.get("q", "")[:100]
    kecamatan = request.args.get("kecamatan", "")
    if kecamatan not in KECAMATAN:
        kecamatan = ""
    active = [r for r in store().lks.all() if r.get("active")]
    results = search_lks(active, query, kecamatan) if (query or kecamatan) else []
    return render_template("inspect/index.html", query=query, kecamatan=kecamatan, results=results[:50],
                           more=len(results) > 50, searched=bool(query or kecamatan))


@bp.route("/lks/<code>")
@access("inspector")
def start(code: str):
    return start_page(get_lks_or_404(code))


@bp.route("/lks-baru", methods=["GET", "POST"])
@access("inspector")
def report_lks():
    """An LKS found in the field but not in the register: a provisional record, inspected at once."""
    form = ProvisionalLksForm()
    if not form.validate_on_submit():
        return render_template("inspect/report.html", form=form), (400 if request.method == "POST" else 200)
    fields, errors = register.clean({**form.data, "code": ""})
    upload = request.files.get("front_photo")
    max_bytes = int(current_app.config["INSPECTOR_MAX_PHOTO_MB"]) * 1024 * 1024
    data = upload.read(max_bytes + 1) if upload else b""
    processed = None
    if not data:
        errors["front_photo"] = "Foto bagian depan wajib diambil."
    else:
        try:
            processed = process(data, max_bytes=max_bytes)
        except PhotoRejected as rejected:
            errors["front_photo"] = rejected.message
    if errors:
        apply_errors(form, errors)
        return render_template("inspect/report.html", form=form), 400
    fields["code"] = register.new_code(store().lks.codes())
    record = store().lks.create(**{**fields, "active": True, "registered": False, "provisional": True,
                                   "reported_by": current_user.record["id"], "reported_at": utcnow()})
    photo_id = store().photos.save(record["id"], processed.jpeg, processed.thumb)
    store().lks.change(record["id"], {"front_photo": {
        "id": photo_id, "taken_at": processed.taken_at, "gps": list(processed.gps) if processed.gps else None,
        "sha256": hashlib.sha256(processed.jpeg).hexdigest()}})
    log("lks_reported", "lks", record["id"], code=record["code"])
    flash("LKS baru dicatat sebagai data sementara. Admin Dinas Sosial akan memeriksanya. "
          "Silakan mulai inspeksi sekarang.", "success")
    return redirect(url_for("inspect.start", code=record["code"]), 303)
