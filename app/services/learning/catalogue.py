"""What an official sees in "Your training" and on a module's page: each module with its one status.

`learner_status` is the only place a learner's status for a module is decided: "Your training" (both tables)
and the module's page show what it says, so a failed attempt reads "Failed" on both."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from sqlmodel import Session, select

from app import clock
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
    DUE_AGAIN = "due-again", "Due again"  # required, passed before, and that pass has expired
    EXEMPT = "exempt", "Exempt"


def learner_status(progress: TrainingStatus, required: Status | None) -> TrainingStatus:
    """The learner's status for a module: their progress, unless a requirement's status says more.

    Required and compliant reads "Passed" (even when the completion was recorded elsewhere); exempt reads
    "Exempt"; required again after an expired pass reads "Due again". Whether it is overdue is said beside
    the due date, so the status itself stays the same everywhere."""
    if required == Status.EXEMPT:
        return TrainingStatus.EXEMPT
    if required == Status.COMPLIANT:
        return TrainingStatus.PASSED
    if required is not None and progress == TrainingStatus.PASSED:
        return TrainingStatus.DUE_AGAIN
    return progress


@dataclass(frozen=True)
class ModuleEntry:
    module: Module
    status: TrainingStatus  # from learner_status
    open_attempt_id: int | None
    last_percent: int | None
    attempts: int
    due_on: date | None = None  # when the module is required: the due date that applies
    overdue: bool = False

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
    status: Status  # the requirement's (compliance) status, for ordering and the due column
    expires_on: date | None
    expiring_soon: bool
    reason: str
    progress: ModuleEntry  # progress.status is the learner's status, as on the module's page


@dataclass(frozen=True)
class YourTraining:
    required: list[RequiredEntry]
    optional: list[ModuleEntry]


def your_training(session: Session, official: Official, library: Library, today: date) -> YourTraining:
    """Required modules first (most urgent first), then every other module the library serves."""
    entries = {entry.module.id: entry for entry in training_for(session, official, library)}
    required: list[RequiredEntry] = []
    for assignment, requirement in _assignments(session, official):
        entry = entries.get(requirement.module_id)
        if entry is None:
            continue  # the module is not being served (removed, or broken): nothing to take
        facts = facts_of(assignment, requirement)
        status = status_at(facts, today) or Status.NOT_YET_DUE
        entry = _required(entry, facts, status, today)  # a module required twice: each row its own status
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


def _assignments(session: Session, official: Official, module_id: str | None = None) -> list[tuple[Assignment, Requirement]]:
    query = (
        select(Assignment, Requirement)
        .join(Requirement, Requirement.id == Assignment.requirement_id)
        .where(Assignment.official_id == official.id, Assignment.active.is_(True))
    )
    if module_id is not None:
        query = query.where(Requirement.module_id == module_id)
    return list(session.exec(query).all())


def _required(entry: ModuleEntry, facts: AssignmentFacts, status: Status, today: date) -> ModuleEntry:
    """The entry of a module required of the official: its status from learner_status, and its due date."""
    return replace(entry, status=learner_status(entry.status, status), due_on=effective_due(facts, today),
                   overdue=status == Status.OVERDUE)


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


def entry_for(session: Session, official: Official, module: Module, today: date | None = None) -> ModuleEntry:
    """One module's entry, with the same status "Your training" shows for it (as at `today`, default today)."""
    today = today or clock.today()
    attempts = session.exec(
        select(Attempt).where(Attempt.official_id == official.id, Attempt.module_id == module.id).order_by(Attempt.id)
    ).all()
    passed = session.exec(
        select(Completion.id).where(Completion.official_id == official.id, Completion.module_id == module.id)
    ).first()
    entry = _entry(module, list(attempts), passed is not None)
    urgency = {Status.OVERDUE: 0, Status.NOT_YET_DUE: 1, Status.COMPLIANT: 2, Status.EXEMPT: 3}
    required = [(facts, status_at(facts, today) or Status.NOT_YET_DUE)
                for facts in (facts_of(a, r) for a, r in _assignments(session, official, module.id))]
    if not required:
        return entry
    facts, status = min(required, key=lambda item: (urgency[item[1]], effective_due(item[0], today)))
    return _required(entry, facts, status, today)


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
