"""Concerns from the public: the form behind "Laporkan kekhawatiran", its limits, and the reviewers' side.

A report reaches reviewers (queue section, list, page, in-app alert) and nobody else; an invalid, forged,
repeated or rate-limited post stores nothing.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from itsdangerous import TimestampSigner

from inspector import announce, concerns, outbox
from tests.support.auth import client_as
from tests.support.builders import ROLE_USERS, make_app, seed_app
from tests.support.waiting import wait_until

WHAT = "Malam tadi terdengar anak menangis lama dan pengasuh membentak-bentak."


def form_token(client, code: str) -> str:
    page = client.get(f"/l/{code}/lapor")
    assert page.status_code == 200
    return re.search(r'name="form_token" type="hidden" value="([^"]+)"', page.get_data(as_text=True)).group(1)


def report(client, code: str, token: str | None = None, **fields):
    data = {"what": WHAT, "when": "today", "contact": "", **fields}
    data["form_token"] = token or form_token(client, code)
    return client.post(f"/l/{code}/lapor", data=data)


def stored_files(app) -> dict[str, bytes]:
    """Every data file except the audit trail and lock files."""
    root = Path(app.config["INSPECTOR_DATA_DIR"])
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and not p.name.endswith(".lock") and p.relative_to(root).parts[0] != "audit"}


def audit_lines(app) -> list[dict]:
    folder = Path(app.config["INSPECTOR_DATA_DIR"]) / "audit"
    return [json.loads(line) for p in sorted(folder.glob("*.jsonl")) for line in p.read_text("utf-8").splitlines()]


@pytest.fixture
def code(app):
    return app.extensions["store"].lks.all()[0]["code"]


def test_public_page_offers_the_report_form(client, code):
    page = client.get(f"/l/{code}").get_data(as_text=True)
    assert "Laporkan kekhawatiran" in page and f'href="/l/{code}/lapor"' in page
    response = client.get(f"/l/{code}/lapor")
    assert response.headers["Cache-Control"] == "no-store"  # the page carries this visitor's tokens
    form = response.get_data(as_text=True)
    for label in concerns.WHEN.values():
        assert label in form
    assert 'name="what"' in form and 'name="contact"' in form and "Tidak dikirim ke pengelola LKS" in form


def test_a_report_from_a_page_served_before_the_codes_were_english_is_stored_with_the_english_code(store, client, code):
    assert report(client, code, when="minggu-ini").status_code == 303
    assert [r["when"] for r in store.concerns.all()] == ["this_week"]


def test_a_report_is_stored_and_reaches_reviewers_only(app, store, client, code):
    response = report(client, code, contact="Ibu Sari 0812-3456-7890")
    assert response.status_code == 303 and response.headers["Location"] == f"/l/{code}/lapor/terkirim"
    (record,) = store.concerns.all()
    assert (record["what"], record["when"], record["contact"], record["status"]) == (
        WHAT, "today", "Ibu Sari 0812-3456-7890", "open")
    assert not set(record) & {"ip", "client", "remote_addr", "address"}
    thanks = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'href="tel:129"' in thanks and "08111-129-129" in thanks and 'href="tel:110"' in thanks

    reviewer = client_as(app, "reviewer")
    queue = reviewer.get("/tinjau/").get_data(as_text=True)
    assert queue.index("Laporan masyarakat") < queue.index("<h1>Antrean tinjauan</h1>")
    assert "1 laporan belum ditangani" in queue
    listing = reviewer.get("/tinjau/laporan-masyarakat").get_data(as_text=True)
    assert f"/tinjau/laporan-masyarakat/{record['id']}" in listing
    detail = reviewer.get(f"/tinjau/laporan-masyarakat/{record['id']}").get_data(as_text=True)
    assert WHAT in detail and "Ibu Sari 0812-3456-7890" in detail
    reviewer_id = store.users.by_username(ROLE_USERS["reviewer"])["id"]
    (alert,) = store.notifications.for_user(reviewer_id)
    assert (alert["kind"], alert["concern_id"], alert.get("read_at")) == ("concern", record["id"], None)
    assert "Laporan masyarakat" in reviewer.get("/tinjau/notifikasi").get_data(as_text=True)
    opened = reviewer.post("/tinjau/notifikasi/baca", data={"id": alert["id"], "buka": "1"})
    assert opened.headers["Location"] == f"/tinjau/laporan-masyarakat/{record['id']}"

    for role in ("operator", "inspector", "admin"):
        other = client_as(app, role)
        user_id = store.users.by_username(ROLE_USERS[role])["id"]
        assert store.notifications.for_user(user_id) == [], role
        for path in ("/tinjau/laporan-masyarakat", f"/tinjau/laporan-masyarakat/{record['id']}"):
            assert other.get(path).status_code == 403, (role, path)
        assert other.post(f"/tinjau/laporan-masyarakat/{record['id']}/tangani",
                          data={"catatan": "x"}).status_code == 403, role
        home = other.get({"operator": "/operator/", "inspector": "/inspeksi/", "admin": "/admin/"}[role])
        page = home.get_data(as_text=True)
        assert home.status_code == 200 and "Laporan masyarakat" not in page and WHAT not in page, role
    assert store.concerns.get(record["id"])["status"] == "open"


def test_webhook_and_email_carry_no_text_nor_contact(app, store, client, code, receiver, sink):
    """Real deliveries to local servers: the concern.created webhook and the e-mail name the report and the LKS,
    never what it says or who sent it."""
    app.config.update(INSPECTOR_WEBHOOK_URLS=receiver.url("/hook"), INSPECTOR_SMTP_HOST="127.0.0.1",
                      INSPECTOR_SMTP_PORT=str(sink.server_address[1]), INSPECTOR_SMTP_TLS="off",
                      INSPECTOR_ALERT_EMAILS="dinsos@contoh.test")
    try:
        assert report(client, code, contact="Pak Budi 0813-9999").status_code == 303
        record = store.concerns.all()[0]
        (hit,) = wait_until(lambda: receiver.hits, "the webhook")
        (mail,) = wait_until(lambda: sink.messages, "the e-mail")
    finally:
        assert outbox.stop_all()
    payload = json.loads(hit["body"])
    assert payload == {"event": "concern.created", "concern_id": record["id"], "lks_id": record["lks_id"],
                       "lks_code": code, "time": payload["time"]}
    assert hit["headers"]["X-Inspector-Event"] == "concern.created"
    message = mail["message"]
    body = message.get_content()
    assert message["Subject"].startswith("[Inspector] Laporan masyarakat: ")
    assert f"/tinjau/laporan-masyarakat/{record['id']}" in body and "SAPA 129" in body
    for secret in (WHAT, "Pak Budi", "0813"):
        assert secret not in body and secret not in hit["body"].decode() and secret not in str(message["Subject"])
    admin = client_as(app, "admin")
    assert f"Laporan masyarakat {record['id']}" in admin.get("/admin/webhook").get_data(as_text=True)


def test_an_alert_that_fails_does_not_lose_the_report(app, store, client, code, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(store.notifications, "add", broken)
    assert report(client, code).status_code == 303
    assert len(store.concerns.all()) == 1
    assert any("alert_reviewers_of_concern failed" in r.getMessage() for r in caplog.records)
    with pytest.raises(ValueError):
        announce.emit(store, app.config, "concern.deleted", store.concerns.all()[0])


INVALID = [
    ({"what": ""}, "what", "Ceritakan apa yang terjadi."),
    ({"what": "  \x00\u202e  "}, "what", "Ceritakan apa yang terjadi."),
    ({"what": "tolong"}, "what", "minimal 10 karakter"),
    ({"what": "x" * 2001}, "what", "maksimal 2000 karakter"),
    ({"when": ""}, "when", "Pilih kapan kejadiannya."),
    ({"when": "kemarin<script>"}, "when", "Pilih kapan kejadiannya."),
    ({"contact": "0" * 121}, "contact", "maksimal 120 karakter"),
]


def test_invalid_reports_are_refused_in_indonesian_and_store_nothing(app, client, code):
    token = form_token(client, code)
    before = stored_files(app)
    for fields, field, message in INVALID:
        response = report(client, code, token, **fields)
        page = response.get_data(as_text=True)
        assert response.status_code == 400, fields
        assert f'id="{field}-error"' in page and message in page, fields
        assert "kemarin<script>" not in page
    assert stored_files(app) == before


def test_control_characters_are_stripped_and_html_is_shown_escaped(app, store, client, code):
    what = "Pengasuh\u202e memukul\x00 anak <script>alert(1)</script>\r\n\r\n\r\n\r\nBaris kedua\tdi sini"
    assert report(client, code, what=what, contact="<b>Sari</b>\x07\u200f").status_code == 303
    record = store.concerns.all()[0]
    assert record["what"] == "Pengasuh memukul anak <script>alert(1)</script>\n\nBaris kedua di sini"
    assert record["contact"] == "<b>Sari</b>"
    reviewer = client_as(app, "reviewer")
    for path in ("/tinjau/laporan-masyarakat", f"/tinjau/laporan-masyarakat/{record['id']}"):
        page = reviewer.get(path).get_data(as_text=True)
        assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page, path
    assert "<b>Sari</b>" not in page and "&lt;b&gt;Sari&lt;/b&gt;" in page


def test_missing_or_forged_csrf_token_stores_nothing(tmp_path):
    app = make_app(tmp_path, WTF_CSRF_ENABLED=True)
    code = seed_app(app)[0]["code"]
    client = app.test_client()
    page = client.get(f"/l/{code}/lapor").get_data(as_text=True)
    token = re.search(r'name="form_token" type="hidden" value="([^"]+)"', page).group(1)
    csrf = re.search(r'id="csrf_token" name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    before = stored_files(app)
    for extra in ({}, {"csrf_token": "x" * 90}, {"csrf_token": ""}):
        response = client.post(f"/l/{code}/lapor", data={"what": WHAT, "when": "now", "form_token": token, **extra})
        assert response.status_code == 400 and "Formulir kedaluwarsa atau tidak sah" in response.get_data(as_text=True)
    assert stored_files(app) == before and app.extensions["store"].concerns.all() == []
    response = client.post(f"/l/{code}/lapor", data={"what": WHAT, "when": "now", "form_token": token,
                                                      "csrf_token": csrf})
    assert response.status_code == 303 and len(app.extensions["store"].concerns.all()) == 1


@pytest.mark.parametrize("token", ["", "abc", "g" * 32, "0" * 32, "0123456789abcdef" * 2, "0" * 31 + "\x00",
                                   "0" * 33, "eyJsIjoibDEiLCJuIjoiMDAifQ.forged.signature"])
def test_a_token_the_server_did_not_issue_is_refused_and_the_typed_report_is_kept(app, client, code, token):
    """An arbitrary 32-hex string passed once: now only a token this server signed for this LKS's form does."""
    before = stored_files(app)
    response = client.post(f"/l/{code}/lapor", data={"what": WHAT, "when": "now", "contact": "Ibu Sari",
                                                     "form_token": token})
    page = response.get_data(as_text=True)
    assert response.status_code == 400, token
    assert "Formulir ini tidak sah atau sudah kedaluwarsa, jadi laporan belum terkirim" in page
    assert WHAT in page and 'value="Ibu Sari"' in page  # what they typed is shown back, with a fresh token
    fresh = re.search(r'name="form_token" type="hidden" value="([^"]+)"', page).group(1)
    assert fresh != token
    assert stored_files(app) == before
    assert client.post(f"/l/{code}/lapor", data={"what": WHAT, "when": "now", "form_token": fresh}).status_code == 303


def test_a_token_of_another_lks_or_older_than_a_day_is_refused(app, store, client, code, monkeypatch):
    other_code = store.lks.all()[1]["code"]
    other_token = form_token(client, other_code)
    assert report(client, code, other_token).status_code == 400
    token = form_token(client, code)
    later = TimestampSigner.get_timestamp(None) + concerns.FORM_TOKEN_SECONDS + 5  # a day on: the signer's clock
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: later)
    assert report(client, code, token).status_code == 400
    assert store.concerns.all() == []


def test_a_double_tap_stores_one_report(app, store, client, code):
    token = form_token(client, code)
    first, second = report(client, code, token), report(client, code, token)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert len(store.concerns.all()) == 1
    reviewer_id = store.users.by_username(ROLE_USERS["reviewer"])["id"]
    assert len(store.notifications.for_user(reviewer_id)) == 1
    assert [e["action"] for e in audit_lines(app)].count("concern_received") == 1


def test_a_client_may_send_three_reports_an_hour(app, store, code):
    client = app.test_client()
    for _ in range(concerns.PER_CLIENT_PER_HOUR):
        assert report(client, code).status_code == 303
    token = form_token(client, code)
    before = stored_files(app)
    response = report(client, code, token)
    page = response.get_data(as_text=True)
    assert response.status_code == 429 and "Laporan ini belum terkirim" in page and 'href="tel:129"' in page
    assert stored_files(app) == before
    # Another phone is not held back by this one; no address is kept, only keyed hashes.
    other = app.test_client()
    response = other.post(f"/l/{code}/lapor", data={"what": WHAT, "when": "now",
                                                     "form_token": form_token(other, code)},
                          environ_base={"REMOTE_ADDR": "10.9.8.7"})
    assert response.status_code == 303
    throttle = (Path(app.config["INSPECTOR_DATA_DIR"]) / "throttle.json").read_text()
    assert "127.0.0.1" not in throttle and "10.9.8.7" not in throttle


def test_the_window_ends_after_an_hour(store):
    limiter = concerns.ConcernThrottle(store, "rahasia", per_client=2, per_lks=100)
    limiter.count("192.0.2.1", "l1", now=1000.0)
    limiter.count("192.0.2.1", "l1", now=2000.0)
    assert limiter.refused("192.0.2.1", "l1", now=4599.0) is True
    assert limiter.refused("192.0.2.2", "l1", now=4599.0) is False
    assert limiter.refused("192.0.2.1", "l1", now=4600.0) is False  # an hour after the window's first report
    limiter.count("192.0.2.1", "l1", now=4600.0)
    assert limiter.refused("192.0.2.1", "l1", now=4601.0) is False  # a new window, one report in it


def send_from(client, code: str, address: str, what: str = WHAT):
    return client.post(f"/l/{code}/lapor", data={"what": what, "when": "now", "form_token": form_token(client, code)},
                       environ_base={"REMOTE_ADDR": address})


def test_a_flood_about_one_lks_never_refuses_an_honest_report(app, store, code):
    """Past the LKS's hourly count, reports from fresh addresses are still stored (marked, grouped, no alert):
    nobody at the LKS can silence the reports about it. Another LKS is not touched."""
    app.config["INSPECTOR_CONCERNS_PER_LKS_HOUR"] = 4
    client = app.test_client()
    for n in range(4):
        assert send_from(client, code, f"10.0.0.{n + 1}").status_code == 303, n
    honest = "Saya tetangga; tadi malam ada anak dipukul di halaman belakang."
    for n in range(3):
        assert send_from(client, code, f"10.0.1.{n + 1}", f"{honest} ({n})").status_code == 303, n
    stored = store.concerns.all()
    assert len(stored) == 7
    marked = [r for r in stored if r["flood_group"]]
    assert len(marked) == 3 and len({r["flood_group"] for r in marked}) == 1
    assert all(r["what"].startswith(honest) for r in marked)
    reviewer_id = store.users.by_username(ROLE_USERS["reviewer"])["id"]
    assert len(store.notifications.for_user(reviewer_id)) == 4  # the flood alerts nobody again
    other_code = store.lks.all()[1]["code"]
    assert send_from(client, other_code, "10.0.1.1").status_code == 303
    assert store.concerns.all()[0]["flood_group"] is None


def test_a_reviewer_hides_a_flood_in_one_audited_action(app, store, code):
    app.config["INSPECTOR_CONCERNS_PER_LKS_HOUR"] = 2
    client = app.test_client()
    for n in range(5):
        assert send_from(client, code, f"10.0.2.{n + 1}").status_code == 303
    group = next(r["flood_group"] for r in store.concerns.all() if r["flood_group"])
    reviewer = client_as(app, "reviewer")
    listing = reviewer.get("/tinjau/laporan-masyarakat").get_data(as_text=True)
    assert "Diduga banjir laporan" in listing and "Sembunyikan 3 laporan ini" in listing
    response = reviewer.post(f"/tinjau/laporan-masyarakat/banjir/{group}/sembunyikan")
    assert response.status_code == 303
    hidden = [r for r in store.concerns.all() if r["hidden"]]
    assert len(hidden) == 3 and all(r["flood_group"] == group for r in hidden)
    assert "3 laporan yang diduga banjir disembunyikan" in reviewer.get("/tinjau/laporan-masyarakat").get_data(as_text=True)
    listing = reviewer.get("/tinjau/laporan-masyarakat").get_data(as_text=True)
    assert "Diduga banjir laporan" not in listing and "Belum ditangani (2)" in listing
    assert reviewer.get("/tinjau/laporan-masyarakat?status=hidden").get_data(as_text=True).count("Disembunyikan</span>") == 3
    entry = [e for e in audit_lines(app) if e["action"] == "concern_flood_hidden"]
    assert len(entry) == 1 and entry[0]["details"] == {"group": group, "count": 3}
    again = reviewer.post(f"/tinjau/laporan-masyarakat/banjir/{group}/sembunyikan")
    assert again.status_code == 303 and len([e for e in audit_lines(app) if e["action"] == "concern_flood_hidden"]) == 1
    for bad in ("f" + "0" * 12, "x" * 40, "..%00"):
        assert reviewer.post(f"/tinjau/laporan-masyarakat/banjir/{bad}/sembunyikan").status_code == 404, bad


def test_forwarded_for_counts_only_behind_a_configured_proxy(tmp_path):
    def sends(app, n: int) -> list[int]:
        code = app.extensions["store"].lks.all()[0]["code"]
        client = app.test_client()
        return [client.post(f"/l/{code}/lapor", headers={"X-Forwarded-For": f"203.0.113.{i}"},
                            data={"what": WHAT, "when": "now", "form_token": form_token(client, code)}).status_code
                for i in range(n)]

    direct = make_app(tmp_path / "direct")
    seed_app(direct)
    assert sends(direct, 4) == [303, 303, 303, 429]  # a forged header does not make a new client
    proxied = make_app(tmp_path / "proxied", INSPECTOR_PROXIES=1)
    seed_app(proxied)
    assert sends(proxied, 4) == [303] * 4


def test_handled_flow_and_its_audit_entry(app, store, client, code):
    assert report(client, code, contact="Ibu Sari 0812").status_code == 303
    record = store.concerns.all()[0]
    reviewer = client_as(app, "reviewer")
    path = f"/tinjau/laporan-masyarakat/{record['id']}/tangani"
    for note, message in (("", "Tulis singkat apa yang sudah dilakukan."), ("x" * 501, "maksimal 500 karakter")):
        before = stored_files(app)
        response = reviewer.post(path, data={"catatan": note})
        assert response.status_code == 400 and message in response.get_data(as_text=True)
        assert stored_files(app) == before
    note = "Ditelepon; kunjungan mendadak dijadwalkan besok bersama Satpol PP."
    response = reviewer.post(path, data={"catatan": note})
    assert response.status_code == 303
    handled = store.concerns.get(record["id"])
    assert handled["status"] == "handled" and handled["handled_note"] == note
    assert handled["handled_by"] == store.users.by_username(ROLE_USERS["reviewer"])["id"]
    assert "Tidak ada laporan yang belum ditangani" in reviewer.get("/tinjau/").get_data(as_text=True)
    assert record["id"] not in reviewer.get("/tinjau/laporan-masyarakat").get_data(as_text=True)
    assert record["id"] in reviewer.get("/tinjau/laporan-masyarakat?status=handled").get_data(as_text=True)
    assert note in reviewer.get(f"/tinjau/laporan-masyarakat/{record['id']}").get_data(as_text=True)
    again = reviewer.post(path, data={"catatan": "lagi"})
    assert again.status_code == 400 and "sudah ditangani" in again.get_data(as_text=True)
    assert store.concerns.get(record["id"])["handled_note"] == note

    entries = [e for e in audit_lines(app) if e["action"] in ("concern_received", "concern_handled")]
    # The report's entry came through the outbox (staged with the report): it names its outbox entry.
    assert entries[0]["details"].pop("outbox_id").startswith("o")
    assert [(e["action"], e["target_id"], {k: v for k, v in e["details"].items() if k != "digests"})
            for e in entries] == [("concern_received", record["id"], {"lks_id": record["lks_id"]}),
                                  ("concern_handled", record["id"], {"lks_id": record["lks_id"]})]
    # Each carries the digest of the concern as it wrote it, never the concern itself
    assert [e["details"]["digests"][0].rsplit(":", 1)[0] for e in entries] == [f"concern:{record['id']}"] * 2
    trail = json.dumps(audit_lines(app), ensure_ascii=False)
    for secret in (WHAT, "Ibu Sari", "0812", note, "127.0.0.1"):
        assert secret not in trail, secret


def test_unknown_or_malformed_concern_ids_are_not_found(app, store):
    reviewer = client_as(app, "reviewer")
    before = stored_files(app)
    for concern_id in ("c000000000000", "../concerns", "x" * 40, "c%00"):
        assert reviewer.get(f"/tinjau/laporan-masyarakat/{concern_id}").status_code == 404, concern_id
        assert reviewer.post(f"/tinjau/laporan-masyarakat/{concern_id}/tangani",
                             data={"catatan": "ok"}).status_code == 404, concern_id
    assert stored_files(app) == before


def test_an_inactive_lks_takes_no_reports(app, store, client, code):
    lks = store.lks.by_code(code)
    token = form_token(client, code)
    store.lks.change(lks["id"], {"active": False})
    assert client.get(f"/l/{code}/lapor").status_code == 404
    assert report(client, code, token).status_code == 404
    assert store.concerns.all() == []
