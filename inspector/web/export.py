"""Reviewer exports: the queue as CSV, a printable report of one inspection, its evidence bundle (zip)."""

from __future__ import annotations

import hashlib
import io

from flask import Blueprint, Response, current_app, render_template, stream_with_context
from flask_login import current_user

from .. import evidence, export, health, inspections, review, timefmt
from ..auth import access
from ..store.contract import DataDamaged
from ..timefmt import WIB
from .errors import error_page
from .helpers import get_lks_by_id_or_404, get_sent_inspection_or_404, log, store
from .queries import queue_filters

bp = Blueprint("export", __name__)

STATUS_SLUGS = {"submitted": "menunggu", "returned": "perlu-perbaikan", "approved": "disetujui",
                "rejected": "ditolak", "draft": "draf", "": "semua"}
DECISION_LABELS = {"approve": "Disetujui", "return": "Dikembalikan untuk diperbaiki", "reject": "Ditolak"}
MAX_LOGGED_IDS = 1000  # the audit log keeps at most this many ids in one entry
NO_SIGNING_KEY = ("Paket bukti belum dapat dibuat: server belum memiliki kunci tanda tangan, sehingga keaslian "
                  "paket tidak dapat dibuktikan. Minta admin server memasang kunci (INSPECTOR_SIGNING_KEY).")


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store, private"
    return response


@bp.route("/tinjau/ekspor/csv")
@access("reviewer")
def inspections_csv():
    """The queue's inspections, with the queue's filters, as a spreadsheet (confidential answers included)."""
    filters = queue_filters()
    skipped = []  # damaged data the selection could not read: the file ends saying it is incomplete
    ids, digests = review.export_selection(store(), **filters, damaged=skipped)
    # Rows in the order the store reads fastest (grouped by month and LKS): the reviewer sorts the sheet.
    lines = export.csv_lines(store(), store().inspections.stream(ids, keep_order=False), digests,
                             include_confidential=True)
    log("export_csv", None, None, rows=len(ids), status=filters["status"] or "semua",
        kecamatan=filters["kecamatan"] or None, lks_id=filters["lks_id"] or None,
        inspector_id=filters["inspector_id"] or None, date_from=filters["date_from"] or None,
        date_to=filters["date_to"] or None, inspection_ids=ids[:MAX_LOGGED_IDS],
        ids_complete=len(ids) <= MAX_LOGGED_IDS)
    span = "".join(f"-{d.replace('-', '')}" for d in (filters["date_from"], filters["date_to"]) if d)
    stamp = timefmt.now().astimezone(WIB).strftime("%Y%m%d-%H%M")
    name = f"inspeksi-lks-{STATUS_SLUGS.get(filters['status'], 'semua')}{span}-{stamp}.csv"
    # Written to the response line by line: memory follows one chunk of inspections, not the export. The header
    # is made first, so that damaged data it needs (the register, the accounts) still gets the error page.
    first = next(lines)
    health.contain(store(), skipped)
    return _no_store(Response(stream_with_context(_until_damage(first, lines, skipped)), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{name}"'}))


def _until_damage(first: bytes, lines, skipped=()):
    """The export's lines; if damaged data stops it part way (the status is sent by then), or the selection
    left damaged data out (``skipped``), a last line says the file is incomplete, so it is never taken for the
    whole export, and the log names the damaged file."""
    yield first
    try:
        yield from lines
    except DataDamaged as error:
        current_app.logger.error("damaged data cut the CSV export short: %s", error)
        health.raise_alert(store(), "damage", error.where, error.why)
        yield export.INCOMPLETE_LINE
        return
    if skipped:
        yield export.INCOMPLETE_LINE


@bp.route("/tinjau/<inspection_id>/cetak")
@access("reviewer")
def report(inspection_id: str):
    """One inspection as a clean page to print on A4 or save as PDF."""
    record = get_sent_inspection_or_404(inspection_id)
    checklist = inspections.checklist_of(store(), record)
    score = record.get("score") or {}
    failed = set(score.get("failed", []))
    critical_ids = score.get("critical_failed", [])
    findings = [checklist.item(i) for i in score.get("failed", []) if i not in critical_ids and checklist.item(i)]
    users = {u["id"]: u for u in store().users.all()}
    page = render_template(
        "export/report.html", record=record, checklist=checklist, lks=get_lks_by_id_or_404(record["lks_id"]),
        inspector=users.get(record["inspector_id"], {}), labels=review.LABELS, failed=failed,
        critical=[checklist.item(i) for i in critical_ids if checklist.item(i)], findings=findings,
        photos=inspections.photos_by_item(record), section_scores=dict(map(tuple, score.get("per_section", []))),
        decision_labels=DECISION_LABELS, printed_at=timefmt.now().isoformat(), tamper=evidence.marks(store(), record),
        confidential_answered=any(i.confidential and record.get("answers", {}).get(i.id) for i in checklist.items()))
    log("report_printed", "inspection", inspection_id, lks_id=record["lks_id"])
    return _no_store(Response(page, mimetype="text/html"))


@bp.route("/tinjau/<inspection_id>/paket.zip")
@access("reviewer")
def bundle(inspection_id: str):
    """The evidence bundle for investigators; the zip's SHA-256 goes into the audit trail."""
    record = get_sent_inspection_or_404(inspection_id)
    lks = get_lks_by_id_or_404(record["lks_id"])
    signer = current_app.extensions.get("signer")
    if signer is None:  # a bundle nobody can verify is never handed out
        current_app.logger.error("evidence bundle refused: %s", current_app.extensions.get("signer_problem"))
        return error_page(503, NO_SIGNING_KEY, "Paket bukti belum dapat dibuat")
    actor = {k: current_user.record.get(k) for k in ("id", "username", "name", "role")}
    files = export.bundle_files(store(), record, actor, signer=signer)
    buffer = io.BytesIO()  # photos are at most a few hundred kB each, and an inspection has at most 60
    export.write_zip(files, buffer)
    data = buffer.getvalue()
    digest = hashlib.sha256(data).hexdigest()
    log("export_bundle", "inspection", inspection_id, lks_id=record["lks_id"], zip_sha256=digest,
        signed_by=signer.fingerprint,
        photos=sum(1 for path in files if path.startswith("photos/")))
    name = f"paket-bukti-{lks.get('code', 'lks')}-{inspection_id}.zip"
    response = Response(data, mimetype="application/zip", headers={
        "Content-Disposition": f'attachment; filename="{name}"', "X-Content-SHA256": digest})
    return _no_store(response)

