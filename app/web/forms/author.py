"""Authors' query parameters: item analysis filters."""

from __future__ import annotations

from collections.abc import Mapping

from app.services.learning.item_analysis import AnalysisFilters
from app.web.forms.common import parse_query_date


def analysis_filters(
    params: Mapping[str, str], known_versions: list[str]
) -> tuple[AnalysisFilters, dict[str, str], dict[str, str]]:
    """Item analysis filters from the query string (dates as day / month / year boxes, or from=YYYY-MM-DD), errors
    keyed by field id, and the values to show again."""
    errors: dict[str, str] = {}
    chosen = (params.get("version") or "").strip() or None
    if chosen is not None and chosen not in known_versions:
        errors["version"] = "Select a version from the list"
        chosen = None
    start = parse_query_date(params, "from", "From date")
    end = parse_query_date(params, "to", "To date")
    errors |= start.errors | end.errors
    if start.value and end.value and start.value > end.value:
        errors["to-day"] = "To date must be the same as or after the from date"
    values = {"version": params.get("version") or "", **start.values, **end.values}
    return AnalysisFilters(chosen, start.value, end.value), errors, values
