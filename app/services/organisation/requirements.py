"""Requirements (the rules): check a draft, preview what it would do, save it and recompute."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session, select

from app.content.model import Library
from app.models import Department, DueRule, Official, Posting, Requirement, Unit
from app.services.organisation.assignments import load_context, match, recompute_everyone
from app.services.audit import Actor, record
from app.services.forms import parse_date


@dataclass
class RequirementDraft:
    """A requirement as typed into the form, before it is checked."""

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
    def of(cls, requirement: Requirement) -> "RequirementDraft":
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


def check(session: Session, library: Library, draft: RequirementDraft) -> tuple[dict[str, str], Requirement | None]:
    """Errors keyed by field, or a Requirement (not yet saved) built from the draft."""
    errors: dict[str, str] = {}
    if not draft.name.strip():
        errors["name"] = "Enter a name for the requirement"
    if library.get(draft.module_id) is None:
        errors["module_id"] = "Select a module"
    known = {str(d.id) for d in session.exec(select(Department))}
    if any(d not in known for d in draft.department_ids):
        errors["department_ids"] = "Select departments from the list"
    unit_ids = draft.unit_ids.replace(",", " ").split()
    if unit_ids and (not all(u.isdigit() for u in unit_ids) or
                     len(session.exec(select(Unit.id).where(Unit.id.in_([int(u) for u in unit_ids if u.isdigit()]))).all()) != len(unit_ids)):
        errors["unit_ids"] = "Enter unit numbers that exist, separated by spaces"
    if draft.due_rule not in {r.value for r in DueRule}:
        errors["due_rule"] = "Select when the training is due"
    numbers = {}
    for name, low, high, label in (("due_days", -365, 3650, "Days"), ("grace_days", 0, 365, "Grace days"),
                                   ("recertification_days", 0, 365, "Recertification window")):
        value = _int(getattr(draft, name))
        if value is None or not low <= value <= high:
            errors[name] = f"{label} must be a whole number from {low} to {high}"
        numbers[name] = value
    validity = None
    if draft.validity_months.strip():
        validity = _int(draft.validity_months)
        if validity is None or not 1 <= validity <= 120:
            errors["validity_months"] = "Validity must be a whole number of months from 1 to 120, or empty for never"
    due_date = None
    if draft.due_rule == DueRule.FIXED:
        due_date = parse_date(draft.due_date)
        if due_date is None:
            errors["due_date"] = "Enter the due date as a real date, for example 2027-03-31"
    if errors:
        return errors, None
    return {}, Requirement(
        name=draft.name.strip()[:200],
        module_id=draft.module_id,
        department_ids=" ".join(sorted(draft.department_ids, key=int)),
        unit_ids=" ".join(unit_ids),
        audience=" ".join(draft.audience.replace(",", " ").split())[:300],
        at_risk_posting=draft.at_risk_posting,
        due_rule=draft.due_rule,
        due_days=numbers["due_days"],
        due_date=due_date,
        grace_days=numbers["grace_days"],
        validity_months=validity,
        recertification_days=numbers["recertification_days"],
        retake_on_major=draft.retake_on_major,
        active=draft.active,
    )


def _int(text: str) -> int | None:
    try:
        return int(str(text).strip())
    except ValueError:
        return None


@dataclass(frozen=True)
class DepartmentImpact:
    department: str
    now: int  # officials this requirement assigns today (0 for a new one)
    after: int  # officials it would assign once saved


def preview(session: Session, candidate: Requirement, existing: Requirement | None, today: date) -> list[DepartmentImpact]:
    """How many officials the requirement would assign, by department, before and after the change."""
    ctx = load_context(session, today)
    ctx.requirements = []
    postings: dict[int, list[Posting]] = {}
    for posting in session.exec(select(Posting)):
        postings.setdefault(posting.official_id, []).append(posting)
    names = {d.id: d.code for d in session.exec(select(Department))}
    counts: dict[str, list[int]] = {code: [0, 0] for code in sorted(names.values())}
    for official in session.exec(select(Official).where(Official.active.is_(True))):
        code = names.get(official.department_id, "No department")
        counts.setdefault(code, [0, 0])
        own = postings.get(official.id, [])
        if existing is not None and existing.active and match(existing, official, own, ctx) is not None:
            counts[code][0] += 1
        if candidate.active and match(candidate, official, own, ctx) is not None:
            counts[code][1] += 1
    return [DepartmentImpact(code, now, after) for code, (now, after) in counts.items()]


def save(session: Session, actor: Actor, candidate: Requirement, existing: Requirement | None, today: date) -> Requirement:
    """Create or update the requirement, audit it, and recompute every official's assignments."""
    if existing is None:
        session.add(candidate)
        session.flush()
        record(session, actor, "requirement.create", "requirement", candidate.id, after=candidate)
        saved = candidate
    else:
        before = existing.model_dump()
        for name, value in candidate.model_dump(exclude={"id", "created_at"}).items():
            setattr(existing, name, value)
        session.add(existing)
        session.flush()
        record(session, actor, "requirement.update", "requirement", existing.id, before=before, after=existing)
        saved = existing
    recompute_everyone(session, today)
    return saved
