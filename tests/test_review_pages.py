"""The reviewer's side through the Flask test client.

Who may move an inspection (every state x role x action, through the real
routes), decisions that need a reason, comments between reviewer and
inspector, the finality of an approval and its addenda, versions after a
return, the queue page (order, filters, paging, rows), bulk approval, and
the previous approved inspection shown for comparison.
"""

from __future__ import annotations

from datetime import datetime
import hashlib
import html
import json
import re
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest

from inspector import review, timefmt
from inspector.auth import User
from inspector.timefmt import format_wib
from tests.support.answers import complete_form
from tests.support.auth import client_as
from tests.support.builders import ROLE_USERS, add_inspector, add_lks, make_app, seed_app
from tests.support.photos import jpeg, upload

STATES = ("draft", "submitted", "returned", "approved", "rejected")
ROLES = ("admin", "reviewer", "owner", "other", "operator", "anonymous")
ACTIONS = ("approve", "return", "reject", "comment", "addendum", "edit", "submit", "resubmit")
REASON = "Mohon lengkapi foto dapur."
COMMENT = "Catatan uji: dapur sudah dicek ulang."
ADDENDUM = "Koreksi: nomor izin 123/DINSOS/2026."
QUESTION = "Apakah setiap anak punya tempat tidur atau kasur sendiri?"
DECIDED_ALREADY = "Pengajuan ini sudah diputuskan atau tidak bisa diputuskan oleh Anda."
ADDENDUM_ONLY = "Addendum hanya untuk pengajuan yang sudah disetujui."
UNKNOWN_ID = "l000000000000-202601-000000000000"
NEEDS_REASON = "Tulis alasan untuk inspektur saat mengembalikan atau menolak."


# --- helpers ---------------------------------------------------------------------------

def set_clock(monkeypatch, when: str) -> None:
    """Every module that stamps inspections reads ``when`` as now (UTC ISO)."""
    monkeypatch.setattr(timefmt, "now", lambda: datetime.fromisoformat(when))


def post_inspection(client, sid: str, data: dict, key: str, action: str = "simpan", suffix: str = ""):
    return client.post(f"/kunjungan/{sid}{suffix}", data={"inspection_key": key, "action": action, **data},
                       content_type="multipart/form-data")


def forget_flashes(client) -> None:
    """Drop messages a redirect left in the session, so a shared client's session stays small and clean."""
    if client.get_cookie("session") is not None:
        with client.session_transaction() as session:
            session.pop("_flashes", None)


def folder_digest(root: Path) -> dict[str, str]:
    """{relative path: sha256} of every file under the data folder."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def seen(response) -> str:
    """A response as '<status>' or '<status> <path>[?next=<path>][#fragment]'."""
    location = response.headers.get("Location")
    if not location:
        return str(response.status_code)
    parts = urlsplit(location)
    assert not parts.scheme and not parts.netloc, location
    query = parse_qs(parts.query)
    shown = parts.path + (f"?next={query['next'][0]}" if "next" in query else "")
    return f"{response.status_code} {shown}" + (f"#{parts.fragment}" if parts.fragment else "")


def text_of(response) -> str:
    """The page's visible text, tags removed and spaces collapsed."""
    raw = re.sub(r"<(script|style)\b.*?</\1>", " ", response.get_data(as_text=True), flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", raw)).split())


def section(response, heading: str) -> str:
    """The text of the <section> whose <h2> is ``heading``."""
    for match in re.finditer(r"<section\b.*?</section>", response.get_data(as_text=True), flags=re.S):
        if f"<h2>{heading}</h2>" in match.group(0):
            return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", match.group(0))).split())
    raise AssertionError(f"no section {heading!r}")


# --- the site: one app per module, one signed-in client per role -----------------------

@pytest.fixture(scope="module")
def site(tmp_path_factory):
    app = make_app(tmp_path_factory.mktemp("review-pages"))
    lks = seed_app(app)
    store = app.extensions["store"]
    other = add_inspector(store)
    clients = {role: client_as(app, ROLE_USERS[role]) for role in ("admin", "reviewer", "operator")}
    clients["owner"] = client_as(app, ROLE_USERS["inspector"])
    clients["other"] = client_as(app, "petugas2")
    users = {role: store.users.by_username(ROLE_USERS[role]) for role in ("admin", "reviewer", "operator")}
    users["owner"] = store.users.by_username(ROLE_USERS["inspector"])
    users["other"] = other
    return SimpleNamespace(app=app, store=store, lks=lks, clients=clients, users=users,
                           checklist=app.extensions["checklists"]["lksa"], data=Path(app.config["INSPECTOR_DATA_DIR"]),
                           reviewer=User(users["reviewer"]))


def record_of(site, sid: str) -> dict:
    return site.store.inspections.get(sid)


def new_lksa(site, name: str, kecamatan: str = "Karawaci", kelurahan: str = "Bugel") -> dict:
    return add_lks(site.store, name, prefix="RV", address="Jl. Uji No. 9", kecamatan=kecamatan, kelurahan=kelurahan)


def make(site, state: str, lks: dict | None = None, client=None, **changes) -> str:
    """An inspection brought to ``state`` the real way: started, filled completely with a photo, sent, decided."""
    client = client or site.clients["owner"]
    code = (lks or site.lks[0])["code"]
    response = client.post(f"/inspeksi/lks/{code}/mulai", data={"checklist": "lksa"})
    assert response.status_code == 303, response.status_code
    sid = response.location.rsplit("/", 1)[1]
    key = record_of(site, sid)["inspection_key"]
    answers = complete_form(site.checklist, **changes)
    response = post_inspection(client, sid, {**answers, "foto_depan__photos": upload(jpeg())}, key)
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    if state != "draft":
        assert client.post(f"/kunjungan/{sid}/kirim", data={"inspection_key": key}).status_code == 303
        assert record_of(site, sid)["status"] == "submitted"
    action = {"returned": "return", "approved": "approve", "rejected": "reject"}.get(state)
    if action:
        record, reason = review.decide(site.store, sid, site.reviewer, action, REASON)
        assert reason is None, reason
    forget_flashes(client)
    assert record_of(site, sid)["status"] == state
    return sid


@pytest.fixture(scope="module")
def shared(site):
    """One inspection per state, for every attempt that must change nothing."""
    return {state: make(site, state) for state in STATES}


# --- 1. who may do what: the whole table -------------------------------------------------

@dataclass(frozen=True)
class Outcome:
    """What each request answers ('403', '400:<message shown>', '303 <where>' ...) and what it does.

    ``effect`` None: the inspection and every file of the data folder stay exactly as they were.
    """
    responses: tuple[str, ...]
    effect: str | None = None


def nothing(*responses: str) -> Outcome:
    return Outcome(responses)


def does(effect: str, *responses: str) -> Outcome:
    return Outcome(responses, effect)


def every(outcome: Outcome) -> dict[str, Outcome]:
    return {state: outcome for state in STATES}


def by_state(*, draft: Outcome, submitted: Outcome, returned: Outcome, approved: Outcome,
             rejected: Outcome) -> dict[str, Outcome]:
    return {"draft": draft, "submitted": submitted, "returned": returned, "approved": approved,
            "rejected": rejected}


SHOW, SUMMARY, FORM, QUEUE = "/tinjau/{id}", "/kunjungan/{id}/ringkasan", "/kunjungan/{id}", "/tinjau/"


def login(path: str) -> str:
    """Flask-Login's answer to a signed-out request for a reviewer route."""
    return f"302 /masuk?next={path}"


def decision(action: str, effect: str) -> dict[str, dict[str, Outcome]]:
    refused = f"400:{DECIDED_ALREADY}"
    return {
        "admin": every(nothing("403")),
        "reviewer": by_state(draft=nothing("404"), submitted=does(effect, f"303 {QUEUE}"), returned=nothing(refused),
                             approved=nothing(refused), rejected=nothing(refused)),
        "owner": every(nothing("403")),
        "other": every(nothing("403")),
        "operator": every(nothing("403")),
        "anonymous": every(nothing(login("/tinjau/{id}/keputusan"))),
    }


def inspection_post(single: bool) -> dict[str, dict[str, Outcome]]:
    """edit (one request: save the changed form) or resubmit (save with 'ringkasan', then send).

    The inspection key is sent by everyone: it authorises the post, and any other signed-in
    account is refused. Signed out, the key still saves an editable inspection (a phone whose
    session expired loses nothing) and leads to the sign-in; a send is never made signed out.
    """
    if single:
        owner_edits = does("edited", f"303 {FORM}")
        anonymous_edits = does("edited", "303 /masuk?next=" + FORM)
        closed, anonymous_closed, forbidden = nothing(f"303 {SUMMARY}"), nothing(f"303 {SUMMARY}"), nothing("403")
    else:
        owner_edits = does("edited and sent", f"303 {SUMMARY}", f"303 {SUMMARY}")
        anonymous_edits = does("edited", "303 /masuk?next=" + FORM, "303 /masuk?next=" + SUMMARY)
        closed = nothing(f"303 {SUMMARY}", f"303 {SUMMARY}")
        anonymous_closed = nothing(f"303 {SUMMARY}", "303 /masuk?next=" + SUMMARY)
        forbidden = nothing("403", "403")
    return {
        "admin": every(forbidden), "reviewer": every(forbidden), "other": every(forbidden),
        "operator": every(forbidden),
        "owner": by_state(draft=owner_edits, submitted=closed, returned=owner_edits, approved=closed, rejected=closed),
        "anonymous": by_state(draft=anonymous_edits, submitted=anonymous_closed, returned=anonymous_edits,
                              approved=anonymous_closed, rejected=anonymous_closed),
    }


TABLE: dict[str, dict[str, dict[str, Outcome]]] = {
    "approve": decision("approve", "approved"),
    "return": decision("return", "returned"),
    "reject": decision("reject", "rejected"),
    "comment": {
        "admin": every(nothing("403")),
        "reviewer": {"draft": nothing("404"), **{s: does("commented", f"303 {SHOW}#komentar") for s in STATES[1:]}},
        "owner": {"draft": nothing("404"), **{s: does("commented", f"303 {SUMMARY}#komentar") for s in STATES[1:]}},
        "other": every(nothing("404")),  # another inspector's inspection is hidden, not forbidden
        "operator": every(nothing("403")),
        "anonymous": every(nothing(login("/tinjau/{id}/komentar"))),
    },
    "addendum": {
        "admin": every(nothing("403")),
        "reviewer": by_state(draft=nothing("404"), submitted=nothing(f"400:{ADDENDUM_ONLY}"),
                             returned=nothing(f"400:{ADDENDUM_ONLY}"),
                             approved=does("addendum", f"303 {SHOW}#addendum"),
                             rejected=nothing(f"400:{ADDENDUM_ONLY}")),
        "owner": every(nothing("403")),
        "other": every(nothing("403")),
        "operator": every(nothing("403")),
        "anonymous": every(nothing(login("/tinjau/{id}/addendum"))),
    },
    "edit": inspection_post(single=True),
    "submit": {
        "admin": every(nothing("403")), "reviewer": every(nothing("403")), "other": every(nothing("403")),
        "operator": every(nothing("403")),
        "owner": by_state(draft=does("sent", f"303 {SUMMARY}"), submitted=nothing(f"303 {SUMMARY}"),
                          returned=does("sent", f"303 {SUMMARY}"), approved=nothing(f"303 {SUMMARY}"),
                          rejected=nothing(f"303 {SUMMARY}")),
        "anonymous": every(nothing("303 /masuk?next=" + SUMMARY)),
    },
    "resubmit": inspection_post(single=False),
}
CELLS = [(state, role, action) for action in ACTIONS for role in ROLES for state in STATES]


def test_the_table_covers_every_state_role_and_action():
    assert len(CELLS) == 240
    assert {(s, r, a) for a, roles in TABLE.items() for r, states in roles.items() for s in states} == set(CELLS)
    # signed in, a cell does something exactly when the rules the views ask allow it (to the inspection's own inspector)
    for state, role, action in CELLS:
        states, roles, _ = review.RULES["submit" if action == "resubmit" else action]
        permitted = state in states and {"owner": "inspector"}.get(role, role) in roles
        if role != "anonymous":
            assert (TABLE[action][role][state].effect is not None) == permitted, (state, role, action)


def edited_answers(site) -> dict:
    return complete_form(site.checklist, kasur_sendiri="tidak", kasur_sendiri__note="dua anak berbagi kasur")


def act(site, client, action: str, sid: str, key: str) -> list:
    if action in review.DECISIONS:
        return [client.post(f"/tinjau/{sid}/keputusan", data={"keputusan": action, "komentar": REASON})]
    if action == "comment":
        return [client.post(f"/tinjau/{sid}/komentar", data={"komentar": COMMENT})]
    if action == "addendum":
        return [client.post(f"/tinjau/{sid}/addendum", data={"isi": ADDENDUM})]
    if action == "edit":
        return [post_inspection(client, sid, edited_answers(site), key)]
    if action == "submit":
        return [client.post(f"/kunjungan/{sid}/kirim", data={"inspection_key": key})]
    assert action == "resubmit"
    return [post_inspection(client, sid, edited_answers(site), key, "ringkasan"),
            client.post(f"/kunjungan/{sid}/kirim", data={"inspection_key": key})]


def observed(response, spec: str) -> str:
    """The response in the table's terms; a '400:<message>' cell also needs the message on the page."""
    if spec.startswith("400:") and response.status_code == 400:
        return f"400:{spec[4:]}" if spec[4:] in text_of(response) else "400 without the message"
    return seen(response)


def check_effect(site, effect: str, role: str, before: dict, after: dict) -> None:
    actor = site.users.get(role)  # None when signed out

    def kept(*fields):
        for field in fields:
            assert after.get(field) == before.get(field), field

    if effect in ("approved", "returned", "rejected"):
        action = {v: k for k, v in review.DECISIONS.items()}[effect]
        signed = {"by": actor["id"], "by_name": actor["name"], "role": "reviewer", "at": after["decided_at"]}
        assert after["status"] == effect
        assert after["decisions"] == before.get("decisions", []) + [{**signed, "action": action, "comment": REASON}]
        assert after["comments"] == before.get("comments", []) + [{"id": after["comments"][-1]["id"], **signed,
                                                                     "text": REASON}]
        kept("answers", "versions", "photos", "score", "submitted_at", "addenda")
        assert after["id"] not in {r["id"] for r in site.store.review_index.pending_rows()}
        assert [r["status"] for r in site.store.review_index.rows("000000", "999999") if r["id"] == after["id"]] == \
            [effect]
    elif effect == "commented":
        new = after["comments"][-1]
        assert after["comments"] == before.get("comments", []) + [new]
        assert new == {"id": new["id"], "by": actor["id"], "by_name": actor["name"],
                       "role": "reviewer" if role == "reviewer" else "inspector", "at": new["at"], "text": COMMENT}
        kept("status", "answers", "versions", "decisions", "addenda")
    elif effect == "addendum":
        new = after["addenda"][-1]
        assert after["addenda"] == before.get("addenda", []) + [new]
        assert new == {"id": new["id"], "by": actor["id"], "by_name": actor["name"], "role": "reviewer",
                       "at": new["at"], "text": ADDENDUM}
        kept("status", "answers", "versions", "decisions", "comments", "score", "updated_at")
    elif effect == "edited":
        assert after["answers"]["kasur_sendiri"] == {"value": "tidak", "note": "dua anak berbagi kasur"}
        assert {k: v for k, v in after["answers"].items() if k != "kasur_sendiri"} == \
            {k: v for k, v in before["answers"].items() if k != "kasur_sendiri"}
        kept("status", "versions", "photos", "decisions", "comments")
    elif effect in ("sent", "edited and sent"):
        assert after["status"] == "submitted"
        assert [v["n"] for v in after["versions"]] == [v["n"] for v in before.get("versions", [])] + \
            [len(before.get("versions", [])) + 1]
        assert after["versions"][-1]["answers"] == after["answers"]
        if effect == "sent":
            kept("answers")
        else:
            assert after["answers"]["kasur_sendiri"]["value"] == "tidak"
        assert after["id"] in {r["id"] for r in site.store.review_index.pending_rows()}
        kept("decisions", "comments", "photos")
    else:  # pragma: no cover - a typo in the table
        raise AssertionError(effect)


@pytest.mark.parametrize("state, role, action", CELLS, ids=[f"{a}-{r}-{s}" for s, r, a in CELLS])
def test_who_may_do_what(site, shared, state, role, action):
    outcome = TABLE[action][role][state]
    sid = make(site, state) if outcome.effect else shared[state]
    before, files = record_of(site, sid), folder_digest(site.data)
    client = site.app.test_client() if role == "anonymous" else site.clients[role]
    try:
        responses = act(site, client, action, sid, before["inspection_key"])
    finally:
        forget_flashes(client)
    expected = [spec.format(id=sid) for spec in outcome.responses]
    assert len(responses) == len(expected)
    assert [observed(r, spec) for r, spec in zip(responses, expected)] == expected
    after = record_of(site, sid)
    if outcome.effect is None:
        assert after == before
        assert folder_digest(site.data) == files
    else:
        check_effect(site, outcome.effect, role, before, after)


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("suffix", ["", "/kirim"])
def test_a_post_without_the_inspection_key_is_refused_signed_out_too(site, shared, state, suffix):
    sid = shared[state]
    before, files = record_of(site, sid), folder_digest(site.data)
    response = site.app.test_client().post(f"/kunjungan/{sid}{suffix}", data=edited_answers(site),
                                           content_type="multipart/form-data")
    assert response.status_code == 400
    assert record_of(site, sid) == before and folder_digest(site.data) == files


# --- 2. a return or a rejection needs a reason ---------------------------------------------

@pytest.mark.parametrize("action", ["return", "reject"])
@pytest.mark.parametrize("comment", [None, "", "  \n\t "])
def test_returning_or_rejecting_needs_a_comment(site, action, comment):
    sid = make(site, "submitted")
    before, files = record_of(site, sid), folder_digest(site.data)
    data = {"keputusan": action} if comment is None else {"keputusan": action, "komentar": comment}
    response = site.clients["reviewer"].post(f"/tinjau/{sid}/keputusan", data=data)
    assert response.status_code == 400
    assert NEEDS_REASON in text_of(response)
    assert 'class="flash error"' in response.get_data(as_text=True)
    assert record_of(site, sid) == before and folder_digest(site.data) == files
    assert sid in {r["id"] for r in review.queue(site.store)}


def test_approving_needs_no_comment(site):
    sid = make(site, "submitted")
    response = site.clients["reviewer"].post(f"/tinjau/{sid}/keputusan", data={"keputusan": "approve"})
    assert seen(response) == "303 /tinjau/"
    record = record_of(site, sid)
    assert record["status"] == "approved" and record.get("comments", []) == []
    assert [(d["action"], d["comment"], d["by"]) for d in record["decisions"]] == [
        ("approve", "", site.users["reviewer"]["id"])]
    shown = text_of(site.clients["reviewer"].get("/tinjau/"))
    assert "Keputusan tersimpan: Disetujui." in shown
    assert [e["target_id"] for e in site.store.audit.entries(action="approved", target_id=sid)] == [sid]


def test_a_decision_comment_over_the_limit_is_refused(site):
    sid = make(site, "submitted")
    before = record_of(site, sid)
    response = site.clients["reviewer"].post(f"/tinjau/{sid}/keputusan",
                                             data={"keputusan": "return", "komentar": "x" * 2001})
    assert response.status_code == 400 and "Komentar maksimal 2000 karakter." in text_of(response)
    assert record_of(site, sid) == before


# --- 3. comments between reviewer and inspector --------------------------------------------

def test_reviewer_and_owner_comment_signed_and_dated_on_both_pages(site, monkeypatch):
    sid = make(site, "submitted")
    reviewer, owner, other = (site.clients[r] for r in ("reviewer", "owner", "other"))
    set_clock(monkeypatch, "2026-03-05T07:30:00+00:00")
    response = reviewer.post(f"/tinjau/{sid}/komentar", data={"komentar": "  Foto dapur kurang jelas.  "})
    assert seen(response) == f"303 /tinjau/{sid}#komentar"
    set_clock(monkeypatch, "2026-03-05T18:10:00+00:00")  # 6 Mar, 01.10 WIB
    response = owner.post(f"/tinjau/{sid}/komentar", data={"komentar": "Sudah saya foto ulang besok."})
    assert seen(response) == f"303 /kunjungan/{sid}/ringkasan#komentar"
    forget_flashes(reviewer), forget_flashes(owner)

    record = record_of(site, sid)
    assert [(c["text"], c["by"], c["by_name"], c["role"], c["at"]) for c in record["comments"]] == [
        ("Foto dapur kurang jelas.", site.users["reviewer"]["id"], "Uji reviewer", "reviewer",
         "2026-03-05T07:30:00+00:00"),
        ("Sudah saya foto ulang besok.", site.users["owner"]["id"], "Uji inspector", "inspector",
         "2026-03-05T18:10:00+00:00")]
    thread = ["Uji reviewer (Peninjau Dinsos) · 5 Mar 2026 14.30 WIB Foto dapur kurang jelas.",
              "Uji inspector (Petugas inspeksi) · 6 Mar 2026 01.10 WIB Sudah saya foto ulang besok."]
    for client, url in ((reviewer, f"/tinjau/{sid}"), (owner, f"/kunjungan/{sid}/ringkasan")):
        page = client.get(url)
        assert page.status_code == 200
        shown = section(page, "Komentar")
        assert shown.index(thread[0]) < shown.index(thread[1]), url

    # another inspector sees nothing and can add nothing
    before = record_of(site, sid)
    assert other.post(f"/tinjau/{sid}/komentar", data={"komentar": "Saya juga."}).status_code == 404
    assert other.get(f"/kunjungan/{sid}/ringkasan").status_code == 404
    assert record_of(site, sid) == before


@pytest.mark.parametrize("role, page", [("reviewer", "/tinjau/{id}"), ("owner", "/kunjungan/{id}/ringkasan")])
@pytest.mark.parametrize("text, message", [("x" * 2001, "Komentar maksimal 2000 karakter."),
                                           ("   ", "Komentar kosong.")])
def test_a_comment_too_long_or_empty_is_refused(site, role, page, text, message):
    sid = make(site, "submitted")
    before, files = record_of(site, sid), folder_digest(site.data)
    response = site.clients[role].post(f"/tinjau/{sid}/komentar", data={"komentar": text})
    assert response.status_code == 400
    shown = text_of(response)
    assert message in shown
    # the page answered is the one the comment was written on
    assert ("Ringkasan:" in shown) == (role == "owner") and ("‹ Antrean" in shown) == (role == "reviewer")
    assert record_of(site, sid) == before and folder_digest(site.data) == files


def test_a_comment_of_exactly_the_limit_is_kept(site):
    sid = make(site, "submitted")
    response = site.clients["owner"].post(f"/tinjau/{sid}/komentar", data={"komentar": "y" * 2000})
    forget_flashes(site.clients["owner"])
    assert response.status_code == 303
    assert [len(c["text"]) for c in record_of(site, sid)["comments"]] == [2000]


# --- 4. approved is final; corrections are addenda -------------------------------------------

def test_an_approved_inspection_is_final_and_takes_dated_addenda(site, monkeypatch):
    sid = make(site, "submitted")
    reviewer, owner = site.clients["reviewer"], site.clients["owner"]
    assert reviewer.post(f"/tinjau/{sid}/keputusan", data={"keputusan": "approve"}).status_code == 303
    approved = record_of(site, sid)
    answers_bytes = json.dumps(approved["answers"]).encode()
    frozen = {k: approved[k] for k in ("answers", "versions", "score", "photos", "submitted_at", "status")}
    key = approved["inspection_key"]

    # the inspector can no longer change or send it
    assert seen(owner.get(f"/kunjungan/{sid}")) == f"302 /kunjungan/{sid}/ringkasan"
    assert seen(post_inspection(owner, sid, edited_answers(site), key)) == f"303 /kunjungan/{sid}/ringkasan"
    assert seen(post_inspection(owner, sid, {"apar__photos": upload(jpeg((9, 9, 9)))}, key)) == \
        f"303 /kunjungan/{sid}/ringkasan"
    assert seen(owner.post(f"/kunjungan/{sid}/kirim", data={"inspection_key": key})) == f"303 /kunjungan/{sid}/ringkasan"
    summary = owner.get(f"/kunjungan/{sid}/ringkasan")
    assert f'action="/kunjungan/{sid}/kirim"' not in summary.get_data(as_text=True)
    # and no decision moves it again
    for action in ("approve", "return", "reject"):
        response = reviewer.post(f"/tinjau/{sid}/keputusan", data={"keputusan": action, "komentar": REASON})
        assert response.status_code == 400 and DECIDED_ALREADY in text_of(response), action
    assert record_of(site, sid) == approved

    # the review page offers an addendum, not a decision
    page = reviewer.get(f"/tinjau/{sid}").get_data(as_text=True)
    assert f'action="/tinjau/{sid}/addendum"' in page and f'action="/tinjau/{sid}/keputusan"' not in page

    set_clock(monkeypatch, "2026-04-02T03:04:00+00:00")
    response = reviewer.post(f"/tinjau/{sid}/addendum", data={"isi": ADDENDUM})
    assert seen(response) == f"303 /tinjau/{sid}#addendum"
    for text in ("", "   ", "z" * 2001):
        response = reviewer.post(f"/tinjau/{sid}/addendum", data={"isi": text})
        assert response.status_code == 400 and "Isi addendum 1 sampai 2000 karakter." in text_of(response)
    forget_flashes(reviewer)

    record = record_of(site, sid)
    assert record["addenda"] == [{"id": record["addenda"][0]["id"], "by": site.users["reviewer"]["id"],
                                  "by_name": "Uji reviewer", "role": "reviewer", "at": "2026-04-02T03:04:00+00:00",
                                  "text": ADDENDUM}]
    assert {k: record[k] for k in frozen} == frozen
    assert json.dumps(record["answers"]).encode() == answers_bytes
    assert f"Uji reviewer · 2 Apr 2026 10.04 WIB {ADDENDUM}" in section(reviewer.get(f"/tinjau/{sid}"), "Addendum")
    assert [e["target_id"] for e in site.store.audit.entries(action="addendum_added", target_id=sid)] == [sid]


# --- 5. versions: return, fix, resubmit ------------------------------------------------------------

def test_a_returned_inspection_is_fixed_resubmitted_and_the_change_shown(site):
    sid = make(site, "submitted")
    reviewer, owner = site.clients["reviewer"], site.clients["owner"]
    response = reviewer.post(f"/tinjau/{sid}/keputusan", data={"keputusan": "return", "komentar": REASON})
    assert seen(response) == "303 /tinjau/"
    assert sid not in {r["id"] for r in review.queue(site.store)}
    # the inspector sees why, opens the form again, changes one answer and sends again
    summary = owner.get(f"/kunjungan/{sid}/ringkasan")
    assert "Dikembalikan untuk perbaikan." in text_of(summary) and REASON in section(summary, "Komentar")
    form = owner.get(f"/kunjungan/{sid}")
    assert form.status_code == 200
    assert REASON in section(form, "Catatan peninjau")  # the reason is on the form too
    key = record_of(site, sid)["inspection_key"]
    assert f'value="{key}"' in form.get_data(as_text=True)
    assert seen(post_inspection(owner, sid, edited_answers(site), key, "ringkasan")) == f"303 /kunjungan/{sid}/ringkasan"
    assert seen(owner.post(f"/kunjungan/{sid}/kirim", data={"inspection_key": key})) == f"303 /kunjungan/{sid}/ringkasan"
    forget_flashes(owner)

    record = record_of(site, sid)
    assert record["status"] == "submitted" and [v["n"] for v in record["versions"]] == [1, 2]
    first, second = record["versions"]
    assert first["answers"]["kasur_sendiri"] == {"value": "ya", "note": ""}
    assert second["answers"]["kasur_sendiri"] == {"value": "tidak", "note": "dua anak berbagi kasur"}
    assert second["answers"] == record["answers"] and second["submitted_at"] == record["submitted_at"]
    assert "kasur_sendiri" in record["score"]["failed"] and "kasur_sendiri" not in first["score"]["failed"]
    assert sid in {r["id"] for r in review.queue(site.store)}
    assert [e["details"]["version"] for e in site.store.audit.entries(action="resubmitted", target_id=sid)] == [2]

    page = reviewer.get(f"/tinjau/{sid}")
    assert "versi kiriman ke-2" in text_of(page)
    changes = section(page, "Perubahan dari kiriman sebelumnya")
    assert changes == f"Perubahan dari kiriman sebelumnya {QUESTION}: Ya → Tidak (dua anak berbagi kasur)"
    assert re.search(r"<del>Ya</del> → <ins>Tidak \(dua anak berbagi kasur\)</ins>", page.get_data(as_text=True))


def test_a_first_inspection_shows_no_changes(site):
    sid = make(site, "submitted")
    page = site.clients["reviewer"].get(f"/tinjau/{sid}")
    assert page.status_code == 200 and "Perubahan dari kiriman sebelumnya" not in text_of(page)


# --- 8. bulk approval ----------------------------------------------------------------------

def test_bulk_approve_approves_the_selected_plain_ones_and_skips_the_rest(site):
    reviewer = site.clients["reviewer"]
    lks = new_lksa(site, "Panti Uji Massal")
    plain = [make(site, "submitted", lks), make(site, "submitted", lks)]
    critical = make(site, "submitted", lks, tanda_kekerasan="ya", tanda_kekerasan__note="memar")
    decided = make(site, "returned", lks)
    waiting_aside = make(site, "submitted", lks)  # not selected
    assert record_of(site, critical)["critical"] is True
    # the queue offers a checkbox for plain waiting ones only
    queue_page = reviewer.get(f"/tinjau/?lks={lks['id']}").get_data(as_text=True)
    assert queue_page.count('name="pilih"') == 3
    assert f'name="pilih" value="{plain[0]}"' in queue_page and f'name="pilih" value="{critical}"' not in queue_page
    before = {sid: record_of(site, sid) for sid in (critical, decided, waiting_aside)}

    response = reviewer.post("/tinjau/setujui-massal",
                             data={"pilih": [plain[0], critical, decided, plain[1], UNKNOWN_ID]})
    assert seen(response) == "303 /tinjau/"
    assert "2 pengajuan disetujui. 3 dilewati (kritis atau sudah diputuskan)." in text_of(reviewer.get("/tinjau/"))
    for sid in plain:
        record = record_of(site, sid)
        assert record["status"] == "approved"
        assert [(d["action"], d["by"], d["comment"]) for d in record["decisions"]] == [
            ("approve", site.users["reviewer"]["id"], "")]
        entries = site.store.audit.entries(action="bulk_approved", target_id=sid)
        assert [(e["actor_id"], e["target_kind"]) for e in entries] == [(site.users["reviewer"]["id"], "inspection")]
    assert {sid: record_of(site, sid) for sid in before} == before
    waiting = {r["id"] for r in review.queue(site.store)}
    assert critical in waiting and waiting_aside in waiting and not set(plain) & waiting

    # again: everything is skipped now, and nothing is written
    files = folder_digest(site.data)
    assert seen(reviewer.post("/tinjau/setujui-massal", data={"pilih": plain})) == "303 /tinjau/"
    assert folder_digest(site.data) == files
    assert "0 pengajuan disetujui. 2 dilewati (kritis atau sudah diputuskan)." in text_of(reviewer.get("/tinjau/"))
    assert [len(record_of(site, sid)["decisions"]) for sid in plain] == [1, 1]


def test_bulk_approve_with_nothing_selected_says_so_and_changes_nothing(site, shared):
    reviewer = site.clients["reviewer"]
    files = folder_digest(site.data)
    response = reviewer.post("/tinjau/setujui-massal", data={})
    assert seen(response) == "303 /tinjau/"
    assert folder_digest(site.data) == files
    assert "Pilih dulu pengajuan yang akan disetujui." in text_of(reviewer.get("/tinjau/"))


# --- 9. the previous approved inspection -------------------------------------------------------

def test_the_review_page_shows_the_previous_approved_inspection_of_the_lks(site, monkeypatch):
    lks = new_lksa(site, "Panti Uji Pembanding")
    elsewhere = new_lksa(site, "Panti Uji Lain")
    set_clock(monkeypatch, "2026-01-10T02:00:00+00:00")
    first = make(site, "approved", lks, kasur_sendiri="tidak")
    set_clock(monkeypatch, "2026-02-10T02:00:00+00:00")
    rejected = make(site, "rejected", lks, makan_cukup="tidak", air_minum="tidak", kasur_sendiri="tidak")
    make(site, "approved", elsewhere, makan_cukup="tidak")
    set_clock(monkeypatch, "2026-03-10T02:00:00+00:00")
    current = make(site, "submitted", lks, kasur_sendiri="tidak", makan_cukup="tidak", air_minum="tidak")
    reviewer = site.clients["reviewer"]

    old = record_of(site, first)
    assert old["score"]["failed"] == ["kasur_sendiri"]
    shown = text_of(reviewer.get(f"/tinjau/{current}"))
    assert f"Inspeksi disetujui sebelumnya: 10 Jan 2026 09.00 WIB, skor {old['score']['percent']:.0f}%, " \
           "1 temuan. Temuan baru: 2." in shown
    # the first inspection of an LKS has nothing to compare with; the rejected one is never the comparison
    assert "Belum ada inspeksi disetujui sebelumnya untuk LKS ini." in text_of(reviewer.get(f"/tinjau/{first}"))
    assert "Inspeksi disetujui sebelumnya: 10 Jan 2026 09.00 WIB" in text_of(reviewer.get(f"/tinjau/{rejected}"))


def test_no_new_findings_are_counted_when_nothing_new_failed(site, monkeypatch):
    lks = new_lksa(site, "Panti Uji Sama")
    set_clock(monkeypatch, "2026-01-11T02:00:00+00:00")
    make(site, "approved", lks, kasur_sendiri="tidak", makan_cukup="tidak")
    set_clock(monkeypatch, "2026-02-11T02:00:00+00:00")
    current = make(site, "submitted", lks, kasur_sendiri="tidak")
    shown = text_of(site.clients["reviewer"].get(f"/tinjau/{current}"))
    assert "Inspeksi disetujui sebelumnya: 11 Jan 2026 09.00 WIB" in shown and "2 temuan." in shown
    assert "Temuan baru" not in shown


# --- 6. the queue page: order, rows, paging, filters ------------------------------------------------

@dataclass(frozen=True)
class Sent:
    day: int  # of March 2026, sent at 09.00 WIB
    lks: int  # index into the seeded LKS (0: Pinang, 2: Cibodas)
    by: str  # "owner" or "other"
    failed: int = 0
    critical: bool = False
    photos: int = 1
    real: bool = False  # through the pages; else written straight to the store


# 25 waiting, listed out of date order; five go through the real flow.
WAITING = [
    Sent(14, 0, "owner", 2), Sent(3, 2, "other", real=True), Sent(25, 0, "owner", 1, photos=3),
    Sent(9, 2, "owner", 4), Sent(17, 0, "other", 1, critical=True, real=True), Sent(1, 0, "owner"),
    Sent(22, 2, "other", 3, critical=True), Sent(6, 0, "other", photos=2), Sent(11, 2, "owner", 1, real=True),
    Sent(20, 0, "owner", 5), Sent(5, 2, "owner", 2, critical=True), Sent(13, 0, "other"), Sent(2, 2, "other", 1),
    Sent(24, 0, "owner", real=True), Sent(8, 2, "owner"), Sent(19, 0, "other", 2), Sent(10, 0, "owner", 1),
    Sent(16, 2, "other"), Sent(4, 0, "owner", 3, photos=4), Sent(23, 2, "owner"), Sent(7, 0, "other", real=True),
    Sent(12, 2, "owner", 1), Sent(18, 0, "other"), Sent(15, 2, "other", 2), Sent(21, 0, "owner"),
]
# Decided ones (real flow): they leave the waiting queue and are found by status.
DECIDED = {"approved": Sent(26, 0, "owner", real=True), "returned": Sent(27, 2, "other", real=True),
           "rejected": Sent(28, 0, "owner", real=True), "approved in February": Sent(-8, 2, "owner", 1, real=True)}
FAILING = ["kasur_sendiri", "makan_cukup", "air_minum", "dapur_bersih", "apar", "toilet_layak"]


def sent_at(day: int) -> str:
    return f"2026-03-{day:02d}T02:00:00+00:00" if day > 0 else f"2026-02-{28 + day:02d}T02:00:00+00:00"


def answers_for(sent: Sent) -> dict:
    fails = {item_id: "tidak" for item_id in FAILING[:sent.failed]}
    return {**fails, **({"tanda_kekerasan": "ya"} if sent.critical else {})}


@pytest.fixture(scope="module")
def queue_site(tmp_path_factory):
    """A queue of 25 waiting inspections over March 2026 (5 sent through the pages), and 4 decided."""
    app = make_app(tmp_path_factory.mktemp("queue"))
    lks = seed_app(app)
    store = app.extensions["store"]
    other = add_inspector(store)
    users = {"owner": store.users.by_username(ROLE_USERS["inspector"]), "other": other,
             "reviewer": store.users.by_username(ROLE_USERS["reviewer"])}
    clients = {"owner": client_as(app, ROLE_USERS["inspector"]), "other": client_as(app, "petugas2"),
               "reviewer": client_as(app, ROLE_USERS["reviewer"])}
    site = SimpleNamespace(app=app, store=store, lks=lks, clients=clients, users=users,
                           reviewer=User(users["reviewer"]), checklist=app.extensions["checklists"]["lksa"],
                           data=Path(app.config["INSPECTOR_DATA_DIR"]))
    ids: dict = {}
    with pytest.MonkeyPatch.context() as monkeypatch:
        for sent in [s for s in WAITING if s.real] + list(DECIDED.values()):
            set_clock(monkeypatch, sent_at(sent.day))
            state = next((k.split()[0] for k, v in DECIDED.items() if v is sent), "submitted")
            sid = make(site, state, lks[sent.lks], clients[sent.by], **answers_for(sent))
            for n in range(1, sent.photos):  # more photos, kept before sending in real life; here added after
                store.inspections.modify(sid, lambda r, n=n: {**r, "photos": r["photos"] + [
                    {**r["photos"][0], "id": f"{r['photos'][0]['id']}{n}"}]})
            ids[sent] = sid
    template = store.inspections.get(ids[WAITING[1]])
    for sent in WAITING:
        if not sent.real:
            ids[sent] = insert_sent(store, template, lks[sent.lks], users[sent.by], sent)
    for sent in WAITING + list(DECIDED.values()):  # the real ones got their photos after sending: index again
        store.review_index.put(review.index_row(store, store.inspections.get(ids[sent])))
        if sent in WAITING:
            store.review_index.mark_pending(review.index_row(store, store.inspections.get(ids[sent])))
    site.ids = ids
    return site


def insert_sent(store, template: dict, lks: dict, inspector: dict, sent: Sent) -> str:
    """A waiting inspection written straight to the store and its indexes, shaped like a real one."""
    at = sent_at(sent.day)
    failed = FAILING[:sent.failed] + (["tanda_kekerasan"] if sent.critical else [])
    score = {**template["score"], "percent": round(100 - 1.7 * len(failed), 1), "failed": failed,
             "critical_failed": ["tanda_kekerasan"] if sent.critical else []}
    photos = [{**template["photos"][0], "id": f"{template['photos'][0]['id']}{n}"} for n in range(sent.photos)]
    record = {**template, "id": store.inspections.new_id(lks["id"], at[:4] + at[5:7]), "lks_id": lks["id"],
              "inspector_id": inspector["id"], "created_at": at, "updated_at": at, "submitted_at": at,
              "critical": sent.critical, "score": score, "photos": photos,
              "versions": [{**template["versions"][0], "submitted_at": at, "score": score,
                            "photo_ids": [p["id"] for p in photos]}]}
    store.inspections.insert(record)
    row = review.index_row(store, record)
    store.review_index.mark_pending(row)
    store.review_index.put(row)
    return record["id"]


def queue_rows(response) -> list[dict]:
    """The queue page's rows: inspection id, visible text, critical mark, and whether it can be picked."""
    body = response.get_data(as_text=True).split('<ul class="list queue">', 1)[1].split("</ul>", 1)[0]
    rows = []
    for match in re.finditer(r'<li class="([^"]*)">(.*?)</li>', body, flags=re.S):
        link = re.search(r'href="/tinjau/([^"#?/]+)"', match.group(2))
        if link:
            rows.append({"id": link.group(1), "critical": "is-critical" in match.group(1),
                         "pick": 'name="pilih"' in match.group(2),
                         "text": " ".join(html.unescape(re.sub(r"<[^>]+>", " ", match.group(2))).split())})
    return rows


def expected_order(sents) -> list[Sent]:
    return sorted(sents, key=lambda s: (not s.critical, s.day))


def test_the_queue_lists_critical_first_then_oldest_first_twenty_a_page(queue_site):
    reviewer = queue_site.clients["reviewer"]
    order = [queue_site.ids[s] for s in expected_order(WAITING)]
    assert [s.day for s in expected_order(WAITING)][:4] == [5, 17, 22, 1]  # the three critical, then the oldest
    first = reviewer.get("/tinjau/")
    assert first.status_code == 200
    assert [r["id"] for r in queue_rows(first)] == order[:20]
    assert "25 pengajuan · halaman 1 dari 2." in text_of(first)
    assert 'href="/tinjau/?halaman=2&amp;status=submitted' in first.get_data(as_text=True)
    second = reviewer.get("/tinjau/?halaman=2")
    assert [r["id"] for r in queue_rows(second)] == order[20:]
    assert "25 pengajuan · halaman 2 dari 2." in text_of(second)
    assert [r["id"] for r in queue_rows(reviewer.get("/tinjau/?halaman=9"))] == order[20:]
    assert [r["id"] for r in queue_rows(reviewer.get("/tinjau/?halaman=x"))] == order[:20]
    assert [r["id"] for r in queue_rows(reviewer.get("/tinjau/?halaman=-3"))] == order[:20]


def test_each_queue_row_shows_lks_inspector_wib_date_score_findings_critical_and_photos(queue_site):
    reviewer, store = queue_site.clients["reviewer"], queue_site.store
    names = {"owner": "Uji inspector", "other": "Uji petugas lain"}
    shown = {r["id"]: r for page in (1, 2) for r in queue_rows(reviewer.get(f"/tinjau/?halaman={page}"))}
    assert len(shown) == 25
    for sent in WAITING:
        record = store.inspections.get(queue_site.ids[sent])
        row = shown[record["id"]]
        failed = sent.failed + sent.critical
        assert len(record["score"]["failed"]) == failed and len(record["photos"]) == sent.photos
        assert record["critical"] is sent.critical
        wib = format_wib(record["submitted_at"])
        assert wib == f"{sent.day} Mar 2026 09.00 WIB"
        lks_name = queue_site.lks[sent.lks]["name"]
        tail = f"{lks_name} {names[sent.by]} · {wib} · Menunggu tinjauan " \
               f"Skor {record['score']['percent']:.0f}% · {failed} temuan · {sent.photos} foto"
        assert row["text"].endswith(("Kritis " if sent.critical else "") + tail), (sent, row["text"])
        assert row["critical"] is sent.critical and ("Kritis" in row["text"]) is sent.critical
        assert row["pick"] is (not sent.critical)


def listed(queue_site, query: str) -> list[str]:
    reviewer = queue_site.clients["reviewer"]
    response = reviewer.get(f"/tinjau/?{query}")
    assert response.status_code == 200
    ids = [r["id"] for r in queue_rows(response)]
    if "halaman 1 dari 2" in text_of(response):
        ids += [r["id"] for r in queue_rows(reviewer.get(f"/tinjau/?{query}&halaman=2"))]
    return ids


@pytest.mark.parametrize("query, wanted", [
    ("status=submitted", lambda s, state: state == "submitted"),
    ("status=approved", lambda s, state: state == "approved"),
    ("status=returned", lambda s, state: state == "returned"),
    ("status=rejected", lambda s, state: state == "rejected"),
    ("status=", lambda s, state: True),
    ("status=bogus", lambda s, state: state == "submitted"),
    ("kecamatan=Pinang", lambda s, state: state == "submitted" and s.lks == 0),
    ("kecamatan=Cibodas&status=", lambda s, state: s.lks == 2),
    ("kecamatan=Atlantis", lambda s, state: state == "submitted"),
    ("lks={lks2}", lambda s, state: state == "submitted" and s.lks == 2),
    ("petugas={other}", lambda s, state: state == "submitted" and s.by == "other"),
    ("petugas={owner}&lks={lks0}&status=", lambda s, state: s.by == "owner" and s.lks == 0),
    ("dari=2026-03-05&sampai=2026-03-09", lambda s, state: state == "submitted" and 5 <= s.day <= 9),
    ("dari=2026-03-20", lambda s, state: state == "submitted" and s.day >= 20),
    ("sampai=2026-03-02", lambda s, state: state == "submitted" and s.day <= 2),
    ("status=approved&dari=2026-03-01", lambda s, state: state == "approved" and s.day > 0),
    ("status=approved&sampai=2026-02-28", lambda s, state: state == "approved" and s.day <= 0),
    ("status=&dari=2026-03-26&sampai=2026-03-27", lambda s, state: 26 <= s.day <= 27),
    ("status=&dari=2026-03-5&sampai=kemarin", lambda s, state: True),  # malformed dates are ignored
])
def test_the_queue_filters(queue_site, query, wanted):
    query = query.format(lks0=queue_site.lks[0]["id"], lks2=queue_site.lks[2]["id"],
                         owner=queue_site.users["owner"]["id"], other=queue_site.users["other"]["id"])
    everything = [(s, "submitted") for s in WAITING] + [(s, k.split()[0]) for k, s in DECIDED.items()]
    expected = [queue_site.ids[s] for s in expected_order([s for s, state in everything if wanted(s, state)])]
    assert expected, query
    assert listed(queue_site, query) == expected


@pytest.mark.parametrize("query, same_as", [
    ("status=&dari=2026-02-30&sampai=2026-03-02", "status=&sampai=2026-03-02"),
    ("status=approved&sampai=2026-13-45", "status=approved"),
    ("dari=0001-01-01", "status=submitted"),
    ("status=&dari=20260301", "status="),
])
def test_impossible_or_malformed_dates_are_ignored(queue_site, query, same_as):
    assert listed(queue_site, query) == listed(queue_site, same_as)
