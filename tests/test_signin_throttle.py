"""Sign-in throttling (``inspector.signin_throttle``): per (account, client) and per client, the owner let in
from a device that signed in before while strangers guess, the owner told, unknown names treated like real
ones, and nothing but keyed hashes in ``throttle.json``, removed a week on. The clock is set, nothing sleeps."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

import inspector.signin_throttle
from inspector import passwords
from inspector.signin_throttle import BASE_WAIT, DEVICE_COOKIE, FORGET_AFTER, KEEP_SECONDS, SignInThrottle
from tests.support.auth import login
from tests.support.builders import ROLE_USERS, add_account, make_app

HOME = {"admin": "/admin/", "reviewer": "/tinjau/", "inspector": "/inspeksi/", "operator": "/operator/"}
WRONG_PASSWORD = "bukan-sandinya-789"
THROTTLED_TEXT = "Terlalu banyak percobaan gagal"
NOW = 1_800_000_000.0


def at(monkeypatch, moment: float) -> None:
    monkeypatch.setattr(inspector.signin_throttle, "time", SimpleNamespace(time=lambda: moment))


def pair_count(app, username: str, client: str = "127.0.0.1") -> int:
    throttle = SignInThrottle(app.extensions["store"], app.secret_key)
    return app.extensions["store"].throttle.get(throttle.keys(username, client)[0][0])["failures"]


def from_address(address: str) -> dict:
    return {"environ_base": {"REMOTE_ADDR": address}}


def is_signed_in(client, role: str) -> bool:
    return client.get(HOME[role]).status_code == 200


def test_the_pair_waits_after_its_free_failures_even_with_the_right_password(app, store, monkeypatch):
    at(monkeypatch, NOW)
    free = app.config["INSPECTOR_LOGIN_FREE_FAILURES"]
    assert (free, app.config["INSPECTOR_LOGIN_MAX_WAIT_SECONDS"]) == (5, 300)
    username = ROLE_USERS["inspector"]
    client = app.test_client()
    for attempt in range(free):
        assert login(client, username, WRONG_PASSWORD).status_code == 401, attempt
    assert pair_count(app, username) == free

    response = login(client, username)  # the right password
    assert response.status_code == 429
    assert response.headers["Retry-After"] == str(BASE_WAIT)
    assert f"{THROTTLED_TEXT}. Coba lagi dalam {BASE_WAIT} detik" in response.get_data(as_text=True)
    assert not is_signed_in(client, "inspector")

    # The owner elsewhere is not held up by someone guessing from one address.
    elsewhere = app.test_client()
    assert login(elsewhere, username, **from_address("10.9.9.9")).status_code == 302
    assert login(client, username).status_code == 429  # the guessing address still waits

    at(monkeypatch, NOW + BASE_WAIT - 1)
    assert login(client, username).headers["Retry-After"] == "1"
    at(monkeypatch, NOW + BASE_WAIT)
    response = login(client, username)
    assert (response.status_code, response.headers["Location"]) == (302, HOME["inspector"])
    assert pair_count(app, username) == 0


def test_a_sign_in_clears_the_count_of_its_address(app):
    username = ROLE_USERS["reviewer"]
    client = app.test_client()
    for _ in range(app.config["INSPECTOR_LOGIN_FREE_FAILURES"] - 1):
        assert login(client, username, WRONG_PASSWORD).status_code == 401
    assert login(client, username).status_code == 302
    assert pair_count(app, username) == 0
    assert login(client, username, WRONG_PASSWORD).status_code == 401
    assert login(client, username).status_code == 302


@pytest.mark.parametrize("username", [ROLE_USERS["operator"], "tidak.ada.orangnya"])
def test_unknown_and_real_usernames_get_the_same_answers_on_every_try(app, username):
    """Five 401s then 429, for a name nobody has as for a real one: the answers do not tell which exist."""
    client = app.test_client()
    statuses = [login(client, username, WRONG_PASSWORD).status_code for _ in range(7)]
    assert statuses == [401] * 5 + [429] * 2


def test_an_unknown_username_costs_one_password_hash_like_a_real_one(app, monkeypatch):
    calls = []
    real = passwords._hasher
    monkeypatch.setattr(passwords, "_hasher", SimpleNamespace(verify=lambda *args: calls.append(1) or real.verify(*args)))
    for username in (ROLE_USERS["operator"], "tidak.ada.orangnya"):
        calls.clear()
        assert login(app.test_client(), username, WRONG_PASSWORD).status_code == 401
        assert len(calls) == 1, username


def test_strangers_cannot_keep_the_owner_out_of_a_device_that_signed_in_before(app, store, monkeypatch):
    """25 wrong passwords from 5 addresses (the account-wide ceiling is 20): a fresh device waits, the
    owner's own phone, which signed in before, is let in from a new address, and is told."""
    at(monkeypatch, NOW)
    username = ROLE_USERS["inspector"]  # one step: the cookie comes with the password
    phone = app.test_client()
    first = login(phone, username, **from_address("10.1.1.1"))
    assert first.status_code == 302 and any(h.startswith(f"{DEVICE_COOKIE}=")
                                             for h in first.headers.getlist("Set-Cookie"))
    phone.post("/keluar")
    statuses = [login(app.test_client(), username, WRONG_PASSWORD, **from_address(f"203.0.113.{index % 5}")).status_code
                for index in range(25)]
    assert statuses == [401] * 20 + [429] * 5  # past the account-wide ceiling, strangers wait

    fresh = app.test_client()
    assert login(fresh, username, **from_address("10.2.2.2")).status_code == 429
    response = login(phone, username, **from_address("10.3.3.3"))
    assert (response.status_code, response.headers["Location"]) == (302, HOME["inspector"])
    page = phone.get(HOME["inspector"]).get_data(as_text=True)
    assert "Ada 20 percobaan masuk yang gagal ke akun Anda" in page  # a refused (429) try is not a failure
    # Told once: the next sign-in says nothing more.
    phone.post("/keluar")
    login(phone, username, **from_address("10.3.3.3"))
    assert "percobaan masuk yang gagal" not in phone.get(HOME["inspector"]).get_data(as_text=True)


@pytest.mark.parametrize("cookie", ["forged.value.here", "another account"])
def test_a_device_cookie_of_another_account_or_forged_is_not_trusted(app, store, monkeypatch, cookie):
    at(monkeypatch, NOW)
    username = ROLE_USERS["reviewer"]
    if cookie == "another account":
        throttle = SignInThrottle(store, app.secret_key)
        cookie = throttle.device_cookie(store.users.by_username(ROLE_USERS["operator"])["id"])
    for index in range(25):
        login(app.test_client(), username, WRONG_PASSWORD, **from_address(f"203.0.113.{index % 5}"))
    client = app.test_client()
    client.set_cookie(DEVICE_COOKIE, cookie)
    assert login(client, username, **from_address("10.3.3.3")).status_code == 429


def test_one_address_trying_many_usernames_meets_its_own_ceiling(app, monkeypatch):
    at(monkeypatch, NOW)
    client = app.test_client()
    free = app.config["INSPECTOR_LOGIN_FREE_FAILURES"]
    for index in range(free * 4):  # four tries each at twenty names: no pair reaches its limit
        assert login(client, f"nama.{index}", WRONG_PASSWORD).status_code == 401, index
    assert login(client, "nama.baru", WRONG_PASSWORD).status_code == 429
    assert login(app.test_client(), ROLE_USERS["admin"], **from_address("10.9.9.9")).status_code == 302


def test_throttle_file_holds_keyed_hashes_never_names_or_addresses(app, store):
    for index in range(3):
        login(app.test_client(), ROLE_USERS["inspector"], WRONG_PASSWORD, **from_address(f"198.51.100.{index}"))
        login(app.test_client(), "tidak.ada.orangnya", WRONG_PASSWORD, **from_address(f"198.51.100.{index}"))
    raw = (Path(app.config["INSPECTOR_DATA_DIR"]) / "throttle.json").read_text()
    assert raw and "198.51.100" not in raw and ROLE_USERS["inspector"] not in raw and "tidak.ada" not in raw
    keys = [doc["username"] for doc in json.loads(raw)["failures"].values()]
    assert keys and all(key.split(":")[-1].isalnum() and len(key.split(":")[-1]) == 32 for key in keys)


def test_counts_are_removed_a_week_after_their_last_failure(bare_store):
    throttle = SignInThrottle(bare_store, "rahasia")
    throttle.failed("budi", "10.0.0.1", now=NOW)
    old = [key for key, _ in throttle.keys("budi", "10.0.0.1")]
    assert all(bare_store.throttle.get(key)["failures"] == 1 for key in old)
    throttle.failed("ani", "10.0.0.2", now=NOW + KEEP_SECONDS - 1)
    assert all(bare_store.throttle.get(key)["failures"] == 1 for key in old)
    throttle.failed("ani", "10.0.0.2", now=NOW + KEEP_SECONDS + 1)
    assert all(bare_store.throttle.get(key)["failures"] == 0 for key in old)


@pytest.fixture
def bare_store(tmp_path):
    return make_app(tmp_path).extensions["store"]


def test_the_wait_doubles_up_to_the_cap(bare_store):
    throttle = SignInThrottle(bare_store, "rahasia", free_failures=5, max_wait=300)
    waits = []
    for _ in range(12):
        throttle.failed("budi", "10.0.0.1", now=NOW)
        waits.append(throttle.wait_seconds("budi", "10.0.0.1", now=NOW))
    assert waits == [0, 0, 0, 0, 15, 30, 60, 120, 240, 300, 300, 300]
    assert throttle.wait_seconds("budi", "10.0.0.1", now=NOW + 100) == 200
    assert throttle.wait_seconds("budi", "10.0.0.1", now=NOW + 300) == 0
    assert throttle.wait_seconds("budi", "10.0.0.2", now=NOW) == 0
    assert throttle.wait_seconds("ani", "10.0.0.1", now=NOW) == 0


@pytest.mark.parametrize("cap", [1, 20, 300])
def test_the_wait_never_exceeds_the_cap(bare_store, cap):
    throttle = SignInThrottle(bare_store, "rahasia", free_failures=5, max_wait=cap)
    for index in range(25):
        throttle.failed("budi", f"10.0.0.{index % 3}", now=NOW)
    for client in ("10.0.0.0", "10.0.0.1", "10.9.9.9"):
        for later in (0, 0.5, 1, cap / 2, cap - 1):
            assert 0 <= throttle.wait_seconds("budi", client, now=NOW + later) <= cap
    assert throttle.wait_seconds("budi", "10.0.0.0", now=NOW) == cap
    assert throttle.wait_seconds("budi", "10.9.9.9", now=NOW + cap) == 0


def test_rotating_addresses_meet_the_account_wide_ceiling_but_a_known_device_does_not(bare_store):
    throttle = SignInThrottle(bare_store, "rahasia", free_failures=5, max_wait=300)
    for index in range(19):
        throttle.failed("budi", f"10.0.1.{index}", now=NOW)
    assert throttle.wait_seconds("budi", "10.9.9.9", now=NOW) == 0
    throttle.failed("budi", "10.0.1.99", now=NOW)
    assert throttle.wait_seconds("budi", "10.9.9.9", now=NOW) == 15
    assert throttle.wait_seconds("budi", "10.9.9.9", device="d1", now=NOW) == 0
    assert throttle.wait_seconds("budi", "10.9.9.9", now=NOW + 15) == 0


def test_a_count_an_hour_old_starts_again(bare_store):
    throttle = SignInThrottle(bare_store, "rahasia", free_failures=5, max_wait=300)
    for _ in range(8):
        throttle.failed("budi", "10.0.0.1", now=NOW)
    assert throttle.wait_seconds("budi", "10.0.0.1", now=NOW) == 120
    later = NOW + FORGET_AFTER
    assert throttle.wait_seconds("budi", "10.0.0.1", now=later) == 0
    throttle.failed("budi", "10.0.0.1", now=later)
    assert bare_store.throttle.get(throttle.keys("budi", "10.0.0.1")[0][0])["failures"] == 1


def test_retry_after_never_exceeds_the_configured_cap(tmp_path, monkeypatch):
    app = make_app(tmp_path, INSPECTOR_LOGIN_MAX_WAIT_SECONDS=40)
    add_account(app.extensions["store"], "budi.admin", "admin", name="Budi Uji", hash_now=True)
    throttle = SignInThrottle(app.extensions["store"], app.secret_key, free_failures=5, max_wait=40)
    for _ in range(10):
        throttle.failed("budi.admin", "127.0.0.1", now=NOW)
    at(monkeypatch, NOW)
    response = login(app.test_client(), "budi.admin")
    assert (response.status_code, response.headers["Retry-After"]) == (429, "40")
    at(monkeypatch, NOW + 40)
    assert login(app.test_client(), "budi.admin").status_code == 302
