"""Departments, their unit trees, countries and postings: who is where."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.clock import utcnow
from app.models.types import UTCDateTime


class Department(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, unique=True, index=True)  # e.g. FCDO
    name: str = Field(max_length=200)


class Unit(SQLModel, table=True):
    """A node of a department's tree (directorate, team, post). `path` makes a subtree one prefix query."""

    __table_args__ = (UniqueConstraint("department_id", "full_name", name="uq_unit_name"),)

    id: int | None = Field(default=None, primary_key=True)
    department_id: int = Field(foreign_key="department.id", index=True)
    parent_id: int | None = Field(default=None, foreign_key="unit.id")
    name: str = Field(max_length=200)
    full_name: str = Field(max_length=1000)  # "Africa Directorate / Embassy in Varessa", unique in a department
    path: str = Field(max_length=400, index=True)  # "/<id>/<id>/" from the root down to this unit


class Country(SQLModel, table=True):
    """ISO 3166-1 countries (alpha-2 code and English name), loaded from pycountry."""

    code: str = Field(max_length=2, primary_key=True)
    name: str = Field(max_length=200)


class CountryRiskAssessment(SQLModel, table=True):
    """A source's assessment of one country. The newest row per (country, source) is current; history is kept."""

    __tablename__ = "country_risk_assessment"
    __table_args__ = (Index("ix_risk_country_source", "country_code", "source", "superseded_at"),)

    id: int | None = Field(default=None, primary_key=True)
    country_code: str = Field(max_length=2, foreign_key="country.code")
    at_risk: bool
    level: str = Field(default="", max_length=40)  # e.g. "high", or a rank such as "rank 3 of 168"
    source: str = Field(max_length=200)  # e.g. "Early Warning Project Statistical Risk Assessment"
    edition: str = Field(default="", max_length=100)  # e.g. "2025-26"
    assessed_on: date  # the source's publication date; the flag date for due dates
    set_by_id: int | None = Field(default=None, foreign_key="official.id")
    set_by_label: str = Field(default="", max_length=200)  # who or what set it: a name, or "import <file>"
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    superseded_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))


class Posting(SQLModel, table=True):
    """An official's posting to a country, current or future. `end_on` None = open-ended."""

    __table_args__ = (Index("ix_posting_country", "country_code", "start_on"),)

    id: int | None = Field(default=None, primary_key=True)
    official_id: int = Field(foreign_key="official.id", index=True)
    country_code: str = Field(max_length=2, foreign_key="country.code")
    post: str = Field(max_length=200)
    start_on: date
    end_on: date | None = None
