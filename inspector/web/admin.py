"""The admin's pages: the LKS register and the LKS reported from the field (accounts and posters: admin_*.py)."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for

from .. import register
from ..auth import ROLES, access
from ..places import KECAMATAN
from ..timefmt import utcnow
from .forms import ActionForm, LksForm, LksImportForm, MergeForm, apply_errors
from .helpers import get_lks_by_id_or_404, log, search_lks, store

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/")
@access("admin")
def index():
    users = store().users.all()
    lks = store().lks.all()
    return render_template("admin/index.html", lks_active=sum(1 for r in lks if r.get("active")),
                           lks_provisional=sum(1 for r in lks if r.get("provisional")),
                           lks_total=len(lks), users_total=len(users),
                           users_by_role={role: sum(1 for u in users if u["role"] == role) for role in ROLES})


# --- The LKS register ---------------------------------------------------------

@bp.route("/lks")
@access("admin", "reviewer")
def lks_list():
    query = request.args.get("q", "")[:100]
    kecamatan = request.args.get("kecamatan", "")
    if kecamatan not in KECAMATAN:
        kecamatan = ""
    show_inactive = request.args.get("nonaktif") == "1"
    records = [r for r in store().lks.all() if (show_inactive or r.get("active")) and not r.get("provisional")]
    return render_template("admin/lks_list.html", records=search_lks(records, query, kecamatan), query=query,
                           kecamatan=kecamatan, show_inactive=show_inactive, action=ActionForm())


def _lks_form_page(form: LksForm, record: dict | None):
    return render_template("admin/lks_form.html", form=form, record=record)


@bp.route("/lks/baru", methods=["GET", "POST"])
@access("admin")
def lks_new():
    form = LksForm()
    if not form.validate_on_submit():
        return _lks_form_page(form, None), (400 if request.method == "POST" else 200)
    fields, errors = register.clean(form.data)
    if not errors:
        fields["code"] = fields["code"] or register.new_code(store().lks.codes())
        try:
            record = store().lks.create(active=True, **fields)
        except ValueError:
            errors = {"code": "Kode sudah dipakai LKS lain."}
    if errors:
        apply_errors(form, errors)
        return _lks_form_page(form, None), 400
    log("lks_created", "lks", record["id"], code=record["code"])
    flash(f"LKS {record['name']} sudah ditambahkan dengan kode {record['code']}.", "success")
    return redirect(url_for("admin.lks_list"))


@bp.route("/lks/<lks_id>/ubah", methods=["GET", "POST"])
@access("admin")
def lks_edit(lks_id: str):
    record = get_lks_by_id_or_404(lks_id)
    form = LksForm(data=None if request.method == "POST" else record)
    if not form.validate_on_submit():
        return _lks_form_page(form, record), (400 if request.method == "POST" else 200)
    fields, errors = register.clean({**form.data, "code": record["code"]})
    if errors:
        apply_errors(form, errors)
        return _lks_form_page(form, record), 400
    store().lks.change(lks_id, fields)
    log("lks_changed", "lks", lks_id, fields=sorted(k for k in fields if fields[k] != record.get(k)))
    flash("Perubahan LKS sudah disimpan.", "success")
    return redirect(url_for("admin.lks_list"))


@bp.route("/lks/<lks_id>/status", methods=["POST"])
@access("admin")
def lks_status(lks_id: str):
    record = get_lks_by_id_or_404(lks_id)
    if ActionForm().validate_on_submit():
        store().lks.change(lks_id, {"active": not record.get("active")})
        log("lks_deactivated" if record.get("active") else "lks_activated", "lks", lks_id)
        flash(f"LKS {record['name']} sekarang {'nonaktif' if record.get('active') else 'aktif'}.", "success")
    return redirect(url_for("admin.lks_list", nonaktif="1"))


@bp.route("/lks/impor", methods=["GET", "POST"])
@access("admin")
def lks_import():
    form = LksImportForm()
    problems: list = []
    if form.validate_on_submit():
        upload = request.files.get("file")
        data = upload.read(register.MAX_IMPORT_BYTES + 1) if upload else b""
        records, problems = register.parse_csv(data, store().lks.codes())
        if not problems:
            try:
                records = store().lks.create_many(records)
            except ValueError:
                problems = [(0, "kode", "Kode bentrok dengan LKS yang baru ditambahkan; unggah ulang.")]
        if not problems:
            log("lks_imported", "lks", None, count=len(records), lks_ids=[r["id"] for r in records])
            flash(f"{len(records)} LKS berhasil diimpor.", "success")
            return redirect(url_for("admin.lks_list"))
    status = 400 if request.method == "POST" else 200
    return render_template("admin/lks_import.html", form=form, problems=problems,
                           columns=register.CSV_COLUMNS.values()), status


# --- LKS reported from the field --------------------------------------------

@bp.route("/lks/sementara")
@access("admin")
def provisional():
    """LKS reported by inspectors, waiting to be confirmed, merged or rejected."""
    records = [r for r in store().lks.all() if r.get("provisional")]
    registered = sorted((r for r in store().lks.all() if not r.get("provisional") and r.get("active")),
                        key=lambda r: r["name"])
    reporters = {u["id"]: u["name"] for u in store().users.all()}
    return render_template("admin/provisional.html", records=sorted(records, key=lambda r: r["reported_at"]),
                           registered=registered, reporters=reporters, action=ActionForm(), merge=MergeForm())


def _provisional_or_404(lks_id: str) -> dict:
    record = get_lks_by_id_or_404(lks_id)
    if not record.get("provisional"):
        abort(404)
    return record


@bp.route("/lks/<lks_id>/konfirmasi", methods=["POST"])
@access("admin")
def provisional_confirm(lks_id: str):
    record = _provisional_or_404(lks_id)
    store().lks.change(lks_id, {"provisional": False, "confirmed_at": utcnow()})
    log("lks_confirmed", "lks", lks_id)
    flash(f"{record['name']} masuk daftar LKS dengan kode {record['code']}. Lengkapi datanya.", "success")
    return redirect(url_for("admin.lks_edit", lks_id=lks_id))


@bp.route("/lks/<lks_id>/gabung", methods=["POST"])
@access("admin")
def provisional_merge(lks_id: str):
    """The reported LKS is one already registered: its inspections count for that one."""
    record = _provisional_or_404(lks_id)
    form = MergeForm()
    target = store().lks.by_code(form.target.data or "") if form.validate_on_submit() else None
    if target is None or target["id"] == lks_id or target.get("provisional"):
        flash("Kode LKS tujuan tidak ditemukan di daftar.", "error")
        return provisional(), 400
    store().lks.change(lks_id, {"provisional": False, "active": False, "merged_into": target["id"],
                                "merged_at": utcnow()})
    log("lks_merged", "lks", lks_id, into_id=target["id"])
    flash(f"{record['name']} digabung ke {target['name']} ({target['code']}).", "success")
    return redirect(url_for("admin.provisional"))


@bp.route("/lks/<lks_id>/tolak", methods=["POST"])
@access("admin")
def provisional_reject(lks_id: str):
    record = _provisional_or_404(lks_id)
    store().lks.change(lks_id, {"provisional": False, "active": False, "rejected_at": utcnow()})
    log("lks_rejected", "lks", lks_id)
    flash(f"Laporan {record['name']} ditolak; kunjungannya tetap tersimpan.", "success")
    return redirect(url_for("admin.provisional"))


@bp.route("/lks/<lks_id>/foto-depan")
@bp.route("/lks/<lks_id>/foto-depan/<size>")
@access("admin", "reviewer", "inspector")
def lks_front_photo(lks_id: str, size: str = "besar"):
    record = get_lks_by_id_or_404(lks_id)
    photo = record.get("front_photo")
    data = store().photos.read(lks_id, photo["id"], thumb=size == "kecil") if photo and size in ("besar", "kecil") \
        else None
    if data is None:
        abort(404)
    return Response(data, mimetype="image/jpeg", headers={"Cache-Control": "private, max-age=86400"})


# The other admin pages, on this same blueprint.
from . import admin_accounts, admin_posters  # noqa: E402,F401
