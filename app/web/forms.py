"""The one place a request becomes typed values plus GOV.UK error messages.

Each parser takes what the browser sent (a form or query mapping) and returns the typed values a service
takes, and a dict of errors keyed by the field's id (the error summary links to it). Services never see a
raw request; handlers never parse.
"""

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
