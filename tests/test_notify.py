"""Alerts: in-app alerts and the header badge, e-mail to a local SMTP sink, signed webhooks with retries.

Every server here listens on 127.0.0.1 only (tests/support/local_servers.py; the ``sink`` and ``receiver``
fixtures). Background deliveries are awaited by polling with a bounded wait, never by sleeping a fixed time,
and every worker thread is stopped and joined after each test.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
from datetime import datetime

import pytest

from inspector import announce, notify, outbox
from inspector.store.notifications import NotificationStore
from tests.support.auth import client_as
from tests.support.builders import ROLE_USERS, add_account, make_app, seed_app
from tests.support.inspection_builders import sent_through_pages
from tests.support.local_servers import closed_port
from tests.support.waiting import wait_until

SECRET = "rahasia-webhook-uji"
ALERT_EMAILS = "dinsos.satu@contoh.test, dinsos.dua@contoh.test"
NOTE = "memar di lengan"  # a confidential note: must never leave in an e-mail or a webhook


@pytest.fixture(autouse=True)
def stop_workers():
    yield
    assert outbox.stop_all(), "a background worker did not stop"


def app_with(tmp_path, **settings):
    app = make_app(tmp_path, INSPECTOR_SEND_BACKOFF_SECONDS="0.01", **settings)
    seed_app(app)
    return app


# --- an inspection sent through the pages ----------------------------------------------------

def send_inspection(app, inspector, critical: bool) -> str:
    """Send an inspection through the pages (see ``sent_through_pages``); it waits for review."""
    sid = sent_through_pages(app, inspector, critical, note=NOTE)
    assert app.extensions["store"].inspections.get(sid)["status"] == "submitted"
    return sid


def badge(html: str) -> str | None:
    start = html.find('<span class="badge">')
    return None if start < 0 else html[start + 20:html.index("<", start + 20)]


# --- in-app alerts ---------------------------------------------------------------------

def test_a_critical_inspection_alerts_every_active_reviewer_with_a_badge(tmp_path):
    app = app_with(tmp_path)
    store = app.extensions["store"]
    second = add_account(store, "peninjau2", "reviewer")
    retired = add_account(store, "peninjau3", "reviewer", active=False)
    reviewer = client_as(app, ROLE_USERS["reviewer"])
    assert badge(reviewer.get("/tinjau/").get_data(as_text=True)) is None

    inspector = client_as(app, ROLE_USERS["inspector"])
    send_inspection(app, inspector, critical=False)
    assert badge(reviewer.get("/tinjau/").get_data(as_text=True)) is None  # not critical: no alert
    sid = send_inspection(app, inspector, critical=True)

    ids = {role: store.users.by_username(name)["id"] for role, name in ROLE_USERS.items()}
    assert store.notifications.unread_count(ids["reviewer"]) == 1
    assert store.notifications.unread_count(second["id"]) == 1
    assert not (store.notifications.root / "users" / f"{retired['id']}.json").exists()
    assert not (store.notifications.root / "users" / f"{ids['admin']}.json").exists()
    assert store.notifications.for_user(ids["inspector"]) == []

    page = reviewer.get("/tinjau/").get_data(as_text=True)
    assert badge(page) == "1" and 'href="/tinjau/notifikasi"' in page
    listing = reviewer.get("/tinjau/notifikasi").get_data(as_text=True)
    assert "Temuan kritis" in listing and store.lks.all()[0]["name"] in listing and "1 belum dibaca dari 1" in listing
    assert NOTE not in listing

    alert = store.notifications.for_user(ids["reviewer"])[0]
    assert alert["inspection_id"] == sid and alert["kind"] == "critical"
    response = reviewer.post("/tinjau/notifikasi/baca", data={"id": alert["id"], "buka": "1"})
    assert response.status_code == 303 and response.location == f"/tinjau/{sid}"
    assert badge(reviewer.get("/tinjau/").get_data(as_text=True)) is None
    assert store.notifications.unread_count(second["id"]) == 1  # each reviewer reads their own

    # Someone else's alert id does nothing; "mark all" reads the rest.
    peer = client_as(app, "peninjau2")
    response = peer.post("/tinjau/notifikasi/baca", data={"id": alert["id"]}, follow_redirects=True)
    assert "Notifikasi tidak ditemukan." in response.get_data(as_text=True)
    assert store.notifications.unread_count(second["id"]) == 1
    assert peer.post("/tinjau/notifikasi/baca", data={"semua": "1"}).status_code == 303
    assert store.notifications.unread_count(second["id"]) == 0


def test_a_decision_alerts_the_inspections_inspector(tmp_path):
    app = app_with(tmp_path)
    store = app.extensions["store"]
    inspector = client_as(app, ROLE_USERS["inspector"])
    sid = send_inspection(app, inspector, critical=False)
    assert 'href="/tinjau/notifikasi"' not in inspector.get("/inspeksi/").get_data(as_text=True)  # nothing unread
    reviewer = client_as(app, ROLE_USERS["reviewer"])
    response = reviewer.post(f"/tinjau/{sid}/keputusan", data={"keputusan": "return", "komentar": "Foto kurang jelas"})
    assert response.status_code == 303

    page = inspector.get("/inspeksi/").get_data(as_text=True)
    assert badge(page) == "1" and 'href="/tinjau/notifikasi"' in page
    listing = inspector.get("/tinjau/notifikasi").get_data(as_text=True)
    assert "Perlu perbaikan" in listing
    alert = store.notifications.for_user(store.users.by_username(ROLE_USERS["inspector"])["id"])[0]
    response = inspector.post("/tinjau/notifikasi/baca", data={"id": alert["id"], "buka": "1"})
    assert response.location == f"/kunjungan/{sid}/ringkasan"
    page = inspector.get("/inspeksi/").get_data(as_text=True)
    assert badge(page) is None and 'href="/tinjau/notifikasi"' not in page
    assert inspector.get("/tinjau/notifikasi").status_code == 200  # the list itself stays reachable


def test_an_accounts_alerts_stay_bounded_read_ones_going_first(store, monkeypatch):
    monkeypatch.setattr(NotificationStore, "MAX_PER_USER", 3)
    user_id = store.users.by_username(ROLE_USERS["reviewer"])["id"]
    def alert(inspection_id: str) -> dict:
        return {"kind": "critical", "inspection_id": inspection_id, "lks_id": "l", "status": "submitted"}

    for n in range(3):
        store.notifications.add([user_id], alert(f"s{n}"))
    first = [a for a in store.notifications.for_user(user_id) if a["inspection_id"] == "s0"][0]
    store.notifications.mark_read(user_id, store.notifications.for_user(user_id)[1]["id"])  # s1 read
    store.notifications.add([user_id], alert("s3"))
    kept = {a["inspection_id"] for a in store.notifications.for_user(user_id)}
    assert kept == {"s0", "s2", "s3"} and first["id"] in {a["id"] for a in store.notifications.for_user(user_id)}
    assert store.notifications.unread_count(user_id) == 3


def test_emit_never_raises_and_one_broken_reaction_spares_the_others(app, store, receiver, caplog, monkeypatch):
    app.config.update(INSPECTOR_WEBHOOK_URLS=receiver.url("/hook"))

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(store.notifications, "add", broken)
    inspector = client_as(app, ROLE_USERS["inspector"])
    with caplog.at_level(logging.ERROR, logger="inspector.events"):
        sid = send_inspection(app, inspector, critical=True)  # the page answers as always
    assert any("alert_reviewers failed" in r.getMessage() for r in caplog.records)
    wait_until(lambda: {json.loads(h["body"])["event"] for h in receiver.hits} >= {"inspection.created",
                                                                                "inspection.critical"}, "webhooks")
    assert store.notifications.open_critical() == [sid]  # the reaction before the broken one ran
    with pytest.raises(ValueError):
        announce.emit(store, app.config, "inspection.deleted", store.inspections.get(sid))
    announce.emit(store, app.config, "review.decided", {"id": "nothing"})  # unreadable: logged, not raised


def test_nothing_configured_starts_no_background_thread(app, store):
    inspector = client_as(app, ROLE_USERS["inspector"])
    send_inspection(app, inspector, critical=True)
    assert outbox.running() == []
    assert not [t for t in threading.enumerate() if t.name.startswith("inspector-")]


# --- e-mail --------------------------------------------------------------------------

def test_a_critical_inspection_is_mailed_to_the_alert_addresses(tmp_path, sink):
    app = app_with(tmp_path, INSPECTOR_SMTP_HOST="127.0.0.1", INSPECTOR_SMTP_PORT=str(sink.server_address[1]),
                   INSPECTOR_SMTP_TLS="off", INSPECTOR_SMTP_USER="inspector", INSPECTOR_SMTP_PASSWORD="sandi-smtp",
                   INSPECTOR_SMTP_FROM="Inspector Dinsos <inspector@contoh.test>", INSPECTOR_ALERT_EMAILS=ALERT_EMAILS)
    store = app.extensions["store"]
    inspector = client_as(app, ROLE_USERS["inspector"])
    send_inspection(app, inspector, critical=False)
    sid = send_inspection(app, inspector, critical=True)
    sent = wait_until(lambda: sink.messages, "the e-mail")
    assert outbox.stop_all()  # everything queued has run: the non-critical inspection sent nothing
    assert len(sink.messages) == 1
    lks = store.lks.all()[0]
    mail = sent[0]
    assert mail["to"] == ["dinsos.satu@contoh.test", "dinsos.dua@contoh.test"]
    assert mail["auth"] == [b"inspector", b"sandi-smtp"]
    message = mail["message"]
    assert message["Subject"] == f"[Inspector] Temuan kritis: {lks['name']} ({lks['code']})"
    assert message["From"] == "Inspector Dinsos <inspector@contoh.test>"
    body = message.get_content()
    assert f"https://lks.tangerangkota.go.id/tinjau/{sid}" in body and "WIB" in body and "Temuan kritis: 1" in body
    assert NOTE not in body and "Uji inspector" not in body and "tanda_kekerasan" not in body


def test_a_failing_mail_server_neither_breaks_the_submit_nor_logs_addresses(tmp_path, caplog):
    app = app_with(tmp_path, INSPECTOR_SMTP_HOST="127.0.0.1", INSPECTOR_SMTP_PORT=str(closed_port()),
                   INSPECTOR_SMTP_TLS="off", INSPECTOR_ALERT_EMAILS=ALERT_EMAILS, INSPECTOR_SEND_TRIES="2")
    inspector = client_as(app, ROLE_USERS["inspector"])
    with caplog.at_level(logging.WARNING, logger="inspector.notify"):
        sid = send_inspection(app, inspector, critical=True)
        wait_until(lambda: [r for r in caplog.records if "try 2 of 2" in r.getMessage()], "the last failed try")
    messages = [r.getMessage() for r in caplog.records if r.name == "inspector.notify"]
    assert len(messages) == 2 and all(sid in m and "koneksi ditolak" in m for m in messages)
    assert not any("contoh.test" in m or "@" in m for m in messages)


# --- webhooks -------------------------------------------------------------------------

def test_webhooks_are_signed_retried_after_a_failure_and_logged_for_the_admin(tmp_path, receiver):
    app = app_with(tmp_path, INSPECTOR_WEBHOOK_URLS=receiver.url("/sekali-gagal"), INSPECTOR_WEBHOOK_SECRET=SECRET)
    store = app.extensions["store"]
    inspector = client_as(app, ROLE_USERS["inspector"])
    sid = send_inspection(app, inspector, critical=True)
    reviewer = client_as(app, ROLE_USERS["reviewer"])
    assert reviewer.post(f"/tinjau/{sid}/keputusan", data={"keputusan": "approve"}).status_code == 303

    def delivered():
        done = [d for d in store.notifications.delivery_list() if d["state"] == "sent"]
        return done if len(done) == 3 else None

    deliveries = wait_until(delivered, "three deliveries")
    assert all(d["tries"] == 2 and d["last_error"] == "HTTP 500" and d["last_status"] == 200 for d in deliveries)
    assert len(receiver.hits) == 6

    lks = store.lks.all()[0]
    bodies = {}
    for hit in receiver.hits:
        headers, body = hit["headers"], hit["body"]
        expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(headers["X-Inspector-Signature"], expected)
        payload = json.loads(body)
        assert headers["X-Inspector-Event"] == payload["event"]
        assert headers["Content-Type"] == "application/json"
        assert int(headers["X-Inspector-Timestamp"]) == int(datetime.fromisoformat(payload["time"]).timestamp())
        bodies.setdefault(headers["X-Inspector-Delivery"], set()).add(body)
        assert set(payload) == {"event", "inspection_id", "lks_id", "lks_code", "status", "critical", "score", "time"}
        assert payload["inspection_id"] == sid and payload["lks_id"] == lks["id"] and payload["lks_code"] == lks["code"]
        assert payload["critical"] is True and isinstance(payload["score"], float)
        assert NOTE.encode() not in body and b"Uji" not in body and lks["name"].encode() not in body
    assert all(len(same) == 1 for same in bodies.values()) and len(bodies) == 3  # a retry re-sends the same body
    events_seen = sorted((json.loads(b)["event"], json.loads(b)["status"]) for (b,) in bodies.values())
    assert events_seen == [("inspection.created", "submitted"), ("inspection.critical", "submitted"),
                           ("review.decided", "approved")]

    admin = client_as(app, ROLE_USERS["admin"])
    page = admin.get("/admin/webhook").get_data(as_text=True)
    assert page.count(">terkirim</span>") == 3 and "Galat terakhir: HTTP 500" in page
    assert receiver.url("/sekali-gagal") in page and "bertanda tangan HMAC-SHA256" in page
    assert client_as(app, ROLE_USERS["reviewer"]).get("/admin/webhook").status_code == 403


def test_a_permanently_failing_webhook_ends_as_gagal_on_the_admin_page(tmp_path, receiver):
    refused = f"http://127.0.0.1:{closed_port()}/hook"
    app = app_with(tmp_path, INSPECTOR_WEBHOOK_URLS=f"{receiver.url('/gagal')}, {refused}, ftp://127.0.0.1/x",
                   INSPECTOR_SEND_TRIES="3")
    store = app.extensions["store"]
    inspector = client_as(app, ROLE_USERS["inspector"])
    send_inspection(app, inspector, critical=False)  # inspection.created only

    def finished():
        found = store.notifications.delivery_list()
        return found if len(found) == 2 and all(d["state"] == "failed" for d in found) else None

    deliveries = {d["url"]: d for d in wait_until(finished, "both deliveries to give up")}
    assert set(deliveries) == {receiver.url("/gagal"), refused}  # the ftp:// entry is ignored
    assert deliveries[receiver.url("/gagal")]["last_error"] == "HTTP 500"
    assert deliveries[refused]["last_error"] == "koneksi ditolak"
    assert all(d["tries"] == 3 for d in deliveries.values())
    assert len(receiver.hits) == 3 and "X-Inspector-Signature" not in receiver.hits[0]["headers"]  # no secret set

    page = client_as(app, ROLE_USERS["admin"]).get("/admin/webhook").get_data(as_text=True)
    assert page.count(">gagal</span>") == 2 and "Galat terakhir: koneksi ditolak" in page
    assert "tanpa tanda tangan" in page


def test_a_slow_receiver_does_not_hold_up_the_request(tmp_path, receiver):
    receiver.hold.clear()  # the receiver takes the request but does not answer until released
    app = app_with(tmp_path, INSPECTOR_WEBHOOK_URLS=receiver.url("/hook"))
    store = app.extensions["store"]
    inspector = client_as(app, ROLE_USERS["inspector"])
    send_inspection(app, inspector, critical=False)  # returned while the delivery is still open
    assert [d["state"] for d in store.notifications.delivery_list()] == ["pending"]
    receiver.hold.set()
    wait_until(lambda: store.notifications.delivery_list()[0]["state"] == "sent", "the delivery")


def test_webhook_urls_are_shown_without_credentials_or_query():
    shown = notify.shown_url("https://user:pw@hooks.contoh.test:8443/a/b?token=x")
    assert shown == "https://hooks.contoh.test:8443/a/b?…"
    assert notify.webhook_urls({"INSPECTOR_WEBHOOK_URLS": " http://127.0.0.1/a ,file:///etc/passwd,, "}) == [
        "http://127.0.0.1/a"]
