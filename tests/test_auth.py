"""Signing in and out, sessions, cookies, password hashes, CSRF and the ``flask users`` commands (throttling:
tests/test_signin_throttle.py)."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from inspector import accounts
from inspector.passwords import verify_password
from tests.support.auth import client_as, finish_sign_in, login, sign_in
from tests.support.builders import PASSWORD, ROLE_USERS, add_account, make_app

# Written out by hand rather than taken from inspector.auth.role_home, so a wrong mapping is caught.
HOME = {"admin": "/admin/", "reviewer": "/tinjau/", "inspector": "/inspeksi/", "operator": "/operator/"}
NEW_PASSWORD = "sandi-baru-kuat-456"
WRONG_PASSWORD = "bukan-sandinya-789"
BAD_LOGIN_TEXT = "Nama pengguna atau kata sandi salah"
CSRF_TEXT = "Formulir kedaluwarsa atau tidak sah"
ARGON2ID = re.compile(r"^\$argon2id\$v=(\d+)\$m=(\d+),t=(\d+),p=(\d+)\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$")


def is_signed_in(client, role: str) -> bool:
    """Whether the client's session still opens the role's home page (else: sent to sign in)."""
    response = client.get(HOME[role])
    assert response.status_code in (200, 302), response.status_code
    if response.status_code == 302:
        assert urlsplit(response.headers["Location"]).path == "/masuk"
    return response.status_code == 200


def user(store, role: str) -> dict:
    return store.users.by_username(ROLE_USERS[role])


def assert_argon2id(stored_hash: str, password: str) -> None:
    match = ARGON2ID.match(stored_hash or "")
    assert match, stored_hash
    version, memory, time_cost, parallelism = (int(g) for g in match.groups())
    assert version == 19
    assert memory >= 19456, memory  # OWASP minimum for Argon2id: 19 MiB
    assert time_cost >= 2, time_cost
    assert parallelism >= 1
    assert password not in stored_hash
    assert verify_password(stored_hash, password)


def set_cookie(response, name: str = "session") -> tuple[str, set[str]]:
    """The value and the lower-cased attributes of the cookie ``name`` the response sets."""
    for header in response.headers.getlist("Set-Cookie"):
        first, *attributes = [part.strip() for part in header.split(";")]
        if first.startswith(f"{name}="):
            return first.partition("=")[2], {a.lower() for a in attributes}
    raise AssertionError(f"no {name} cookie set: {response.headers.getlist('Set-Cookie')}")


@pytest.fixture
def bare_app(tmp_path, monkeypatch):
    """An app without seeded accounts (cheaper: every account costs an Argon2 hash)."""
    for key in ("INSPECTOR_HTTPS", "INSPECTOR_BASE_URL", "INSPECTOR_LOGIN_FREE_FAILURES",
                "INSPECTOR_LOGIN_MAX_WAIT_SECONDS"):
        monkeypatch.delenv(key, raising=False)
    return make_app(tmp_path)


def add_admin(app, username: str = "budi.admin") -> dict:
    """An admin account whose password the account rules hash themselves (not the run's one hash)."""
    return add_account(app.extensions["store"], username, "admin", name="Budi Uji", hash_now=True)


# --- Signing in ----------------------------------------------------------------

def test_login_redirects_to_role_home(app):
    for role, username in ROLE_USERS.items():
        client = app.test_client()
        assert not is_signed_in(client, role)
        response = sign_in(client, username)  # after the second step for the admin and the reviewer
        assert response.status_code == 302, role
        assert response.headers["Location"] == HOME[role], role
        assert is_signed_in(client, role), role


def test_username_is_not_case_sensitive(client):
    response = sign_in(client, "  " + ROLE_USERS["reviewer"].upper())
    assert response.status_code == 302
    assert response.headers["Location"] == HOME["reviewer"]


def test_wrong_password_is_refused_in_indonesian(client):
    response = login(client, ROLE_USERS["admin"], WRONG_PASSWORD)
    assert response.status_code == 401
    assert BAD_LOGIN_TEXT in response.get_data(as_text=True)
    assert not is_signed_in(client, "admin")


def test_unknown_username_gets_the_same_answer(client):
    response = login(client, "tidak.ada")
    assert response.status_code == 401
    assert BAD_LOGIN_TEXT in response.get_data(as_text=True)


def test_empty_form_is_refused(client):
    response = client.post("/masuk", data={"username": "", "password": ""})
    assert response.status_code == 400
    assert "Wajib diisi" in response.get_data(as_text=True)


def test_disabled_account_cannot_sign_in_and_loses_its_sessions(app, store):
    earlier = client_as(app, "inspector")
    assert accounts.set_active(store, user(store, "inspector")["id"], False) is None
    assert not is_signed_in(earlier, "inspector")
    client = app.test_client()
    response = login(client, ROLE_USERS["inspector"])
    assert response.status_code == 401
    assert BAD_LOGIN_TEXT in response.get_data(as_text=True)
    assert not is_signed_in(client, "inspector")
    accounts.set_active(store, user(store, "inspector")["id"], True)
    assert login(client, ROLE_USERS["inspector"]).status_code == 302


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example", "/\\evil", "\\\\evil.example",
                                    "javascript:alert(1)", "evil.example/masuk", "http:/evil.example"])
def test_next_to_another_site_is_ignored_when_signed_in(app, target):
    client = client_as(app, "admin")
    response = client.get("/masuk", query_string={"next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == HOME["admin"]


def test_next_is_honoured_only_for_same_site_paths(app, store):
    code = store.lks.all()[0]["code"]
    for target in ("https://evil.example/", "//evil.example", "/\\evil"):
        client = app.test_client()
        response = finish_sign_in(client, login(client, ROLE_USERS["reviewer"], query_string={"next": target}),
                                  ROLE_USERS["reviewer"])
        assert response.status_code == 302, target
        assert response.headers["Location"] == HOME["reviewer"], target
    for target in (f"/l/{code}", "/admin/lks?q=panti"):
        client = app.test_client()
        response = finish_sign_in(client, login(client, ROLE_USERS["reviewer"], query_string={"next": target}),
                                  ROLE_USERS["reviewer"])
        assert response.status_code == 302, target
        assert response.headers["Location"] == target


def test_protected_page_sends_to_sign_in_and_back(client):
    response = client.get("/admin/lks", query_string={"q": "panti"})
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/masuk"
    assert parse_qs(location.query)["next"] == ["/admin/lks?q=panti"]
    response = client.post(response.headers["Location"],
                           data={"username": ROLE_USERS["admin"], "password": PASSWORD})
    response = finish_sign_in(client, response, ROLE_USERS["admin"])  # the next path survives the second step
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/lks?q=panti"
    assert client.get("/admin/lks?q=panti").status_code == 200


# --- Ending sessions -------------------------------------------------------------

def test_logout_ends_the_sessions_on_other_clients_too(app):
    phone, laptop = client_as(app, "inspector"), client_as(app, "inspector")
    assert is_signed_in(phone, "inspector") and is_signed_in(laptop, "inspector")
    response = phone.post("/keluar")
    assert response.status_code == 302
    assert response.headers["Location"] == "/masuk"
    assert not is_signed_in(phone, "inspector")
    assert not is_signed_in(laptop, "inspector")
    assert login(laptop, ROLE_USERS["inspector"]).status_code == 302  # signing in again still works
    assert is_signed_in(laptop, "inspector")
    assert not is_signed_in(phone, "inspector")


def test_logout_of_one_account_leaves_other_accounts_signed_in(app):
    inspector_client, admin_client = client_as(app, "inspector"), client_as(app, "admin")
    assert inspector_client.post("/keluar").status_code == 302
    assert not is_signed_in(inspector_client, "inspector")
    assert is_signed_in(admin_client, "admin")


def test_password_change_keeps_this_client_and_ends_the_others(app, store):
    here, elsewhere = client_as(app, "operator"), client_as(app, "operator")
    old_hash = user(store, "operator")["password_hash"]

    def change(current, new, repeat):
        return here.post("/akun/sandi", data={"current": current, "new": new, "repeat": repeat})

    for (current, new, repeat), message in (
            ((WRONG_PASSWORD, NEW_PASSWORD, NEW_PASSWORD), "Kata sandi sekarang salah."),
            ((PASSWORD, NEW_PASSWORD, NEW_PASSWORD + "x"), "Kedua kata sandi baru tidak sama."),
            ((PASSWORD, "pendek", "pendek"), "Kata sandi minimal 10 karakter.")):
        response = change(current, new, repeat)
        assert response.status_code == 400
        assert message in response.get_data(as_text=True)
    assert user(store, "operator")["password_hash"] == old_hash
    assert is_signed_in(elsewhere, "operator")

    response = change(PASSWORD, NEW_PASSWORD, NEW_PASSWORD)
    assert response.status_code == 302
    assert response.headers["Location"] == HOME["operator"]
    assert is_signed_in(here, "operator")
    assert not is_signed_in(elsewhere, "operator")
    assert_argon2id(user(store, "operator")["password_hash"], NEW_PASSWORD)
    assert login(app.test_client(), ROLE_USERS["operator"], PASSWORD).status_code == 401
    assert login(app.test_client(), ROLE_USERS["operator"], NEW_PASSWORD).status_code == 302


def test_admin_password_reset_ends_the_users_sessions(app, store):
    inspector_client, admin_client = client_as(app, "inspector"), client_as(app, "admin")
    target = user(store, "inspector")["id"]

    response = admin_client.post(f"/admin/akun/{target}/sandi", data={"password": "pendek"})
    assert response.status_code == 400
    assert "minimal 10 karakter" in response.get_data(as_text=True)
    assert is_signed_in(inspector_client, "inspector")

    response = admin_client.post(f"/admin/akun/{target}/sandi", data={"password": NEW_PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/akun"
    assert not is_signed_in(inspector_client, "inspector")
    assert is_signed_in(admin_client, "admin")
    assert_argon2id(user(store, "inspector")["password_hash"], NEW_PASSWORD)
    assert login(app.test_client(), ROLE_USERS["inspector"], PASSWORD).status_code == 401
    assert login(inspector_client, ROLE_USERS["inspector"], NEW_PASSWORD).status_code == 302


# --- Cookies -----------------------------------------------------------------------

@pytest.mark.parametrize("overrides, env_https, secure", [
    ({"INSPECTOR_BASE_URL": "https://lks.tangerangkota.go.id"}, None, True),
    ({"INSPECTOR_BASE_URL": "http://10.0.0.5:8000", "INSPECTOR_HTTPS": "1"}, None, True),
    ({"INSPECTOR_BASE_URL": "http://10.0.0.5:8000"}, "1", True),
    ({"INSPECTOR_BASE_URL": "http://localhost:8000"}, None, False),
    ({"INSPECTOR_BASE_URL": "http://localhost:8000", "INSPECTOR_HTTPS": "0"}, None, False),
])
def test_session_cookie_flags(tmp_path, monkeypatch, overrides, env_https, secure):
    for key in ("INSPECTOR_HTTPS", "INSPECTOR_BASE_URL"):
        monkeypatch.delenv(key, raising=False)
    if env_https is not None:
        monkeypatch.setenv("INSPECTOR_HTTPS", env_https)
    app = make_app(tmp_path, **overrides)
    assert app.config["SESSION_COOKIE_SECURE"] is secure
    assert app.config["REMEMBER_COOKIE_SECURE"] is secure
    add_admin(app)
    response = login(app.test_client(), "budi.admin")
    assert response.status_code == 302
    value, attributes = set_cookie(response)
    assert value
    assert "httponly" in attributes
    assert "samesite=lax" in attributes
    assert ("secure" in attributes) is secure


# --- Password hashes -----------------------------------------------------------------

def test_password_hashes_are_argon2id_and_never_the_password(app, store):
    seeded = user(store, "admin")["password_hash"]
    add_admin(app, "budi.baru")  # hashed by the account rules
    records = store.users.all()
    assert len(records) == len(ROLE_USERS) + 1
    assert not verify_password(seeded, WRONG_PASSWORD)
    for record in records:
        assert_argon2id(record["password_hash"], PASSWORD)
        assert all(PASSWORD not in str(value) for value in record.values())
    assert user(store, "admin")["password_hash"] != store.users.by_username("budi.baru")["password_hash"]  # salted
    data_dir = app.config["INSPECTOR_DATA_DIR"]
    for path in Path(data_dir).rglob("*"):
        if path.is_file():
            assert PASSWORD.encode() not in path.read_bytes(), path


def test_no_password_hash_in_pages(app, store):
    admin = client_as(app, "admin")
    for path in ("/admin/akun", f"/admin/akun/{user(store, 'operator')['id']}/ubah"):
        response = admin.get(path)
        assert response.status_code == 200, path
        html = response.get_data(as_text=True)
        assert ROLE_USERS["operator"] in html
        assert "$argon2" not in html
        assert "password_hash" not in html


# --- CSRF ---------------------------------------------------------------------------

def csrf_token(client) -> str:
    html = client.get("/masuk").get_data(as_text=True)
    match = re.search(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, html
    return match.group(1)


@pytest.fixture
def csrf_app(tmp_path):
    app = make_app(tmp_path, WTF_CSRF_ENABLED=True)
    add_admin(app)
    return app


def test_csrf_token_lives_as_long_as_the_session(csrf_app):
    assert csrf_app.config["WTF_CSRF_ENABLED"] is True
    assert "WTF_CSRF_TIME_LIMIT" in csrf_app.config
    assert csrf_app.config["WTF_CSRF_TIME_LIMIT"] is None


def test_login_without_csrf_token_is_refused_in_indonesian(csrf_app):
    client = csrf_app.test_client()
    response = login(client, "budi.admin")
    assert response.status_code == 400
    assert CSRF_TEXT in response.get_data(as_text=True)
    assert not is_signed_in(client, "admin")


def test_login_with_token_from_another_session_is_refused(csrf_app):
    stranger_token = csrf_token(csrf_app.test_client())
    client = csrf_app.test_client()
    csrf_token(client)  # the client has a session with its own token
    response = client.post("/masuk", data={"username": "budi.admin", "password": PASSWORD,
                                           "csrf_token": stranger_token})
    assert response.status_code == 400
    assert CSRF_TEXT in response.get_data(as_text=True)


def test_login_with_token_from_the_login_page_works(csrf_app):
    client = csrf_app.test_client()
    token = csrf_token(client)
    # Other requests in between (a wrong password, another page) do not spoil the token fetched earlier.
    response = client.post("/masuk", data={"username": "budi.admin", "password": WRONG_PASSWORD, "csrf_token": token})
    assert response.status_code == 401
    assert client.get("/").status_code == 200
    response = client.post("/masuk", data={"username": "budi.admin", "password": PASSWORD, "csrf_token": token})
    response = finish_sign_in(client, response, "budi.admin")
    assert response.status_code == 302
    assert response.headers["Location"] == HOME["admin"]
    assert is_signed_in(client, "admin")


class _SignedLongAgo(TimestampSigner):
    def get_timestamp(self) -> int:
        return super().get_timestamp() - 30 * 24 * 3600  # a month ago


def test_token_signed_long_ago_still_validates(csrf_app):
    client = csrf_app.test_client()
    csrf_token(client)
    with client.session_transaction() as session:
        raw = session["csrf_token"]
    old_token = URLSafeTimedSerializer(csrf_app.secret_key, salt="wtf-csrf-token", signer=_SignedLongAgo).dumps(raw)
    form = {"username": "budi.admin", "password": PASSWORD, "csrf_token": old_token}
    setting = csrf_app.config["WTF_CSRF_TIME_LIMIT"]

    # Proof that the token really is old: with Flask-WTF's usual one-hour limit it is refused.
    csrf_app.config["WTF_CSRF_TIME_LIMIT"] = 3600
    response = client.post("/masuk", data=form)
    assert response.status_code == 400
    assert CSRF_TEXT in response.get_data(as_text=True)

    csrf_app.config["WTF_CSRF_TIME_LIMIT"] = setting  # the app's own setting
    response = finish_sign_in(client, client.post("/masuk", data=form), "budi.admin")
    assert response.status_code == 302
    assert is_signed_in(client, "admin")


# --- flask users ... ----------------------------------------------------------------

def cli(app, *args, input=None):
    # The real `flask` command (FlaskGroup) pushes an app context itself; the test runner does not for
    # these plain click groups (see the report), so the test provides one.
    with app.app_context():
        return app.test_cli_runner().invoke(args=list(args), input=input)


def test_cli_create_account(app, store):
    result = cli(app, "users", "create", "budi.satpol", "--role", "inspector", "--name", "Budi Satpol",
                 "--agency", "Satpol PP", "--password", NEW_PASSWORD)
    assert result.exit_code == 0, result.output
    assert "budi.satpol" in result.output
    record = store.users.by_username("budi.satpol")
    assert (record["role"], record["name"], record["agency"], record["active"]) == (
        "inspector", "Budi Satpol", "Satpol PP", True)
    assert_argon2id(record["password_hash"], NEW_PASSWORD)
    response = login(app.test_client(), "budi.satpol", NEW_PASSWORD)
    assert response.status_code == 302
    assert response.headers["Location"] == HOME["inspector"]


def test_cli_create_operator_with_prompted_password(app, store):
    lks = store.lks.all()[1]
    result = cli(app, "users", "create", "ani.operator", "--role", "operator", "--name", "Ani",
                 "--lks", lks["code"].lower(), input=f"{NEW_PASSWORD}\n{NEW_PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert NEW_PASSWORD not in result.output  # the prompt hides what is typed
    record = store.users.by_username("ani.operator")
    assert record["lks_ids"] == [lks["id"]]
    assert verify_password(record["password_hash"], NEW_PASSWORD)


@pytest.mark.parametrize("args, reason", [
    (["--role", "admin", "--name", "Lemah", "--password", "pendek"], "minimal 10 karakter"),
    (["--role", "admin", "--name", "Lemah", "--password", "aaaaaaaaaaaa"], "mudah ditebak"),
    (["--role", "operator", "--name", "Op", "--lks", "ZZZZZZ", "--password", NEW_PASSWORD], "unknown LKS code"),
    (["--role", "operator", "--name", "Op", "--password", NEW_PASSWORD], "Operator harus terikat"),
    (["--role", "inspector", "--name", "Petugas", "--password", NEW_PASSWORD], "wajib mencantumkan instansi"),
    (["--role", "raja", "--name", "X", "--password", NEW_PASSWORD], "raja"),
])
def test_cli_create_refuses_bad_accounts(bare_app, args, reason):
    result = cli(bare_app, "users", "create", "baru.sekali", *args)
    assert result.exit_code != 0
    assert reason in result.output
    assert bare_app.extensions["store"].users.by_username("baru.sekali") is None


def test_cli_create_refuses_a_taken_username(app, store):
    before = user(store, "admin")
    result = cli(app, "users", "create", ROLE_USERS["admin"], "--role", "reviewer", "--name", "Tiruan",
                 "--password", NEW_PASSWORD)
    assert result.exit_code != 0
    assert "sudah dipakai" in result.output
    assert user(store, "admin") == before


def test_cli_reset_password(app, store):
    client = client_as(app, "reviewer")
    old_hash = user(store, "reviewer")["password_hash"]

    result = cli(app, "users", "reset-password", ROLE_USERS["reviewer"], "--password", "pendek")
    assert result.exit_code != 0
    assert "minimal 10 karakter" in result.output
    assert user(store, "reviewer")["password_hash"] == old_hash
    assert is_signed_in(client, "reviewer")

    result = cli(app, "users", "reset-password", "tidak.ada", "--password", NEW_PASSWORD)
    assert result.exit_code != 0
    assert "no account tidak.ada" in result.output

    result = cli(app, "users", "reset-password", ROLE_USERS["reviewer"], "--password", NEW_PASSWORD)
    assert result.exit_code == 0, result.output
    assert not is_signed_in(client, "reviewer")
    assert_argon2id(user(store, "reviewer")["password_hash"], NEW_PASSWORD)
    assert login(app.test_client(), ROLE_USERS["reviewer"], PASSWORD).status_code == 401
    assert login(client, ROLE_USERS["reviewer"], NEW_PASSWORD).status_code == 302


def test_cli_disable_and_enable(app, store):
    client = client_as(app, "inspector")
    result = cli(app, "users", "disable", ROLE_USERS["inspector"])
    assert result.exit_code == 0, result.output
    assert user(store, "inspector")["active"] is False
    assert not is_signed_in(client, "inspector")
    assert login(client, ROLE_USERS["inspector"]).status_code == 401

    result = cli(app, "users", "disable", "tidak.ada")
    assert result.exit_code != 0
    assert "no account tidak.ada" in result.output

    result = cli(app, "users", "disable", ROLE_USERS["admin"])  # the only admin
    assert result.exit_code != 0
    assert "Admin aktif terakhir" in result.output
    assert user(store, "admin")["active"] is True

    result = cli(app, "users", "enable", ROLE_USERS["inspector"])
    assert result.exit_code == 0, result.output
    assert login(client, ROLE_USERS["inspector"]).status_code == 302


def test_cli_list(app, store):
    accounts.set_active(store, user(store, "operator")["id"], False)
    result = cli(app, "users", "list")
    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line.split()[1:] for line in result.output.splitlines() if line.strip()}
    assert lines == {ROLE_USERS["admin"]: ["admin", "active", "2fa"],
                     ROLE_USERS["reviewer"]: ["reviewer", "active", "2fa"],
                     ROLE_USERS["inspector"]: ["inspector", "active", "-"],
                     ROLE_USERS["operator"]: ["operator", "disabled", "-"]}
    assert "$argon2" not in result.output
    assert PASSWORD not in result.output
    assert user(store, "admin")["totp_secret"] not in result.output
