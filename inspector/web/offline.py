"""Preparing a phone for work without signal: the list of pages to keep, and the blank checklist pages.

Both are the inspector's own: the list is JSON for the phone's script (static/offline.js), which asks the
service worker to keep each page in a cache named after the signed-in account; the blank page of a checklist
version is what a draft made on the phone fills. Neither holds a child's data: LKS facts and questions only.
"""

from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, abort, jsonify, render_template, request, url_for
from flask_login import current_user

from .. import offline
from ..auth import access
from ..timefmt import utcnow
from .helpers import catalog, store
from .inspection.form import form_class

bp = Blueprint("offline", __name__, url_prefix="/luring")


@bp.route("/siapkan")
@access("inspector")
def prepare_list():
    """What this inspector's phone keeps: every active LKS's start page and a blank page per checklist."""
    body = offline.preparation(
        store().lks.all(), catalog(),
        start_url=lambda code: f"{request.script_root}/l/{quote(code)}",  # the poster's own address
        blank_url=lambda c: url_for("offline.blank_checklist", checklist_id=c.id, version=c.version))
    body.update(user=current_user.record["id"], cache=f"inspector-user-{current_user.record['id']}",
                listed_at=utcnow())
    return jsonify(body)


@bp.route("/daftar-periksa/<checklist_id>/<int:version>")
@access("inspector")
def blank_checklist(checklist_id: str, version: int):
    """The questions of one checklist version with no answers: kept on the phone for a draft made there."""
    checklist = offline.blank_checklist(catalog(), checklist_id, version)
    if checklist is None:
        abort(404)
    return render_template("app_shell/blank_checklist.html", checklist=checklist, form=form_class(checklist)(),
                           record={"id": "", "photos": []}, photos={}, photo_errors={})
