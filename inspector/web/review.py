"""The reviewer's pages (Dinas Sosial): the queue, one inspection, decisions, comments, addenda."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from .. import concerns, evidence, followups, health, inspections, review
from ..auth import access
from .helpers import get_lks_by_id_or_404, get_sent_inspection_or_404, log, store
from .pages import inspection_summary
from .queries import queue_filters
from .webforms import ActionForm

bp = Blueprint("review", __name__, url_prefix="/tinjau")


@bp.route("/")
@access("reviewer")
def index():
    """The queue: waiting inspections, critical first, then oldest first; filtered and paged."""
    filters = queue_filters()
    damaged = []
    rows = review.queue(store(), **filters, damaged=damaged)
    try:
        page = max(1, int(request.args.get("halaman", "1")))
    except ValueError:
        page = 1
    pages = max(1, -(-len(rows) // review.PER_PAGE))
    page = min(page, pages)
    shown = rows[(page - 1) * review.PER_PAGE: page * review.PER_PAGE]
    lks = {r["id"]: r for r in store().lks.all()}
    users = {u["id"]: u for u in store().users.all()}
    inspectors = sorted((u for u in users.values() if u["role"] == "inspector"), key=lambda u: u["name"])
    return render_template("review/queue.html", rows=shown, total=len(rows), page=page, pages=pages,
                           filters=filters, lks=lks, users=users, inspectors=inspectors, action=ActionForm(),
                           labels=review.LABELS, damage_notes=health.contain(store(), damaged))


@bp.route("/<inspection_id>")
@access("reviewer")
def show(inspection_id: str):
    """Every answer with its note and photos, failed items marked, the previous approved inspection."""
    record = get_sent_inspection_or_404(inspection_id)
    checklist = inspections.checklist_of(store(), record)
    damaged = []
    previous = review.previous_approved(store(), record, damaged)
    versions = record.get("versions", [])
    changes = review.version_changes(checklist, versions[-2], versions[-1]) if len(versions) > 1 else []
    users = {u["id"]: u for u in store().users.all()}
    return render_template("review/show.html", record=record, checklist=checklist,
                           lks=get_lks_by_id_or_404(record["lks_id"]), previous=previous,
                           photos=inspections.photos_by_item(record), failed=set(record["score"]["failed"]),
                           changes=changes, inspector=users.get(record["inspector_id"], {}),
                           can=lambda action: review.allowed(record, current_user, action),
                           tamper=evidence.marks(store(), record),
                           action=ActionForm(), labels=review.LABELS, damage_notes=health.contain(store(), damaged))


@bp.route("/<inspection_id>/keputusan", methods=["POST"])
@access("reviewer")
def decide(inspection_id: str):
    get_sent_inspection_or_404(inspection_id)
    # Its audit entry and alerts are stored with the decision itself (see review.decide).
    record, reason = review.decide(store(), inspection_id, current_user, request.form.get("keputusan", ""),
                                   request.form.get("komentar", ""), current_app.config)
    if reason:
        flash(reason, "error")
        return show(inspection_id), 400
    flash(f"Keputusan tersimpan: {review.LABELS[record['status']]}.", "success")
    return redirect(url_for("review.index"), 303)


@bp.route("/<inspection_id>/komentar", methods=["POST"])
@access("reviewer", "inspector")
def comment(inspection_id: str):
    record = get_sent_inspection_or_404(inspection_id)
    if current_user.role == "inspector" and record["inspector_id"] != current_user.record["id"]:
        abort(404)
    item_id = request.form.get("item") or None
    checklist = inspections.checklist_of(store(), record) if item_id else None
    _, reason = review.add_comment(store(), inspection_id, current_user, request.form.get("komentar", ""), item_id,
                                   checklist)
    if reason:
        flash(reason, "error")
        if current_user.role == "reviewer":
            return show(inspection_id), 400
        return inspection_summary(record, 400)
    log("comment_added", "inspection", inspection_id, **({"item": item_id} if item_id else {}))
    flash("Komentar terkirim.", "success")
    endpoint = "review.show" if current_user.role == "reviewer" else "inspection.summary"
    anchor = f"#item-{item_id}" if item_id else "#komentar"
    return redirect(url_for(endpoint, inspection_id=inspection_id) + anchor, 303)


@bp.route("/<inspection_id>/addendum", methods=["POST"])
@access("reviewer")
def addendum(inspection_id: str):
    get_sent_inspection_or_404(inspection_id)
    _, reason = review.add_addendum(store(), inspection_id, current_user, request.form.get("isi", ""))
    if reason:
        flash(reason, "error")
        return show(inspection_id), 400
    log("addendum_added", "inspection", inspection_id)
    flash("Addendum tersimpan.", "success")
    return redirect(url_for("review.show", inspection_id=inspection_id) + "#addendum", 303)


@bp.route("/<inspection_id>/tindak-lanjut/<followup_id>/terima", methods=["POST"])
@access("reviewer")
def followup_accept(inspection_id: str, followup_id: str):
    """Accept an LKS's follow-up of a finding; the approved inspection itself stays as it was."""
    record = get_sent_inspection_or_404(inspection_id)
    followup, changed = followups.accept(store(), record, followup_id, current_user)
    if followup is None:
        abort(404)
    if changed:
        log("followup_accepted", "inspection", record["id"], followup_id=followup["id"], lks_id=record["lks_id"])
        flash("Tindak lanjut diterima.", "success")
    else:
        flash("Tindak lanjut ini sudah diterima sebelumnya.", "info")
    return redirect(url_for("review.show", inspection_id=record["id"]) + "#tindak-lanjut", 303)


@bp.route("/setujui-massal", methods=["POST"])
@access("reviewer")
def bulk_approve():
    """Approve the selected waiting inspections that have no critical finding, each recorded on its own."""
    ids = request.form.getlist("pilih")[:200]
    approved, skipped = 0, 0
    for inspection_id in ids:
        record = store().inspections.get(inspection_id) if len(inspection_id) <= 64 else None
        if record is None or record.get("critical") or not review.allowed(record, current_user, "approve"):
            skipped += 1
            continue
        _, reason = review.decide(store(), inspection_id, current_user, "approve", config=current_app.config,
                                  logged_as="bulk_approved")
        approved, skipped = (approved + 1, skipped) if reason is None else (approved, skipped + 1)
    if not ids:
        flash("Pilih dulu pengajuan yang akan disetujui.", "error")
    else:
        flash(f"{approved} pengajuan disetujui." + (f" {skipped} dilewati (kritis atau sudah diputuskan)."
                                                      if skipped else ""), "success" if approved else "error")
    return redirect(url_for("review.index"), 303)


# --- Concerns from the public -------------------------------------------------------------------------------

def get_concern_or_404(concern_id: str) -> dict:
    record = store().concerns.get(concern_id) if len(concern_id or "") <= 32 else None
    if record is None:
        abort(404)
    return record


@bp.route("/laporan-masyarakat")
@access("reviewer")
def concerns_list():
    """Reports from the public: open ones first (newest first), then the handled ones; suspected floods grouped
    above, each hidden in one action; hidden reports apart."""
    shown = request.args.get("status", "open")
    shown = shown if shown in ("open", "handled", "hidden", "") else "open"
    records = store().concerns.all()
    if shown == "hidden":
        rows = [r for r in records if r.get("hidden")]
    else:
        rows = [r for r in records if not r.get("hidden") and (not shown or r["status"] == shown)]
    lks = {r["id"]: r for r in store().lks.all()}
    floods = [g for g in concerns.flood_groups(records) if g["shown"]]
    return render_template("review/concerns.html", rows=rows[:200], total=len(rows), shown=shown, lks=lks,
                           open_total=sum(1 for r in records if r["status"] == "open" and not r.get("hidden")),
                           floods=floods, action=ActionForm(), when=concerns.WHEN, labels=concerns.LABELS)


@bp.route("/laporan-masyarakat/banjir/<group>/sembunyikan", methods=["POST"])
@access("reviewer")
def concern_flood_hide(group: str):
    """Hide one suspected flood of reports in one action (kept, listed under "Disembunyikan"); audited."""
    if not ActionForm().validate_on_submit():
        abort(400)
    members = [r for r in store().concerns.all() if r.get("flood_group") == group] if len(group) <= 16 else []
    if not members:
        abort(404)
    hidden, reason = concerns.hide_flood(store(), group, current_user)
    if reason:
        flash(reason, "error")
        return redirect(url_for("review.concerns_list"), 303)
    log("concern_flood_hidden", "lks", members[0]["lks_id"], group=group, count=hidden)
    flash(f"{hidden} laporan yang diduga banjir disembunyikan dari daftar.", "success")
    return redirect(url_for("review.concerns_list"), 303)


@bp.route("/laporan-masyarakat/<concern_id>")
@access("reviewer")
def concern_show(concern_id: str):
    """One report: what, when, the contact if given, the LKS, and the handling."""
    record = get_concern_or_404(concern_id)
    users = {u["id"]: u for u in store().users.all()}
    return render_template("review/concern.html", record=record, lks=store().lks.get(record["lks_id"]) or {},
                           handled_by=users.get(record.get("handled_by") or "", {}), action=ActionForm(),
                           when=concerns.WHEN, labels=concerns.LABELS, note_max=concerns.NOTE_MAX)


@bp.route("/laporan-masyarakat/<concern_id>/tangani", methods=["POST"])
@access("reviewer")
def concern_handle(concern_id: str):
    """Mark a report handled with a short note of what was done; logged without the report or the note."""
    get_concern_or_404(concern_id)
    record, reason = concerns.handle(store(), concern_id, current_user, request.form.get("catatan", ""))
    if reason:
        flash(reason, "error")
        return concern_show(concern_id), 400
    log("concern_handled", "concern", concern_id, lks_id=record["lks_id"])
    flash("Laporan ditandai sudah ditangani.", "success")
    return redirect(url_for("review.concern_show", concern_id=concern_id), 303)
