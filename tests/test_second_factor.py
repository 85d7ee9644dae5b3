"""The second factor: enrolment by QR, the code after the password, reuse, recovery codes, throttling, the
admin's reset, hostile codes, the command line and the demo's published secrets."""

from __future__ import annotations

import base64
import html
import io
import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from unittest import mock
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest
import zxingcpp
from PIL import Image

from inspector import demo, second_factor, timefmt
from inspector.passwords import hash_password, verify_password
from tests.support.auth import enter_code, login, sign_in
from tests.support.builders import PASSWORD, ROLE_USERS, add_account, make_app
from tests.support.second_factor import code_at_step, current_code

REVIEWER = ROLE_USERS["reviewer"]
SETUP = "/akun/dua-langkah"
CODE_PAGE = "/masuk/kode"
# A fixed moment in the middle of a 30-second step: the codes below are those of this step.
MOMENT = datetime(2026, 12, 7, 8, 0, 15, tzinfo=timezone.utc)
STEP = int(MOMENT.timestamp()) // 30


@pytest.fixture
def at_moment(monkeypatch):
    """The app's one clock stopped at MOMENT (a test moves it with ``at_moment.now = ...``)."""
    clock = mock.Mock(now=MOMENT)
    monkeypatch.setattr(timefmt, "now", lambda: clock.now)
    return clock


def text(response) -> str:
    return response.get_data(as_text=True)


def field_errors(page: str) -> list[str]:
    return [html.unescape(m) for m in re.findall(r'<p class="error" id="[\w-]+-error">(.*?)</p>', page)]


def audit_entries(app) -> list[dict]:
    folder = Path(app.config["INSPECTOR_DATA_DIR"]) / "audit"
    return [json.loads(line) for p in sorted(folder.glob("*.jsonl"))
            for line in p.read_text(encoding="utf-8").splitlines() if line.strip()]


def users_file(app) -> bytes:
    return (Path(app.config["INSPECTOR_DATA_DIR"]) / "users.json").read_bytes()


def password_step(client, username: str = REVIEWER):
    response = login(client, username)
    assert response.status_code == 302 and response.headers["Location"] == CODE_PAGE, response.status_code
    return response


def secret_of(store, username: str = REVIEWER) -> str:
    return store.users.by_username(username)["totp_secret"]


def pending_secret(page: str) -> str:
    match = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', page)
    assert match, "no secret shown as text"
    return match.group(1).replace(" ", "")


def qr_payload(page: str) -> str:
    match = re.search(r'<img class="qr" src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert match, "no inline QR image"
    [found] = zxingcpp.read_barcodes(Image.open(io.BytesIO(base64.b64decode(match.group(1)))))
    return found.text


# --- Enrolment -------------------------------------------------------------------------------------------

def test_a_reviewer_without_a_second_factor_reaches_only_the_enrolment_page(app, store):
    add_account(store, "peninjau.baru", "reviewer", two_step=False)
    client = app.test_client()
    assert login(client, "peninjau.baru").headers["Location"] == "/tinjau/"  # signed in, but ...
    for path in ("/tinjau/", "/tinjau/laporan-masyarakat", "/admin/lks", "/akun/sandi", "/tinjau/pantauan"):
        response = client.get(path)
        assert (response.status_code, response.headers.get("Location")) == (303, SETUP), path
    response = client.post("/tinjau/setujui-massal", data={"semua": "1"})
    assert (response.status_code, response.headers.get("Location")) == (303, SETUP)
    page = client.get(SETUP)
    assert page.status_code == 200 and "wajib" in text(page)


def test_enrolment_shows_a_qr_and_the_secret_and_takes_effect_only_after_one_code(app, store, at_moment):
    record = add_account(store, "peninjau.baru", "reviewer", two_step=False)
    client = app.test_client()
    login(client, "peninjau.baru")
    assert client.post(SETUP, data={"action": "start"}).status_code == 303
    page = client.get(SETUP)
    assert page.headers["Cache-Control"] == "no-store"
    secret = pending_secret(text(page))
    uri = qr_payload(text(page))
    assert urlsplit(uri).scheme == "otpauth" and urlsplit(uri).netloc == "totp"
    assert parse_qs(urlsplit(uri).query)["secret"] == [secret]
    assert "peninjau.baru" in uri
    assert not second_factor.enrolled(store.users.get(record["id"]))
    assert client.get("/tinjau/").status_code == 303  # a pending secret is not a second factor yet

    wrong = client.post(SETUP, data={"action": "confirm", "code": code_at_step(secret, STEP + 5)})
    assert wrong.status_code == 400 and field_errors(text(wrong)) == [second_factor.WRONG]
    assert not second_factor.enrolled(store.users.get(record["id"]))

    done = client.post(SETUP, data={"action": "confirm", "code": code_at_step(secret, STEP)})
    assert done.status_code == 200 and done.headers["Cache-Control"] == "no-store"
    codes = re.findall(r"<li><code>([A-Z2-9]{5}-[A-Z2-9]{5})</code></li>", text(done))
    assert len(codes) == 10 == len(set(codes))
    stored = store.users.get(record["id"])
    assert stored["totp_secret"] == secret and "totp_pending" not in stored
    assert len(stored["recovery_hashes"]) == 10
    assert all(h.startswith("$argon2id$") for h in stored["recovery_hashes"])
    assert not any(code.replace("-", "") in json.dumps(stored) for code in codes)  # hashes only
    assert verify_password(stored["recovery_hashes"][0], codes[0].replace("-", ""))
    assert client.get("/tinjau/").status_code == 200
    assert [e["action"] for e in audit_entries(app)][-1] == "second_factor_enrolled"
    assert client.get(SETUP).status_code == 200 and "<li><code>" not in text(client.get(SETUP))  # shown once


def test_an_inspector_may_turn_it_on_and_off(app, store, at_moment):
    client = app.test_client()
    sign_in(client, "inspector")
    client.post(SETUP, data={"action": "start"})
    secret = pending_secret(text(client.get(SETUP)))
    assert client.post(SETUP, data={"action": "confirm", "code": code_at_step(secret, STEP)}).status_code == 200
    again = app.test_client()
    assert login(again, ROLE_USERS["inspector"]).headers["Location"] == CODE_PAGE  # now asked for a code
    wrong = client.post(SETUP, data={"action": "off", "password": "bukan-sandinya"})
    assert wrong.status_code == 400 and second_factor.enrolled(store.users.by_username(ROLE_USERS["inspector"]))
    assert client.post(SETUP, data={"action": "off", "password": PASSWORD}).status_code == 303
    assert not second_factor.enrolled(store.users.by_username(ROLE_USERS["inspector"]))
    assert login(app.test_client(), ROLE_USERS["inspector"]).headers["Location"] == "/inspeksi/"


def test_an_admin_or_reviewer_cannot_turn_it_off(app, store):
    client = app.test_client()
    sign_in(client, "reviewer")
    response = client.post(SETUP, data={"action": "off", "password": PASSWORD})
    assert response.status_code == 400 and "wajib" in text(response)
    assert second_factor.enrolled(store.users.by_username(REVIEWER))


# --- Signing in with a code ------------------------------------------------------------------------------

def test_a_reviewer_cannot_reach_the_queue_between_the_password_and_the_code(app):
    client = app.test_client()
    password_step(client)
    response = client.get("/tinjau/")
    assert response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/masuk"
    page = client.get(CODE_PAGE)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert 'name="code"' in text(page) and 'autocomplete="one-time-code"' in text(page)


def test_the_right_code_signs_in_and_keeps_the_next_path(app, store, at_moment):
    client = app.test_client()
    login(client, REVIEWER, query_string={"next": "/tinjau/pantauan"})
    response = enter_code(client, code_at_step(secret_of(store), STEP))
    assert (response.status_code, response.headers["Location"]) == (302, "/tinjau/pantauan")
    assert client.get("/tinjau/").status_code == 200
    entry = audit_entries(app)[-1]
    assert (entry["action"], entry["details"]) == ("sign_in", {"second_factor": "totp"})


def test_a_code_of_the_step_before_or_after_is_accepted_but_not_two_steps_away(app, store, at_moment):
    secret = secret_of(store)
    for offset, status in ((-2, 401), (2, 401), (-1, 302), (1, 302)):
        client = app.test_client()
        password_step(client)
        assert enter_code(client, code_at_step(secret, STEP + offset)).status_code == status, offset


def test_a_wrong_code_is_refused_in_indonesian(app, store, at_moment):
    client = app.test_client()
    password_step(client)
    response = enter_code(client, code_at_step(secret_of(store), STEP + 7))
    assert response.status_code == 401 and field_errors(text(response)) == [second_factor.WRONG]
    assert client.get("/tinjau/").status_code == 302
    assert audit_entries(app)[-1]["action"] == "second_factor_failed"


def test_a_code_is_accepted_once_within_its_window(app, store, at_moment):
    code = code_at_step(secret_of(store), STEP)
    first = app.test_client()
    password_step(first)
    assert enter_code(first, code).status_code == 302
    second = app.test_client()  # someone who saw the code, or the same person a second time
    password_step(second)
    response = enter_code(second, code)
    assert response.status_code == 401 and field_errors(text(response)) == [second_factor.REUSED]
    assert second.get("/tinjau/").status_code == 302
    # nor an earlier step's code once a later one was accepted; the next step's code works
    assert enter_code(second, code_at_step(secret_of(store), STEP - 1)).status_code == 401
    at_moment.now = MOMENT + timedelta(seconds=30)
    assert enter_code(second, code_at_step(secret_of(store), STEP + 1)).status_code == 302


def test_a_recovery_code_works_once(app, store, at_moment):
    record = store.users.by_username(REVIEWER)
    codes = ["ABCDEFGHJK", "MNPQRSTUVW"]
    second_factor.activate(store, record["id"], secret_of(store), tuple(map(hash_password, codes)))
    client = app.test_client()
    password_step(client)
    response = enter_code(client, "abcde-fghjk")  # as printed, typed in lower case
    assert response.status_code == 302
    assert audit_entries(app)[-1]["details"] == {"second_factor": "recovery"}
    assert second_factor.recovery_left(store.users.get(record["id"])) == 1
    again = app.test_client()
    password_step(again)
    assert enter_code(again, "ABCDEFGHJK").status_code == 401
    assert enter_code(again, "MNPQR STUVW").status_code == 302


def test_the_pending_sign_in_lapses_after_five_minutes(app, store, at_moment):
    client = app.test_client()
    password_step(client)
    at_moment.now = MOMENT + timedelta(minutes=6)
    response = enter_code(client, current_code(store, REVIEWER))
    assert (response.status_code, response.headers["Location"]) == (302, "/masuk")
    assert client.get("/tinjau/").status_code == 302


def test_without_a_password_step_the_code_page_sends_to_sign_in(client):
    for method in ("GET", "POST"):
        response = client.open(CODE_PAGE, method=method, data={"code": "123456"})
        assert (response.status_code, response.headers["Location"]) == (302, "/masuk"), method


class Clock:
    def __init__(self, now: float):
        self.now = now

    def time(self) -> float:
        return self.now


def test_wrong_codes_are_throttled_like_passwords(app, store, at_moment):
    free = int(app.config["INSPECTOR_LOGIN_FREE_FAILURES"])
    clock = Clock(1_800_000_000.0)
    with mock.patch("inspector.signin_throttle.time", clock):
        client = app.test_client()
        password_step(client)
        statuses = [enter_code(client, code_at_step(secret_of(store), STEP + 9)).status_code for _ in range(free)]
        assert statuses == [401] * free
        response = enter_code(client, code_at_step(secret_of(store), STEP))  # even the right code must wait
        assert response.status_code == 429
        wait = int(response.headers["Retry-After"])
        assert 0 < wait and f"Coba lagi dalam {wait} detik" in text(response)
        assert client.get("/tinjau/").status_code == 302
        clock.now += wait
        assert enter_code(client, code_at_step(secret_of(store), STEP)).status_code == 302
    failures = [e for e in audit_entries(app) if e["action"] == "second_factor_failed"]
    assert len(failures) == free


@pytest.mark.parametrize("code", ["12345", "1234567", "abcdef", "１２３４５６", "١٢٣٤٥٦", "12 34 5x",
                                  "<script>", "' OR 1=1 --", "123456\x00", "9" * 33, "A" * 100_000, "ABCDEFGHJ0"])
def test_hostile_codes_are_refused_with_a_4xx_in_indonesian(app, store, code, caplog):
    client = app.test_client()
    password_step(client)
    before = users_file(app)
    response = enter_code(client, code)
    assert response.status_code == 400
    assert field_errors(text(response)) in ([second_factor.MALFORMED], [second_factor.TOO_LONG])
    assert users_file(app) == before
    assert "a code of" in caplog.text and "that is no code was refused" in caplog.text
    if len(code) > 3:
        assert code not in caplog.text
    assert client.get("/tinjau/").status_code == 302
    confirm = app.test_client()
    sign_in(confirm, "inspector")
    confirm.post(SETUP, data={"action": "start"})
    response = confirm.post(SETUP, data={"action": "confirm", "code": code})
    assert response.status_code == 400 and field_errors(text(response))


@pytest.mark.parametrize("data", [{}, {"code": ""}, {"action": "hapus-semua"}, {"action": "x" * 10_000}])
def test_empty_or_unknown_forms_are_refused(app, data):
    client = app.test_client()
    password_step(client)
    if "action" not in data:
        assert client.post(CODE_PAGE, data=data).status_code == 400
    signed_in = app.test_client()
    sign_in(signed_in, "inspector")
    response = signed_in.post(SETUP, data=data)
    assert response.status_code == 400 and "Permintaan tidak dikenal" in text(response)


# --- The admin's reset -----------------------------------------------------------------------------------

def test_an_admin_resets_a_reviewers_second_factor_after_a_confirmation(app, store):
    reviewer = store.users.by_username(REVIEWER)
    reviewer_client = app.test_client()
    sign_in(reviewer_client, "reviewer")
    admin = app.test_client()
    sign_in(admin, "admin")
    assert f"/admin/akun/{reviewer['id']}/dua-langkah" in text(admin.get("/admin/akun"))
    before = users_file(app)
    page = admin.get(f"/admin/akun/{reviewer['id']}/dua-langkah")
    assert page.status_code == 200 and "Ya, atur ulang" in text(page)
    assert users_file(app) == before  # asking is not doing
    response = admin.post(f"/admin/akun/{reviewer['id']}/dua-langkah")
    assert (response.status_code, response.headers["Location"]) == (303, "/admin/akun")
    stored = store.users.get(reviewer["id"])
    assert not set(second_factor.FIELDS) & set(stored)
    assert stored["session_version"] == reviewer["session_version"] + 1
    entry = audit_entries(app)[-1]
    assert (entry["action"], entry["target_id"], entry["actor_id"]) == (
        "second_factor_reset", reviewer["id"], store.users.by_username(ROLE_USERS["admin"])["id"])
    assert reviewer_client.get("/tinjau/").status_code == 302  # signed out everywhere
    again = app.test_client()
    assert login(again, REVIEWER).headers["Location"] == "/tinjau/"  # no code asked: there is none ...
    assert again.get("/tinjau/").headers["Location"] == SETUP  # ... so enrolling comes first


def test_only_an_admin_may_reset_and_an_unknown_account_is_404(app, store):
    reviewer = store.users.by_username(REVIEWER)
    for role in ("reviewer", "inspector", "operator"):
        client = app.test_client()
        sign_in(client, role)
        assert client.post(f"/admin/akun/{reviewer['id']}/dua-langkah").status_code == 403, role
    admin = app.test_client()
    sign_in(admin, "admin")
    for user_id in ("u000000000000", "x" * 500, "../users"):
        assert admin.get(f"/admin/akun/{user_id}/dua-langkah").status_code == 404
    assert second_factor.enrolled(store.users.get(reviewer["id"]))


# --- Secrets stay secret ---------------------------------------------------------------------------------

def test_secrets_and_codes_are_never_logged_nor_audited(app, store, caplog, at_moment):
    caplog.set_level("DEBUG")
    client = app.test_client()
    password_step(client)
    code = code_at_step(secret_of(store), STEP)
    enter_code(client, code_at_step(secret_of(store), STEP + 4))
    enter_code(client, code)
    trail = json.dumps(audit_entries(app))
    for secret in (secret_of(store), code):
        assert secret not in caplog.text and secret not in trail


# --- Command line and demo -------------------------------------------------------------------------------

def cli(app, *args):
    with app.app_context():
        return app.test_cli_runner().invoke(args=list(args))


def test_the_command_line_creates_the_first_admin_with_an_enrolment_secret(tmp_path, at_moment):
    app = make_app(tmp_path)
    store = app.extensions["store"]
    result = cli(app, "users", "create", "kepala.admin", "--role", "admin", "--name", "Kepala",
                 "--password", "sandi-kuat-pertama-1")
    assert result.exit_code == 0, result.output
    secret = re.search(r"secret: ([A-Z2-7]{32})", result.output).group(1)
    uri = re.search(r"(otpauth://totp/\S+)", result.output).group(1)
    assert parse_qs(urlsplit(uri).query)["secret"] == [secret]
    assert store.users.by_username("kepala.admin")["totp_pending"] == secret
    client = app.test_client()
    login(client, "kepala.admin", "sandi-kuat-pertama-1")
    assert client.get("/admin/").headers["Location"] == SETUP
    assert pending_secret(text(client.get(SETUP))) == secret  # the same secret, to confirm with a code
    assert client.post(SETUP, data={"action": "confirm", "code": code_at_step(secret, STEP)}).status_code == 200
    assert client.get("/admin/").status_code == 200
    result = cli(app, "users", "reset-second-factor", "kepala.admin")
    assert result.exit_code == 0 and "secret: " in result.output
    assert not second_factor.enrolled(store.users.by_username("kepala.admin"))
    assert audit_entries(app)[-1]["action"] == "second_factor_reset"


def test_the_demo_admin_and_reviewer_sign_in_with_the_secrets_in_the_readme(tmp_path):
    app = make_app(tmp_path)
    credentials = demo.seed(app.extensions["store"])
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    for username, password, role in credentials:
        client = app.test_client()
        response = login(client, username, password)
        if role in ("admin", "reviewer"):
            secret = demo.DEMO_SECRETS[username]
            assert f"| `{username}` | `{secret}` |" in readme
            assert response.headers["Location"] == CODE_PAGE
            response = enter_code(client, pyotp.TOTP(secret).now())
        assert response.status_code == 302 and response.headers["Location"] != CODE_PAGE, username
    assert "pyotp.TOTP(" in readme and "oathtool --totp -b" in readme
