"""Admin pages that print: the QR code and A4 posters of each LKS, and a batch per kecamatan."""

from __future__ import annotations

import io

from flask import Response, current_app, request, send_file
from werkzeug.exceptions import BadRequest, NotFound

from ... import posters
from ...auth import access
from ...qr import lks_url, qr_png
from ..helpers import get_lks_by_id_or_404, refuse, store
from ..routes import Routes

routes = Routes()


@routes.route("/lks/<lks_id>/qr.png")
@access("admin")
def lks_qr(lks_id: str):
    record = get_lks_by_id_or_404(lks_id)
    png = qr_png(lks_url(current_app.config["INSPECTOR_BASE_URL"], record["code"]))
    return Response(png, mimetype="image/png",
                    headers={"Content-Disposition": f'inline; filename="qr-{record["code"]}.png"'})


@routes.route("/lks/<lks_id>/poster.png")
@access("admin")
def lks_poster_png(lks_id: str):
    record = get_lks_by_id_or_404(lks_id)
    png = posters.poster_png(record, current_app.config["INSPECTOR_BASE_URL"])
    return Response(png, mimetype="image/png",
                    headers={"Content-Disposition": f'attachment; filename="poster-{record["code"]}.png"'})


@routes.route("/lks/<lks_id>/poster.pdf")
@access("admin")
def lks_poster_pdf(lks_id: str):
    record = get_lks_by_id_or_404(lks_id)
    pdf = posters.poster_pdf(record, current_app.config["INSPECTOR_BASE_URL"])
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="poster-{record["code"]}.pdf"'})


@routes.route("/poster.pdf")
@access("admin")
def poster_batch():
    """One poster page per active, registered LKS, of one kecamatan (``?kecamatan=``) or all; at 150 dpi,
    the QR still 10 cm wide."""
    try:
        kecamatan, records = posters.for_batch(store().lks.all(), request.args.get("kecamatan", "")[:40])
    except posters.UnknownKecamatan:
        refuse(BadRequest, "Kecamatan tidak dikenal. Pilih salah satu dari 13 kecamatan Kota Tangerang.")
    where = f"Kecamatan {kecamatan}" if kecamatan else "Kota Tangerang"
    if not records:
        refuse(NotFound, f"Belum ada LKS aktif di {where}, jadi tidak ada poster untuk dicetak.")
    if len(records) > posters.MAX_BATCH:
        refuse(BadRequest, f"{len(records)} LKS terlalu banyak untuk satu PDF (paling banyak "
                            f"{posters.MAX_BATCH}). Cetak per kecamatan.")
    out = io.BytesIO()  # the compressed pages only (about 100 KB each); one page image at a time
    posters.write_pdf(records, current_app.config["INSPECTOR_BASE_URL"], out, posters.BATCH_DPI,
                      f"Poster LKS {where}")
    out.seek(0)
    name = f"poster-lks-{(kecamatan or 'semua').lower()}.pdf"
    return send_file(out, mimetype="application/pdf", as_attachment=True, download_name=name)
