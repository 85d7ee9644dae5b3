"""A data folder made the way the server makes it, audit entries included: every write followed by the entry its
view or command appends (``audit.record``), so that the chain traces every record and photo (``store check``)."""

from __future__ import annotations

from inspector import audit, inspections, review
from inspector.auth import User
from inspector.demo import demo_lks
from inspector.photos import process
from tests.support.answers import failing, passing
from tests.support.builders import ROLE_USERS, add_account
from tests.support.photos import drawn_jpeg


def traced_app_data(app, lks_count: int = 2) -> list[dict]:
    """The LKS and one account per role, each written and then audited as the admin's pages do; the LKS."""
    store = app.extensions["store"]
    lks = store.lks.create_many(demo_lks(lks_count))
    audit.record(store, None, "lks_imported", "lks", None, count=len(lks), lks_ids=[r["id"] for r in lks])
    for role, username in ROLE_USERS.items():
        record = add_account(store, username, role, name=f"Uji {role}", agency="Satpol PP",
                             lks_ids=[lks[0]["id"]] if role == "operator" else [])
        audit.record(store, None, "account_created", "user", record["id"], role=role)
    return lks


def traced_sent(app, lks: dict, fail=(), photos: int = 1, decide: str | None = None) -> dict:
    """An LKSA inspection started, saved, with ``photos`` photos, sent (and decided), each step audited."""
    store = app.extensions["store"]
    checklist = app.extensions["checklists"]["lksa"]
    inspector = User(store.users.by_username(ROLE_USERS["inspector"]))
    record = inspections.start(store, checklist, lks, inspector.record)
    audit.record(store, inspector, "inspection_started", "inspection", record["id"], lks_id=lks["id"])
    answers = {i.id: {"value": failing(i) if i.id in fail else passing(i), "note": ""}
               for i in checklist.items() if i.type != "photo"}
    inspections.save_answers(store, record["id"], answers)
    audit.record(store, inspector, "draft_saved", "inspection", record["id"])
    needed = [i.id for i in checklist.items() if (i.type == "photo" and i.required) or (i.photo_on_fail and i.id in fail)]
    items = needed + [""] * max(0, photos - len(needed))
    for n, item_id in enumerate(items):
        assert inspections.add_photo(store, record["id"], item_id, process(drawn_jpeg(n)), f"u-{record['id']}-{n}",
                                     60) is None
        stored = store.inspections.get(record["id"])["photos"][-1]
        audit.record(store, inspector, "draft_saved", "inspection", record["id"], photo=stored["id"])
    # As the pages send and decide: the audit entry staged with the new state, then delivered.
    _, problems = inspections.submit(store, checklist, record["id"], user=inspector, config=app.config)
    assert problems == {}, problems
    if decide:
        reviewer = User(store.users.by_username(ROLE_USERS["reviewer"]))
        _, reason = review.decide(store, record["id"], reviewer, decide, "" if decide == "approve" else "Kurang.",
                                  config=app.config)
        assert reason is None, reason
    return store.inspections.get(record["id"])
