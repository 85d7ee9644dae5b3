"""The admin's pages of LKS reported from the field: the waiting reports, and confirming, merging or rejecting one."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for

from ... import provisional as reports
from ...auth import access
from ..helpers import get_lks_by_id_or_404, log, store
from ..routes import Routes
from ..webforms import ActionForm, MergeForm

routes = Routes()


def _waiting_page(status: int = 200):
    registered = sorted((r for r in store().lks.all() if not r.get("provisional") and r.get("active")),
                        key=lambda r: r["name"])
    reporters = {u["id"]: u["name"] for u in store().users.all()}
    return render_template("admin/provisional.html", records=reports.waiting(store()), registered=registered,
                           reporters=reporters, action=ActionForm(), merge=MergeForm()), status


@routes.route("/lks/sementara")
@access("admin")
def provisional():
    """LKS reported by inspectors, waiting to be confirmed, merged or rejected."""
    return _waiting_page()


def _provisional_or_404(lks_id: str) -> dict:
    record = get_lks_by_id_or_404(lks_id)
    if not record.get("provisional"):
        abort(404)
    return record


@routes.route("/lks/<lks_id>/konfirmasi", methods=["POST"])
@access("admin")
def provisional_confirm(lks_id: str):
    record = _provisional_or_404(lks_id)
    reports.confirm(store(), lks_id)
    log("lks_confirmed", "lks", lks_id)
    flash(f"{record['name']} masuk daftar LKS dengan kode {record['code']}. Lengkapi datanya.", "success")
    return redirect(url_for("admin.lks_edit", lks_id=lks_id))


@routes.route("/lks/<lks_id>/gabung", methods=["POST"])
@access("admin")
def provisional_merge(lks_id: str):
    """The reported LKS is one already registered: its inspections count for that one."""
    record = _provisional_or_404(lks_id)
    form = MergeForm()
    target, reason = reports.merge(store(), lks_id, form.target.data or "") if form.validate_on_submit() \
        else (None, reports.NOT_FOUND)
    if reason:
        flash(reason, "error")
        return _waiting_page(400)
    log("lks_merged", "lks", lks_id, into_id=target["id"])
    flash(f"{record['name']} digabung ke {target['name']} ({target['code']}).", "success")
    return redirect(url_for("admin.provisional"))


@routes.route("/lks/<lks_id>/tolak", methods=["POST"])
@access("admin")
def provisional_reject(lks_id: str):
    record = _provisional_or_404(lks_id)
    reports.reject(store(), lks_id)
    log("lks_rejected", "lks", lks_id)
    flash(f"Laporan {record['name']} ditolak; kunjungannya tetap tersimpan.", "success")
    return redirect(url_for("admin.provisional"))
