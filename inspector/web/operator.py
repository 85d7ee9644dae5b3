"""The LKS operator's pages: only the LKS their account is bound to."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from ..auth import access
from .helpers import store

bp = Blueprint("operator", __name__, url_prefix="/operator")


@bp.route("/")
@access("operator")
def index():
    records = [store().lks.get(lks_id) for lks_id in current_user.lks_ids]
    return render_template("operator/index.html", lks_list=[r for r in records if r])
