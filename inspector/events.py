"""Events other parts react to (notifications, webhooks): inspection.created, inspection.critical, review.decided,
concern.created.

``emit`` runs each reaction on its own and logs a failure instead of raising:
a submit or a decision is already stored when it is called, and an alert that
cannot be made must not turn that into an error page.

    inspection.created   webhooks
    inspection.critical  oversight state, in-app alert to every active reviewer, e-mail, webhooks
    review.decided       in-app alert to the inspection's inspector, oversight state, webhooks
    concern.created      in-app alert to every active reviewer, e-mail, webhooks (a report from the public:
                         never to the LKS's operator nor to inspectors; no report text or contact leaves)
"""

from __future__ import annotations

import logging

from . import notify, oversight_state
from .timefmt import utcnow

EVENTS = ("inspection.created", "inspection.critical", "review.decided", "concern.created")
# What a webhook body carries: ids, code, state and score; never answers, notes or names.
WEBHOOK_FIELDS = ("inspection_id", "lks_id", "lks_code", "status", "critical", "score", "time")
# A concern's webhook body: that one arrived, and about which LKS; never what it says nor who sent it.
CONCERN_WEBHOOK_FIELDS = ("concern_id", "lks_id", "lks_code", "time")
log = logging.getLogger(__name__)


def emit(store, config, event: str, inspection: dict) -> None:
    """Tell whoever listens that ``event`` happened to ``inspection`` (a concern, for ``concern.*``);
    never raises into the caller.

    An unknown event name is a programming error and raises ValueError.
    """
    if event not in EVENTS:
        raise ValueError(f"unknown event {event}")
    try:
        found = (concern_facts if event.startswith("concern.") else facts)(store, inspection)
    except Exception:
        log.exception("event %s: the record could not be read", event)
        return
    for reaction in REACTIONS[event]:
        try:
            reaction(store, config, event, found)
        except Exception:
            log.exception("event %s for %s: %s failed", event, found.get("inspection_id") or found.get("concern_id"),
                          reaction.__name__)


def facts(store, inspection: dict) -> dict:
    """What the reactions need to know about an inspection (no answers)."""
    lks = store.lks.get(inspection["lks_id"]) or {}
    score = inspection.get("score") or {}
    first = (inspection.get("versions") or [{}])[0].get("submitted_at") or inspection.get("submitted_at")
    return {"inspection_id": inspection["id"], "lks_id": inspection["lks_id"], "lks_code": lks.get("code", ""),
            "lks_name": lks.get("name", ""), "kecamatan": lks.get("kecamatan", ""),
            "inspector_id": inspection.get("inspector_id"), "status": inspection.get("status"),
            "critical": bool(inspection.get("critical")), "score": score.get("percent"),
            "critical_count": len(score.get("critical_failed") or []), "submitted_at": inspection.get("submitted_at"),
            "first_submitted_at": first, "time": utcnow()}


def concern_facts(store, concern: dict) -> dict:
    """What the reactions need to know about a public concern: which one and which LKS; never its text or contact."""
    lks = store.lks.get(concern["lks_id"]) or {}
    return {"concern_id": concern["id"], "lks_id": concern["lks_id"], "lks_code": lks.get("code", ""),
            "lks_name": lks.get("name", ""), "kecamatan": lks.get("kecamatan", ""),
            "created_at": concern.get("created_at"), "time": utcnow()}


def _alert(found: dict, kind: str) -> dict:
    return {"kind": kind, "inspection_id": found["inspection_id"], "lks_id": found["lks_id"],
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
    store.notifications.critical_opened(found["inspection_id"], found["lks_id"])


def alert_inspector(store, config, event: str, found: dict) -> None:
    inspector = store.users.get(found["inspector_id"]) if found["inspector_id"] else None
    if inspector and inspector.get("active") and inspector.get("role") == "inspector":
        store.notifications.add([inspector["id"]], _alert(found, "decided"))


def remember_decision(store, config, event: str, found: dict) -> None:
    """Feed the oversight state: the LKS's latest approved inspection; critical findings no longer open.
    (``review.decide`` writes the same; this keeps the state right for a decision told only as an event.)"""
    oversight_state.note_decision(store, {"id": found["inspection_id"], "lks_id": found["lks_id"],
                                          "status": found["status"], "first_submitted_at": found["first_submitted_at"]})


def email(store, config, event: str, found: dict) -> None:
    notify.queue_critical_email(store, config, found)


def webhooks(store, config, event: str, found: dict) -> None:
    notify.queue_webhooks(store, config, event, {key: found[key] for key in WEBHOOK_FIELDS})


def concern_email(store, config, event: str, found: dict) -> None:
    notify.queue_concern_email(store, config, found)


def concern_webhooks(store, config, event: str, found: dict) -> None:
    notify.queue_webhooks(store, config, event, {key: found[key] for key in CONCERN_WEBHOOK_FIELDS})


REACTIONS = {
    "inspection.created": (webhooks,),
    "inspection.critical": (remember_critical, alert_reviewers, email, webhooks),
    "review.decided": (alert_inspector, remember_decision, webhooks),
    "concern.created": (alert_reviewers_of_concern, concern_email, concern_webhooks),
}
