"""What anyone may see: the home page and the page behind every poster's QR code."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user

from .. import review
from ..auth import PUBLIC, access, role_home
from ..timefmt import to_wib, today_wib
from .helpers import get_lks_or_404, store
from .visit import start_page

bp = Blueprint("public", __name__)


@bp.route("/")
@access(PUBLIC)
def index():
    if current_user.is_authenticated:
        return redirect(url_for(role_home(current_user)))
    return render_template("public/index.html")


@bp.route("/l/<code>")
@bp.route("/L/<code>")
@access(PUBLIC)
def lks(code: str):
    """The QR entry: inspectors get the LKS's start page, everyone else its public facts."""
    record = get_lks_or_404(code)
    if current_user.is_authenticated and current_user.role == "inspector":
        return start_page(record)
    expired = bool(record.get("accreditation_expiry")) and record["accreditation_expiry"] < today_wib().isoformat()
    last = review.last_approved(store(), record["id"])  # its date only: never its findings
    last_day = to_wib(last["submitted_at"]).date() if last else None
    return render_template("public/lks.html", lks=record, accreditation_expired=expired, last_inspected=last_day)
