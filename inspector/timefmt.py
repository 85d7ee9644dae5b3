"""Times are stored in UTC ISO 8601 and shown in WIB, the Indonesian way: 27 Nov 2026 14.05 WIB."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

WIB = timezone(timedelta(hours=7), "WIB")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des")


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
    return datetime.now(WIB).date()
