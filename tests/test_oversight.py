"""The reviewer's dashboard: overdue and never-inspected LKS, counts per kecamatan, open critical findings, waits."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from inspector import announce, outbox, oversight, oversight_state, review
from inspector.auth import User
from tests.support.auth import client_as
from tests.support.builders import ROLE_USERS, make_app, seed_app


@pytest.fixture(autouse=True)
def no_workers_left():
    yield
    assert outbox.stop_all()


def ago(days: float) -> str:
    return (datetime.now(timezone.utc) - timedelta(days=days)).replace(microsecond=0).isoformat()


def month_of(iso: str) -> str:
    return iso[:4] + iso[5:7]


def sent(store, lks: dict, inspector_id: str, status: str = "submitted", first: str | None = None,
         last: str | None = None, critical: bool = False) -> dict:
    """A sent inspection written straight to the store, with its review index rows, as the inspection would."""
    first = first or ago(1)
    last = last or first
    record = store.inspections.insert({
        "lks_id": lks["id"], "inspector_id": inspector_id, "status": status, "created_at": first,
        "updated_at": last, "submitted_at": last, "versions": [{"n": 1, "submitted_at": first}],
        "checklist": {"id": "lksa", "version": 1, "digest": "uji"}, "answers": {}, "photos": [],
        "critical": critical, "decided_at": None if status == "submitted" else last,
        "score": {"percent": 70.0, "failed": ["a"], "critical_failed": ["tanda_kekerasan"] if critical else []}})
    row = review.index_row(store, record)
    if status == "submitted":
        store.review_index.mark_pending(row)
    store.review_index.put(row)
    return record


@pytest.fixture
def lks(store):
    return store.lks.all()


@pytest.fixture
def inspector_id(store):
    return store.users.by_username(ROLE_USERS["inspector"])["id"]


def names(items) -> list[str]:
    return [item["lks"]["name"] if "lks" in item else item["name"] for item in items]


def test_lks_are_sorted_into_inspected_overdue_and_never_inspected(store, lks, inspector_id):
    sent(store, lks[0], inspector_id, "approved", first=ago(10))
    sent(store, lks[1], inspector_id, "approved", first=ago(200))  # a month outside the window
    sent(store, lks[2], inspector_id, "rejected", first=ago(5))  # rejected: not an inspection that counts
    provisional = store.lks.create(**{**{k: v for k, v in lks[2].items() if k not in ("id", "code")},
                                      "code": "PRV22", "provisional": True})
    inactive = store.lks.create(**{**{k: v for k, v in lks[2].items() if k not in ("id", "code")},
                                   "code": "OFF22", "active": False})

    board = oversight.build(store, overdue_days=90)
    assert names(board.overdue) == [lks[1]["name"]]
    assert board.overdue[0]["last"] == store.inspections.for_lks(lks[1]["id"])[0]["versions"][0]["submitted_at"]
    assert [l["id"] for l in board.never] == [lks[2]["id"]]
    assert {provisional["id"], inactive["id"]}.isdisjoint({l["id"] for l in board.never})

    per = {row["kecamatan"]: row for row in board.per_kecamatan}
    assert per[lks[0]["kecamatan"]] == {"kecamatan": lks[0]["kecamatan"], "lks": 1, "overdue": 0, "never": 0,
                                        "waiting": 0}
    assert per[lks[1]["kecamatan"]]["overdue"] == 1 and per[lks[2]["kecamatan"]]["never"] == 1
    assert board.totals == {"lks": 3, "overdue": 1, "never": 1, "waiting": 0}
    # A longer window makes the 200-day-old inspection recent enough.
    assert oversight.build(store, overdue_days=365).overdue == []


def test_the_dashboard_reads_only_the_months_of_its_window(store, lks, inspector_id, monkeypatch):
    old = sent(store, lks[1], inspector_id, "approved", first=ago(400))
    oversight_state.fill(store)  # filled once from the whole index (the first decision, or `flask index rebuild`)
    # From now on the old month is never opened: a broken file there would fail any read of it.
    (store.review_index.root / "months" / f"{month_of(old['created_at'])}.json").write_text("{kaputt")
    calls = []
    real_rows = store.review_index.rows
    monkeypatch.setattr(store.review_index, "rows", lambda a, b, *rest: calls.append((a, b)) or real_rows(a, b, *rest))
    monkeypatch.setattr(store.inspections, "every", lambda: pytest.fail("the whole archive was read"))

    board = oversight.build(store, overdue_days=90)
    assert calls and all(first >= month_of(ago(91)) for first, _ in calls)
    assert names(board.overdue) == [lks[1]["name"]]  # still known from the oversight state
    assert board.overdue[0]["last"] == old["versions"][0]["submitted_at"]


def test_an_approval_through_the_review_page_feeds_the_oversight_state(app, store, lks, inspector_id, monkeypatch):
    oversight_state.fill(store)  # state built while nothing was approved yet
    waiting = sent(store, lks[2], inspector_id, "submitted", first=ago(200), last=ago(150))
    assert lks[2]["id"] in {l["id"] for l in oversight.build(store).never}
    reviewer = client_as(app, "reviewer")
    response = reviewer.post(f"/tinjau/{waiting['id']}/keputusan", data={"keputusan": "approve"})
    assert response.status_code == 303

    # Its month lies outside the window and the state is built: only the decision's event can tell.
    monkeypatch.setattr(store.review_index, "rows", lambda a, b, *rest: [])
    board = oversight.build(store, overdue_days=90)
    assert lks[2]["id"] not in {l["id"] for l in board.never}
    first_sent = waiting["versions"][0]["submitted_at"]
    assert [(i["lks"]["id"], i["last"]) for i in board.overdue] == [(lks[2]["id"], first_sent)]


def test_an_lks_merged_into_another_lends_it_its_inspections(store, lks, inspector_id):
    reported = store.lks.create(**{**{k: v for k, v in lks[2].items() if k not in ("id", "code")}, "code": "MRG22",
                                   "provisional": False, "active": False, "merged_into": lks[2]["id"]})
    sent(store, reported, inspector_id, "approved", first=ago(3))
    board = oversight.build(store)
    assert lks[2]["id"] not in {l["id"] for l in board.never + [i["lks"] for i in board.overdue]}


def test_open_critical_findings_and_long_waits(app, store, lks, inspector_id):
    waiting_critical = sent(store, lks[0], inspector_id, "submitted", first=ago(12), critical=True)
    waiting_fresh = sent(store, lks[1], inspector_id, "submitted", first=ago(2))
    waiting_old = sent(store, lks[2], inspector_id, "submitted", first=ago(30), last=ago(9))
    returned = sent(store, lks[1], inspector_id, "returned", first=ago(20), critical=True)
    sent(store, lks[2], inspector_id, "approved", first=ago(15), critical=True)  # decided: no longer open
    old_returned = sent(store, lks[0], inspector_id, "returned", first=ago(300), critical=True)
    announce.emit(store, app.config, "inspection.critical", old_returned)  # marked open when it was sent

    board = oversight.build(store, overdue_days=90, waiting_days=7)
    assert [r["id"] for r in board.critical] == [old_returned["id"], returned["id"], waiting_critical["id"]]
    assert [r["id"] for r in board.waiting_long] == [waiting_critical["id"], waiting_old["id"]]
    assert waiting_fresh["id"] not in {r["id"] for r in board.waiting_long + board.critical}
    assert board.totals["waiting"] == 3
    assert board.critical[0]["lks"]["name"] == lks[0]["name"]

    # Rejected straight in the store (e.g. by a script): the dashboard confirms and drops it, writing nothing...
    store.inspections.modify(old_returned["id"], lambda r: {**r, "status": "rejected"})
    assert old_returned["id"] not in {r["id"] for r in oversight.build(store).critical}
    assert store.notifications.open_critical() == [old_returned["id"]]
    # ... and a decision made without an event (sent again, then rejected) closes it in the oversight state.
    store.inspections.modify(old_returned["id"], lambda r: {**r, "status": "submitted"})
    reviewer = User(store.users.by_username(ROLE_USERS["reviewer"]))
    assert review.decide(store, old_returned["id"], reviewer, "reject", "Bukan LKS yang terdaftar.")[1] is None
    assert old_returned["id"] not in {r["id"] for r in oversight.build(store).critical}
    assert store.notifications.open_critical() == []
    # A decision through the events closes it as well.
    again = sent(store, lks[0], inspector_id, "returned", first=ago(250), critical=True)
    announce.emit(store, app.config, "inspection.critical", again)
    assert again["id"] in {r["id"] for r in oversight.build(store).critical}
    announce.emit(store, app.config, "review.decided", {**again, "status": "rejected"})
    assert store.notifications.open_critical() == []


def test_the_kecamatan_filter_narrows_the_lists_not_the_counts(store, lks, inspector_id):
    sent(store, lks[0], inspector_id, "submitted", first=ago(10), critical=True)
    board = oversight.build(store, kecamatan=lks[1]["kecamatan"])
    assert board.critical == [] and board.waiting_long == []
    assert [l["id"] for l in board.never] == [lks[1]["id"]]
    assert board.totals == {"lks": 3, "overdue": 0, "never": 3, "waiting": 1}


def test_the_dashboard_page_on_a_phone(app, store, lks, inspector_id, client, auth):
    critical = sent(store, lks[0], inspector_id, "submitted", first=ago(10), critical=True)
    sent(store, lks[1], inspector_id, "approved", first=ago(120))
    auth.login_as("reviewer")
    response = client.get("/tinjau/pantauan")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Temuan kritis terbuka (1)" in html and f"/tinjau/{critical['id']}" in html
    assert "Menunggu tinjauan lebih dari 7 hari (1)" in html
    assert "Belum pernah diinspeksi (2)" in html and lks[2]["name"] in html
    assert "Terlambat, lebih dari 90 hari (1)" in html and lks[1]["name"] in html
    assert '<table class="table compact">' in html and html.count("<table") == 1
    assert 'href="/tinjau/pantauan?kecamatan=Pinang"' in html
    assert "<script" not in html.split("</head>")[1]

    narrowed = client.get(f"/tinjau/pantauan?kecamatan={lks[1]['kecamatan']}").get_data(as_text=True)
    assert "Temuan kritis terbuka (0)" in narrowed and "Belum pernah diinspeksi (0)" in narrowed
    assert "Temuan kritis terbuka (1)" in client.get("/tinjau/pantauan?kecamatan=Bukan").get_data(as_text=True)
    assert 'href="/tinjau/pantauan">Pantauan</a>' in html  # in the reviewer's menu


def test_the_overdue_days_come_from_the_settings(tmp_path):
    app = make_app(tmp_path, INSPECTOR_OVERDUE_DAYS="400", INSPECTOR_WAITING_DAYS="30")
    seed_app(app)
    store = app.extensions["store"]
    inspector = store.users.by_username(ROLE_USERS["inspector"])["id"]
    sent(store, store.lks.all()[0], inspector, "approved", first=ago(200))
    client = client_as(app, "reviewer")
    html = client.get("/tinjau/pantauan").get_data(as_text=True)
    assert "Terlambat, lebih dari 400 hari (0)" in html and "lebih dari 30 hari (0)" in html


def test_the_dashboard_page_writes_nothing(app, store, lks, inspector_id, client, auth):
    """Its state is written where it changes (a decision, an event): a page view never repairs it."""
    sent(store, lks[0], inspector_id, "approved", first=ago(200))  # not yet in the state: read from the index
    stale = sent(store, lks[1], inspector_id, "returned", first=ago(300), critical=True)
    announce.emit(store, app.config, "inspection.critical", stale)
    store.inspections.modify(stale["id"], lambda r: {**r, "status": "rejected"})  # no longer open
    auth.login_as("reviewer")

    def files() -> dict:
        return {str(p): p.read_bytes() for p in sorted(store.root.rglob("*")) if p.is_file()
                and not p.name.endswith(".lock")}
    before = files()
    html = client.get("/tinjau/pantauan").get_data(as_text=True)
    assert "Temuan kritis terbuka (0)" in html and "Terlambat, lebih dari 90 hari (1)" in html
    assert files() == before
