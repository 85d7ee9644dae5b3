"""The one clock, and times: stored in UTC ISO 8601, shown in WIB, the Indonesian way: 27 Nov 2026 14.05 WIB.

Every module that needs the time asks ``now()`` (or ``utcnow()``/``today_wib()``, which ask it) at call
time, so a test sets the time for the whole app by patching ``timefmt.now`` alone.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

WIB = timezone(timedelta(hours=7), "WIB")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des")


def now() -> datetime:
    """The one clock: the current moment in UTC, timezone-aware."""
    return datetime.now(timezone.utc)


def utcnow() -> str:
    """Now, in UTC ISO 8601 with seconds: how every time is stored."""
    return now().replace(microsecond=0).isoformat()


def stored_time(value) -> datetime | None:
    """A stored time (ISO 8601; UTC when it names no offset) as an aware datetime; None for none or a bad value."""
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def to_wib(value: str | datetime) -> datetime:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(WIB)


def format_wib(value: str | datetime | None) -> str:
    """'27 Nov 2026 14.05 WIB' for a stored UTC time; '' for none."""
    if not value:
        return ""
    moment = to_wib(value)
    return f"{moment.day} {MONTHS[moment.month - 1]} {moment.year} {moment:%H.%M} WIB"


def format_date(value: str | date | None) -> str:
    """'27 Nov 2026' for an ISO date; '' for none."""
    if not value:
        return ""
    day = date.fromisoformat(value) if isinstance(value, str) else value
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def today_wib() -> date:
    return now().astimezone(WIB).date()
