"""Central admins' forms: a country's risk assessment, API tokens, import uploads."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date

from starlette.datastructures import FormData, UploadFile

from app.services.organisation.risk import AssessmentInput
from app.web.forms.common import Parsed, parse_date, parse_date_input, texts


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


@dataclass(frozen=True)
class TokenInput:
    name: str
    everything: bool
    department_id: int | None
    unit_id: int | None


def api_token(form: FormData) -> Parsed[TokenInput]:
    values = texts(form, "name", "scope", "department", "unit")
    errors = {}
    if not values["name"]:
        errors["name"] = "Enter a name that says which system uses the token"
    if values["scope"] not in TOKEN_SCOPES:
        errors["scope"] = "Select what the token can see"
    elif values["scope"] == "department" and not values["department"].isdigit():
        errors["department"] = "Select a department"
    elif values["scope"] == "unit" and not values["unit"].isdigit():
        errors["unit"] = "Enter the unit's id, a whole number"
    if errors:
        return Parsed(values, errors)
    return Parsed(values, data=TokenInput(
        name=values["name"], everything=values["scope"] == "all",
        department_id=int(values["department"]) if values["scope"] == "department" else None,
        unit_id=int(values["unit"]) if values["scope"] == "unit" else None,
    ))


@dataclass(frozen=True)
class ImportInput:
    kind: str  # roster or risk
    filename: str
    data: bytes
    fingerprint: str  # SHA-256 of the file: importing needs the same file that was checked
    apply: bool
    full: bool
    source: str
    top: int | None
    edition: str | None
    assessed_on: date | None


def upload(form: FormData, max_bytes: int) -> Parsed[ImportInput]:
    """An import file and its options. `apply` only with the fingerprint of the file that was checked."""
    values = texts(form, "kind", "source", "top", "edition", "assessed_on", "full", "checked_sha")
    file = form.get("file")
    errors: dict[str, str] = {}
    data = b""
    if not isinstance(file, UploadFile) or not file.filename:
        errors["file"] = "Choose a CSV file to upload"
    else:
        data = file.file.read(max_bytes + 1)
        if len(data) > max_bytes:
            errors["file"] = f"The file must be smaller than {max_bytes // (1024 * 1024)} MB"
        elif not data.strip():
            errors["file"] = "The file is empty"
    if values["kind"] not in ("roster", "risk"):
        errors["kind"] = "Select what the file contains"
    top = int(values["top"]) if values["top"].isdigit() and int(values["top"]) > 0 else None
    assessed_on = parse_date(values["assessed_on"]) if values["assessed_on"] else None
    if values["kind"] == "risk":
        if not values["source"]:
            errors["source"] = "Enter whose assessment this is, for example Early Warning Project Statistical Risk Assessment"
        if top is None:
            errors["top"] = "Enter how many of the top-ranked countries count as at risk, for example 30"
        if values["assessed_on"] and assessed_on is None:
            errors["assessed_on"] = "Enter the publication date as a real date, for example 2025-09-03"
    fingerprint = hashlib.sha256(data).hexdigest()
    apply = form.get("action") == "apply"
    if apply and values["checked_sha"] != fingerprint and "file" not in errors:
        errors["file"] = "Choose the same file you checked: this one is different. Check it again before importing"
    if errors:
        return Parsed(values, errors)
    return Parsed(values, data=ImportInput(
        kind=values["kind"], filename=file.filename, data=data, fingerprint=fingerprint, apply=apply,
        full=values["full"] == "yes", source=values["source"], top=top, edition=values["edition"] or None,
        assessed_on=assessed_on,
    ))
