"""The GET parameters every compliance view, list and export shares."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from app.services.compliance.counts import Filters
from app.services.compliance.dashboards import SORTS, STATUSES, DashboardQuery
from app.services.compliance.exports import VIEWS
from app.web.forms.common import parse_query_date
from app.web.params import bounded_id


def dashboard_query(params: Mapping[str, str], today: date) -> tuple[DashboardQuery, dict[str, str]]:
    """The filters as typed values (the unit's path is the service's to find: `dashboards.with_unit_path`)."""
    errors: dict[str, str] = {}

    def number(name: str, message: str) -> int | None:
        text = (params.get(name) or "").strip()
        if text and bounded_id(text) is None:  # not a whole number from 1 to MAX_ID: never reaches the database
            errors[name] = message
        return bounded_id(text) if text and name not in errors else None

    given = parse_query_date(params, "on", "As-at date")  # the form's boxes, or on=YYYY-MM-DD from a link
    errors |= given.errors
    on = given.value or today
    department_id = number("department", "Select a department from the list")
    unit_id = number("unit", "Select a unit from the list")
    page = number("page", "Page must be a whole number, for example 2") or 1
    country = (params.get("country") or "").strip().upper() or None
    if country is not None and not (len(country) == 2 and country.isalpha()):
        errors["country"] = "Select a country from the list"
    module = (params.get("module") or "").strip() or None
    if module is not None and (len(module) > 100 or not all(c.isalnum() or c in "-_" for c in module)):
        errors["module"] = "Select a module from the list"
    status = (params.get("status") or "assigned").strip()
    if status not in STATUSES:
        errors["status"], status = "Select a status from the list", "assigned"
    sort = (params.get("sort") or "name").strip()
    if sort not in SORTS:
        errors["sort"], sort = "Sort by name, due date or unit", "name"
    return DashboardQuery(on, Filters(department_id, None, country, module), unit_id, status, sort, page), errors


def export_query(params: Mapping[str, str], today: date) -> tuple[str, DashboardQuery, dict[str, str]]:
    """Which view to export (officials unless the URL says), and the dashboards' filters."""
    view = params.get("view", "officials")
    query, errors = dashboard_query(params, today)
    if view not in VIEWS:
        errors["view"] = "Choose a view: " + ", ".join(VIEWS)
    return view, query, errors
