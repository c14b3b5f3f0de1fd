"""Mandatory training: requirements (rules), the assignments they make, exemptions, extensions, audit."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.clock import utcnow
from app.models.types import UTCDateTime


class DueRule(StrEnum):
    POSTING = "posting"  # days relative to the posting's start (negative = before arrival)
    ASSIGNMENT = "assignment"  # days after the assignment is made
    FIXED = "fixed"  # a fixed date


class Requirement(SQLModel, table=True):
    """A rule: one module, who it applies to, when it is due and how long a completion lasts."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    module_id: str = Field(max_length=100, index=True)
    # Who: all of these that are set must hold (empty = no condition of that kind).
    department_ids: str = Field(default="", max_length=500)  # space-separated Department ids
    unit_ids: str = Field(default="", max_length=1000)  # space-separated Unit ids (each with its subtree)
    audience: str = Field(default="", max_length=300)  # space-separated tags or roles; any one matches
    at_risk_posting: bool = False  # posted (now or in future) to a country some source flags as at risk
    due_rule: str = Field(default=DueRule.ASSIGNMENT.value, max_length=20)
    due_days: int = 30
    due_date: date | None = None
    grace_days: int = 30  # when a country is flagged after arrival: due no earlier than flag date + grace
    validity_months: int | None = None  # None = a completion never expires
    recertification_days: int = 30  # the window before expiry in which a new attempt counts
    retake_on_major: bool = True  # a new major module version asks for a retake
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


_ROLLOVER_DATES = ("assigned_on", "ended_on", "due_on", "extended_to", "completed_on", "expires_on", "exempt_until")


class Assignment(SQLModel, table=True):
    """One per (official, requirement), kept current. Ending one never deletes it."""

    __table_args__ = (
        UniqueConstraint("official_id", "requirement_id", name="uq_assignment"),
        Index("ix_assignment_requirement_active", "requirement_id", "active"),
        # The daily rollover of the maintained counts finds the assignments whose dates it crosses by these.
        *(Index(f"ix_assignment_{column}", column) for column in _ROLLOVER_DATES),
    )

    id: int | None = Field(default=None, primary_key=True)
    official_id: int = Field(foreign_key="official.id", index=True)
    requirement_id: int = Field(foreign_key="requirement.id")
    active: bool = True
    assigned_on: date
    due_on: date
    extended_to: date | None = None
    posting_id: int | None = Field(default=None, foreign_key="posting.id")
    reason: str = Field(default="", max_length=500)  # why it applies, in words the official reads
    completion_id: int | None = Field(default=None, foreign_key="completion.id")
    completed_on: date | None = None
    expires_on: date | None = None
    exempt_until: date | None = None  # the latest valid exemption's end
    ended_on: date | None = None
    ended_reason: str = Field(default="", max_length=300)
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    # The compliance_count row this assignment is counted in today (None: not counted), kept by
    # app.services.compliance.maintained in the transaction of every write.
    counted_in: int | None = None


class Exemption(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    assignment_id: int = Field(foreign_key="assignment.id", index=True)
    reason: str = Field(max_length=100)
    comment: str = Field(max_length=2000)
    valid_until: date
    granted_by_id: int | None = Field(default=None, foreign_key="official.id")
    granted_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))


class Extension(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    assignment_id: int = Field(foreign_key="assignment.id", index=True)
    new_due_on: date
    reason: str = Field(max_length=100)
    comment: str = Field(default="", max_length=2000)
    granted_by_id: int | None = Field(default=None, foreign_key="official.id")
    granted_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class AuditEvent(SQLModel, table=True):
    """Append-only: who changed what, when, before and after. Never updated or deleted by the application."""

    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False, index=True))
    actor_id: int | None = Field(default=None, foreign_key="official.id")
    actor_label: str = Field(max_length=200)  # the person's name, or "import roster.csv"
    action: str = Field(max_length=60)  # e.g. posting.create, risk.flag, requirement.update
    entity: str = Field(max_length=60)
    entity_id: str = Field(max_length=60)
    before: str | None = Field(default=None, sa_column=Column(Text, nullable=True))  # JSON
    after: str | None = Field(default=None, sa_column=Column(Text, nullable=True))  # JSON
