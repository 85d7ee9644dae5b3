"""Oversight pages: the reviewer's dashboard, each account's alerts, the webhook log (the header's badge of
unread alerts: ``web.context``)."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from .. import announce, health, notify, oversight, review
from ..auth import access
from ..oversight import ALERTED
from .helpers import store
from .queries import kecamatan_arg

bp = Blueprint("oversight", __name__)
SHOWN_ALERTS = 100


@bp.route("/tinjau/pantauan")
@access("reviewer")
def dashboard():
    """Overdue and never-inspected LKS, counts per kecamatan, open critical findings, long waits."""
    kecamatan = kecamatan_arg()
    cfg = current_app.config
    damaged = []
    board = oversight.build(store(), overdue_days=int(cfg["INSPECTOR_OVERDUE_DAYS"]),
                            waiting_days=int(cfg["INSPECTOR_WAITING_DAYS"]), kecamatan=kecamatan, damaged=damaged)
    return render_template("oversight/dashboard.html", board=board, kecamatan=kecamatan, labels=review.LABELS,
                           damage_notes=health.contain(store(), damaged))


@bp.route("/tinjau/notifikasi")
@access(*ALERTED)
def notifications():
    """The signed-in account's alerts, newest first, unread marked."""
    alerts = store().notifications.for_user(current_user.record["id"])
    lks = {r["id"]: r for r in store().lks.all()}
    return render_template("oversight/notifications.html", alerts=alerts[:SHOWN_ALERTS], total=len(alerts),
                           unread=sum(1 for a in alerts if not a.get("read_at")), lks=lks, labels=review.LABELS,
                           health_kinds=health.KINDS)


def _target(alert: dict) -> str:
    """Where an alert leads: the review page for a reviewer, the inspection summary for an inspector; a public
    concern (only reviewers get those) to the report itself."""
    if alert.get("kind") == "health":
        return url_for("admin.health")
    if alert.get("kind") == "concern" and current_user.role == "reviewer":
        return url_for("review.concern_show", concern_id=alert["concern_id"])
    if current_user.role == "reviewer":
        return url_for("review.show", inspection_id=alert["inspection_id"])
    return url_for("inspection.summary", inspection_id=alert["inspection_id"])


@bp.route("/tinjau/notifikasi/baca", methods=["POST"])
@access(*ALERTED)
def mark_read():
    """Mark one alert read (and open it, with ``buka``), or every alert with ``semua``."""
    user_id = current_user.record["id"]
    if request.form.get("semua"):
        changed = oversight.read_all_alerts(store(), user_id)
        flash(f"{changed} notifikasi ditandai sudah dibaca." if changed else "Tidak ada notifikasi baru.", "success")
        return redirect(url_for("oversight.notifications"), 303)
    alert = oversight.read_alert(store(), user_id, request.form.get("id", "")[:32])
    if alert is None:
        flash("Notifikasi tidak ditemukan.", "error")
        return redirect(url_for("oversight.notifications"), 303)
    if request.form.get("buka"):
        return redirect(_target(alert), 303)
    flash("Notifikasi ditandai sudah dibaca.", "success")
    return redirect(url_for("oversight.notifications"), 303)


@bp.route("/admin/webhook")
@access("admin")
def webhooks():
    """Configured webhook addresses and the latest deliveries with their last error."""
    cfg = current_app.config
    urls = [notify.shown_url(url) for url in notify.webhook_urls(cfg)]
    return render_template("oversight/webhooks.html", urls=urls, signed=bool(cfg.get("INSPECTOR_WEBHOOK_SECRET")),
                           deliveries=store().notifications.delivery_list(), DELIVERY_STATES=notify.DELIVERY_STATES,
                           outbox=announce.status(store()), failed=store().outbox.failed()[:50],
                           OUTBOX_KINDS=announce.KIND_LABELS,
                           email_on=notify.email_configured(cfg), email_count=len(notify.alert_addresses(cfg)))
