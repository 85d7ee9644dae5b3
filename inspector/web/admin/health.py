"""The admin's page on the data itself: open alerts about damaged files, failed checks and free space, and the
result of the latest store check (records, photos, indexes and the audit chain)."""

from __future__ import annotations

from flask import current_app, render_template

from ... import disk
from ... import health as health_alerts
from ... import integrity
from ...auth import access
from ..helpers import store
from ..routes import Routes

routes = Routes()


@routes.route("/data")
@access("admin")
def health():
    """What is wrong with the data now, newest first; nothing when all is well; the latest store check; the disk's
    free space (measured first, so that an alert it raises or closes shows at once)."""
    space = disk.watch(store(), current_app.config, always=True)
    return render_template("admin/health.html", alerts=health_alerts.open_alerts(store()),
                           check=integrity.last_result(store()), space=space)
