"""Inspections made the real way for tests (``inspector.inspections`` start, answers, photos, submit, then
``review.decide``) with the repository's checklists: sent ones, ones taken to a state, one with a follow-up."""

from __future__ import annotations

import contextlib
from datetime import datetime
from unittest import mock

from inspector import inspections, review, timefmt
from inspector.auth import User
from inspector.photos import process
from inspector.timefmt import today_wib
from tests.support.answers import complete_form, failing, passing
from tests.support.builders import ROLE_USERS
from tests.support.photos import drawn_jpeg, jpeg, upload

VISIBLE_NOTE = "Dua pengasuh belum punya SKCK, sedang diurus."  # a note the LKS operator may read
SECRET_NOTE = "Anak R. bercerita dipukul pengasuh berinisial T — rahasia"  # a confidential note: never shown outside


def sent_inspection(app, lks: dict, checklist_id: str = "lksa", fail=(), notes=None, values=None,
                    username: str = "petugas1", extra_photos=()) -> dict:
    """A complete inspection sent through the domain functions: every item answered (failing those in
    ``fail``), the required photos and those a failing answer needs, plus ``extra_photos`` (item ids)."""
    store = app.extensions["store"]
    checklist = app.extensions["checklists"][checklist_id]
    inspection = inspections.start(store, checklist, lks, store.users.by_username(username))
    answers = {}
    for item in checklist.items():
        if item.type != "photo":
            answers[item.id] = {"value": failing(item) if item.id in fail else passing(item),
                                "note": (notes or {}).get(item.id, "")}
    for item_id, value in (values or {}).items():
        answers[item_id] = {**answers.get(item_id, {"note": ""}), "value": value}
    inspections.save_answers(store, inspection["id"], answers)
    needed = [i.id for i in checklist.items()
              if (i.type == "photo" and i.required) or (i.photo_on_fail and i.id in fail)]
    for n, item_id in enumerate([*needed, *extra_photos]):
        assert inspections.add_photo(store, inspection["id"], item_id, process(drawn_jpeg(n)), f"unggah-{n}",
                                     60) is None
    record, problems = inspections.submit(store, checklist, inspection["id"])
    assert problems == {}, problems
    return record


def inspection_in(app, lks: dict, answers: dict | None = None, photos: tuple = (), status: str = "approved",
                  when: str | None = None, checklist_id: str = "lksa") -> dict:
    """An inspection of ``lks`` by petugas1 taken to ``status`` (draft, submitted, rejected, approved).

    ``answers``: {item id: value or (value, note)} on top of passing answers to every required item;
    ``photos``: item ids ('' for a general photo) that get one photo each, besides those the checklist needs.
    """
    store = app.extensions["store"]
    checklist = app.extensions["checklists"][checklist_id]
    inspector = store.users.by_username(ROLE_USERS["inspector"])
    reviewer = User(store.users.by_username(ROLE_USERS["reviewer"]))
    clock = mock.patch.object(timefmt, "now", lambda: datetime.fromisoformat(when)) if when else contextlib.nullcontext()
    with clock:
        inspection = inspections.start(store, checklist, lks, inspector)
        given = {i.id: {"value": passing(i), "note": ""} for i in checklist.items() if i.required and i.type != "photo"}
        for item_id, answer in (answers or {}).items():
            value, note = answer if isinstance(answer, tuple) else (answer, "")
            given[item_id] = {"value": value, "note": note}
        inspections.save_answers(store, inspection["id"], given)
        needed = [i.id for i in checklist.items() if (i.type == "photo" and i.required) or
                  (i.photo_on_fail and i.fails((given.get(i.id) or {}).get("value")))]
        for n, item_id in enumerate([*needed, *photos]):
            processed = process(jpeg((n * 40 % 255, 90, len(item_id) * 7 % 255)))
            assert inspections.add_photo(store, inspection["id"], item_id, processed, f"{inspection['id']}-{n}",
                                         60) is None
        if status != "draft":
            record, problems = inspections.submit(store, checklist, inspection["id"])
            assert not problems and record["status"] == "submitted", problems
    if status in ("approved", "rejected"):
        action = {"approved": "approve", "rejected": "reject"}[status]
        record, reason = review.decide(store, inspection["id"], reviewer, action,
                                       "" if action == "approve" else "Tidak jelas.")
        assert reason is None, reason
    return store.inspections.get(inspection["id"])


def photos_of(record: dict, item_id: str) -> list[str]:
    """The ids of the photos of one item ('' for the general photos)."""
    return [p["id"] for p in record["photos"] if p["item"] == item_id]


def approved_with_followup(app, lks: dict) -> dict:
    """An approved inspection of ``lks`` with a failed item that has a photo and a follow-up with a photo
    (the values tests/test_access.py needs for the operator's URLs)."""
    from inspector import followups

    store = app.extensions["store"]
    record = inspection_in(app, lks, {"skck_pengasuh": ("tidak", VISIBLE_NOTE)}, photos=("skck_pengasuh",))
    view = followups.operator_view(app.extensions["checklists"]["lksa"], record)
    operator = User(store.users.by_username(ROLE_USERS["operator"]))
    values, errors = followups.clean(view, "skck_pengasuh", "SKCK diurus ke Polres.", view.day.isoformat(), today_wib())
    assert not errors, errors
    followup, reason = followups.add(store, view, operator, values, process(jpeg((10, 200, 10))))
    assert reason is None, reason
    return {"approved_id": record["id"], "inspection_photo_id": photos_of(record, "skck_pengasuh")[0],
            "followup_id": followup["id"]}


def sent_through_pages(app, inspector, critical: bool, note: str = "memar di lengan") -> str:
    """Start, fill and send an LKSA inspection of the first LKS through the pages, as the signed-in
    ``inspector`` client (with a critical finding and its confidential ``note`` when ``critical``); its id."""
    store = app.extensions["store"]
    lks = store.lks.all()[0]
    response = inspector.post(f"/inspeksi/lks/{lks['code']}/mulai", data={"checklist": "lksa"})
    assert response.status_code == 303
    sid = response.location.rsplit("/", 1)[1]
    key = store.inspections.get(sid)["inspection_key"]
    answers = complete_form(app.extensions["checklists"]["lksa"])
    if critical:
        answers.update(tanda_kekerasan="ya", tanda_kekerasan__note=note)
    response = inspector.post(f"/kunjungan/{sid}", content_type="multipart/form-data", data={
        "inspection_key": key, "action": "simpan", **answers, "foto_depan__photos": upload(jpeg())})
    assert response.status_code == 303
    assert inspector.post(f"/kunjungan/{sid}/kirim", data={"inspection_key": key}).status_code == 303
    record = store.inspections.get(sid)
    assert record["status"] in ("submitted", "approved") and record["critical"] is critical
    return sid
