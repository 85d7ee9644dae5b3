"""The audit trail: the chain, what verify reports, crashes, months, several processes, the command, the page."""

from __future__ import annotations

import json
import multiprocessing
import re
from datetime import datetime, timezone

import pytest

from inspector import audit
from inspector.auth import User
from inspector.store import audit as audit_store
from inspector.store.audit import ZERO_HASH, AuditError, AuditLog, entry_hash
from tests.support.builders import PASSWORD, ROLE_USERS


def add(log: AuditLog, count: int, action: str = "lks_changed", **details) -> list[dict]:
    return [log.append("u1", "admin", action, "lks", f"l{i}", details or {"lks_id": f"l{i}"}) for i in range(count)]


def lines(path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines(keepends=True)


def rewrite(path, change) -> None:
    """Change the file's list of lines in place, as someone editing the file by hand would."""
    found = lines(path)
    change(found)
    path.write_text("".join(found), encoding="utf-8")


@pytest.fixture
def log(tmp_path):
    return AuditLog(tmp_path)


def only_file(log: AuditLog):
    (month,) = log.months()
    return log.path(month)


class Clock:
    """A settable ``_now`` for the store module."""

    def __init__(self, monkeypatch, iso: str):
        self.now = datetime.fromisoformat(iso)
        monkeypatch.setattr(audit_store, "_now", lambda: self.now)

    def set(self, iso: str) -> None:
        self.now = datetime.fromisoformat(iso)


# --- The chain ------------------------------------------------------------------------

def test_append_chains_entries(log):
    first, second, third = add(log, 3)
    assert (first["seq"], second["seq"], third["seq"]) == (1, 2, 3)
    assert first["prev"] == ZERO_HASH and second["prev"] == first["hash"] and third["prev"] == second["hash"]
    assert all(entry["hash"] == entry_hash(entry) for entry in (first, second, third))
    path = only_file(log)
    assert path.parent.name == "audit" and path.name == datetime.now(timezone.utc).strftime("%Y-%m.jsonl")
    stored = [json.loads(line) for line in lines(path)]
    assert stored == [first, second, third]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", first["at"])
    assert log.verify() == (True, None, 3)


def test_empty_log_verifies(log):
    assert log.verify() == (True, None, 0)
    assert log.entries() == []


@pytest.mark.parametrize("details", [{"password": "x"}, {"new_password": "x"}, {"name": "Budi"},
                                     {"username": "budi"}, {"answer_text": "ya"}, {"note": "x"},
                                     {"lks_id": "x" * 500}, {"lks_id": {"nested": 1}}])
def test_details_hold_ids_only(log, details):
    with pytest.raises(ValueError):
        log.append("u1", "admin", "account_changed", "user", "u2", details)
    assert log.months() == []


def test_details_with_ids_counts_and_states_pass(log):
    entry = log.append("u1", "admin", "bulk_approved", None, None,
                       {"inspection_ids": ["s1", "s2"], "count": 2, "status": "approved", "comment_id": "c1"})
    assert entry["details"] == {"inspection_ids": ["s1", "s2"], "count": 2, "status": "approved", "comment_id": "c1"}


# --- What verify reports -----------------------------------------------------------------

def test_edited_entry_is_reported_with_its_line_and_seq(log):
    add(log, 4)
    path = only_file(log)
    rewrite(path, lambda found: found.__setitem__(1, found[1].replace('"lks_id":"l1"', '"lks_id":"l9"')))
    ok, problem, count = log.verify()
    assert not ok and count == 1
    assert f"{path.name} line 2 (seq 2): entry changed" in problem


def test_edited_and_rehashed_entry_breaks_the_next_link(log):
    add(log, 4)
    path = only_file(log)

    def forge(found):
        entry = json.loads(found[1])
        entry["details"] = {"lks_id": "l9"}
        entry["hash"] = entry_hash(entry)
        found[1] = json.dumps(entry, separators=(",", ":")) + "\n"

    rewrite(path, forge)
    ok, problem, count = log.verify()
    assert not ok and count == 2
    assert "line 3 (seq 3): link broken" in problem


def test_removed_line_is_reported(log):
    add(log, 5)
    rewrite(only_file(log), lambda found: found.pop(2))
    ok, problem, count = log.verify()
    assert not ok and count == 2
    assert "line 3 (seq 4): entry removed: seq 3 missing" in problem


def test_removed_first_line_is_reported(log):
    add(log, 3)
    rewrite(only_file(log), lambda found: found.pop(0))
    ok, problem, _ = log.verify()
    assert not ok and "line 1 (seq 2): entry removed: seq 1 missing" in problem


def test_swapped_lines_are_reported_as_reordered(log):
    add(log, 5)

    def swap(found):
        found[2], found[3] = found[3], found[2]

    rewrite(only_file(log), swap)
    ok, problem, count = log.verify()
    assert not ok and count == 2
    assert "line 3 (seq 4): reordered: seq 4 comes before seq 3" in problem and "line 4" in problem


def test_bad_json_is_reported(log):
    add(log, 3)
    rewrite(only_file(log), lambda found: found.__setitem__(1, found[1][:20] + "\n"))
    ok, problem, count = log.verify()
    assert not ok and count == 1 and "line 2: bad JSON" in problem


# --- A crash in the middle of an append ---------------------------------------------------

@pytest.mark.parametrize("forget_tip", [False, True], ids=["same process", "fresh process"])
def test_partial_last_line_is_reported_then_cut_by_the_next_append(log, forget_tip, monkeypatch):
    """A line without its newline was never acknowledged: verify reports it; the next append cuts it
    off (keeping the bytes in <month>.jsonl.torn) and chains to the last whole entry."""
    entries = add(log, 3)
    path = only_file(log)
    whole = path.read_bytes()
    crashed = json.dumps({**entries[-1], "seq": 4}, separators=(",", ":")).encode()[:57]
    with open(path, "ab") as handle:
        handle.write(crashed)
    ok, problem, count = log.verify()
    assert not ok and count == 3 and "line 4: unfinished line" in problem
    assert [e["seq"] for e in log.entries()] == [3, 2, 1]  # readers skip it
    if forget_tip:
        monkeypatch.setattr(audit_store, "_tips", {})
    entry = log.append("u1", "admin", "sign_out", "user", "u1")
    assert (entry["seq"], entry["prev"]) == (4, entries[-1]["hash"])
    assert path.read_bytes().startswith(whole) and len(lines(path)) == 4
    assert path.with_name(path.name + ".torn").read_bytes() == crashed + b"\n"
    assert log.verify() == (True, None, 4)


def test_a_lone_partial_line_in_a_new_file_chains_to_the_previous_month(log, monkeypatch):
    clock = Clock(monkeypatch, "2026-01-31T23:59:59+00:00")
    (january,) = add(log, 1)
    log.path("2026-02").write_bytes(b'{"seq":2,"at":"2026-02-01T00:00:00+00:00","act')
    clock.set("2026-02-01T00:00:01+00:00")
    entry = log.append(None, "anonymous", "sign_in_failed", None, None)
    assert (entry["seq"], entry["prev"]) == (2, january["hash"])
    assert log.verify() == (True, None, 2)


def test_unreadable_last_entry_stops_appends(log, monkeypatch):
    add(log, 2)
    rewrite(only_file(log), lambda found: found.__setitem__(1, "not json\n"))
    monkeypatch.setattr(audit_store, "_tips", {})
    with pytest.raises(AuditError, match="flask audit verify"):
        log.append("u1", "admin", "sign_out", "user", "u1")


def test_append_reads_only_the_tail_and_only_when_the_file_changed(log, monkeypatch):
    """Lines longer than the backward read's chunk; the tail is read only when this process did not write last."""
    add(log, 3, lks_ids=[f"lks-{i:05d}" for i in range(600)])
    calls = []
    original = audit_store._last_line
    monkeypatch.setattr(audit_store, "_last_line", lambda path: calls.append(path) or original(path))
    add(log, 2)
    assert calls == []
    monkeypatch.setattr(audit_store, "_tips", {})
    entry = log.append("u1", "admin", "sign_out", "user", "u1")
    assert len(calls) == 1 and entry["seq"] == 6
    assert log.verify() == (True, None, 6)


# --- Months -------------------------------------------------------------------------------

def test_chain_runs_across_months(log, monkeypatch):
    clock = Clock(monkeypatch, "2026-01-31T23:59:58+00:00")
    january = add(log, 2)
    clock.set("2026-02-01T00:00:00+00:00")
    february = add(log, 2)
    assert log.months() == ["2026-01", "2026-02"]
    assert february[0]["prev"] == january[-1]["hash"] and february[0]["seq"] == 3
    assert log.verify() == (True, None, 4)
    assert [e["seq"] for e in log.entries(month_from="2026-02")] == [4, 3]
    assert [e["seq"] for e in log.entries(month_to="2026-01")] == [2, 1]
    clock.set("2026-01-15T00:00:00+00:00")  # the clock went back: the newest file is still appended to
    assert log.append("u1", "admin", "sign_out", "user", "u1")["seq"] == 5
    assert log.months() == ["2026-01", "2026-02"] and len(lines(log.path("2026-02"))) == 3
    rewrite(log.path("2026-01"), lambda found: found.pop())
    ok, problem, count = log.verify()
    assert not ok and count == 1 and "2026-02.jsonl line 1 (seq 3): entry removed: seq 2 missing" in problem


# --- Several processes --------------------------------------------------------------------

def append_many(root: str, worker: int, count: int) -> None:
    log = AuditLog(root)
    for i in range(count):
        log.append(f"u{worker}", "inspector", "draft_saved", "inspection", f"s{worker}-{i}")


def test_four_processes_append_without_gaps(tmp_path):
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=append_many, args=(str(tmp_path), w, 50)) for w in range(4)]
    for process in workers:
        process.start()
    for process in workers:
        process.join(120)
    assert [p.exitcode for p in workers] == [0, 0, 0, 0]
    log = AuditLog(tmp_path)
    entries = log.entries(limit=None, newest_first=False)
    assert [e["seq"] for e in entries] == list(range(1, 201))
    assert sorted(e["target_id"] for e in entries) == sorted(f"s{w}-{i}" for w in range(4) for i in range(50))
    assert log.verify() == (True, None, 200)


# --- The domain helper, the command, the page ----------------------------------------------

def user(store, role: str) -> User:
    return User(store.users.by_username(ROLE_USERS[role]))


def test_record_names_the_user_or_system_or_anonymous(app, store):
    admin = user(store, "admin")
    entry = audit.record(store, admin, "account_disabled", "user", "u9", reason_code="left")
    assert (entry["actor_id"], entry["actor_role"], entry["details"]) == (admin.record["id"], "admin",
                                                                           {"reason_code": "left"})
    assert audit.record(store, None, "lks_imported", None, None, count=3)["actor_role"] == "system"
    with app.test_request_context("/masuk"):
        entry = audit.record(store, None, "sign_in_failed", "user", admin.record["id"], anonymous=True)
    assert (entry["actor_id"], entry["actor_role"], entry["details"]) == (None, "anonymous", None)
    with pytest.raises(ValueError):
        audit.record(store, admin, "deleted_everything", None, None)


def test_every_action_has_an_indonesian_label():
    assert len(audit.ACTIONS) == 43 and all(label.strip() for label in audit.ACTIONS.values())


def test_verify_command_exit_codes(app, store):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["audit", "verify"])
    assert (result.exit_code, result.output.strip()) == (0, "OK: 0 entries, chain intact")
    for action in ("sign_in", "lks_changed", "sign_out"):
        audit.record(store, user(store, "admin"), action, "lks", "l1")
    result = runner.invoke(args=["audit", "verify"])
    assert (result.exit_code, result.output.strip()) == (0, "OK: 3 entries, chain intact")
    path = store.audit.path(store.audit.months()[-1])
    rewrite(path, lambda found: found.__setitem__(1, found[1].replace('"lks_changed"', '"lks_created"')))
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"{path.name} line 2 (seq 2): entry changed" in result.output


def seqs(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'<span class="muted">#(\d+)</span>', page)]


def test_admin_page_filters(app, store, auth, monkeypatch):
    admin, reviewer = user(store, "admin"), user(store, "reviewer")
    lks = store.lks.all()[0]
    clock = Clock(monkeypatch, "2026-01-10T03:00:00+00:00")
    audit.record(store, admin, "lks_changed", "lks", lks["id"])                 # 1: January
    clock.set("2026-01-31T18:00:00+00:00")                                      # 1 Feb 01.00 WIB
    audit.record(store, reviewer, "approved", "inspection", "s1")               # 2: February in WIB
    clock.set("2026-02-03T03:00:00+00:00")
    audit.record(store, admin, "account_disabled", "user", reviewer.record["id"])  # 3
    audit.record(store, reviewer, "returned", "inspection", "s2", finding_ids=["q1", "q2"])  # 4
    monkeypatch.undo()
    audit.record(store, admin, "sign_in", "user", admin.record["id"])           # 5: now
    auth.login_as("admin")
    get = lambda **args: auth.client.get("/admin/audit/", query_string=args)  # noqa: E731
    page = get().get_data(as_text=True)
    assert seqs(page) == [6, 5] and "Masuk" in page and "admin1 (Admin)" in page  # 6: the real sign-in above
    feb = {"dari": "2026-02", "sampai": "2026-02"}
    page = get(**feb).get_data(as_text=True)
    assert seqs(page) == [4, 3, 2] and "1 Feb 2026 01.00 WIB" in page and "finding_ids=[q1, q2]" in page
    assert seqs(get(dari="2026-01", sampai="2026-01").get_data(as_text=True)) == [1]
    assert seqs(get(dari="2026-02", sampai="2026-01").get_data(as_text=True)) == [4, 3, 2, 1]  # swapped
    assert seqs(get(**feb, aksi="returned").get_data(as_text=True)) == [4]
    assert seqs(get(**feb, akun=ROLE_USERS["reviewer"]).get_data(as_text=True)) == [4, 2]
    assert "Tidak ada akun" in get(**feb, akun="siapa").get_data(as_text=True)
    assert seqs(get(**feb, sasaran="s1").get_data(as_text=True)) == [2]
    page = get(**feb, sasaran=ROLE_USERS["reviewer"]).get_data(as_text=True)
    assert seqs(page) == [3] and f"Akun {ROLE_USERS['reviewer']} ({reviewer.record['id']})" in page
    assert seqs(get(dari="2026-01", sampai="2026-01", sasaran=lks["code"]).get_data(as_text=True)) == [1]
    assert seqs(get(dari="bukan", aksi="bukan", halaman="x").get_data(as_text=True)) == [6, 5]


def test_admin_page_pages_by_fifty(store, auth):
    admin = user(store, "admin")
    for i in range(60):
        audit.record(store, admin, "draft_saved", "inspection", f"s{i}")
    auth.login_as("admin")  # seq 61: the sign-in itself is recorded
    first = auth.client.get("/admin/audit/").get_data(as_text=True)
    assert seqs(first) == list(range(61, 11, -1)) and "halaman=2" in first and "halaman=0" not in first
    second = auth.client.get("/admin/audit/?halaman=2").get_data(as_text=True)
    assert seqs(second) == list(range(11, 0, -1)) and "halaman=1" in second and "halaman=3" not in second


@pytest.mark.parametrize("role", ["reviewer", "inspector", "operator"])
def test_admin_page_refuses_other_roles(auth, role):
    auth.login_as(role)
    assert auth.client.get("/admin/audit/").status_code == 403


def test_admin_page_sends_anonymous_to_sign_in(client):
    response = client.get("/admin/audit/")
    assert response.status_code == 302 and "/masuk" in response.headers["Location"]


def test_admin_home_links_to_the_audit_page(auth):
    auth.login_as("admin")
    assert 'href="/admin/audit/"' in auth.client.get("/admin/").get_data(as_text=True)


def test_log_holds_no_password_or_name(app, store, auth):
    auth.login(ROLE_USERS["inspector"], "salah-" + PASSWORD)
    auth.login_as("inspector")
    response = auth.client.post("/akun/sandi", data={"current": PASSWORD, "new": "baru-" + PASSWORD,
                                                     "repeat": "baru-" + PASSWORD})
    assert response.status_code == 302
    auth.logout()
    for role in ROLE_USERS:
        audit.record(store, user(store, role), "password_changed", "user", user(store, role).record["id"])
    with app.test_request_context("/masuk"):
        audit.record(store, None, "sign_in_failed", None, None, anonymous=True)
    raw = b"".join(p.read_bytes() for p in (store.root / "audit").iterdir() if p.is_file())
    assert raw.count(b"\n") >= 5
    for secret in (PASSWORD, "baru-" + PASSWORD, "Uji admin", "Uji inspector"):
        assert secret.encode() not in raw
