"""The inspector's pages: finding an LKS, its start page, and reporting one found in the field."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from .. import guide, health, provisional
from ..auth import access
from .helpers import get_lks_or_404, log, store
from .pages import start_page
from .queries import kecamatan_arg, search_lks
from .uploads import receive_photo
from .webforms import ProvisionalLksForm, apply_errors

bp = Blueprint("inspect", __name__, url_prefix="/inspeksi")


@bp.route("/")
@access("inspector")
def index():
    """The inspector's home: inspections returned for revision first, then finding an LKS without its poster."""
    query = request.args.get("q", "")[:100]
    kecamatan = kecamatan_arg()
    active = [r for r in store().lks.all() if r.get("active")]
    results = search_lks(active, query, kecamatan) if (query or kecamatan) else []
    damaged = []
    returned = guide.returned_to(store(), current_user.record["id"], damaged=damaged)
    names = {r["id"]: r["name"] for r in store().lks.all()} if returned else {}
    return render_template("inspect/index.html", query=query, kecamatan=kecamatan, results=results[:50],
                           more=len(results) > 50, searched=bool(query or kecamatan), returned=returned,
                           lks_names=names, damage_notes=health.contain(store(), damaged))


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
    received = receive_photo(request.files.get("front_photo"))
    record, errors = provisional.report(store(), form.data, received.photo, current_user.record["id"],
                                        received.reason)
    if errors:
        apply_errors(form, errors)
        return render_template("inspect/report.html", form=form), 400
    log("lks_reported", "lks", record["id"], code=record["code"])
    flash("LKS baru dicatat sebagai data sementara. Admin Dinas Sosial akan memeriksanya. "
          "Silakan mulai inspeksi sekarang.", "success")
    return redirect(url_for("inspect.start", code=record["code"]), 303)
