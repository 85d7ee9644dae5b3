"""The admin's page of the audit trail: filter by month, action, actor and target; newest first, paged."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from flask import Blueprint, render_template, request

from ..audit import ACTIONS, ACTORS, action_label, target_label
from ..auth import ROLES, access
from ..timefmt import WIB, today_wib
from .helpers import store

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")
PER_PAGE = 50
MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


def month_bounds(month_from: str, month_to: str) -> tuple[str, str]:
    """The WIB months from..to as a half-open range of stored (UTC ISO) times."""
    start = datetime.strptime(month_from, "%Y-%m").replace(tzinfo=WIB)
    year, month = map(int, month_to.split("-"))
    end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=WIB)
    return start.astimezone(timezone.utc).isoformat(), end.astimezone(timezone.utc).isoformat()


def _month_arg(name: str, default: str) -> str:
    value = request.args.get(name, "").strip()
    return value if MONTH.fullmatch(value) else default


def _page_arg() -> int:
    value = request.args.get("halaman", "1")
    return min(int(value), 100_000) if value.isdigit() and int(value) > 0 else 1


def _target_id(text: str) -> str:
    """An LKS code or a username stands for its record's id; anything else is taken as an id."""
    lks = store().lks.by_code(text.upper())
    user = None if lks else store().users.by_username(text)
    return (lks or user or {"id": text})["id"]


def _row(entry: dict, usernames: dict, lks_names: dict) -> dict:
    """What one list item shows."""
    actor_id, target_id, kind = entry.get("actor_id"), entry.get("target_id"), entry.get("target_kind")
    role = entry.get("actor_role", "")
    target = ""
    if kind or target_id:
        shown = usernames.get(target_id) if kind == "user" else lks_names.get(target_id) if kind == "lks" else None
        target = f"{target_label(kind)} {shown or target_id or ''}".strip()
        if shown:
            target += f" ({target_id})"
    details = entry.get("details") or {}
    return {"seq": entry.get("seq"), "at": entry.get("at"),
            "action": action_label(entry.get("action")),
            "actor": usernames.get(actor_id, actor_id) if actor_id else "",
            "role": ROLES.get(role) or ACTORS.get(role, role), "target": target,
            "details": ", ".join(f"{key}={_compact(value)}" for key, value in details.items())}


def _compact(value) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(map(str, value[:10])) + (f", … +{len(value) - 10}" if len(value) > 10 else "") + "]"
    return "-" if value is None else str(value)


@bp.route("/")
@access("admin")
def index():
    this_month = today_wib().strftime("%Y-%m")
    month_from, month_to = sorted((_month_arg("dari", this_month), _month_arg("sampai", this_month)))
    action = request.args.get("aksi", "")
    action = action if action in ACTIONS else ""
    username = request.args.get("akun", "").strip()[:64]
    target = request.args.get("sasaran", "").strip()[:64]
    page = _page_arg()
    actor = store().users.by_username(username) if username else None
    since, until = month_bounds(month_from, month_to)
    last_file = (datetime.fromisoformat(until) - timedelta(seconds=1)).strftime("%Y-%m")
    entries = [] if username and actor is None else store().audit.entries(
        month_from=since[:7], month_to=last_file, action=action or None, actor_id=actor["id"] if actor else None,
        target_id=_target_id(target) if target else None, since=since, until=until,
        limit=PER_PAGE + 1, offset=(page - 1) * PER_PAGE)
    usernames = {u["id"]: u["username"] for u in store().users.all()}
    lks_names = {r["id"]: f"{r['code']} {r['name']}" for r in store().lks.all()}
    filters = {"dari": month_from, "sampai": month_to, "aksi": action, "akun": username, "sasaran": target}
    return render_template("audit/index.html", rows=[_row(e, usernames, lks_names) for e in entries[:PER_PAGE]],
                           has_next=len(entries) > PER_PAGE, page=page, filters=filters,
                           unknown_actor=bool(username and actor is None), ACTIONS=ACTIONS)
