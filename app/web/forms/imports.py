"""Central admins' import forms: one per kind of file (an HR roster, a source's list of countries at risk),
and the confirm step that names a checked, held file by its SHA-256."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from starlette.datastructures import FormData, UploadFile

from app.web.forms.common import Parsed, parse_date_input, texts


@dataclass(frozen=True)
class UploadInput:
    kind: str  # roster | risk
    filename: str
    data: bytes
    options: dict[str, object]  # JSON-friendly, held with the file: the confirm step imports with these


def _file(form: FormData, field: str, max_bytes: int, errors: dict[str, str]) -> tuple[str, bytes]:
    file = form.get("file")
    if not isinstance(file, UploadFile) or not file.filename:
        errors[field] = "Choose a CSV file to upload"
        return "", b""
    data = file.file.read(max_bytes + 1)
    if len(data) > max_bytes:
        errors[field] = f"The file must be smaller than {max_bytes // (1024 * 1024)} MB"
    elif not data.strip():
        errors[field] = "The file is empty"
    return file.filename, data


def roster_upload(form: FormData, max_bytes: int) -> Parsed[UploadInput]:
    """An HR roster to check, and whether it lists everyone."""
    values = texts(form, "full")
    errors: dict[str, str] = {}
    filename, data = _file(form, "roster-file", max_bytes, errors)
    if errors:
        return Parsed(values, errors)
    return Parsed(values, data=UploadInput("roster", filename, data, {"full": values["full"] == "yes"}))


def risk_upload(form: FormData, max_bytes: int) -> Parsed[UploadInput]:
    """A source's list of countries at risk to check, with whose it is and how many top-ranked countries count."""
    values = texts(form, "source", "top", "edition")
    errors: dict[str, str] = {}
    filename, data = _file(form, "risk-file", max_bytes, errors)
    if not values["source"]:
        errors["source"] = "Enter whose assessment this is, for example Early Warning Project Statistical Risk Assessment"
    top = int(values["top"]) if values["top"].isdigit() and int(values["top"]) > 0 else None
    if top is None:
        errors["top"] = "Enter how many of the top-ranked countries count as at risk, for example 30"
    given = parse_date_input(form, "assessed_on", "Publication date", required=False)
    values |= given.values
    errors |= given.errors
    assessed_on: date | None = given.value
    if errors:
        return Parsed(values, errors)
    options = {"source": values["source"], "top": top, "edition": values["edition"] or None,
               "assessed_on": assessed_on.isoformat() if assessed_on else None}  # fmt: skip
    return Parsed(values, data=UploadInput("risk", filename, data, options))


def held_key(form: FormData) -> str:
    """The SHA-256 of the checked file to import (the held file's key), as sent; the store checks its form."""
    value = form.get("key")
    return value.strip().lower() if isinstance(value, str) else ""
