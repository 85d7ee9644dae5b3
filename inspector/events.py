"""Events other parts react to (notifications, webhooks): inspection.created, inspection.critical, review.decided,
concern.created.

An event becomes outbox entries (``entries``) written with the state change that causes it (see
``announce``): one ``event`` entry for the reactions in this process's store, one ``email`` entry, one
``webhook`` entry per configured URL; each is delivered, and retried, on its own.

    inspection.created   webhooks
    inspection.critical  oversight state, in-app alert to every active reviewer, e-mail, webhooks
    review.decided       in-app alert to the inspection's inspector, oversight state, webhooks
    concern.created      in-app alert to every active reviewer, e-mail, webhooks (a report from the public:
                         never to the LKS's operator nor to inspectors; no report text or contact leaves)

``react`` runs an ``event`` entry's reactions, each on its own: one that fails is logged and the others
still run; the entry is then tried again later, and the reactions that ran already change nothing more
(an alert is stored once per entry and account; the oversight state is set, not added to).
"""

from __future__ import annotations

import logging

from . import notify, oversight_state
from .timefmt import utcnow

EVENTS = ("inspection.created", "inspection.critical", "review.decided", "concern.created")
MAILED = ("inspection.critical", "concern.created")
# What a webhook body carries: ids, code, state and score; never answers, notes or names.
WEBHOOK_FIELDS = ("inspection_id", "lks_id", "lks_code", "status", "critical", "score", "time")
# A concern's webhook body: that one arrived, and about which LKS; never what it says nor who sent it.
CONCERN_WEBHOOK_FIELDS = ("concern_id", "lks_id", "lks_code", "time")
log = logging.getLogger(__name__)


class ReactionFailed(RuntimeError):
    """Some reactions of an event entry failed (each is logged): the entry is tried again."""


def entries(config, event: str, found: dict) -> list[dict]:
    """The outbox entries that announce ``event`` with its ``found`` facts (see ``facts``, ``concern_facts``).

    An unknown event name is a programming error and raises ValueError.
    """
    if event not in EVENTS:
        raise ValueError(f"unknown event {event}")
    made = [{"kind": "event", "event": event, "facts": found}] if REACTIONS[event] else []
    if event in MAILED and notify.email_configured(config):
        made.append({"kind": "email", "event": event, "facts": found})
    fields = CONCERN_WEBHOOK_FIELDS if event.startswith("concern.") else WEBHOOK_FIELDS
    return made + notify.webhook_entries(config, event, {key: found[key] for key in fields})


def react(store, item: dict) -> None:
    """Run the reactions of one ``event`` entry; ``ReactionFailed`` after all ran when any failed."""
    event, found = item["event"], item["facts"]
    failed = []
    for reaction in REACTIONS[event]:
        try:
            reaction(store, found, item["id"])
        except Exception:
            log.exception("event %s for %s: %s failed", event, found.get("inspection_id") or found.get("concern_id"),
                          reaction.__name__)
            failed.append(reaction.__name__)
    if failed:
        raise ReactionFailed(", ".join(failed))


def facts_of(inspection: dict, lks: dict | None) -> dict:
    """What the reactions need to know about an inspection (no answers), with its LKS as read before."""
    lks = lks or {}
    score = inspection.get("score") or {}
    first = (inspection.get("versions") or [{}])[0].get("submitted_at") or inspection.get("submitted_at")
    return {"inspection_id": inspection["id"], "lks_id": inspection["lks_id"], "lks_code": lks.get("code", ""),
            "lks_name": lks.get("name", ""), "kecamatan": lks.get("kecamatan", ""),
            "inspector_id": inspection.get("inspector_id"), "status": inspection.get("status"),
            "critical": bool(inspection.get("critical")), "score": score.get("percent"),
            "critical_count": len(score.get("critical_failed") or []), "submitted_at": inspection.get("submitted_at"),
            "first_submitted_at": first, "time": utcnow()}


def facts(store, inspection: dict) -> dict:
    """What the reactions need to know about an inspection (no answers)."""
    return facts_of(inspection, store.lks.get(inspection["lks_id"]))


def concern_facts(store, concern: dict) -> dict:
    """What the reactions need to know about a public concern: which one and which LKS; never its text or contact."""
    return concern_facts_of(concern, store.lks.get(concern["lks_id"]))


def concern_facts_of(concern: dict, lks: dict | None) -> dict:
    """``concern_facts`` with the concern's LKS as read before."""
    lks = lks or {}
    return {"concern_id": concern["id"], "lks_id": concern["lks_id"], "lks_code": lks.get("code", ""),
            "lks_name": lks.get("name", ""), "kecamatan": lks.get("kecamatan", ""),
            "created_at": concern.get("created_at"), "time": utcnow()}


def _alert(found: dict, kind: str) -> dict:
    return {"kind": kind, "inspection_id": found["inspection_id"], "lks_id": found["lks_id"],
            "status": found["status"]}


def _reviewers(store) -> list[str]:
    return [u["id"] for u in store.users.all() if u.get("role") == "reviewer" and u.get("active")]


def alert_reviewers(store, found: dict, once: str) -> None:
    store.notifications.add(_reviewers(store), _alert(found, "critical"), once=once)


def alert_reviewers_of_concern(store, found: dict, once: str) -> None:
    """Every active reviewer (never an operator or inspector) gets an unread alert for the new report."""
    store.notifications.add(_reviewers(store), {"kind": "concern", "concern_id": found["concern_id"],
                                                "lks_id": found["lks_id"], "status": "open"}, once=once)


def remember_critical(store, found: dict, once: str) -> None:
    """Feed the oversight state: this critical finding is open until approved or rejected (not when it was
    approved or rejected before this entry was delivered: a late delivery must not reopen it)."""
    current = store.inspections.get(found["inspection_id"])
    if current is None or current.get("status") not in ("approved", "rejected"):
        store.notifications.critical_opened(found["inspection_id"], found["lks_id"])


def alert_inspector(store, found: dict, once: str) -> None:
    inspector = store.users.get(found["inspector_id"]) if found["inspector_id"] else None
    if inspector and inspector.get("active") and inspector.get("role") == "inspector":
        store.notifications.add([inspector["id"]], _alert(found, "decided"), once=once)


def remember_decision(store, found: dict, once: str) -> None:
    """Feed the oversight state: the LKS's latest approved inspection; critical findings no longer open.
    (``review.decide`` writes the same; this keeps the state right for a decision told only as an event.)"""
    oversight_state.note_decision(store, {"id": found["inspection_id"], "lks_id": found["lks_id"],
                                          "status": found["status"], "first_submitted_at": found["first_submitted_at"]})


REACTIONS = {
    "inspection.created": (),
    "inspection.critical": (remember_critical, alert_reviewers),
    "review.decided": (alert_inspector, remember_decision),
    "concern.created": (alert_reviewers_of_concern,),
}
