"""The one place a request becomes typed values plus GOV.UK error messages.

Each parser takes what the browser sent (a form or query mapping) and returns the typed values a service
takes, and a dict of errors keyed by the field's id (the error summary links to it). Services never see a
raw request; handlers never parse.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Generic, TypeVar

from starlette.datastructures import FormData, UploadFile

from app.models import DueRule
from app.services.learning.item_analysis import AnalysisFilters
from app.services.organisation.requirements import RequirementInput
from app.services.organisation.risk import AssessmentInput

T = TypeVar("T")


@dataclass
class Parsed(Generic[T]):
    """What was typed (to show again), the errors by field id, and the typed value when there are none."""

    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)
    data: T | None = None

    @property
    def ok(self) -> bool:
        return not self.errors


def parse_date(text: str) -> date | None:
    """An ISO date (2025-09-03) or a UK one (03/09/2025); None when it is not a real date."""
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text.strip(), pattern).date()
        except ValueError:
            continue
    return None


def parse_int(value: object, default: int | None = None) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return default


def texts(form: FormData, *names: str) -> dict[str, str]:
    """The named fields as stripped strings ('' when missing; a file upload is not text)."""
    return {name: value.strip() if isinstance(value := form.get(name, ""), str) else "" for name in names}


# --- The player -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Move:
    step: int  # the step the form was shown at (-1 if missing: a stale or forged form)
    scene: str = ""
    choice: str = ""


def move(form: FormData) -> Move:
    values = texts(form, "scene", "choice")
    return Move(step=parse_int(form.get("step"), -1), scene=values["scene"], choice=values["choice"])


def answers(form: FormData, question_ids: list[str]) -> dict[str, set[str]]:
    """The options ticked for each question (field `q-<id>`)."""
    return {qid: {str(v) for v in form.getlist(f"q-{qid}")} for qid in question_ids}


# --- Management -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PostingInput:
    country_code: str
    post: str
    start_on: date
    end_on: date | None


def posting(form: FormData) -> Parsed[PostingInput]:
    values = texts(form, "country", "post", "start_on", "end_on")
    errors = {}
    if not values["country"]:
        errors["country"] = "Select the country of the posting"
    if not values["post"]:
        errors["post"] = "Enter the post, for example British Embassy Khartoum"
    start_on, end_on = parse_date(values["start_on"]), parse_date(values["end_on"]) if values["end_on"] else None
    if start_on is None:
        errors["start_on"] = "Enter the start date as a real date, for example 2027-01-12"
    if values["end_on"] and end_on is None:
        errors["end_on"] = "Enter the end date as a real date, or leave it empty"
    elif start_on and end_on and end_on < start_on:
        errors["end_on"] = "The end date must be after the start date"
    if errors:
        return Parsed(values, errors)
    return Parsed(values, data=PostingInput(values["country"], values["post"][:200], start_on, end_on))


def posting_end(form: FormData, posting_id: int) -> Parsed[date]:
    values = texts(form, "official_id", "end_on")
    end_on = parse_date(values["end_on"])
    if end_on is None:
        return Parsed(values, {f"end-on-{posting_id}": "Enter the last day of the posting as a real date, for example 2027-06-30"})
    return Parsed(values, data=end_on)


@dataclass(frozen=True)
class GrantInput:
    reason: str
    comment: str
    until: date


def grant(form: FormData, kind: str, assignment_id: int, reasons: dict[str, str], today: date) -> Parsed[GrantInput]:
    """An extension (`kind` "extension") or an exemption ("exemption") of one assignment."""
    values = texts(form, "official_id", "reason", "comment", "until")
    errors = {}
    if values["reason"] not in reasons:
        errors[f"{kind}-reason-{assignment_id}"] = "Select a reason"
    if not values["comment"]:
        errors[f"{kind}-comment-{assignment_id}"] = "Enter a comment explaining the decision"
    until = parse_date(values["until"])
    if until is None or until < today:
        errors[f"{kind}-until-{assignment_id}"] = "Enter a date in the future, for example 2027-03-31"
    if errors:
        return Parsed(values, errors)
    return Parsed(values, data=GrantInput(values["reason"], values["comment"][:2000], until))


REQUIREMENT_TEXTS = ("name", "module_id", "unit_ids", "audience", "due_rule", "due_days", "due_date", "grace_days",
                     "validity_months", "recertification_days")


@dataclass
class RequirementForm:
    """A requirement as typed into the form (strings), to show it again."""

    name: str = ""
    module_id: str = ""
    department_ids: list[str] = field(default_factory=list)
    unit_ids: str = ""
    audience: str = ""
    at_risk_posting: bool = False
    due_rule: str = DueRule.ASSIGNMENT.value
    due_days: str = "30"
    due_date: str = ""
    grace_days: str = "30"
    validity_months: str = ""
    recertification_days: str = "30"
    retake_on_major: bool = True
    active: bool = True

    @classmethod
    def of(cls, requirement) -> "RequirementForm":  # a saved Requirement
        return cls(
            name=requirement.name,
            module_id=requirement.module_id,
            department_ids=requirement.department_ids.split(),
            unit_ids=requirement.unit_ids,
            audience=requirement.audience,
            at_risk_posting=requirement.at_risk_posting,
            due_rule=requirement.due_rule,
            due_days=str(requirement.due_days),
            due_date=requirement.due_date.isoformat() if requirement.due_date else "",
            grace_days=str(requirement.grace_days),
            validity_months=str(requirement.validity_months or ""),
            recertification_days=str(requirement.recertification_days),
            retake_on_major=requirement.retake_on_major,
            active=requirement.active,
        )


def requirement(form: FormData) -> tuple[RequirementForm, Parsed[RequirementInput]]:
    """The form as typed, and its typed values. Whether the module, departments and units exist is the
    service's check (`requirements.check`)."""
    draft = RequirementForm(
        **{k: str(form.get(k, "")) for k in REQUIREMENT_TEXTS},
        department_ids=[str(v) for v in form.getlist("department_ids")],
        at_risk_posting=form.get("at_risk_posting") == "yes",
        retake_on_major=form.get("retake_on_major") == "yes",
        active=form.get("active", "yes") == "yes",
    )
    errors: dict[str, str] = {}
    if not draft.name.strip():
        errors["name"] = "Enter a name for the requirement"
    if not all(d.isdigit() for d in draft.department_ids):
        errors["department_ids"] = "Select departments from the list"
    unit_ids = draft.unit_ids.replace(",", " ").split()
    if not all(u.isdigit() for u in unit_ids):
        errors["unit_ids"] = "Enter unit numbers that exist, separated by spaces"
    if draft.due_rule not in {r.value for r in DueRule}:
        errors["due_rule"] = "Select when the training is due"
    numbers: dict[str, int | None] = {}
    for name, low, high, label in (("due_days", -365, 3650, "Days"), ("grace_days", 0, 365, "Grace days"),
                                   ("recertification_days", 0, 365, "Recertification window")):
        value = parse_int(getattr(draft, name))
        if value is None or not low <= value <= high:
            errors[name] = f"{label} must be a whole number from {low} to {high}"
        numbers[name] = value
    validity = None
    if draft.validity_months.strip():
        validity = parse_int(draft.validity_months)
        if validity is None or not 1 <= validity <= 120:
            errors["validity_months"] = "Validity must be a whole number of months from 1 to 120, or empty for never"
    due_date = None
    if draft.due_rule == DueRule.FIXED:
        due_date = parse_date(draft.due_date)
        if due_date is None:
            errors["due_date"] = "Enter the due date as a real date, for example 2027-03-31"
    given = RequirementInput(
        name=draft.name.strip()[:200],
        module_id=draft.module_id,
        department_ids=[int(d) for d in draft.department_ids if d.isdigit()],
        unit_ids=[int(u) for u in unit_ids if u.isdigit()],
        audience=" ".join(draft.audience.replace(",", " ").split())[:300],
        at_risk_posting=draft.at_risk_posting,
        due_rule=draft.due_rule,
        due_days=numbers["due_days"] or 0,
        due_date=due_date,
        grace_days=numbers["grace_days"] or 0,
        validity_months=validity,
        recertification_days=numbers["recertification_days"] or 0,
        retake_on_major=draft.retake_on_major,
        active=draft.active,
    )
    return draft, Parsed({}, errors, given)


# --- Authoring ----------------------------------------------------------------------------------------


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



# --- Central administration -------------------------------------------------------------------------


def country_assessment(form: FormData, today: date) -> Parsed[AssessmentInput]:
    values = texts(form, "country", "at_risk", "source", "edition", "assessed_on", "level")
    errors: dict[str, str] = {}
    if not values["country"]:
        errors["country"] = "Select a country"
    if values["at_risk"] not in ("yes", "no"):
        errors["at_risk"] = "Select whether the source lists the country as at risk"
    if not values["source"]:
        errors["source"] = "Enter the source of the assessment, for example Early Warning Project Statistical Risk Assessment"
    assessed_on = parse_date(values["assessed_on"])
    if assessed_on is None:
        errors["assessed_on"] = "Enter the date of the assessment as a real date, for example 2025-09-03"
    elif assessed_on > today:
        errors["assessed_on"] = "The date of the assessment must be today or in the past"
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


# ---- compliance dashboards and exports: the GET parameters every view, list and export shares ----------------

from collections.abc import Mapping  # noqa: E402  (this section's own imports, kept with it)

from app.services.compliance.counts import Filters  # noqa: E402
from app.services.compliance.dashboards import SORTS, STATUSES, DashboardQuery  # noqa: E402
from app.services.compliance.exports import VIEWS  # noqa: E402


def dashboard_query(params: Mapping[str, str], today: date) -> tuple[DashboardQuery, dict[str, str]]:
    """The filters as typed values (the unit's path is the service's to find: `dashboards.with_unit_path`)."""
    errors: dict[str, str] = {}

    def number(name: str, message: str) -> int | None:
        text = (params.get(name) or "").strip()
        if text and (not text.isdigit() or int(text) < 1):
            errors[name] = message
        return int(text) if text and name not in errors else None

    on = today
    if text := (params.get("on") or "").strip():
        try:
            on = date.fromisoformat(text)
        except ValueError:
            errors["on"] = "Enter the as-at date as a real date in the format YYYY-MM-DD, for example 2026-03-31"
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
