"""The reviewer's pages (Dinas Sosial)."""

from __future__ import annotations

from collections import Counter

from flask import Blueprint, render_template

from ..auth import access
from ..places import KECAMATAN
from .helpers import store

bp = Blueprint("review", __name__, url_prefix="/tinjau")


@bp.route("/")
@access("reviewer")
def index():
    """The reviewer's home: the register at a glance, per kecamatan."""
    active = [r for r in store().lks.all() if r.get("active")]
    per_kecamatan = Counter(r["kecamatan"] for r in active)
    return render_template("review/index.html", total=len(active),
                           per_kecamatan=[(k, per_kecamatan.get(k, 0)) for k in KECAMATAN])
