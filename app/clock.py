"""The one place the date and time come from: UTC, timezone-aware."""

from __future__ import annotations

from datetime import UTC, date, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def today() -> date:
    """Today's date in UTC: the as-at date for statuses and due dates."""
    return utcnow().date()
