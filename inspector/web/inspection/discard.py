"""Throwing away a draft its own inspector no longer wants (from the LKS's start page), audited."""

from __future__ import annotations

from flask import flash, redirect, url_for
from flask_login import current_user

from ... import inspections
from ...auth import access
from ..helpers import get_lks_by_id_or_404, log, store
from ..pages import start_page
from ..routes import Routes
from .fetch import get_inspection_or_404

routes = Routes()


@routes.route("/kunjungan/<inspection_id>/buang", methods=["POST"])
@access("inspector")
def discard(inspection_id: str):
    """A draft never sent, by its own inspector: removed with its photos; anything else is refused (400)."""
    record = get_inspection_or_404(inspection_id, for_editing=True)
    lks = get_lks_by_id_or_404(record["lks_id"])
    removed, reason = inspections.discard(store(), inspection_id, current_user.record["id"])
    if reason:
        flash(reason, "error")
        return start_page(lks, 400)
    log("draft_discarded", "inspection", inspection_id, lks_id=lks["id"], photos=len(removed.get("photos", [])))
    flash("Draf dibuang beserta fotonya.", "success")
    return redirect(url_for("inspect.start", code=lks["code"]), 303)
