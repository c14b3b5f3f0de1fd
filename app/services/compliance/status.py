"""Compliance status as at a date, exactly as DESIGN.md defines it. Every screen, export and API uses this."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

EXPIRING_SOON_DAYS = 30


class Status(StrEnum):
    """An assignment's status at a date; `label` is the dashboards' word, `learner_label` the official's own."""

    label: str
    learner_label: str

    def __new__(cls, value: str, label: str, learner_label: str) -> Status:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        member.learner_label = learner_label
        return member

    EXEMPT = "exempt", "Exempt", "Exempt"
    COMPLIANT = "compliant", "Compliant", "Complete"
    OVERDUE = "overdue", "Overdue", "Overdue"
    NOT_YET_DUE = "not-yet-due", "Not yet due", "To do"


class LabelledStrEnum(StrEnum):
    """A StrEnum whose members are written `NAME = "value", "Label"` and carry `.label`."""

    label: str

    def __new__(cls, value: str, label: str) -> LabelledStrEnum:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member


class ListStatus(LabelledStrEnum):
    """Which assignments a list of officials shows: all of them, those of one status, or those expiring soon."""

    ASSIGNED = "assigned", "Assigned"
    EXEMPT = Status.EXEMPT.value, Status.EXEMPT.label
    COMPLIANT = Status.COMPLIANT.value, Status.COMPLIANT.label
    OVERDUE = Status.OVERDUE.value, Status.OVERDUE.label
    NOT_YET_DUE = Status.NOT_YET_DUE.value, Status.NOT_YET_DUE.label
    EXPIRING_SOON = "expiring-soon", "Expiring soon"


@dataclass(frozen=True)
class AssignmentFacts:
    """The stored facts of one assignment that its status depends on."""

    assigned_on: date
    due_on: date
    ended_on: date | None = None
    extended_to: date | None = None
    completed_on: date | None = None
    expires_on: date | None = None
    exempt_until: date | None = None
    recertification_days: int = 0


def add_months(day: date, months: int) -> date:
    """The same day `months` later, clamped to the month's end (31 January + 1 month = 28/29 February)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def is_assigned(facts: AssignmentFacts, on: date) -> bool:
    """Active at `on`: made on or before it and not ended by then."""
    return facts.assigned_on <= on and (facts.ended_on is None or facts.ended_on > on)


def effective_due(facts: AssignmentFacts, on: date) -> date:
    """The due date that applies at `on`: an extension wins; after an expiry, the expiry date."""
    due = facts.extended_to or facts.due_on
    if facts.expires_on is not None and facts.completed_on is not None and facts.expires_on <= on:
        due = max(due, facts.expires_on)
    return due


def status_at(facts: AssignmentFacts, on: date) -> Status | None:
    """Exempt, compliant, overdue or not yet due at `on`; None when not assigned at `on`."""
    if not is_assigned(facts, on):
        return None
    if facts.exempt_until is not None and facts.exempt_until >= on:
        return Status.EXEMPT
    if facts.completed_on is not None and facts.completed_on <= on and (
        facts.expires_on is None or facts.expires_on > on
    ):
        return Status.COMPLIANT
    if effective_due(facts, on) < on:
        return Status.OVERDUE
    return Status.NOT_YET_DUE


def expiring_soon(facts: AssignmentFacts, on: date) -> bool:
    """Compliant and expiring within 30 days, or within the recertification window if that is longer."""
    if status_at(facts, on) != Status.COMPLIANT or facts.expires_on is None:
        return False
    return facts.expires_on <= on + timedelta(days=max(EXPIRING_SOON_DAYS, facts.recertification_days))
