"""Pages more than one blueprint answers with, rendered here so that no view calls another blueprint's view:
an LKS's start page for an inspector (its search result and its poster's QR code lead there), and an
inspection's summary (its own page, a refused send, a refused comment)."""

from __future__ import annotations

from flask import render_template
from flask_login import current_user

from .. import checklists, guide, health, inspections, review
from .helpers import catalog, get_lks_by_id_or_404, store
from .webforms import ActionForm


def start_page(lks: dict, status: int = 200):
    """The inspector's start page of an LKS: the checklists that apply, their open inspections there, and the
    findings of its last approved inspection to re-check."""
    damaged = []
    open_inspections = [r for r in store().inspections.for_inspector(current_user.record["id"], limit=20,
                                                                      lks_id=lks["id"], damaged=damaged)
                        if r["status"] in inspections.EDITABLE]
    recheck = guide.recheck(store(), lks["id"], damaged)
    choices = checklists.for_kind(catalog(), lks["kind"])
    return render_template("inspect/start.html", lks=lks, checklists=choices, open_inspections=open_inspections,
                           action=ActionForm(), start_tokens=[inspections.start_token() for _ in choices],
                           recheck=recheck, damage_notes=health.contain(store(), damaged)), status


def inspection_summary(record: dict, status: int = 200):
    """An inspection's answers summed up, with what the signed-in user may do next (send, comment)."""
    checklist = inspections.checklist_of(store(), record)
    lks = get_lks_by_id_or_404(record["lks_id"])
    return render_template("inspection/summary.html", record=record, checklist=checklist, lks=lks,
                           summary=inspections.summary(checklist, record), photos=inspections.photos_by_item(record),
                           can=lambda action: review.allowed(record, current_user, action)), status
