"""What anyone may see: the home page, the page behind every poster's QR code, and reporting a concern."""

from __future__ import annotations

from flask import Blueprint, current_app, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, StringField, TextAreaField

from .. import concerns, review
from ..auth import PUBLIC, access, role_home
from ..timefmt import to_wib, today_wib
from .helpers import client_address, get_lks_or_404, store
from .pages import start_page
from .webforms import options

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


class ConcernForm(FlaskForm):
    """A worried neighbour's report; the rules are in ``inspector.concerns.clean``."""
    what = TextAreaField("Apa yang terjadi?", render_kw={"rows": 6, "maxlength": concerns.WHAT_MAX})
    when = RadioField("Kapan?", choices=options(concerns.WHEN.items()), validate_choice=False)
    contact = StringField("Nama atau nomor telepon Anda (boleh dikosongkan)",
                          render_kw={"maxlength": concerns.CONTACT_MAX, "autocomplete": "off"})
    form_token = HiddenField()


LIMITED = ("Sudah terlalu banyak laporan dari perangkat ini dalam satu jam terakhir. Laporan ini belum "
           "terkirim; coba lagi nanti.")


def _concern_page(record: dict, form: ConcernForm, status: int = 200, limited: str | None = None):
    response = make_response(render_template("public/concern.html", lks=record, form=form, limited=limited,
                                             what_max=concerns.WHAT_MAX, what_min=concerns.WHAT_MIN), status)
    response.headers["Cache-Control"] = "no-store"  # it carries this visitor's tokens and, after an error, their text
    return response


@bp.route("/l/<code>/lapor", methods=["GET", "POST"])
@access(PUBLIC)
def concern(code: str):
    """Report a concern about this LKS: no sign-in; it reaches Dinas Sosial's reviewers, never the LKS."""
    record = get_lks_or_404(code)
    form = ConcernForm()
    tokens = concerns.FormTokens(current_app.secret_key or "")
    if request.method == "GET":
        form.form_token.data = tokens.issue(record["id"])
        return _concern_page(record, form)
    token = request.form.get("form_token", "")
    values, errors = concerns.clean(request.form)
    # What the page shows back is the cleaned text, bounded: a hostile 100 000 characters are not echoed.
    form.what.data = values["what"][:concerns.WHAT_MAX + 100]
    form.contact.data = values["contact"][:concerns.CONTACT_MAX + 20]
    if not tokens.valid(token, record["id"]):  # forged, expired, or another LKS's: the typed report is kept
        current_app.logger.warning("concern form refused: token not issued for this form")
        form.form_token.data = tokens.issue(record["id"])
        return _concern_page(record, form, 400, concerns.BAD_TOKEN)
    if store().concerns.by_token(token) is not None:  # a second tap on "Kirim": already stored
        return redirect(url_for("public.concern_sent", code=record["code"]), 303)
    if errors:
        for name, message in errors.items():
            getattr(form, name).errors = [message]
        return _concern_page(record, form, 400)
    cfg = current_app.config
    limiter = concerns.ConcernThrottle(
        store(), current_app.secret_key or "",
        int(cfg["INSPECTOR_CONCERNS_PER_CLIENT_HOUR"]),
        int(cfg["INSPECTOR_CONCERNS_PER_LKS_HOUR"]))
    if limiter.refused(client_address(), record["id"]):
        return _concern_page(record, form, 429, LIMITED)
    flood = limiter.flood_group(record["id"])  # never refused: stored, marked, grouped for the reviewer
    report, new = concerns.create(store(), record, values, token, current_app.config, flood)  # its audit entry too
    if new:
        limiter.count(client_address(), record["id"])
    return redirect(url_for("public.concern_sent", code=record["code"]), 303)


@bp.route("/l/<code>/lapor/terkirim")
@access(PUBLIC)
def concern_sent(code: str):
    """Thanks, and where to call at once when someone is in danger."""
    return render_template("public/concern_sent.html", lks=get_lks_or_404(code))
