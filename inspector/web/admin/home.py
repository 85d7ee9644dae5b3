"""The admin's home page: how many LKS and accounts there are, by state and by role."""

from __future__ import annotations

from flask import render_template

from ... import health
from ...auth import ROLES, access
from ..helpers import store
from ..routes import Routes

routes = Routes()


@routes.route("/")
@access("admin")
def index():
    users = store().users.all()
    lks = store().lks.all()
    return render_template("admin/index.html", lks_active=sum(1 for r in lks if r.get("active")),
                           lks_provisional=sum(1 for r in lks if r.get("provisional")),
                           lks_total=len(lks), users_total=len(users),
                           users_by_role={role: sum(1 for u in users if u["role"] == role) for role in ROLES},
                           health_alerts=len(health.open_alerts(store())))
