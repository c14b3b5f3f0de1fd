"""What an official sees in "Your training": each module with its status and estimated time."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlmodel import Session, select

from app.content.model import Library, Module
from app.models import Attempt, Completion, Official


class TrainingStatus(StrEnum):
    NOT_STARTED = "not-started"
    IN_PROGRESS = "in-progress"
    PASSED = "passed"
    FAILED = "failed"


STATUS_LABELS = {
    TrainingStatus.NOT_STARTED: "Not started",
    TrainingStatus.IN_PROGRESS: "In progress",
    TrainingStatus.PASSED: "Passed",
    TrainingStatus.FAILED: "Failed",
}


@dataclass(frozen=True)
class ModuleEntry:
    module: Module
    status: TrainingStatus
    open_attempt_id: int | None
    last_percent: int | None
    attempts: int

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


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
