"""The LKS operator's pages: the approved inspections of their own LKS only, a score chart, and follow-ups.

Every page works on an ``OperatorInspection`` (``inspector.followups``),
never on an inspection record, so nothing confidential can reach a template
or a photo response. ``get_approved_for_operator_or_404`` is the one way in.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup

from .. import followups, health, inspections
from ..auth import access
from ..chart import score_chart
from ..timefmt import today_wib
from .helpers import log, store
from .uploads import receive_photo

bp = Blueprint("operator", __name__, url_prefix="/operator")
SIZES = {"besar": False, "kecil": True}  # URL size -> thumbnail?


def _own_lks_ids() -> set[str]:
    """The operator's LKS and the provisional records merged into them."""
    return {i for ids in followups.family(store(), current_user.lks_ids).values() for i in ids}


def get_approved_for_operator_or_404(inspection_id: str) -> followups.OperatorInspection:
    """The operator's view of an approved inspection of their own LKS; 404 for anything else."""
    if current_user.role != "operator" or len(inspection_id or "") > 64:
        abort(404)
    record = store().inspections.get(inspection_id)
    if record is None or record["status"] != "approved" or record["lks_id"] not in _own_lks_ids():
        abort(404)
    return followups.operator_view(inspections.checklist_of(store(), record), record)


def _photo_response(data: bytes | None, name: str) -> Response:
    if data is None:
        abort(404)
    return Response(data, mimetype="image/jpeg", headers={
        "Cache-Control": "private, max-age=86400", "Content-Disposition": f'inline; filename="{name}.jpg"'})


@bp.route("/")
@access("operator")
def index():
    """Each of the operator's LKS: a chart of the score over time and the approved inspections, newest first."""
    entries, damaged = [], []
    for lks_id, ids in followups.family(store(), current_user.lks_ids).items():
        lks = store().lks.get(lks_id)
        if lks is None:
            continue
        history = followups.approved_for(store(), ids, damaged)
        chart = score_chart([(v.day, v.percent) for v in history], f"Skor inspeksi {lks['name']}")
        open_counts = {}
        for lks_part in ids:
            for f in store().followups.for_lks(lks_part):
                open_counts[f["inspection_id"]] = open_counts.get(f["inspection_id"], 0) + (not f["accepted"])
        entries.append({"lks": lks, "history": history, "chart": Markup(chart), "open": open_counts})
    return render_template("operator/index.html", entries=entries, damage_notes=health.contain(store(), damaged))


def _render_inspection(view, status: int = 200, errors: dict | None = None, posted: dict | None = None):
    lks = store().lks.get(view.lks_id) or {}
    by_item: dict[str, list[dict]] = {}
    for f in store().followups.for_inspection(view.lks_id, view.id):
        by_item.setdefault(f["item_id"], []).append(f)
    return render_template("operator/inspection.html", view=view, lks=lks, followups=by_item,
                           errors=errors or {}, posted=posted or {},
                           text_limit=followups.TEXT_LIMIT, today=today_wib().isoformat()), status


@bp.route("/inspeksi/<inspection_id>")
@access("operator")
def inspection(inspection_id: str):
    """One approved inspection: findings with their notes and photos, follow-ups, and the form to add one."""
    return _render_inspection(get_approved_for_operator_or_404(inspection_id))


@bp.route("/inspeksi/<inspection_id>/foto/<inspection_photo_id>")
@bp.route("/inspeksi/<inspection_id>/foto/<inspection_photo_id>/<size>")
@access("operator")
def photo(inspection_id: str, inspection_photo_id: str, size: str = "besar"):
    """A photo of a visible item of an approved inspection of the operator's LKS; 404 for any other."""
    view = get_approved_for_operator_or_404(inspection_id)
    if size not in SIZES or inspection_photo_id not in view.photo_ids:
        abort(404)
    return _photo_response(store().photos.read(view.id, inspection_photo_id, thumb=SIZES[size]), inspection_photo_id)


@bp.route("/inspeksi/<inspection_id>/tindak-lanjut", methods=["POST"])
@access("operator")
def followup_add(inspection_id: str):
    """Record what was done about a finding, by when, optionally with a photo; nothing is stored on any error."""
    view = get_approved_for_operator_or_404(inspection_id)
    form = request.form
    posted = {"butir": form.get("butir", "")[:64], "isi": form.get("isi", "")[:followups.TEXT_LIMIT + 100],
              "tanggal": form.get("tanggal", "")[:20]}
    values, errors = followups.clean(view, form.get("butir", ""), form.get("isi"), form.get("tanggal"), today_wib())
    status = 400
    received = receive_photo(request.files.get("foto")) if not errors else None
    if received is not None and received.reason:
        errors, status = {"foto": received.reason}, received.status
    if not errors:
        record, reason = followups.add(store(), view, current_user, values, received.photo)
        if reason:
            errors = {"butir": reason}
    if errors:
        flash("Tindak lanjut belum tersimpan. Periksa isiannya.", "error")
        return _render_inspection(view, status, errors, posted)
    log("followup_added", "inspection", view.id, followup_id=record["id"], item_id=record["item_id"],
        lks_id=view.lks_id, photos=1 if record["photo"] else 0)
    flash("Tindak lanjut tersimpan dan akan diperiksa Dinas Sosial.", "success")
    return redirect(url_for("operator.inspection", inspection_id=view.id) + f"#temuan-{record['item_id']}", 303)


@bp.route("/inspeksi/<inspection_id>/tindak-lanjut/<followup_id>/foto")
@bp.route("/inspeksi/<inspection_id>/tindak-lanjut/<followup_id>/foto/<size>")
@access("operator", "reviewer")
def followup_photo(inspection_id: str, followup_id: str, size: str = "besar"):
    """A follow-up's photo: for the operator of its LKS, and for reviewers (on the review page)."""
    if current_user.role == "operator":
        view = get_approved_for_operator_or_404(inspection_id)
        lks_id, inspection_id = view.lks_id, view.id
    else:
        record = store().inspections.get(inspection_id) if len(inspection_id) <= 64 else None
        if record is None or record["status"] != "approved":
            abort(404)
        lks_id, inspection_id = record["lks_id"], record["id"]
    followup = store().followups.get(lks_id, followup_id)
    if size not in SIZES or followup is None or followup["inspection_id"] != inspection_id or not followup["photo"]:
        abort(404)
    photo_id = followup["photo"]["id"]
    return _photo_response(store().photos.read(followup["id"], photo_id, thumb=SIZES[size]), photo_id)
