"""Requirements (the rules): check a draft, preview what it would do, save it and recompute."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, select

from app.content.model import Library
from app.models import Assignment, Completion, Department, Official, Posting, Requirement
from app.services.audit import Actor, record
from app.services.compliance.status import AssignmentFacts, Status, effective_due, status_at
from app.services.organisation.assignments import (
    Context,
    Match,
    _completion_facts,
    _completions,
    due_on,
    load_context,
    match,
    recompute_everyone,
)
from app.services.organisation.lookups import units_in_scope
from app.services.organisation.scope import Scope


@dataclass(frozen=True)
class RequirementInput:
    """A requirement's typed values, as parsed from the form (app.web.forms.requirement)."""

    name: str
    module_id: str
    department_ids: list[int]
    unit_ids: list[int]
    audience: str
    at_risk_posting: bool
    due_rule: str
    due_days: int
    due_date: date | None
    grace_days: int
    validity_months: int | None
    recertification_days: int
    retake_on_major: bool
    active: bool


def check(session: Session, library: Library, given: RequirementInput, scope: Scope) -> dict[str, str]:
    """Errors, keyed by field, for a module or departments that do not exist, or units not in `scope`."""
    errors: dict[str, str] = {}
    if library.get(given.module_id) is None:
        errors["module_id"] = "Select a module"
    known = set(session.exec(select(Department.id)))
    if any(d not in known for d in given.department_ids):
        errors["department_ids"] = "Select departments from the list"
    if given.unit_ids:
        offered = {unit.id for group in units_in_scope(session, scope) for unit in group.units}
        if not set(given.unit_ids) <= offered:  # a unit that does not exist, or one outside the user's scope
            errors["unit_ids"] = "Select units from the list"
    return errors


def build(given: RequirementInput) -> Requirement:
    """A Requirement (not yet saved) from checked values."""
    return Requirement(
        name=given.name,
        module_id=given.module_id,
        department_ids=" ".join(str(d) for d in sorted(given.department_ids)),
        unit_ids=" ".join(str(u) for u in given.unit_ids),
        audience=given.audience,
        at_risk_posting=given.at_risk_posting,
        due_rule=given.due_rule,
        due_days=given.due_days,
        due_date=given.due_date,
        grace_days=given.grace_days,
        validity_months=given.validity_months,
        recertification_days=given.recertification_days,
        retake_on_major=given.retake_on_major,
        active=given.active,
    )


def get(session: Session, requirement_id: int) -> Requirement | None:
    return session.get(Requirement, requirement_id)


@dataclass
class DepartmentImpact:
    """One department's line in the preview: who the requirement assigns now and once saved, and of those
    assigned once saved, what their training would be the day it is saved."""

    department: str
    now: int = 0  # officials this requirement assigns today (0 for a new one)
    after: int = 0  # officials it would assign once saved, of whom:
    done: int = 0  # trained already (a completion that counts) or exempt
    due_now: int = 0  # overdue, or due on the day it is saved
    not_yet_due: int = 0  # due later


def preview(session: Session, candidate: Requirement, existing: Requirement | None, today: date) -> list[DepartmentImpact]:
    """How many officials the requirement would assign, by department, before and after the change, and when
    their training would fall due: computed as saving would (due dates from the day each is assigned, a new
    assignment today), without saving anything."""
    ctx = load_context(session, today)
    ctx.requirements = []
    postings: dict[int, list[Posting]] = {}
    for posting in session.exec(select(Posting)):
        postings.setdefault(posting.official_id, []).append(posting)
    kept: dict[int, Assignment] = {}
    if existing is not None and existing.id is not None:
        kept = {a.official_id: a for a in session.exec(select(Assignment).where(Assignment.requirement_id == existing.id))}
    names = {d.id: d.code for d in session.exec(select(Department))}
    impact = {code: DepartmentImpact(code) for code in sorted(names.values())}
    officials = list(session.exec(select(Official).where(Official.active.is_(True))))
    completions = _completions(session, [o.id for o in officials]) if candidate.active else {}
    for official in officials:
        code = names.get(official.department_id, "No department")
        row = impact.setdefault(code, DepartmentImpact(code))
        own = postings.get(official.id, [])
        if existing is not None and existing.active and match(existing, official, own, ctx) is not None:
            row.now += 1
        found = match(candidate, official, own, ctx) if candidate.active else None
        if found is None:
            continue
        row.after += 1
        facts = _facts_once_saved(candidate, found, kept.get(official.id), completions.get(official.id, []), ctx)
        status = status_at(facts, today)
        if status in (Status.COMPLIANT, Status.EXEMPT):
            row.done += 1
        elif effective_due(facts, today) <= today:
            row.due_now += 1
        else:
            row.not_yet_due += 1
    return list(impact.values())


def _facts_once_saved(candidate: Requirement, found: Match, assignment: Assignment | None,
                      completions: list[tuple[Completion, int]], ctx: Context) -> AssignmentFacts:
    """The assignment saving would leave: an active one keeps its assigned date, extension and exemption."""
    current = assignment if assignment is not None and assignment.active else None
    assigned = current.assigned_on if current is not None else ctx.today
    _, completed, expires, retake_due = _completion_facts(candidate, completions, ctx)
    due = due_on(candidate, assigned, found)
    if retake_due is not None:
        due = max(due, retake_due)
    return AssignmentFacts(assigned, due, None, current.extended_to if current else None, completed, expires,
                           current.exempt_until if current else None, candidate.recertification_days)


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
