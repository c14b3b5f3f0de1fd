"""Managers' and admins' forms: postings, extensions and exemptions, requirements."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from starlette.datastructures import FormData

from app.models import DueRule
from app.services.organisation.requirements import RequirementInput
from app.web.forms.common import Parsed, date_values, parse_date_input, parse_int, texts
from app.web.params import bounded_id


@dataclass(frozen=True)
class PostingInput:
    country_code: str
    post: str
    start_on: date
    end_on: date | None


def posting(form: FormData) -> Parsed[PostingInput]:
    values = texts(form, "country", "post")
    errors = {}
    if not values["country"]:
        errors["country"] = "Select the country of the posting"
    if not values["post"]:
        errors["post"] = "Enter the post, for example British Embassy Khartoum"
    start = parse_date_input(form, "start_on", "Start date")
    end = parse_date_input(form, "end_on", "End date", required=False)
    values |= start.values | end.values
    errors |= start.errors | end.errors
    start_on, end_on = start.value, end.value
    if start_on and end_on and end_on < start_on:
        errors["end_on-day"] = "End date must be the same as or after the start date"
    if errors:
        return Parsed(values, errors)
    return Parsed(values, data=PostingInput(values["country"], values["post"][:200], start_on, end_on))


def posting_end(form: FormData, posting_id: int) -> Parsed[date]:
    values = texts(form, "official_id")
    end = parse_date_input(form, "end_on", "Last day of the posting", field_id=f"end-on-{posting_id}")
    values |= end.values
    if end.errors:
        return Parsed(values, end.errors)
    return Parsed(values, data=end.value)


@dataclass(frozen=True)
class GrantInput:
    reason: str
    comment: str
    until: date


def grant(form: FormData, kind: str, assignment_id: int, reasons: dict[str, str], today: date) -> Parsed[GrantInput]:
    """An extension (`kind` "extension") or an exemption ("exemption") of one assignment."""
    values = texts(form, "official_id", "reason", "comment")
    errors = {}
    if values["reason"] not in reasons:
        errors[f"{kind}-reason-{assignment_id}"] = "Select a reason"
    if not values["comment"]:
        errors[f"{kind}-comment-{assignment_id}"] = "Enter a comment explaining the decision"
    label = "New due date" if kind == "extension" else "Exempt until date"
    given = parse_date_input(form, "until", label, field_id=f"{kind}-until-{assignment_id}")
    values |= given.values
    errors |= given.errors
    until = given.value
    if until is not None and until < today:
        errors[f"{kind}-until-{assignment_id}-day"] = f"{label} must be today or in the future"
    if errors:
        return Parsed(values, errors)
    return Parsed(values, data=GrantInput(values["reason"], values["comment"][:2000], until))


REQUIREMENT_TEXTS = ("name", "module_id", "audience", "due_rule", "due_days", "grace_days", "validity_months",
                     "recertification_days")


@dataclass
class RequirementForm:
    """A requirement as typed into the form (strings), to show it again."""

    name: str = ""
    module_id: str = ""
    department_ids: list[str] = field(default_factory=list)
    unit_ids: list[str] = field(default_factory=list)
    audience: str = ""
    at_risk_posting: bool = False
    due_rule: str = DueRule.ASSIGNMENT.value
    due_days: str = "30"
    due_date: dict[str, str] = field(default_factory=lambda: date_values("due_date", None))  # the date input's boxes
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
            unit_ids=requirement.unit_ids.split(),
            audience=requirement.audience,
            at_risk_posting=requirement.at_risk_posting,
            due_rule=requirement.due_rule,
            due_days=str(requirement.due_days),
            due_date=date_values("due_date", requirement.due_date),
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
        unit_ids=[str(v) for v in form.getlist("unit_ids")],
        at_risk_posting=form.get("at_risk_posting") == "yes",
        retake_on_major=form.get("retake_on_major") == "yes",
        active=form.get("active", "yes") == "yes",
    )
    errors: dict[str, str] = {}
    if not draft.name.strip():
        errors["name"] = "Enter a name for the requirement"
    if not all(bounded_id(d) for d in draft.department_ids):
        errors["department_ids"] = "Select departments from the list"
    if not all(bounded_id(u) for u in draft.unit_ids):
        errors["unit_ids"] = "Select units from the list"
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
    fixed = parse_date_input(form, "due_date", "Fixed due date", required=draft.due_rule == DueRule.FIXED)
    draft.due_date = fixed.values
    due_date = fixed.value if draft.due_rule == DueRule.FIXED else None
    if draft.due_rule == DueRule.FIXED or not fixed.empty:
        errors |= fixed.errors
    given = RequirementInput(
        name=draft.name.strip()[:200],
        module_id=draft.module_id,
        department_ids=[n for d in draft.department_ids if (n := bounded_id(d))],
        unit_ids=[n for u in draft.unit_ids if (n := bounded_id(u))],
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
