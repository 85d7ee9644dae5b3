"""A save from the phone's outbox names the revision it was typed on: over a changed inspection (returned by a
reviewer meanwhile) it is refused as a conflict with nothing stored; its repeat is not; and the inspector's
choice on the conflict page is stored and audited."""

from __future__ import annotations

import pytest

from inspector import conflicts, inspections, review
from inspector.auth import User
from tests.support.auth import client_as
from tests.support.builders import ROLE_USERS, add_inspector
from tests.support.inspection_builders import inspection_in

COMMENT = "Foto dapur kurang jelas, ambil lagi."


@pytest.fixture
def draft(app, store):
    """A complete draft by the test inspector, as a phone keeps it: its record and its revision then."""
    record = inspection_in(app, store.lks.all()[0], status="draft")
    return record, conflicts.revision(record)


def returned(app, store, record):
    """Sent (from another device) and returned by the reviewer with a comment."""
    checklist = inspections.checklist_of(store, record)
    sent, problems = inspections.submit(store, checklist, record["id"])
    assert problems == {} and sent["status"] == "submitted"
    reviewer = User(store.users.by_username(ROLE_USERS["reviewer"]))
    back, reason = review.decide(store, record["id"], reviewer, "return", COMMENT)
    assert reason is None
    return back


def phone_save(client, record, base, **fields):
    return client.post(f"/kunjungan/{record['id']}", data={
        "inspection_key": record["inspection_key"], "autosave": "1", "base": base, **fields})


def test_the_revision_changes_with_the_status_the_sends_and_the_answers(app, store, draft):
    record, before = draft
    assert conflicts.revision(store.inspections.get(record["id"])) == before
    inspections.save_answers(store, record["id"], {"nomor_izin": {"value": "1/A", "note": ""}})
    changed = conflicts.revision(store.inspections.get(record["id"]))
    assert changed != before
    assert conflicts.revision(returned(app, store, store.inspections.get(record["id"]))) not in (before, changed)


def test_a_phone_save_on_the_revision_it_was_typed_on_lands(app, store, draft):
    record, base = draft
    response = phone_save(client_as(app, ROLE_USERS["inspector"]), record, base, nomor_izin="Dari ponsel")
    assert response.status_code == 200
    stored = store.inspections.get(record["id"])
    assert stored["answers"]["nomor_izin"]["value"] == "Dari ponsel"
    assert response.get_json()["version"] == conflicts.revision(stored)


def test_a_phone_save_over_a_returned_inspection_is_a_conflict_and_stores_nothing(app, store, draft):
    record, base = draft
    back = returned(app, store, record)
    response = phone_save(client_as(app, ROLE_USERS["inspector"]), record, base, nomor_izin="Dari ponsel")
    assert response.status_code == 409
    body = response.get_json()
    assert body["conflict"] is True and body["status"] == "returned" and "berubah di server" in body["error"]
    assert store.inspections.get(record["id"]) == back
    assert [e["target_id"] for e in store.audit.entries(action="save_conflict")] == [record["id"]]


def test_the_repeat_of_a_save_already_stored_is_no_conflict(app, store, draft):
    record, base = draft
    client = client_as(app, ROLE_USERS["inspector"])
    assert phone_save(client, record, base, nomor_izin="Dari ponsel").status_code == 200
    stored = store.inspections.get(record["id"])
    again = phone_save(client, record, base, nomor_izin="Dari ponsel")  # its answer was lost: the phone retries
    assert again.status_code == 200
    assert store.inspections.get(record["id"]) == stored


def test_the_conflict_page_shows_the_servers_answers_and_the_reviewers_comment(app, store, draft):
    record, _ = draft
    returned(app, store, record)
    page = client_as(app, ROLE_USERS["inspector"]).get(f"/luring/bentrok/{record['id']}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert COMMENT in text and "mengembalikannya untuk perbaikan" in text
    assert f'data-revision="{conflicts.revision(store.inspections.get(record["id"]))}"' in text
    assert "Pakai isian ponsel" in text and "Pakai isian server" in text


def test_keeping_the_phones_answers_saves_them_on_the_returned_inspection_and_is_audited(app, store, draft):
    record, _ = draft
    back = returned(app, store, record)
    response = client_as(app, ROLE_USERS["inspector"]).post(f"/luring/bentrok/{record['id']}", data={
        "inspection_key": record["inspection_key"], "choice": "phone", "base": conflicts.revision(back),
        "nomor_izin": "Dari ponsel"})
    assert response.status_code == 200 and response.get_json()["kept"] == "phone"
    stored = store.inspections.get(record["id"])
    assert stored["status"] == "returned" and stored["answers"]["nomor_izin"]["value"] == "Dari ponsel"
    assert stored["comments"] == back["comments"]
    [entry] = store.audit.entries(action="conflict_resolved")
    assert entry["target_id"] == record["id"] and entry["details"]["kept"] == "phone"


def test_keeping_the_servers_answers_changes_nothing_and_is_audited(app, store, draft):
    record, _ = draft
    back = returned(app, store, record)
    response = client_as(app, ROLE_USERS["inspector"]).post(f"/luring/bentrok/{record['id']}", data={
        "inspection_key": record["inspection_key"], "choice": "server"})
    assert response.status_code == 200 and response.get_json()["kept"] == "server"
    assert store.inspections.get(record["id"]) == back
    [entry] = store.audit.entries(action="conflict_resolved")
    assert entry["details"]["kept"] == "server"


@pytest.mark.parametrize("fields, status", [
    ({"choice": "phone", "base": "0000000000000000", "nomor_izin": "Dari ponsel"}, 409),  # changed since the page
    ({"choice": "both"}, 400),
    ({"choice": "phone", "inspection_key": "salah"}, 400),
])
def test_a_choice_that_does_not_fit_is_refused_and_stores_nothing(app, store, draft, fields, status):
    record, _ = draft
    back = returned(app, store, record)
    response = client_as(app, ROLE_USERS["inspector"]).post(f"/luring/bentrok/{record['id']}", data={
        "inspection_key": record["inspection_key"], **fields})
    assert response.status_code == status
    assert store.inspections.get(record["id"]) == back
    assert store.audit.entries(action="conflict_resolved") == []


def test_another_inspector_neither_sees_the_conflict_page_nor_chooses(app, store, draft):
    record, _ = draft
    returned(app, store, record)
    add_inspector(store)
    other = client_as(app, "petugas2")
    assert other.get(f"/luring/bentrok/{record['id']}").status_code == 404
    response = other.post(f"/luring/bentrok/{record['id']}", data={"inspection_key": record["inspection_key"],
                                                                    "choice": "server"})
    assert response.status_code == 403
    assert store.audit.entries(action="conflict_resolved") == []
