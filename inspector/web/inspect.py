"""The inspector's pages: finding an LKS and its start page."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from ..auth import access
from ..places import KECAMATAN
from .helpers import get_lks_or_404, search_lks, store
from .visit import start_page

bp = Blueprint("inspect", __name__, url_prefix="/inspeksi")


@bp.route("/")
@access("inspector")
def index():
    """Find an LKS without its poster: by name, kelurahan or kecamatan."""
    query = request.args.get("q", "")[:100]
    kecamatan = request.args.get("kecamatan", "")
    if kecamatan not in KECAMATAN:
        kecamatan = ""
    active = [r for r in store().lks.all() if r.get("active")]
    results = search_lks(active, query, kecamatan) if (query or kecamatan) else []
    return render_template("inspect/index.html", query=query, kecamatan=kecamatan, results=results[:50],
                           more=len(results) > 50, searched=bool(query or kecamatan))


@bp.route("/lks/<code>")
@access("inspector")
def start(code: str):
    return start_page(get_lks_or_404(code))
