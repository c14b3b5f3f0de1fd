"""Central admins' forms: a country's risk assessment, API tokens (imports: forms/imports.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from starlette.datastructures import FormData

from app.services.organisation.risk import AssessmentInput
from app.web.forms.common import Parsed, parse_date_input, texts
from app.web.params import bounded_id


def country_assessment(form: FormData, today: date) -> Parsed[AssessmentInput]:
    values = texts(form, "country", "at_risk", "source", "edition", "level")
    errors: dict[str, str] = {}
    if not values["country"]:
        errors["country"] = "Select a country"
    if values["at_risk"] not in ("yes", "no"):
        errors["at_risk"] = "Select whether the source lists the country as at risk"
    if not values["source"]:
        errors["source"] = "Enter the source of the assessment, for example Early Warning Project Statistical Risk Assessment"
    given = parse_date_input(form, "assessed_on", "Date of the assessment")
    values |= given.values
    errors |= given.errors
    assessed_on = given.value
    if assessed_on is not None and assessed_on > today:
        errors["assessed_on-day"] = "Date of the assessment must be today or in the past"
    if errors:
        return Parsed(values, errors)
    return Parsed(values, data=AssessmentInput(
        country_code=values["country"], at_risk=values["at_risk"] == "yes", source=values["source"][:200],
        edition=values["edition"][:100], assessed_on=assessed_on, level=values["level"][:40],
    ))


TOKEN_SCOPES = ("all", "department", "unit")
SHORTER_TOKEN_DAYS = (180, 90, 30)  # offered beside the longest (APTRAIN_API_TOKEN_DAYS), when shorter than it


def token_day_choices(longest: int) -> list[int]:
    """How long a new token may work, longest (the default) first."""
    return [longest, *(days for days in SHORTER_TOKEN_DAYS if days < longest)]


@dataclass(frozen=True)
class TokenInput:
    name: str
    everything: bool
    department_id: int | None
    unit_id: int | None
    days: int


def api_token(form: FormData, longest_days: int) -> Parsed[TokenInput]:
    values = texts(form, "name", "scope", "department", "unit", "days")
    errors = {}
    choices = token_day_choices(longest_days)
    values["days"] = values["days"] or str(longest_days)
    days = bounded_id(values["days"])
    if days not in choices:
        errors["days"] = "Select how long the token will work"
    if not values["name"]:
        errors["name"] = "Enter a name that says which system uses the token"
    if values["scope"] not in TOKEN_SCOPES:
        errors["scope"] = "Select what the token can see"
    elif values["scope"] == "department" and bounded_id(values["department"]) is None:
        errors["department"] = "Select a department"
    elif values["scope"] == "unit" and bounded_id(values["unit"]) is None:
        errors["unit"] = "Select a unit"
    if errors:
        return Parsed(values, errors)
    return Parsed(values, data=TokenInput(
        name=values["name"], everything=values["scope"] == "all",
        department_id=bounded_id(values["department"]) if values["scope"] == "department" else None,
        unit_id=bounded_id(values["unit"]) if values["scope"] == "unit" else None,
        days=days or longest_days,
    ))
