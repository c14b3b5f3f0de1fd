"""The audit log's filters: who, what kind of change, and a date range (GET parameters, so a view can be shared)."""

from __future__ import annotations

from collections.abc import Mapping

from app.services.audit import ACTIONS, AuditFilter
from app.web.forms.common import Parsed, parse_date_input


def audit_filters(query: Mapping) -> Parsed[AuditFilter]:
    """Filters from the query string; an unknown kind of change is ignored, a date that is not real is an error."""
    who = " ".join(str(query.get("who") or "").split())[:200]
    action = str(query.get("what") or "")
    values = {"who": who, "what": action if action in ACTIONS else ""}
    start = parse_date_input(query, "start", "From date", required=False)
    end = parse_date_input(query, "end", "To date", required=False)
    values |= start.values | end.values
    errors = {**start.errors, **end.errors}
    if not errors and start.value and end.value and end.value < start.value:
        errors["end-day"] = "To date must be the same as or after the from date"
    if errors:
        return Parsed(values, errors)
    return Parsed(values, data=AuditFilter(who=who, action=values["what"], start=start.value, end=end.value))
