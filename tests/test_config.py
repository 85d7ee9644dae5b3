"""Settings, the secret key, where files are served from, WIB times, demo data and the error pages."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import pytest

from inspector import create_app, demo
from inspector import lks as lks_rules
from inspector.auth import ROLES
from inspector.config import REPO_ROOT
from inspector.passwords import verify_password
from inspector.places import KECAMATAN
from inspector.timefmt import format_wib
from tests.support.auth import AuthActions, finish_sign_in
from tests.support.builders import PASSWORD, ROLE_USERS, make_app, seed_app

CODE_RE = re.compile(rf"^[{lks_rules.CODE_ALPHABET}]{{{lks_rules.CODE_LENGTH}}}$")


def kecamatan_of(kelurahan: str) -> str | None:
    """The kecamatan a kelurahan belongs to, or None for an unknown name."""
    return next((kecamatan for kecamatan, names in KECAMATAN.items() if kelurahan in names), None)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    """No INSPECTOR_* setting of the machine running the tests leaks in."""
    for key in list(os.environ):
        if key.startswith("INSPECTOR_"):
            monkeypatch.delenv(key)


# --- The secret key -----------------------------------------------------------------

def test_secret_key_is_generated_once_into_the_data_folder(tmp_path):
    app = make_app(tmp_path)
    path = Path(app.config["INSPECTOR_DATA_DIR"]) / "secret_key"
    assert path.parent == tmp_path / "data"
    key = path.read_text()
    assert re.fullmatch(r"[0-9a-f]{64}", key)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert app.secret_key == key
    assert "INSPECTOR_SECRET_KEY" not in app.config
    assert not list(path.parent.glob(".secret_key.*"))  # no temporary file left behind

    again = make_app(tmp_path)
    assert again.secret_key == key
    assert path.read_text() == key
    assert make_app(tmp_path / "elsewhere").secret_key != key


def test_a_restart_on_the_same_folder_keeps_people_signed_in(tmp_path):
    first = make_app(tmp_path)
    seed_app(first)
    browser = first.test_client()
    AuthActions(browser).login_as("admin")
    cookie = browser.get_cookie("session")
    assert cookie is not None

    restarted = make_app(tmp_path).test_client()
    assert restarted.get("/admin/").status_code == 302  # no cookie: sent to sign in
    restarted.set_cookie("session", cookie.value)
    assert restarted.get("/admin/").status_code == 200

    elsewhere = make_app(tmp_path / "other")
    seed_app(elsewhere)
    stranger = elsewhere.test_client()
    stranger.set_cookie("session", cookie.value)
    assert stranger.get("/admin/").status_code == 302  # another key does not accept the cookie


def test_secret_key_from_the_environment_wins_and_is_not_written(tmp_path, monkeypatch):
    secret = "kunci-rahasia-dari-lingkungan-0123456789abcdef"
    monkeypatch.setenv("INSPECTOR_SECRET_KEY", secret)
    app = make_app(tmp_path)
    assert app.config["SECRET_KEY"] == secret
    assert "INSPECTOR_SECRET_KEY" not in app.config
    data = Path(app.config["INSPECTOR_DATA_DIR"])
    assert not (data / "secret_key").exists()
    seed_app(app)
    AuthActions(app.test_client()).login_as("admin")  # writes users and throttle files
    files = [p for p in data.rglob("*") if p.is_file()]
    assert files
    assert not any(secret.encode() in p.read_bytes() for p in files)


def test_environment_key_wins_over_a_stored_one(tmp_path, monkeypatch):
    stored = make_app(tmp_path).secret_key
    monkeypatch.setenv("INSPECTOR_SECRET_KEY", "kunci-lingkungan-yang-lain-9876543210")
    app = make_app(tmp_path)
    assert app.secret_key == "kunci-lingkungan-yang-lain-9876543210"
    assert (tmp_path / "data" / "secret_key").read_text() == stored


# --- Other settings -----------------------------------------------------------------

def test_data_folder_from_the_environment(tmp_path, monkeypatch):
    folder = tmp_path / "dari-lingkungan" / "data"
    monkeypatch.setenv("INSPECTOR_DATA_DIR", str(folder))
    app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False})
    assert app.config["INSPECTOR_DATA_DIR"] == str(folder)
    assert (folder / "secret_key").exists()
    store = app.extensions["store"]
    assert store.root == folder
    seed_app(app)
    assert (folder / "lks.json").exists() and (folder / "users.json").exists()
    assert len(create_app({"TESTING": True}).extensions["store"].lks.all()) == 3  # a restart finds the data


def test_settings_from_the_environment_and_overrides(tmp_path, monkeypatch):
    monkeypatch.setenv("INSPECTOR_MAX_UPLOAD_MB", "3")
    monkeypatch.setenv("INSPECTOR_SESSION_HOURS", "2")
    monkeypatch.setenv("INSPECTOR_BASE_URL", "http://10.0.0.5:8000")
    app = create_app({"TESTING": True, "INSPECTOR_DATA_DIR": str(tmp_path / "data")})
    assert app.config["MAX_CONTENT_LENGTH"] == 3 * 1024 * 1024
    assert app.config["PERMANENT_SESSION_LIFETIME"].total_seconds() == 2 * 3600
    assert app.config["INSPECTOR_BASE_URL"] == "http://10.0.0.5:8000"
    assert app.config["SESSION_COOKIE_SECURE"] is False
    overridden = make_app(tmp_path, INSPECTOR_MAX_UPLOAD_MB=1)  # the test's dict beats the environment
    assert overridden.config["MAX_CONTENT_LENGTH"] == 1024 * 1024
    assert overridden.config["SESSION_COOKIE_SECURE"] is True  # an https base URL


def test_templates_and_static_come_from_the_repository(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the server may be started from any folder
    app = make_app(tmp_path)
    assert Path(app.template_folder) == REPO_ROOT / "templates"
    assert Path(app.static_folder) == REPO_ROOT / "static"
    client = app.test_client()
    with client.get("/static/style.css") as response:
        assert response.status_code == 200
        assert response.mimetype == "text/css"
        assert response.data == (REPO_ROOT / "static" / "style.css").read_bytes()
    with client.get("/static/tidak-ada.css") as response:
        assert response.status_code == 404
    with client.get("/") as response:
        assert response.status_code == 200
        assert "Pengawasan LKS Kota Tangerang" in response.get_data(as_text=True)
        assert "/static/style.css" in response.get_data(as_text=True)


@pytest.mark.parametrize(("stored", "shown"), [
    ("2026-11-27T07:05:00+00:00", "27 Nov 2026 14.05 WIB"),
    ("2026-12-31T17:30:00+00:00", "1 Jan 2027 00.30 WIB"),
    ("2026-08-17T00:00:00+00:00", "17 Agu 2026 07.00 WIB"),
    ("2026-05-01T10:00:00", "1 Mei 2026 17.00 WIB"),  # a time without zone is UTC
    ("2026-03-01T09:15:00+07:00", "1 Mar 2026 09.15 WIB"),
    ("", ""),
    (None, ""),
])
def test_format_wib(stored, shown):
    assert format_wib(stored) == shown


# --- Demo data ----------------------------------------------------------------------

@pytest.fixture
def empty_app(tmp_path):
    return make_app(tmp_path)


def test_demo_seed_fills_an_empty_store(empty_app):
    store = empty_app.extensions["store"]
    credentials = demo.seed(store)
    lks = store.lks.all()
    assert len(lks) == 72 == demo.LKS_COUNT
    assert {r["kecamatan"] for r in lks} == set(KECAMATAN) and len(KECAMATAN) == 13
    codes = [r["code"] for r in lks]
    assert len(set(codes)) == 72 and all(CODE_RE.match(c) for c in codes)
    assert len({r["id"] for r in lks}) == 72
    for record in lks:
        assert "Contoh" in record["name"], record["name"]
        assert record["kelurahan"] in KECAMATAN[record["kecamatan"]], record
        assert kecamatan_of(record["kelurahan"]) == record["kecamatan"], record
        assert record["active"] is True
        _, errors = lks_rules.clean(record)  # demo data obeys the register's own rules
        assert errors == {}, (record["name"], errors)

    users = store.users.all()
    assert sorted(u["role"] for u in users) == sorted(ROLES)
    assert sorted(role for _, _, role in credentials) == sorted(ROLES)
    for username, password, role in credentials:
        record = store.users.by_username(username)
        assert record["role"] == role and record["active"] is True
        assert verify_password(record["password_hash"], password)
    operator = next(u for u in users if u["role"] == "operator")
    assert len(operator["lks_ids"]) == 1 and store.lks.get(operator["lks_ids"][0]) is not None
    assert next(u for u in users if u["role"] == "inspector")["agency"]


def test_demo_credentials_sign_in(empty_app):
    credentials = demo.seed(empty_app.extensions["store"])
    homes = {"admin": "/admin/", "reviewer": "/tinjau/", "inspector": "/inspeksi/", "operator": "/operator/"}
    for username, password, role in credentials:
        client = empty_app.test_client()
        response = finish_sign_in(client, AuthActions(client).login(username, password), username)
        assert response.status_code == 302, username
        assert response.headers["Location"].endswith(homes[role])


def test_demo_seed_does_nothing_on_a_store_with_data(empty_app):
    store = empty_app.extensions["store"]
    assert demo.seed(store) is not None
    data = Path(empty_app.config["INSPECTOR_DATA_DIR"])
    before = {name: (data / name).read_bytes() for name in ("lks.json", "users.json")}
    assert demo.seed(store) is None
    assert {name: (data / name).read_bytes() for name in before} == before


def test_demo_seed_does_nothing_when_only_accounts_exist(tmp_path):
    app = make_app(tmp_path)
    store = app.extensions["store"]
    from inspector import accounts
    accounts.create(store, {"username": "admin1", "password": PASSWORD, "role": "admin", "name": "Admin"})
    assert demo.seed(store) is None
    assert store.lks.all() == [] and store.users.count() == 1


def test_demo_seed_does_nothing_when_only_lks_exist(tmp_path):
    app = make_app(tmp_path)
    store = app.extensions["store"]
    store.lks.create_many(demo.demo_lks(2))
    assert demo.seed(store) is None
    assert len(store.lks.all()) == 2 and store.users.count() == 0


def run_cli(app, *args):
    with app.app_context():  # the command groups are plain click groups: no context of their own here
        return app.test_cli_runner().invoke(args=list(args))


def test_flask_demo_seed_prints_the_demo_credentials(empty_app):
    result = run_cli(empty_app, "demo", "seed")
    assert result.exit_code == 0, result.output
    assert "72 fictional LKS" in result.output
    for username, password, role, _, _ in demo.DEMO_ACCOUNTS:
        assert re.search(rf"^\s+{re.escape(username)}\s+{re.escape(password)}\s+{role}$", result.output, re.M), \
            username
    assert len(empty_app.extensions["store"].lks.all()) == 72

    again = run_cli(empty_app, "demo", "seed")
    assert again.exit_code == 0
    assert "already holds data" in again.output
    assert not any(password in again.output for _, password, *_ in demo.DEMO_ACCOUNTS)
    assert len(empty_app.extensions["store"].lks.all()) == 72


# --- Error pages ----------------------------------------------------------------------

def assert_indonesian_page(response, status, title):
    assert response.status_code == status
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert '<html lang="id">' in page
    assert f"<h1>{title}</h1>" in page
    assert f"Kode: {status}" in page
    assert "Not Found" not in page and "Method Not Allowed" not in page and "Request Entity Too Large" not in page
    return page


def test_404_page(client):
    page = assert_indonesian_page(client.get("/halaman-tidak-ada"), 404, "Halaman tidak ditemukan")
    assert "Alamat ini tidak ada atau sudah tidak aktif." in page


def test_405_page(client):
    response = client.get("/keluar")  # sign-out takes POST only
    page = assert_indonesian_page(response, 405, "Cara akses tidak diizinkan")
    assert "Halaman ini tidak menerima permintaan seperti itu." in page
    assert "POST" in response.headers["Allow"]
    response = client.post("/l/H7SMB")
    assert_indonesian_page(response, 405, "Cara akses tidak diizinkan")
    assert "GET" in response.headers["Allow"]


def test_403_page(auth, client):
    auth.login_as("inspector")
    page = assert_indonesian_page(client.get("/admin/"), 403, "Akses ditolak")
    assert "Akun Anda tidak memiliki izin untuk halaman ini." in page


def test_413_page_for_a_post_over_the_limit(tmp_path):
    app = make_app(tmp_path)
    seed_app(app)
    app.config["MAX_CONTENT_LENGTH"] = 4096
    client = app.test_client()
    response = client.post("/masuk", data={"username": ROLE_USERS["admin"], "password": PASSWORD,
                                           "padding": "x" * 8192})
    page = assert_indonesian_page(response, 413, "Berkas terlalu besar")
    assert "Ukuran kiriman melebihi batas. Perkecil berkas lalu coba lagi." in page
    assert client.get("/admin/").status_code == 302  # the oversized sign-in did not sign in
    small = client.post("/masuk", data={"username": ROLE_USERS["admin"], "password": PASSWORD})
    assert small.status_code == 302


def test_413_for_an_upload_over_inspector_max_upload_mb(tmp_path):
    app = make_app(tmp_path, INSPECTOR_MAX_UPLOAD_MB=1)
    seed_app(app)
    assert app.config["MAX_CONTENT_LENGTH"] == 1024 * 1024
    client = app.test_client()
    AuthActions(client).login_as("admin")
    lks_file = Path(app.config["INSPECTOR_DATA_DIR"]) / "lks.json"
    before = lks_file.read_bytes()
    boundary = "----inspector-test-boundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"lks.csv\"\r\n"
            "Content-Type: text/csv\r\n\r\n").encode()
    body += b"nama,jenis,alamat,kelurahan,kecamatan\r\n" + b"Panti Contoh,lksa,Jl. Uji,Cimone,Karawaci\r\n" * 30000
    body += f"\r\n--{boundary}--\r\n".encode()
    assert len(body) > 1024 * 1024
    response = client.post("/admin/lks/impor", data=body,
                           content_type=f"multipart/form-data; boundary={boundary}")
    assert_indonesian_page(response, 413, "Berkas terlalu besar")
    assert lks_file.read_bytes() == before
