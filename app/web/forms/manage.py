"""Managers' and admins' forms: postings, extensions and exemptions, requirements."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from starlette.datastructures import FormData

from app.models import DueRule
from app.services.organisation.requirements import RequirementInput
from app.web.forms.common import Parsed, parse_date, parse_int, texts


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
    def of(cls, requirement) -> RequirementForm:  # a saved Requirement
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
