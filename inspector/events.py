"""Events other parts react to (notifications, webhooks): submission.created, submission.critical, review.decided."""

from __future__ import annotations

EVENTS = ("submission.created", "submission.critical", "review.decided")


def emit(store, config, event: str, submission: dict) -> None:
    """Tell whoever listens that ``event`` happened to ``submission``; never raises into the caller."""
    if event not in EVENTS:
        raise ValueError(f"unknown event {event}")
