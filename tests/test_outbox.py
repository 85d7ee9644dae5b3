"""The outbox through the app: announcements outlive a stopped server, a broken audit trail and a decision
landing mid-send; retries keep their schedule on disk; ``flask outbox run`` delivers from the command line.

Background deliveries are awaited by polling with a bounded wait, and every worker thread is stopped and
joined after each test. Every server here listens on 127.0.0.1 only (the ``receiver`` fixture).
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from inspector import announce, outbox
from inspector.store import Store
from inspector.store import outbox as outbox_store
from tests.support.auth import client_as, login, sign_in
from tests.support.builders import ROLE_USERS, make_app, seed_app
from tests.support.inspection_builders import sent_through_pages
from tests.support.local_servers import closed_port
from tests.support.waiting import wait_until


@pytest.fixture(autouse=True)
def stop_workers():
    yield
    assert outbox.stop_all(), "an outbox thread did not stop"


def app_with(tmp_path, seed: bool = True, **settings):
    app = make_app(tmp_path, **{"INSPECTOR_SEND_BACKOFF_SECONDS": "0.01", **settings})
    if seed:
        seed_app(app)
    return app


def user_id(store, role: str) -> str:
    return store.users.by_username(ROLE_USERS[role])["id"]


def chained(store, action: str, target_id: str | None = None) -> list[dict]:
    return store.audit.entries(action=action, target_id=target_id, limit=None)


def events_hit(receiver) -> list[str]:
    return sorted(json.loads(hit["body"])["event"] for hit in receiver.hits)


def break_trail(store) -> Path:
    """Make the audit trail's last line unreadable (a damaged disk, a bad copy): no append can chain to it."""
    store.audit.append(None, "system", "lks_imported", None, None, {"count": 0})
    path = store.audit.path(store.audit.months()[-1])
    with open(path, "ab") as handle:
        handle.write(b"{ tidak terbaca\n")
    return path


def mend_trail(path: Path) -> None:
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join(lines[:-1]))


def run_cli(app, *args: str) -> str:
    result = app.test_cli_runner().invoke(args=["outbox", *args])
    assert result.exit_code == 0, result.output
    return result.output


# --- the audit trail cannot be appended ------------------------------------------------------------------

def test_with_the_trail_unwritable_sign_in_and_a_critical_send_go_on_and_their_entries_wait_until_it_mends(
        tmp_path):
    app = app_with(tmp_path, INSPECTOR_OUTBOX_THREAD="0")  # delivered by `flask outbox run` below
    store = app.extensions["store"]
    inspector = client_as(app, "inspector")
    path = break_trail(store)

    reviewer = app.test_client()
    assert sign_in(reviewer, "reviewer").status_code == 302  # signed in (both steps), not a 500
    sid = sent_through_pages(app, inspector, critical=True)
    assert store.inspections.get(sid)["status"] == "submitted"
    assert store.notifications.unread_count(user_id(store, "reviewer")) == 1  # the alert did not wait for the trail
    assert chained(store, "submitted") == [] and chained(store, "sign_in", user_id(store, "reviewer")) == []
    waiting = [(e["action"], e["target_id"]) for e in store.outbox.pending() if e["kind"] == "audit"]
    assert ("sign_in", user_id(store, "reviewer")) in waiting and ("submitted", sid) in waiting
    assert sid in reviewer.get("/tinjau/").get_data(as_text=True)

    admin = app.test_client()
    assert sign_in(admin, "admin").status_code == 302
    waiting = len(store.outbox.pending())
    page = admin.get("/admin/webhook").get_data(as_text=True)
    assert "Antrean pengiriman" in page and f"<dt>Menunggu</dt><dd>{waiting}" in page

    assert "Delivered: 0." in run_cli(app, "run", "--once")  # still broken: nothing lost, nothing chained
    assert len(store.outbox.pending()) == waiting

    mend_trail(path)
    wait_until(lambda: "Pending: 0." in run_cli(app, "run", "--once"), "the waiting entries to be chained")
    (sent,) = chained(store, "submitted", sid)
    assert sent["actor_id"] == user_id(store, "inspector") and sent["details"]["critical"] is True
    signed_in = [e["target_id"] for e in chained(store, "sign_in")]
    assert all(signed_in.count(user_id(store, role)) == 1 for role in ("admin", "reviewer", "inspector"))
    assert store.audit.verify()[0] is True
    assert "Delivered: 0. Pending: 0." in run_cli(app, "run", "--once")  # delivered once: nothing more to chain


def test_sign_in_is_refused_with_a_clear_503_when_neither_the_trail_nor_the_outbox_can_record_it(app, store,
                                                                                                monkeypatch):
    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(store.audit, "append", full)
    monkeypatch.setattr(store.outbox, "put", full)
    client = app.test_client()
    response = login(client, ROLE_USERS["inspector"])  # one step: the password's answer is the sign-in
    assert response.status_code == 503
    assert "tidak bisa mencatat jejak audit" in response.get_data(as_text=True)
    assert client.get("/tinjau/").status_code == 302  # not signed in: back to the sign-in page


# --- a stopped server, retries -----------------------------------------------------------------------------

def test_announcements_left_by_a_stopped_server_are_delivered_once_by_the_next_one(tmp_path, receiver):
    first = app_with(tmp_path, INSPECTOR_OUTBOX_THREAD="0", INSPECTOR_WEBHOOK_URLS=receiver.url("/hook"))
    sid = sent_through_pages(first, client_as(first, "inspector"), critical=True)
    assert receiver.hits == [] and len(first.extensions["store"].outbox.pending()) == 2  # the server stops here
    assert outbox.stop_all()

    second = app_with(tmp_path, seed=False, INSPECTOR_WEBHOOK_URLS=receiver.url("/hook"))  # a new process
    store = second.extensions["store"]
    wait_until(lambda: store.outbox.pending() == [] and len(receiver.hits) == 2, "the waiting webhooks")
    assert events_hit(receiver) == ["inspection.created", "inspection.critical"]
    assert {json.loads(h["body"])["inspection_id"] for h in receiver.hits} == {sid}
    assert all(h["headers"]["Idempotency-Key"] == h["headers"]["X-Inspector-Delivery"] for h in receiver.hits)
    assert outbox.stop_all()

    app_with(tmp_path, seed=False, INSPECTOR_WEBHOOK_URLS=receiver.url("/hook"))  # and another: nothing twice
    assert outbox.running() == [] and len(receiver.hits) == 2


class Later:
    """``time`` as seen by the outbox's store and its delivery: ``ahead`` seconds in the future."""

    def __init__(self, ahead: float):
        self.ahead = ahead

    def time(self) -> float:
        return time.time() + self.ahead


def test_a_failing_webhooks_retry_schedule_is_kept_on_disk_and_doubles_until_it_gives_up(tmp_path, monkeypatch):
    app = app_with(tmp_path, INSPECTOR_OUTBOX_THREAD="0", INSPECTOR_SEND_BACKOFF_SECONDS="60", INSPECTOR_SEND_TRIES="3",
                   INSPECTOR_WEBHOOK_URLS=f"http://127.0.0.1:{closed_port()}/hook")
    sid = sent_through_pages(app, client_as(app, "inspector"), critical=False)
    root = Path(app.config["INSPECTOR_DATA_DIR"])

    def on_disk() -> dict:
        (found,) = [e for e in Store(root).outbox.pending() if e["kind"] == "webhook"]  # read afresh, as after a restart
        return found

    waits = []
    for ahead in (0, 61, 61 + 121):
        clock = Later(ahead)
        monkeypatch.setattr(outbox_store, "time", clock)
        monkeypatch.setattr(announce, "time", clock)
        before = clock.time()
        announce.run(Store(root), app.config)
        if ahead < 182:
            entry = on_disk()
            assert entry["last_error"] == "koneksi ditolak" and entry["inspection_id"] == sid
            waits.append((entry["tries"], entry["next_at"] - before))
            assert announce.run(Store(root), app.config) == 0  # not due yet: nobody tries it early
    assert [tries for tries, _ in waits] == [1, 2]
    assert 60 <= waits[0][1] < 61 and 120 <= waits[1][1] < 121  # 60 s, then twice that
    (given_up,) = Store(root).outbox.failed()
    assert given_up["tries"] == 3 and given_up["last_error"] == "koneksi ditolak"
    assert Store(root).outbox.pending() == []
    (delivery,) = app.extensions["store"].notifications.delivery_list()
    assert delivery["state"] == "failed" and delivery["tries"] == 3


def test_the_backoff_doubles_from_its_base_up_to_its_cap():
    assert [outbox.backoff(n, 0.5) for n in (1, 2, 3, 4)] == [0.5, 1.0, 2.0, 4.0]
    assert outbox.backoff(40, 1.0) == outbox.MAX_BACKOFF_SECONDS


# --- a decision between a send's state write and its announcement -----------------------------------------------

def test_a_decision_landing_right_after_the_sends_state_write_loses_none_of_the_sends_announcements(
        tmp_path, receiver, monkeypatch):
    """Step by step: the reviewer approves exactly when the send's state is written, before the request goes
    on to announce it (where the audit entry, the alert and the webhooks used to be made afterwards)."""
    app = app_with(tmp_path, INSPECTOR_WEBHOOK_URLS=receiver.url("/hook"))
    store = app.extensions["store"]
    inspector, reviewer = client_as(app, "inspector"), client_as(app, "reviewer")
    decided: list[int] = []
    write = store.inspections.modify

    def then_decide(inspection_id, change, *rest):
        written = write(inspection_id, change, *rest)
        if written is not None and written["status"] == "submitted" and not decided:
            decided.append(0)  # once: the decision's own write comes through here too
            other = threading.Thread(target=lambda: decided.append(reviewer.post(
                f"/tinjau/{inspection_id}/keputusan", data={"keputusan": "approve"}).status_code))
            other.start()
            other.join()
        return written

    monkeypatch.setattr(store.inspections, "modify", then_decide)
    sid = sent_through_pages(app, inspector, critical=True)
    assert decided == [0, 303] and store.inspections.get(sid)["status"] == "approved"

    wait_until(lambda: len(receiver.hits) == 3, "the three webhooks")
    assert events_hit(receiver) == ["inspection.created", "inspection.critical", "review.decided"]
    assert len(chained(store, "submitted", sid)) == 1 and len(chained(store, "approved", sid)) == 1
    critical = [a for a in store.notifications.for_user(user_id(store, "reviewer")) if a["kind"] == "critical"]
    assert [a["inspection_id"] for a in critical] == [sid]
    decided_alerts = store.notifications.for_user(user_id(store, "inspector"))
    assert [(a["kind"], a["status"]) for a in decided_alerts] == [("decided", "approved")]
    assert store.notifications.open_critical() == []  # the late critical entry did not reopen an approved finding
    wait_until(lambda: store.outbox.pending() == [], "the outbox to empty")
