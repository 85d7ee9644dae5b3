"""The admin's account pages: creating, changing, disabling accounts and resetting passwords."""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

import pytest

from inspector import accounts
from inspector.passwords import verify_password
from tests.support.auth import AuthActions, client_as, login
from tests.support.builders import PASSWORD, ROLE_USERS, add_account

NEW_PASSWORD = "sandi-baru-uji-456"
HOMES = {"admin": "/admin/", "reviewer": "/tinjau/", "inspector": "/inspeksi/", "operator": "/operator/"}
LOGIN_FAILED = "Nama pengguna atau kata sandi salah, atau akun tidak aktif."


def field_errors(page: str) -> dict[str, str]:
    """The error shown under each field of a rendered form: {field id: text}."""
    return {m.group(1): html.unescape(m.group(2))
            for m in re.finditer(r'<p class="error" id="([\w-]+)-error">(.*?)</p>', page)}


def flashes(page: str) -> list[str]:
    return [html.unescape(m) for m in re.findall(r'<p class="flash \w+" role="(?:status|alert)">(.*?)</p>', page)]


@pytest.fixture
def admin(auth):
    auth.login_as("admin")
    return auth.client


def user(store, role_or_name: str) -> dict:
    return store.users.by_username(ROLE_USERS.get(role_or_name, role_or_name))


def login_status(app, username: str, password: str) -> int:
    return login(app.test_client(), username, password).status_code


# --- Creating -----------------------------------------------------------------------

@pytest.mark.parametrize(("role", "agency", "with_lks"), [
    ("admin", "", False),
    ("reviewer", "Dinas Sosial", False),
    ("inspector", "Kelurahan Kunciran Indah", False),
    ("operator", "", True),
])
def test_admin_creates_each_role(app, admin, store, role, agency, with_lks):
    lks_id = store.lks.all()[0]["id"]
    response = admin.post("/admin/akun/baru", data={
        "username": f"Baru.{role}", "password": NEW_PASSWORD, "name": "  Akun   Baru Uji ", "role": role,
        "agency": agency, "lks_ids": [lks_id] if with_lks else []})
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/admin/akun"
    record = store.users.by_username(f"baru.{role}")
    assert record is not None
    assert record["username"] == f"baru.{role}"
    assert (record["role"], record["name"], record["agency"], record["active"]) == (role, "Akun Baru Uji", agency, True)
    assert record["lks_ids"] == ([lks_id] if with_lks else [])
    assert NEW_PASSWORD not in str(record)
    assert verify_password(record["password_hash"], NEW_PASSWORD)
    assert len(store.users.all()) == 5
    assert f"Akun baru.{role} sudah dibuat." in flashes(admin.get("/admin/akun").get_data(as_text=True))
    signed_in = app.test_client()
    response = AuthActions(signed_in).login(f"baru.{role}", NEW_PASSWORD)
    assert response.status_code == 302 and urlsplit(response.headers["Location"]).path == HOMES[role]
    home = signed_in.get(HOMES[role])
    if role in ("admin", "reviewer"):  # no second factor yet: enrolling comes before any other page
        assert home.status_code == 303 and home.headers["Location"] == "/akun/dua-langkah"
    else:
        assert home.status_code == 200


def test_only_operators_keep_lks_bindings(admin, store):
    lks_id = store.lks.all()[0]["id"]
    response = admin.post("/admin/akun/baru", data={"username": "peninjau2", "password": NEW_PASSWORD,
                                                    "name": "Peninjau Dua", "role": "reviewer", "lks_ids": [lks_id]})
    assert response.status_code == 302
    assert store.users.by_username("peninjau2")["lks_ids"] == []


def test_new_account_form_lists_the_lks(admin, store):
    response = admin.get("/admin/akun/baru")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for record in store.lks.all():
        assert f'value="{record["id"]}"' in page and html.escape(f"{record['name']} ({record['code']})") in page


GOOD_NEW = {"username": "petugas2", "password": NEW_PASSWORD, "name": "Petugas Dua", "role": "inspector",
            "agency": "Satpol PP"}

REFUSED = [
    ("inspector without agency", {"agency": ""},
     {"agency": "Petugas inspeksi wajib mencantumkan instansi (mis. Satpol PP, Kelurahan Kunciran Indah)."}),
    ("inspector with blank agency", {"agency": "   "},
     {"agency": "Petugas inspeksi wajib mencantumkan instansi (mis. Satpol PP, Kelurahan Kunciran Indah)."}),
    ("operator without LKS", {"role": "operator", "agency": ""},
     {"lks_ids": "Operator harus terikat pada setidaknya satu LKS."}),
    ("operator with unknown LKS", {"role": "operator", "lks_ids": ["ltidakada"]},
     {"lks_ids": "LKS yang dipilih tidak ada."}),
    ("short password", {"password": "pendek12"}, {"password": "Kata sandi minimal 10 karakter."}),
    ("no password", {"password": ""}, {"password": "Kata sandi minimal 10 karakter."}),
    ("guessable password", {"password": "aaaaabbbbbaaaaa"}, {"password": "Kata sandi terlalu mudah ditebak."}),
    ("duplicate username", {"username": "petugas1"}, {"username": "Nama pengguna sudah dipakai."}),
    ("duplicate username, other case", {"username": "PETUGAS1"}, {"username": "Nama pengguna sudah dipakai."}),
    ("duplicate username, spaces", {"username": "  Admin1 "}, {"username": "Nama pengguna sudah dipakai."}),
    ("username with a space", {"username": "petugas dua"},
     {"username": "Nama pengguna 3-32 karakter: huruf kecil, angka, titik, garis bawah atau strip."}),
    ("username too short", {"username": "pd"},
     {"username": "Nama pengguna 3-32 karakter: huruf kecil, angka, titik, garis bawah atau strip."}),
    ("no name", {"name": "  "}, {"name": "Nama lengkap wajib diisi (maksimal 100 karakter)."}),
    ("no role", {"role": ""}, {"role": "Pilih peran yang tersedia."}),
    ("unknown role", {"role": "superadmin"}, {"role": "Pilih peran yang tersedia."}),
    ("several problems", {"agency": "", "password": "pendek"},
     {"agency": "Petugas inspeksi wajib mencantumkan instansi (mis. Satpol PP, Kelurahan Kunciran Indah).",
      "password": "Kata sandi minimal 10 karakter."}),
]


@pytest.mark.parametrize(("changes", "expected"), [case[1:] for case in REFUSED], ids=[case[0] for case in REFUSED])
def test_create_refused_shows_field_errors_and_stores_nothing(admin, store, changes, expected):
    before = store.users.all()
    data = {**GOOD_NEW, **changes}
    response = admin.post("/admin/akun/baru", data=data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert field_errors(page) == expected
    assert "Ada isian yang perlu diperbaiki." in page
    if data["password"]:
        assert data["password"] not in page  # a typed password is never sent back
    assert store.users.all() == before


# --- Changing -----------------------------------------------------------------------

def test_edit_form_is_filled_in(admin, store):
    record = user(store, "inspector")
    response = admin.get(f"/admin/akun/{record['id']}/ubah")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f"Ubah akun {record['username']}" in page
    assert 'value="Uji inspector"' in page and 'value="Satpol PP"' in page
    assert 'name="password"' not in page and 'name="username"' not in page


def test_edit_changes_the_account_but_not_its_username_or_password(app, admin, store):
    record = user(store, "inspector")
    inspector = client_as(app, record["username"])
    response = admin.post(f"/admin/akun/{record['id']}/ubah", data={
        "username": "namabaru", "password": NEW_PASSWORD, "name": "Petugas Ganti Nama", "role": "inspector",
        "agency": "Kelurahan Pinang"})
    assert response.status_code == 302
    changed = store.users.get(record["id"])
    assert (changed["name"], changed["agency"], changed["role"]) == ("Petugas Ganti Nama", "Kelurahan Pinang",
                                                                      "inspector")
    assert changed["username"] == record["username"]
    assert changed["password_hash"] == record["password_hash"]
    assert store.users.by_username("namabaru") is None
    assert inspector.get("/inspeksi/").status_code == 200  # a change of details keeps them signed in


def test_edit_operator_bindings_and_role_change_clears_them(admin, store):
    record = user(store, "operator")
    lks = store.lks.all()
    response = admin.post(f"/admin/akun/{record['id']}/ubah", data={
        "name": record["name"], "role": "operator", "lks_ids": [lks[1]["id"], lks[2]["id"]]})
    assert response.status_code == 302
    assert store.users.get(record["id"])["lks_ids"] == [lks[1]["id"], lks[2]["id"]]
    response = admin.post(f"/admin/akun/{record['id']}/ubah", data={
        "name": record["name"], "role": "reviewer", "lks_ids": [lks[1]["id"]]})
    assert response.status_code == 302
    changed = store.users.get(record["id"])
    assert (changed["role"], changed["lks_ids"]) == ("reviewer", [])


@pytest.mark.parametrize(("data", "expected"), [
    ({"name": "Uji inspector", "role": "inspector", "agency": ""},
     {"agency": "Petugas inspeksi wajib mencantumkan instansi (mis. Satpol PP, Kelurahan Kunciran Indah)."}),
    ({"name": "", "role": "inspector", "agency": "Satpol PP"},
     {"name": "Nama lengkap wajib diisi (maksimal 100 karakter)."}),
    ({"name": "Uji inspector", "role": "operator", "agency": "Satpol PP"},
     {"lks_ids": "Operator harus terikat pada setidaknya satu LKS."}),
])
def test_edit_refused_changes_nothing(admin, store, data, expected):
    record = user(store, "inspector")
    before = store.users.get(record["id"])
    response = admin.post(f"/admin/akun/{record['id']}/ubah", data=data)
    assert response.status_code == 400
    assert field_errors(response.get_data(as_text=True)) == expected
    assert store.users.get(record["id"]) == before


def test_edit_unknown_account_is_404(admin):
    assert admin.get("/admin/akun/utidakada/ubah").status_code == 404
    assert admin.post("/admin/akun/utidakada/status").status_code == 404
    assert admin.post("/admin/akun/utidakada/sandi", data={"password": NEW_PASSWORD}).status_code == 404


# --- Disabling ----------------------------------------------------------------------

def test_disable_ends_the_session_and_blocks_sign_in(app, admin, store):
    record = user(store, "inspector")
    inspector = client_as(app, record["username"])
    assert inspector.get("/inspeksi/").status_code == 200

    response = admin.post(f"/admin/akun/{record['id']}/status")
    assert response.status_code == 302
    assert store.users.get(record["id"])["active"] is False
    page = admin.get("/admin/akun").get_data(as_text=True)
    assert f"Akun {record['username']} sekarang nonaktif." in flashes(page)

    response = inspector.get("/inspeksi/")
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/masuk"
    refused = AuthActions(app.test_client()).login(record["username"])
    assert refused.status_code == 401
    assert LOGIN_FAILED in refused.get_data(as_text=True)

    assert admin.post(f"/admin/akun/{record['id']}/status").status_code == 302
    assert store.users.get(record["id"])["active"] is True
    assert inspector.get("/inspeksi/").status_code == 302  # the old session stays ended
    assert login_status(app, record["username"], PASSWORD) == 302


@pytest.mark.parametrize("role", ["admin", "reviewer", "operator"])
def test_disabled_user_of_any_role_is_signed_out(app, admin, store, role):
    if role == "admin":
        add_account(store, "admin2", "admin", name="Admin Dua")
    username = "admin2" if role == "admin" else ROLE_USERS[role]
    other = client_as(app, username)
    assert other.get(HOMES[role]).status_code == 200
    assert admin.post(f"/admin/akun/{store.users.by_username(username)['id']}/status").status_code == 302
    assert other.get(HOMES[role]).status_code == 302
    assert login_status(app, username, PASSWORD) == 401


def test_admin_cannot_disable_self(admin, store):
    record = user(store, "admin")
    accounts.create(store, {"username": "admin2", "password": PASSWORD, "role": "admin", "name": "Admin Dua"})
    response = admin.post(f"/admin/akun/{record['id']}/status", follow_redirects=True)
    assert response.status_code == 200
    assert "Anda tidak bisa menonaktifkan akun sendiri." in flashes(response.get_data(as_text=True))
    assert store.users.get(record["id"])["active"] is True
    assert admin.get("/admin/").status_code == 200


def test_last_active_admin_cannot_be_disabled(app, store):
    record = user(store, "admin")
    assert accounts.set_active(store, record["id"], False) == "Admin aktif terakhir tidak bisa dinonaktifkan."
    with app.app_context():  # the command groups are plain click groups: no context of their own here
        result = app.test_cli_runner().invoke(args=["users", "disable", record["username"]])
    assert result.exit_code != 0
    assert "Admin aktif terakhir tidak bisa dinonaktifkan." in result.output
    assert store.users.get(record["id"])["active"] is True
    assert login_status(app, record["username"], PASSWORD) == 302


def test_an_admin_can_disable_another_admin(app, store):
    first = user(store, "admin")
    add_account(store, "admin2", "admin", name="Admin Dua")
    second = client_as(app, "admin2")
    assert second.post(f"/admin/akun/{first['id']}/status").status_code == 302
    assert store.users.get(first["id"])["active"] is False
    # admin2 is now the last active admin: the rule protects it even outside the web pages.
    last = store.users.by_username("admin2")
    assert accounts.set_active(store, last["id"], False) == "Admin aktif terakhir tidak bisa dinonaktifkan."
    assert store.users.get(last["id"])["active"] is True


def test_last_active_admin_cannot_be_demoted(admin, store):
    record = user(store, "admin")
    before = store.users.get(record["id"])
    response = admin.post(f"/admin/akun/{record['id']}/ubah", data={"name": "Uji admin", "role": "reviewer",
                                                                    "agency": "Dinas Sosial"})
    assert response.status_code == 400
    assert field_errors(response.get_data(as_text=True)) == {
        "role": "Ini admin aktif terakhir; peran tidak bisa diubah."}
    assert store.users.get(record["id"]) == before
    assert admin.get("/admin/").status_code == 200


def test_a_disabled_admin_does_not_count_as_another_admin(admin, store):
    record = user(store, "admin")
    other, _ = accounts.create(store, {"username": "admin2", "password": PASSWORD, "role": "admin",
                                       "name": "Admin Dua"})
    assert admin.post(f"/admin/akun/{other['id']}/status").status_code == 302
    assert store.users.get(other["id"])["active"] is False
    response = admin.post(f"/admin/akun/{record['id']}/ubah", data={"name": "Uji admin", "role": "reviewer"})
    assert response.status_code == 400
    assert store.users.get(record["id"])["role"] == "admin"


def test_an_admin_may_be_demoted_while_another_is_active(admin, store):
    record = user(store, "admin")
    other, _ = accounts.create(store, {"username": "admin2", "password": PASSWORD, "role": "admin",
                                       "name": "Admin Dua"})
    response = admin.post(f"/admin/akun/{other['id']}/ubah", data={"name": "Admin Dua", "role": "reviewer"})
    assert response.status_code == 302
    assert store.users.get(other["id"])["role"] == "reviewer"
    # Now admin1 is the last admin again.
    response = admin.post(f"/admin/akun/{record['id']}/ubah", data={"name": "Uji admin", "role": "reviewer"})
    assert response.status_code == 400
    assert store.users.get(record["id"])["role"] == "admin"


# --- Resetting a password -------------------------------------------------------------

@pytest.mark.parametrize(("password", "reason"), [
    ("pendek", "Kata sandi minimal 10 karakter."),
    ("zzzzzzzzzzzzzz", "Kata sandi terlalu mudah ditebak."),
    ("x" * 300, "Isi kata sandi baru."),  # over the form's 256-character limit
    ("", "Isi kata sandi baru."),
])
def test_reset_password_refused_keeps_the_old_one(app, admin, store, password, reason):
    record = user(store, "inspector")
    inspector = client_as(app, record["username"])
    before = store.users.get(record["id"])
    response = admin.post(f"/admin/akun/{record['id']}/sandi", data={"password": password})
    assert response.status_code == 400
    assert f"Kata sandi {record['username']} tidak diganti: {reason}" in flashes(response.get_data(as_text=True))
    after = store.users.get(record["id"])
    assert after["password_hash"] == before["password_hash"]
    assert after["session_version"] == before["session_version"]
    assert inspector.get("/inspeksi/").status_code == 200
    assert login_status(app, record["username"], PASSWORD) == 302


def test_reset_password_sets_the_new_one_and_ends_sessions(app, admin, store):
    record = user(store, "inspector")
    inspector = client_as(app, record["username"])
    response = admin.post(f"/admin/akun/{record['id']}/sandi", data={"password": NEW_PASSWORD})
    assert response.status_code == 302
    after = store.users.get(record["id"])
    assert after["password_hash"] != record["password_hash"]
    assert verify_password(after["password_hash"], NEW_PASSWORD)
    assert inspector.get("/inspeksi/").status_code == 302
    assert login_status(app, record["username"], PASSWORD) == 401
    assert login_status(app, record["username"], NEW_PASSWORD) == 302
    assert f"Kata sandi {record['username']} sudah diganti; semua sesinya diakhiri." in flashes(
        admin.get("/admin/akun").get_data(as_text=True))


# --- Who may use these pages --------------------------------------------------------------

def test_users_page_lists_accounts_without_secrets(admin, store):
    page = admin.get("/admin/akun").get_data(as_text=True)
    for record in store.users.all():
        assert f"({record['username']})" in page
        assert record["password_hash"] not in page
    assert "argon2" not in page


@pytest.mark.parametrize("role", ["reviewer", "inspector", "operator"])
def test_account_pages_are_for_admins_only(app, store, role):
    client = client_as(app, ROLE_USERS[role])
    target = user(store, "inspector")
    before = store.users.get(target["id"])
    assert client.get("/admin/akun").status_code == 403
    assert client.get("/admin/akun/baru").status_code == 403
    assert client.post("/admin/akun/baru", data={**GOOD_NEW, "username": "penyusup"}).status_code == 403
    assert client.post(f"/admin/akun/{target['id']}/ubah", data={"name": "X", "role": "admin"}).status_code == 403
    assert client.post(f"/admin/akun/{target['id']}/status").status_code == 403
    assert client.post(f"/admin/akun/{target['id']}/sandi", data={"password": NEW_PASSWORD}).status_code == 403
    assert store.users.by_username("penyusup") is None
    assert store.users.get(target["id"]) == before


def test_account_pages_need_sign_in(client):
    response = client.get("/admin/akun")
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/masuk"
