"""Events other parts react to (notifications, webhooks): submission.created, submission.critical, review.decided,
concern.created.

``emit`` runs each reaction on its own and logs a failure instead of raising:
a submit or a decision is already stored when it is called, and an alert that
cannot be made must not turn that into an error page.

    submission.created   webhooks
    submission.critical  oversight state, in-app alert to every active reviewer, e-mail, webhooks
    review.decided       in-app alert to the visit's inspector, oversight state, webhooks
    concern.created      in-app alert to every active reviewer, e-mail, webhooks (a report from the public:
                         never to the LKS's operator nor to inspectors; no report text or contact leaves)
"""

from __future__ import annotations

import logging

from . import notify
from .store.records import utcnow

EVENTS = ("submission.created", "submission.critical", "review.decided", "concern.created")
# What a webhook body carries: ids, code, state and score; never answers, notes or names.
WEBHOOK_FIELDS = ("submission_id", "lks_id", "lks_code", "status", "critical", "score", "time")
# A concern's webhook body: that one arrived, and about which LKS; never what it says nor who sent it.
CONCERN_WEBHOOK_FIELDS = ("concern_id", "lks_id", "lks_code", "time")
log = logging.getLogger(__name__)


def emit(store, config, event: str, submission: dict) -> None:
    """Tell whoever listens that ``event`` happened to ``submission`` (a concern, for ``concern.*``);
    never raises into the caller.

    An unknown event name is a programming error and raises ValueError.
    """
    if event not in EVENTS:
        raise ValueError(f"unknown event {event}")
    try:
        found = (concern_facts if event.startswith("concern.") else facts)(store, submission)
    except Exception:
        log.exception("event %s: the record could not be read", event)
        return
    for reaction in REACTIONS[event]:
        try:
            reaction(store, config, event, found)
        except Exception:
            log.exception("event %s for %s: %s failed", event, found.get("submission_id") or found.get("concern_id"),
                          reaction.__name__)


def facts(store, submission: dict) -> dict:
    """What the reactions need to know about a submission (no answers)."""
    lks = store.lks.get(submission["lks_id"]) or {}
    score = submission.get("score") or {}
    first = (submission.get("versions") or [{}])[0].get("submitted_at") or submission.get("submitted_at")
    return {"submission_id": submission["id"], "lks_id": submission["lks_id"], "lks_code": lks.get("code", ""),
            "lks_name": lks.get("name", ""), "kecamatan": lks.get("kecamatan", ""),
            "inspector_id": submission.get("inspector_id"), "status": submission.get("status"),
            "critical": bool(submission.get("critical")), "score": score.get("percent"),
            "critical_count": len(score.get("critical_failed") or []), "submitted_at": submission.get("submitted_at"),
            "first_submitted_at": first, "time": utcnow()}


def concern_facts(store, concern: dict) -> dict:
    """What the reactions need to know about a public concern: which one and which LKS; never its text or contact."""
    lks = store.lks.get(concern["lks_id"]) or {}
    return {"concern_id": concern["id"], "lks_id": concern["lks_id"], "lks_code": lks.get("code", ""),
            "lks_name": lks.get("name", ""), "kecamatan": lks.get("kecamatan", ""),
            "created_at": concern.get("created_at"), "time": utcnow()}


def _alert(found: dict, kind: str) -> dict:
    return {"kind": kind, "submission_id": found["submission_id"], "lks_id": found["lks_id"],
            "status": found["status"]}


def alert_reviewers(store, config, event: str, found: dict) -> None:
    reviewers = [u["id"] for u in store.users.all() if u.get("role") == "reviewer" and u.get("active")]
    store.notifications.add(reviewers, _alert(found, "critical"))


def alert_reviewers_of_concern(store, config, event: str, found: dict) -> None:
    """Every active reviewer (never an operator or inspector) gets an unread alert for the new report."""
    reviewers = [u["id"] for u in store.users.all() if u.get("role") == "reviewer" and u.get("active")]
    store.notifications.add(reviewers, {"kind": "concern", "concern_id": found["concern_id"],
                                        "lks_id": found["lks_id"], "status": "open"})


def remember_critical(store, config, event: str, found: dict) -> None:
    """Feed the oversight state: this critical finding is open until approved or rejected."""
    store.notifications.critical_opened(found["submission_id"], found["lks_id"])


def alert_inspector(store, config, event: str, found: dict) -> None:
    inspector = store.users.get(found["inspector_id"]) if found["inspector_id"] else None
    if inspector and inspector.get("active") and inspector.get("role") == "inspector":
        store.notifications.add([inspector["id"]], _alert(found, "decided"))


def remember_decision(store, config, event: str, found: dict) -> None:
    """Feed the oversight state: the LKS's latest approved inspection; critical findings no longer open."""
    if found["status"] == "approved" and found["first_submitted_at"]:
        store.notifications.note_inspected({found["lks_id"]: found["first_submitted_at"]})
    if found["status"] in ("approved", "rejected"):
        store.notifications.critical_closed([found["submission_id"]])


def email(store, config, event: str, found: dict) -> None:
    notify.queue_critical_email(store, config, found)


def webhooks(store, config, event: str, found: dict) -> None:
    notify.queue_webhooks(store, config, event, {key: found[key] for key in WEBHOOK_FIELDS})


def concern_email(store, config, event: str, found: dict) -> None:
    notify.queue_concern_email(store, config, found)


def concern_webhooks(store, config, event: str, found: dict) -> None:
    notify.queue_webhooks(store, config, event, {key: found[key] for key in CONCERN_WEBHOOK_FIELDS})


REACTIONS = {
    "submission.created": (webhooks,),
    "submission.critical": (remember_critical, alert_reviewers, email, webhooks),
    "review.decided": (alert_inspector, remember_decision, webhooks),
    "concern.created": (alert_reviewers_of_concern, concern_email, concern_webhooks),
}
