"""Authors' query parameters: item analysis filters."""

from __future__ import annotations

from datetime import date

from app.services.learning.item_analysis import AnalysisFilters


def analysis_filters(
    version: str | None, date_from: str | None, date_to: str | None, known_versions: list[str]
) -> tuple[AnalysisFilters, dict[str, str]]:
    """Item analysis filters from the query string, and errors keyed by field name."""
    errors: dict[str, str] = {}
    chosen = (version or "").strip() or None
    if chosen is not None and chosen not in known_versions:
        errors["version"] = "Select a version from the list"
        chosen = None
    parsed: dict[str, date | None] = {}
    for field, raw, what in (("from", date_from, "From"), ("to", date_to, "To")):
        text = (raw or "").strip()
        parsed[field] = None
        if text:
            try:
                parsed[field] = date.fromisoformat(text)
            except ValueError:
                errors[field] = f"{what} date must be a real date, for example 2026-03-31"
    if parsed["from"] and parsed["to"] and parsed["from"] > parsed["to"]:
        errors["to"] = "To date must be the same as or after the from date"
    return AnalysisFilters(chosen, parsed["from"], parsed["to"]), errors
