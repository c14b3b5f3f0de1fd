"""Reading form values the way officials type them."""

from __future__ import annotations

from datetime import date, datetime


def parse_date(text: str) -> date | None:
    """An ISO date (2025-09-03) or a UK one (03/09/2025); None when it is not a real date."""
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text.strip(), pattern).date()
        except ValueError:
            continue
    return None
