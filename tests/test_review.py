"""The life of an inspection in inspector.review, called directly: the rules, decisions, comments and addenda,
what changed between versions, the queue and its indexes (healing after a crash, rebuilding), and the
previous approved inspection.

Inspections are made the real way (inspections.start, save_answers, add_photo, submit) on a clock the tests set.
"""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace

import pytest

from inspector import review, inspections
from inspector import timefmt
from inspector.auth import User
from inspector.photos import process
from tests.support.answers import required_answers
from tests.support.auth import client_as
from tests.support.builders import ROLE_USERS, add_inspector, add_lks, make_app, seed_app
from tests.support.photos import jpeg

STATES = ("draft", "submitted", "returned", "approved", "rejected")
WHO = ("admin", "reviewer", "owner", "other", "operator", "nobody")
REASON = "Foto APAR tidak jelas."

# Every (state, who, action) that ``allowed`` permits; everything else is refused.
ALLOWED = {
    *{(s, "owner", a) for s in ("draft", "returned") for a in ("edit", "submit")},
    *{("submitted", "reviewer", a) for a in ("approve", "return", "reject")},
    *{(s, who, "comment") for s in ("submitted", "returned", "approved", "rejected") for who in ("reviewer", "owner")},
    ("approved", "reviewer", "addendum"),
}


def set_clock(monkeypatch, when: str) -> None:
    monkeypatch.setattr(timefmt, "now", lambda: datetime.fromisoformat(when))


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    app = make_app(tmp_path_factory.mktemp("review"))
    lks = seed_app(app)
    store = app.extensions["store"]
    other = add_inspector(store)
    users = {role: User(store.users.by_username(ROLE_USERS[role])) for role in ("admin", "reviewer", "operator")}
    users["owner"] = User(store.users.by_username(ROLE_USERS["inspector"]))
    users["other"] = User(other)
    users["nobody"] = None
    return SimpleNamespace(app=app, store=store, lks=lks, users=users, photo=process(jpeg((40, 90, 140))),
                           checklist=app.extensions["checklists"]["lksa"])


def new_lksa(env, name: str, kecamatan: str = "Karawaci") -> dict:
    return add_lks(env.store, name, prefix="RU", address="Jl. Uji No. 3", kecamatan=kecamatan, kelurahan="Bugel")


def inspection(env, lks: dict | None = None, by: str = "owner", **answers) -> dict:
    """A complete draft: every required item passing (then ``answers``: item -> value), and the front photo."""
    store, checklist = env.store, env.checklist
    record = inspections.start(store, checklist, lks or env.lks[0], env.users[by].record)
    full = required_answers(checklist)
    full.update({k: {"value": v, "note": ""} for k, v in answers.items()})
    assert inspections.save_answers(store, record["id"], full) is not None
    assert inspections.add_photo(store, record["id"], "foto_depan", env.photo, f"up-{record['id']}", 60) is None
    return store.inspections.get(record["id"])


def sent(env, lks: dict | None = None, by: str = "owner", state: str = "submitted", **answers) -> dict:
    """An inspection sent the real way, then decided when ``state`` says so."""
    record, problems = inspections.submit(env.store, env.checklist, inspection(env, lks, by, **answers)["id"])
    assert problems == {} and record["status"] == "submitted"
    action = {"returned": "return", "approved": "approve", "rejected": "reject"}.get(state)
    if action:
        record, reason = review.decide(env.store, record["id"], env.users["reviewer"], action, REASON)
        assert reason is None, reason
    return record


# --- the rules --------------------------------------------------------------------------------

@pytest.mark.parametrize("action", sorted(review.RULES) + ["delete", ""])
def test_allowed_follows_the_rules_for_every_state_and_user(env, action):
    record = inspection(env)
    for state in STATES:
        for who in WHO:
            expected = (state, who, action) in ALLOWED
            assert review.allowed({**record, "status": state}, env.users[who], action) is expected, (state, who)


# --- decisions --------------------------------------------------------------------------------

@pytest.mark.parametrize("action", ["return", "reject"])
@pytest.mark.parametrize("comment", ["", "   \n"])
def test_return_and_reject_need_a_reason(env, action, comment):
    record = sent(env)
    result, reason = review.decide(env.store, record["id"], env.users["reviewer"], action, comment)
    assert (result, reason) == (None, "Tulis alasan untuk inspektur saat mengembalikan atau menolak.")
    assert env.store.inspections.get(record["id"]) == record
    assert record["id"] in {r["id"] for r in env.store.review_index.pending_rows()}


def test_approve_needs_no_reason_and_each_decision_is_signed(env, monkeypatch):
    record = sent(env)
    set_clock(monkeypatch, "2026-05-06T01:02:03+00:00")
    result, reason = review.decide(env.store, record["id"], env.users["reviewer"], "approve")
    assert reason is None and result == env.store.inspections.get(record["id"])
    reviewer = env.users["reviewer"].record
    assert result["status"] == "approved" and result["decided_at"] == "2026-05-06T01:02:03+00:00"
    assert result["decisions"] == [{"by": reviewer["id"], "by_name": reviewer["name"], "role": "reviewer",
                                    "at": "2026-05-06T01:02:03+00:00", "action": "approve", "comment": ""}]
    assert result.get("comments", []) == []
    assert {k: result[k] for k in ("answers", "versions", "score")} == \
        {k: record[k] for k in ("answers", "versions", "score")}
    assert record["id"] not in {r["id"] for r in env.store.review_index.pending_rows()}


@pytest.mark.parametrize("action, comment, message", [
    ("publish", REASON, "Keputusan tidak dikenal."),
    ("return", "x" * 2001, "Komentar maksimal 2000 karakter."),
    ("approve", "x" * 2001, "Komentar maksimal 2000 karakter."),
])
def test_a_bad_decision_changes_nothing(env, action, comment, message):
    record = sent(env)
    assert review.decide(env.store, record["id"], env.users["reviewer"], action, comment) == (None, message)
    assert env.store.inspections.get(record["id"]) == record


@pytest.mark.parametrize("state", ["returned", "approved", "rejected"])
def test_a_decided_inspection_cannot_be_decided_again(env, state):
    record = sent(env, state=state)
    for action in review.DECISIONS:
        assert review.decide(env.store, record["id"], env.users["reviewer"], action, REASON) == (
            None, "Pengajuan ini sudah diputuskan atau tidak bisa diputuskan oleh Anda.")
    assert env.store.inspections.get(record["id"]) == record


def test_only_a_reviewer_decides_and_an_unknown_inspection_is_reported(env):
    record = sent(env)
    for who in ("admin", "owner", "other", "operator"):
        assert review.decide(env.store, record["id"], env.users[who], "approve")[0] is None, who
    assert env.store.inspections.get(record["id"]) == record
    assert review.decide(env.store, "l000000000000-202601-000000000000", env.users["reviewer"], "approve") == (
        None, "Pengajuan tidak ditemukan.")


# --- comments and addenda --------------------------------------------------------------------

def test_comments_are_signed_dated_and_limited(env, monkeypatch):
    record = sent(env)
    set_clock(monkeypatch, "2026-05-07T10:00:00+00:00")
    _, reason = review.add_comment(env.store, record["id"], env.users["owner"], "  " + "k" * 2000 + "  ")
    assert reason is None
    assert review.add_comment(env.store, record["id"], env.users["owner"], "k" * 2001) == (
        None, "Komentar maksimal 2000 karakter.")
    assert review.add_comment(env.store, record["id"], env.users["reviewer"], " \n ") == (None, "Komentar kosong.")
    for who in ("other", "admin", "operator"):
        assert review.add_comment(env.store, record["id"], env.users[who], "Halo") == (
            None, "Komentar tidak bisa ditambahkan pada pengajuan ini."), who
    owner = env.users["owner"].record
    comments = env.store.inspections.get(record["id"])["comments"]
    assert comments == [{"id": comments[0]["id"], "by": owner["id"], "by_name": owner["name"], "role": "inspector",
                         "at": "2026-05-07T10:00:00+00:00", "text": "k" * 2000}]
    # a draft takes no comment
    draft = inspection(env)
    assert review.add_comment(env.store, draft["id"], env.users["reviewer"], "Halo")[0] is None


def test_an_addendum_is_for_an_approved_inspection_and_leaves_it_as_it_was(env, monkeypatch):
    waiting = sent(env)
    assert review.add_addendum(env.store, waiting["id"], env.users["reviewer"], "Koreksi") == (
        None, "Addendum hanya untuk pengajuan yang sudah disetujui.")
    approved = sent(env, state="approved")
    for text in ("", "a" * 2001):
        assert review.add_addendum(env.store, approved["id"], env.users["reviewer"], text) == (
            None, "Isi addendum 1 sampai 2000 karakter.")
    assert review.add_addendum(env.store, approved["id"], env.users["owner"], "Koreksi")[0] is None
    set_clock(monkeypatch, "2026-05-08T00:00:00+00:00")
    result, reason = review.add_addendum(env.store, approved["id"], env.users["reviewer"], "Koreksi nomor izin.")
    assert reason is None
    assert {k: v for k, v in result.items() if k != "addenda"} == approved
    assert [(a["text"], a["at"], a["role"]) for a in result["addenda"]] == [
        ("Koreksi nomor izin.", "2026-05-08T00:00:00+00:00", "reviewer")]


# --- versions -----------------------------------------------------------------------------------

def test_version_changes_lists_what_changed_in_checklist_order(env):
    checklist = env.checklist
    older = {"answers": {"terdaftar_dinsos": {"value": "ya", "note": ""}, "kasur_sendiri": {"value": "ya", "note": ""},
                         "catatan_umum": {"value": "Bersih", "note": ""}, "makan_cukup": {"value": "ya", "note": ""},
                         "jumlah_anak_hadir": {"value": 12, "note": ""}},
             "photo_ids": ["p1", "p2"]}
    newer = {"answers": {"terdaftar_dinsos": {"value": "ya", "note": ""},  # unchanged
                         "kasur_sendiri": {"value": "tidak", "note": ""},  # value changed
                         "makan_cukup": {"value": "ya", "note": "lauk kurang"},  # only the note changed
                         "jumlah_anak_hadir": {"value": 12, "note": ""},
                         "apar": {"value": "ya", "note": ""}},  # newly answered; catatan_umum removed
             "photo_ids": ["p2", "p3", "p4"]}
    changes = review.version_changes(checklist, older, newer)
    assert [(c["item"].id if c["item"] else None, c["before"], c["after"]) for c in changes] == [
        ("makan_cukup", {"value": "ya", "note": ""}, {"value": "ya", "note": "lauk kurang"}),
        ("kasur_sendiri", {"value": "ya", "note": ""}, {"value": "tidak", "note": ""}),
        ("apar", {}, {"value": "ya", "note": ""}),
        ("catatan_umum", {"value": "Bersih", "note": ""}, {}),
        (None, {"value": "2 foto"}, {"value": "3 foto"}),
    ]
    order = [i.id for i in checklist.items()]
    ids = [c["item"].id for c in changes if c["item"]]
    assert ids == sorted(ids, key=order.index)
    assert review.version_changes(checklist, older, older) == []
    # the same photos in another order are no change
    assert review.version_changes(checklist, older, {**older, "photo_ids": ["p2", "p1"]}) == []


def test_a_resubmission_keeps_both_versions(env):
    record = sent(env, state="returned")
    inspections.save_answers(env.store, record["id"], {"kasur_sendiri": {"value": "tidak", "note": "berbagi"}})
    result, problems = inspections.submit(env.store, env.checklist, record["id"])
    assert problems == {} and [v["n"] for v in result["versions"]] == [1, 2]
    changes = review.version_changes(env.checklist, *result["versions"])
    assert [(c["item"].id, c["before"], c["after"]) for c in changes] == [
        ("kasur_sendiri", {"value": "ya", "note": ""}, {"value": "tidak", "note": "berbagi"})]
    assert result["versions"][0]["answers"] == record["answers"]


# --- the queue ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def spread(env):
    """Inspections of one new LKS pair, sent on different days by two inspectors, some critical, some decided."""
    a = new_lksa(env, "Panti Uji Antrean A", "Larangan")
    b = new_lksa(env, "Panti Uji Antrean B", "Neglasari")
    plan = [  # (name, lks, by, sent at, state, answers)
        ("a1", a, "owner", "2026-06-03T03:00:00+00:00", "submitted", {}),
        ("b1", b, "other", "2026-06-01T03:00:00+00:00", "submitted", {}),
        ("a2", a, "other", "2026-06-09T03:00:00+00:00", "submitted", {"anak_dipekerjakan": "ya"}),
        ("b2", b, "owner", "2026-06-05T03:00:00+00:00", "submitted", {"hukuman_fisik": "ya"}),
        ("a3", a, "owner", "2026-06-02T03:00:00+00:00", "approved", {}),
        ("b3", b, "other", "2026-06-07T03:00:00+00:00", "returned", {}),
        ("a4", a, "other", "2026-05-30T03:00:00+00:00", "rejected", {}),
        ("b4", b, "owner", "2026-06-04T03:00:00+00:00", "submitted", {}),
    ]
    made = {}
    with pytest.MonkeyPatch.context() as monkeypatch:
        for name, lks, by, at, state, answers in plan:
            set_clock(monkeypatch, at)
            made[name] = sent(env, lks, by, state, **answers)
    return SimpleNamespace(a=a, b=b, ids={name: r["id"] for name, r in made.items()},
                           names={r["id"]: name for name, r in made.items()})


def names(spread, rows) -> list[str]:
    return [spread.names[r["id"]] for r in rows if r["id"] in spread.names]


@pytest.mark.parametrize("filters, expected", [
    ({}, ["b2", "a2", "b1", "a1", "b4"]),  # critical first (oldest first among them), then oldest first
    ({"kecamatan": "Larangan"}, ["a2", "a1"]),
    ({"lks_id": "B"}, ["b2", "b1", "b4"]),
    ({"inspector_id": "other"}, ["a2", "b1"]),
    ({"date_from": "2026-06-03", "date_to": "2026-06-05"}, ["b2", "a1", "b4"]),
    ({"status": "approved"}, ["a3"]),
    ({"status": "returned", "kecamatan": "Neglasari"}, ["b3"]),
    ({"status": "rejected"}, ["a4"]),
    ({"status": "rejected", "date_from": "2026-06-01"}, []),
    ({"status": ""}, ["b2", "a2", "a4", "b1", "a3", "a1", "b4", "b3"]),
    ({"status": "", "date_from": "2026-06-02", "date_to": "2026-06-04", "inspector_id": "owner"}, ["a3", "a1", "b4"]),
])
def test_queue_order_and_filters(env, spread, filters, expected):
    filters = {**filters}
    if "lks_id" in filters:
        filters["lks_id"] = getattr(spread, filters["lks_id"].lower())["id"]
    if "inspector_id" in filters:
        filters["inspector_id"] = env.users[filters["inspector_id"]].record["id"]
    assert names(spread, review.queue(env.store, **filters)) == expected


def test_queue_rows_carry_what_the_page_shows(env, spread):
    rows = {r["id"]: r for r in review.queue(env.store)}
    record = env.store.inspections.get(spread.ids["a2"])
    assert rows[record["id"]] == {
        "id": record["id"], "lks_id": spread.a["id"], "kecamatan": "Larangan",
        "inspector_id": env.users["other"].record["id"], "status": "submitted",
        "submitted_at": "2026-06-09T03:00:00+00:00", "first_submitted_at": "2026-06-09T03:00:00+00:00",
        "score": record["score"]["percent"], "failed": 1, "critical": True, "photos": 1, "decided_at": None,
        "checklist_id": "lksa", "checklist_digest": record["checklist"]["digest"]}


def test_the_date_filter_uses_the_day_shown_in_wib(env, monkeypatch):
    """Sent at 01.30 WIB on 10 June (18.30 UTC on 9 June): the page shows 10 Jun, so the filter must too."""
    lks = new_lksa(env, "Panti Uji Tengah Malam", "Periuk")
    set_clock(monkeypatch, "2026-06-09T18:30:00+00:00")
    late = sent(env, lks)
    decided = sent(env, lks, state="approved")
    for status, record in (("submitted", late), ("approved", decided)):
        found = lambda **dates: [r["id"] for r in review.queue(env.store, status=status, lks_id=lks["id"], **dates)]
        assert found(date_from="2026-06-10", date_to="2026-06-10") == [record["id"]], status
        assert found(date_to="2026-06-09") == [], status


def test_a_resubmission_in_a_later_month_is_found_by_the_day_it_was_first_sent(env, monkeypatch):
    """The monthly summaries are by first sending: the date filter must be too, or the row is found by no range."""
    lks = new_lksa(env, "Panti Uji Lintas Bulan", "Benda")
    set_clock(monkeypatch, "2026-07-30T03:00:00+00:00")
    record = sent(env, lks, state="returned")
    set_clock(monkeypatch, "2026-08-02T03:00:00+00:00")
    inspections.save_answers(env.store, record["id"], {"kasur_sendiri": {"value": "tidak", "note": ""}})
    result, problems = inspections.submit(env.store, env.checklist, record["id"])
    assert problems == {} and result["submitted_at"] == "2026-08-02T03:00:00+00:00"
    july = {"date_from": "2026-07-01", "date_to": "2026-07-31", "lks_id": lks["id"]}
    assert [r["id"] for r in review.queue(env.store, **july)] == [record["id"]]
    review.decide(env.store, record["id"], env.users["reviewer"], "approve")
    for status in ("approved", ""):
        assert [r["id"] for r in review.queue(env.store, status=status, **july)] == [record["id"]], status


# --- the indexes heal ------------------------------------------------------------------------------

class PowerCut(Exception):
    pass


def cut(*args, **kwargs):
    raise PowerCut


def ids(rows) -> list[str]:
    return [r["id"] for r in rows]


def reviewer_page(env, query: str) -> str:
    client = client_as(env.app, "reviewer")
    response = client.get(f"/tinjau/?{query}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_a_pending_row_left_by_a_crash_after_the_decision_is_not_shown(env, monkeypatch):
    lks = new_lksa(env, "Panti Uji Putus Listrik")
    record, kept = sent(env, lks), sent(env, lks)
    with monkeypatch.context() as patched:  # the decision is written, then the power fails before clear_pending
        patched.setattr(env.store.review_index, "clear_pending", cut)
        with pytest.raises(PowerCut):
            review.decide(env.store, record["id"], env.users["reviewer"], "approve")
    assert env.store.inspections.get(record["id"])["status"] == "approved"
    assert record["id"] in ids(env.store.review_index.pending_rows())  # the stale row is there ...
    assert ids(review.queue(env.store, lks_id=lks["id"])) == [kept["id"]]  # ... and not shown
    page = reviewer_page(env, f"lks={lks['id']}")
    assert f"/tinjau/{kept['id']}" in page and f"/tinjau/{record['id']}" not in page and "1 pengajuan" in page
    assert ids(review.queue(env.store, status="approved", lks_id=lks["id"])) == [record["id"]]
    review.rebuild_indexes(env.store)
    assert record["id"] not in ids(env.store.review_index.pending_rows())
    assert kept["id"] in ids(env.store.review_index.pending_rows())


def test_a_pending_row_of_a_inspection_whose_sending_failed_is_not_shown(env, monkeypatch):
    lks = new_lksa(env, "Panti Uji Gagal Kirim")
    draft = inspection(env, lks)
    with monkeypatch.context() as patched:  # the queue is told first; the inspection write then fails
        patched.setattr(env.store.inspections, "modify", cut)
        with pytest.raises(PowerCut):
            inspections.submit(env.store, env.checklist, draft["id"])
    assert env.store.inspections.get(draft["id"]) == draft
    assert draft["id"] in ids(env.store.review_index.pending_rows())
    assert ids(review.queue(env.store, lks_id=lks["id"])) == []
    env.store.review_index.mark_pending({**review.index_row(env.store, {**draft, "status": "submitted"}),
                                         "id": "l000000000000-202601-000000000000"})  # a row of nothing at all
    assert "l000000000000-202601-000000000000" not in ids(review.queue(env.store))
    # sent again, it is listed once
    record, problems = inspections.submit(env.store, env.checklist, draft["id"])
    assert problems == {} and ids(review.queue(env.store, lks_id=lks["id"])) == [draft["id"]]


def test_a_row_missing_from_the_monthly_index_after_a_crash_is_restored_by_a_rebuild(env, monkeypatch):
    lks = new_lksa(env, "Panti Uji Bangun Ulang")
    draft = inspection(env, lks)
    with monkeypatch.context() as patched:  # sent, then the power fails before the monthly summary is written
        patched.setattr(env.store.review_index, "put", cut)
        with pytest.raises(PowerCut):
            inspections.submit(env.store, env.checklist, draft["id"])
    assert env.store.inspections.get(draft["id"])["status"] == "submitted"
    assert ids(review.queue(env.store, lks_id=lks["id"])) == [draft["id"]]  # never a sent inspection unseen
    assert ids(review.queue(env.store, status="", lks_id=lks["id"])) == []  # but the summary lacks it

    # a decision whose summary write fails leaves the old state in the summary
    decided = sent(env, lks)
    with monkeypatch.context() as patched:
        patched.setattr(env.store.review_index, "put", cut)
        with pytest.raises(PowerCut):
            review.decide(env.store, decided["id"], env.users["reviewer"], "reject", REASON)
    assert ids(review.queue(env.store, status="rejected", lks_id=lks["id"])) == []
    assert ids(review.queue(env.store, lks_id=lks["id"])) == [draft["id"]]  # confirmed against the record

    everything = [r for r in env.store.inspections.every() if r["status"] != "draft"]
    assert review.rebuild_indexes(env.store) == len(everything)
    assert ids(review.queue(env.store, status="", lks_id=lks["id"])) == [draft["id"], decided["id"]]
    assert ids(review.queue(env.store, status="rejected", lks_id=lks["id"])) == [decided["id"]]
    assert decided["id"] not in ids(env.store.review_index.pending_rows())
    months = env.store.review_index.rows("000000", "999912")
    assert sorted(ids(months)) == sorted(r["id"] for r in everything)
    row = {r["id"]: r for r in months}[draft["id"]]
    assert row == review.index_row(env.store, env.store.inspections.get(draft["id"]))
    # a second rebuild changes nothing
    pending = sorted(ids(env.store.review_index.pending_rows()))
    assert review.rebuild_indexes(env.store) == len(everything)
    assert sorted(ids(env.store.review_index.rows("000000", "999912"))) == sorted(ids(months))
    assert sorted(ids(env.store.review_index.pending_rows())) == pending


# --- the previous approved inspection ---------------------------------------------------------------

def test_previous_approved_is_the_latest_approved_one_of_the_same_lks_before(env, monkeypatch):
    lks, elsewhere = new_lksa(env, "Panti Uji Riwayat"), new_lksa(env, "Panti Uji Tetangga")
    made = {}
    for name, where, at, state in [
            ("first", lks, "2026-01-05T02:00:00+00:00", "approved"),
            ("rejected", lks, "2026-02-05T02:00:00+00:00", "rejected"),
            ("second", lks, "2026-03-05T02:00:00+00:00", "approved"),
            ("returned", lks, "2026-03-20T02:00:00+00:00", "returned"),
            ("neighbour", elsewhere, "2026-03-25T02:00:00+00:00", "approved"),
            ("current", lks, "2026-04-05T02:00:00+00:00", "submitted"),
            ("later", lks, "2026-05-05T02:00:00+00:00", "approved")]:
        set_clock(monkeypatch, at)
        made[name] = sent(env, where, state=state)

    def previous(name):
        found = review.previous_approved(env.store, env.store.inspections.get(made[name]["id"]))
        return found["id"] if found else None
    assert previous("current") == made["second"]["id"]
    assert previous("second") == previous("rejected") == made["first"]["id"]
    assert previous("later") == made["second"]["id"]
    assert previous("first") is None and previous("neighbour") is None

    # an LKS reported twice and merged into this one brings its history along
    merged = new_lksa(env, "Panti Uji Riwayat (laporan ganda)")
    set_clock(monkeypatch, "2026-03-28T02:00:00+00:00")
    twin = sent(env, merged, state="approved")
    env.store.lks.change(merged["id"], {"merged_into": lks["id"]})
    assert previous("current") == twin["id"]
    assert previous("second") == made["first"]["id"]
