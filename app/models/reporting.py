"""Reporting: nightly compliance snapshots (for trends) and API tokens for departmental systems."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.clock import utcnow
from app.models.types import UTCDateTime


class ComplianceSnapshot(SQLModel, table=True):
    """The counts for one (unit, module) on one day. `aptrain snapshot` replaces a day's rows, so it is safe to rerun."""

    __tablename__ = "compliance_snapshot"
    __table_args__ = (Index("ix_snapshot_day_unit", "day", "unit_id"),)

    id: int | None = Field(default=None, primary_key=True)
    day: date
    department_id: int | None = Field(default=None, foreign_key="department.id")
    unit_id: int | None = Field(default=None, foreign_key="unit.id")
    unit_path: str = Field(default="", max_length=400)
    module_id: str = Field(max_length=100)
    # The six figures, named and ordered as app.services.compliance.counts.Counts.FIELDS (a test holds it).
    assigned: int = 0
    exempt: int = 0
    compliant: int = 0
    overdue: int = 0
    not_yet_due: int = 0
    expiring_soon: int = 0
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class ComplianceCount(SQLModel, table=True):
    """How many assignments are in one bucket today: (department, unit, unit path, requirement, country of
    posting and post, status, expiring soon). Kept in the transaction of every assignment write and rolled over each
    day (app.services.compliance.maintained); 0 and "" stand for no department, unit or country."""

    __tablename__ = "compliance_count"
    __table_args__ = (
        UniqueConstraint("department_id", "unit_id", "unit_path", "requirement_id", "country_code", "post", "status",
                         "expiring_soon", name="uq_compliance_count_key"),
        Index("ix_compliance_count_unit_path", "unit_path"),
    )

    id: int | None = Field(default=None, primary_key=True)
    department_id: int = 0
    unit_id: int = 0
    unit_path: str = Field(default="", max_length=400)
    requirement_id: int
    country_code: str = Field(default="", max_length=2)
    post: str = Field(default="", max_length=200)  # the posting's post, so a dashboard lists posts per country
    status: str = Field(max_length=20)
    expiring_soon: bool = False
    n: int = 0


class ComplianceCountState(SQLModel, table=True):
    """The one row saying which day the compliance_count table is current for (None: to be built)."""

    __tablename__ = "compliance_count_state"

    id: int = Field(default=1, primary_key=True)
    current_on: date | None = None
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class ApiToken(SQLModel, table=True):
    """A departmental system's access to /api/v1, limited to a scope. Only the token's SHA-256 is stored."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    prefix: str = Field(max_length=12)  # the first characters, so people can tell tokens apart
    everything: bool = False
    department_id: int | None = Field(default=None, foreign_key="department.id")
    unit_path: str | None = Field(default=None, max_length=400)
    created_by_id: int | None = Field(default=None, foreign_key="official.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    last_used_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    # After this the token is refused (401); set when it is made (APTRAIN_API_TOKEN_DAYS, or shorter).
    expires_at: datetime = Field(default_factory=lambda: utcnow() + timedelta(days=365),
                                 sa_column=Column(UTCDateTime(), nullable=False))
