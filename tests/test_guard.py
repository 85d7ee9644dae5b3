"""Before every request (``inspector.web.guard``): a POST whose Origin names another site is refused, and a
session ends at its absolute lifetime however busy it is. The clock is set, nothing sleeps."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from inspector import timefmt
from tests.support.auth import client_as, login, sign_in
from tests.support.builders import ROLE_USERS, make_app, seed_app

FOREIGN = "Permintaan ini datang dari situs lain dan ditolak"


@pytest.mark.parametrize("origin", ["http://evil.example", "https://evil.example", "http://localhost:9999",
                                    "https://localhost", "null", "http://localhost.evil.example"])
def test_a_post_whose_origin_names_another_site_is_refused_in_indonesian(app, store, origin):
    """Over plain http too, where flask-wtf checks no Referer: signing in, signing out, an admin's change."""
    before = store.users.by_username(ROLE_USERS["admin"])
    response = login(app.test_client(), ROLE_USERS["admin"], headers={"Origin": origin})
    assert response.status_code == 403 and FOREIGN in response.get_data(as_text=True)
    admin = client_as(app, "admin")
    target = store.users.by_username(ROLE_USERS["inspector"])
    response = admin.post(f"/admin/akun/{target['id']}/status", headers={"Origin": origin})
    assert response.status_code == 403 and FOREIGN in response.get_data(as_text=True)
    assert store.users.get(target["id"])["active"] is True
    after = store.users.by_username(ROLE_USERS["admin"])
    assert {k: v for k, v in after.items() if k != "totp_last_step"} == {
        k: v for k, v in before.items() if k != "totp_last_step"}  # signing in as admin uses one code step


@pytest.mark.parametrize("origin", [None, "http://localhost", "HTTP://LOCALHOST"])
def test_a_post_from_this_site_or_without_origin_goes_through(app, origin):
    headers = {"Origin": origin} if origin else {}
    assert login(app.test_client(), ROLE_USERS["admin"], headers=headers).status_code == 302


def test_the_configured_base_url_counts_as_this_site(tmp_path):
    """Behind a proxy that does not pass the host on, the public address is still this site."""
    app = make_app(tmp_path, INSPECTOR_BASE_URL="https://lks.tangerangkota.go.id")
    seed_app(app)
    response = login(app.test_client(), ROLE_USERS["admin"], headers={"Origin": "https://lks.tangerangkota.go.id"})
    assert response.status_code == 302


def at(monkeypatch, moment: datetime) -> None:
    monkeypatch.setattr(timefmt, "now", lambda: moment)


def test_a_session_ends_at_its_absolute_lifetime_however_active(app, monkeypatch):
    hours = app.config["INSPECTOR_SESSION_MAX_HOURS"]
    assert hours == 12
    start = datetime(2027, 1, 5, 1, 0, tzinfo=timezone.utc)
    at(monkeypatch, start)
    client = client_as(app, "reviewer")
    for step in range(1, hours * 2):  # busy every half hour: the idle lifetime alone would slide on
        at(monkeypatch, start + timedelta(minutes=30 * step))
        assert client.get("/tinjau/").status_code == 200, step
    at(monkeypatch, start + timedelta(hours=hours))
    response = client.get("/tinjau/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/masuk?next=")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Sesi Anda sudah berakhir (paling lama 12 jam sejak masuk)" in page
    assert client.get("/tinjau/").status_code == 302  # ended, not just this once
    sign_in(client, "reviewer")
    assert client.get("/tinjau/").status_code == 200  # a new sign-in starts a new lifetime


def test_the_absolute_lifetime_is_a_setting(tmp_path, monkeypatch):
    monkeypatch.setenv("INSPECTOR_SESSION_MAX_HOURS", "2")
    app = make_app(tmp_path)
    seed_app(app)
    start = datetime(2027, 1, 5, 1, 0, tzinfo=timezone.utc)
    at(monkeypatch, start)
    client = client_as(app, "admin")
    at(monkeypatch, start + timedelta(hours=2) - timedelta(seconds=1))
    assert client.get("/admin/").status_code == 200
    at(monkeypatch, start + timedelta(hours=2))
    assert client.get("/admin/").status_code == 302


def test_a_session_without_a_sign_in_time_is_ended(app):
    client = client_as(app, "admin")
    with client.session_transaction() as session:
        session.pop("signed_in_at")
    assert client.get("/admin/").status_code == 302
