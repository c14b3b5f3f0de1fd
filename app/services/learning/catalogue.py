"""What an official sees in "Your training": each module with its status and estimated time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, select

from app.content.model import Library, Module
from app.models import Assignment, Attempt, Completion, Official, Requirement
from app.services.compliance.status import (
    AssignmentFacts,
    LabelledStrEnum,
    Status,
    effective_due,
    expiring_soon,
    status_at,
)
from app.services.organisation.assignments import LEARNER, reason_for


class TrainingStatus(LabelledStrEnum):
    """Where an official stands on a module, whether or not it is required of them; `label` says it in words."""

    NOT_STARTED = "not-started", "Not started"
    IN_PROGRESS = "in-progress", "In progress"
    PASSED = "passed", "Passed"
    FAILED = "failed", "Failed"


@dataclass(frozen=True)
class ModuleEntry:
    module: Module
    status: TrainingStatus
    open_attempt_id: int | None
    last_percent: int | None
    attempts: int

    @property
    def status_label(self) -> str:
        return self.status.label


def training_for(session: Session, official: Official, library: Library) -> list[ModuleEntry]:
    """Every module the library serves, with this official's status, in title order."""
    attempts = session.exec(select(Attempt).where(Attempt.official_id == official.id).order_by(Attempt.id)).all()
    passed_modules = set(session.exec(select(Completion.module_id).where(Completion.official_id == official.id)).all())
    by_module: dict[str, list[Attempt]] = {}
    for attempt in attempts:
        by_module.setdefault(attempt.module_id, []).append(attempt)
    entries = []
    for module in sorted(library.modules.values(), key=lambda m: m.title):
        entries.append(_entry(module, by_module.get(module.id, []), module.id in passed_modules))
    return entries


@dataclass(frozen=True)
class RequiredEntry:
    """A module the official must complete: when by, where they stand, and why it is required."""

    module: Module
    requirement_name: str
    due_on: date
    status: Status
    expires_on: date | None
    expiring_soon: bool
    reason: str
    progress: ModuleEntry

    @property
    def status_label(self) -> str:
        return self.status.learner_label


@dataclass(frozen=True)
class YourTraining:
    required: list[RequiredEntry]
    optional: list[ModuleEntry]


def your_training(session: Session, official: Official, library: Library, today: date) -> YourTraining:
    """Required modules first (most urgent first), then every other module the library serves."""
    entries = {entry.module.id: entry for entry in training_for(session, official, library)}
    rows = session.exec(
        select(Assignment, Requirement)
        .join(Requirement, Requirement.id == Assignment.requirement_id)
        .where(Assignment.official_id == official.id, Assignment.active.is_(True))
    ).all()
    required: list[RequiredEntry] = []
    for assignment, requirement in rows:
        entry = entries.get(requirement.module_id)
        if entry is None:
            continue  # the module is not being served (removed, or broken): nothing to take
        facts = facts_of(assignment, requirement)
        status = status_at(facts, today) or Status.NOT_YET_DUE
        required.append(
            RequiredEntry(
                module=entry.module,
                requirement_name=requirement.name,
                due_on=effective_due(facts, today),
                status=status,
                expires_on=assignment.expires_on,
                expiring_soon=expiring_soon(facts, today),
                reason=reason_for(assignment.reason, LEARNER),
                progress=entry,
            )
        )
    order = {Status.OVERDUE: 0, Status.NOT_YET_DUE: 1, Status.COMPLIANT: 2, Status.EXEMPT: 3}
    required.sort(key=lambda r: (order[r.status], r.due_on, r.module.title))
    required_ids = {r.module.id for r in required}
    optional = [e for e in entries.values() if e.module.id not in required_ids]
    return YourTraining(required=required, optional=optional)


def facts_of(assignment: Assignment, requirement: Requirement) -> AssignmentFacts:
    return AssignmentFacts(
        assigned_on=assignment.assigned_on,
        due_on=assignment.due_on,
        ended_on=assignment.ended_on,
        extended_to=assignment.extended_to,
        completed_on=assignment.completed_on,
        expires_on=assignment.expires_on,
        exempt_until=assignment.exempt_until,
        recertification_days=requirement.recertification_days,
    )


def entry_for(session: Session, official: Official, module: Module) -> ModuleEntry:
    attempts = session.exec(
        select(Attempt).where(Attempt.official_id == official.id, Attempt.module_id == module.id).order_by(Attempt.id)
    ).all()
    passed = session.exec(
        select(Completion.id).where(Completion.official_id == official.id, Completion.module_id == module.id)
    ).first()
    return _entry(module, list(attempts), passed is not None)


def _entry(module: Module, attempts: list[Attempt], passed: bool) -> ModuleEntry:
    open_attempt = next((a for a in reversed(attempts) if a.finished_at is None), None)
    finished = [a for a in attempts if a.finished_at is not None]
    last_percent = finished[-1].percent if finished else None
    if open_attempt is not None:
        status = TrainingStatus.IN_PROGRESS
    elif passed:
        status = TrainingStatus.PASSED
    elif finished:
        status = TrainingStatus.FAILED
    else:
        status = TrainingStatus.NOT_STARTED
    return ModuleEntry(
        module=module,
        status=status,
        open_attempt_id=open_attempt.id if open_attempt else None,
        last_percent=last_percent,
        attempts=len(attempts),
    )
