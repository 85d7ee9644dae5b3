"""The admin's pages of the LKS register: the list, adding, changing, (de)activating, CSV import, front photos."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for

from ... import lks
from ...auth import access
from ..helpers import get_lks_by_id_or_404, log, store
from ..queries import kecamatan_arg, search_lks
from ..routes import Routes
from ..webforms import ActionForm, LksForm, LksImportForm, apply_errors

routes = Routes()


@routes.route("/lks")
@access("admin", "reviewer")
def lks_list():
    query = request.args.get("q", "")[:100]
    kecamatan = kecamatan_arg()
    show_inactive = request.args.get("nonaktif") == "1"
    records = [r for r in store().lks.all() if (show_inactive or r.get("active")) and not r.get("provisional")]
    return render_template("admin/lks_list.html", records=search_lks(records, query, kecamatan), query=query,
                           kecamatan=kecamatan, show_inactive=show_inactive, action=ActionForm())


def _lks_form_page(form: LksForm, record: dict | None):
    return render_template("admin/lks_form.html", form=form, record=record)


@routes.route("/lks/baru", methods=["GET", "POST"])
@access("admin")
def lks_new():
    form = LksForm()
    if not form.validate_on_submit():
        return _lks_form_page(form, None), (400 if request.method == "POST" else 200)
    record, errors = lks.create(store(), form.data)
    if errors:
        apply_errors(form, errors)
        return _lks_form_page(form, None), 400
    log("lks_created", "lks", record["id"], code=record["code"])
    flash(f"LKS {record['name']} sudah ditambahkan dengan kode {record['code']}.", "success")
    return redirect(url_for("admin.lks_list"))


@routes.route("/lks/<lks_id>/ubah", methods=["GET", "POST"])
@access("admin")
def lks_edit(lks_id: str):
    record = get_lks_by_id_or_404(lks_id)
    form = LksForm(data=None if request.method == "POST" else record)
    if not form.validate_on_submit():
        return _lks_form_page(form, record), (400 if request.method == "POST" else 200)
    updated, errors = lks.change(store(), lks_id, form.data)
    if errors:
        apply_errors(form, errors)
        return _lks_form_page(form, record), 400
    log("lks_changed", "lks", lks_id, fields=sorted(k for k in lks.FIELDS if updated.get(k) != record.get(k)))
    flash("Perubahan LKS sudah disimpan.", "success")
    return redirect(url_for("admin.lks_list"))


@routes.route("/lks/<lks_id>/status", methods=["POST"])
@access("admin")
def lks_status(lks_id: str):
    record = get_lks_by_id_or_404(lks_id)
    if ActionForm().validate_on_submit():
        lks.set_active(store(), lks_id, not record.get("active"))
        log("lks_deactivated" if record.get("active") else "lks_activated", "lks", lks_id)
        flash(f"LKS {record['name']} sekarang {'nonaktif' if record.get('active') else 'aktif'}.", "success")
    return redirect(url_for("admin.lks_list", nonaktif="1"))


@routes.route("/lks/impor", methods=["GET", "POST"])
@access("admin")
def lks_import():
    form = LksImportForm()
    problems: list = []
    if form.validate_on_submit():
        upload = request.files.get("file")
        data = upload.read(lks.MAX_IMPORT_BYTES + 1) if upload else b""
        records, problems = lks.import_csv(store(), data)
        if not problems:
            log("lks_imported", "lks", None, count=len(records), lks_ids=[r["id"] for r in records])
            flash(f"{len(records)} LKS berhasil diimpor.", "success")
            return redirect(url_for("admin.lks_list"))
    status = 400 if request.method == "POST" else 200
    return render_template("admin/lks_import.html", form=form, problems=problems,
                           columns=lks.CSV_COLUMNS.values()), status


@routes.route("/lks/<lks_id>/foto-depan")
@routes.route("/lks/<lks_id>/foto-depan/<size>")
@access("admin", "reviewer", "inspector")
def lks_front_photo(lks_id: str, size: str = "besar"):
    record = get_lks_by_id_or_404(lks_id)
    photo = record.get("front_photo")
    data = store().photos.read(lks_id, photo["id"], thumb=size == "kecil") if photo and size in ("besar", "kecil") \
        else None
    if data is None:
        abort(404)
    return Response(data, mimetype="image/jpeg", headers={
        "Cache-Control": "private, max-age=86400",
        "Content-Disposition": f'inline; filename="lks-{record["code"]}{"-kecil" if size == "kecil" else ""}.jpg"'})
