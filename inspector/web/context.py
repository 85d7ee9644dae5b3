"""What every template may use, whichever blueprint renders it: labels, date filters, the header's facts
(home page, unread alerts), and helpers for an inspection's page (its follow-ups, its proof of visit)."""

from __future__ import annotations

from flask import Flask, current_app
from flask_login import current_user

from .. import followups, presence
from ..auth import ROLES, role_home
from ..lks import GRADES, KINDS
from ..oversight import ALERTED
from ..places import KECAMATAN
from ..timefmt import format_date, format_wib
from .helpers import store
from .inspection.form import NOTE_LIMIT


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(wib=format_wib, tanggal=format_date)
    app.jinja_env.globals.update(ROLES=ROLES, KINDS=KINDS, GRADES=GRADES, KECAMATAN=list(KECAMATAN),
                                 followups_of=followups_of, proof_of_visit=proof_of_visit,
                                 open_concerns=open_concerns, NOTE_LIMIT=NOTE_LIMIT)
    app.context_processor(signed_in_header)


def signed_in_header() -> dict:
    """The header's facts: where "Beranda" leads, and the unread alerts of a reviewer or inspector."""
    if not current_user.is_authenticated:
        return {"home_endpoint": None}
    facts = {"home_endpoint": role_home(current_user)}
    if current_user.role in ALERTED:
        try:  # one small file read
            facts["unread_alerts"] = store().notifications.unread_count(current_user.record["id"])
        except Exception:  # a badge must never break a page, error pages included
            current_app.logger.exception("unread alert count failed")
    return facts


def followups_of(record: dict, checklist) -> list:
    """For the reviewer's page: [(item, [follow-up, ...])] of one inspection, in checklist order."""
    return followups.by_item(store(), checklist, record)


def proof_of_visit(record: dict, lks: dict) -> dict:
    """The "Bukti kunjungan" facts of an inspection (see ``presence.assess``): for reviewers' pages only."""
    return presence.assess(record, lks)


def open_concerns() -> int:
    """How many public reports are still open (read only when a page asks)."""
    return store().concerns.open_count()
