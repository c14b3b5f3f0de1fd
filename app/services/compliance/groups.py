"""The names of the groups compliance figures are counted by (department code, unit name, country name)."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session

from app.models import Country, Department, Unit


def group_labels(session: Session, by: str | None) -> dict:
    """{group key: its name} for grouping by department, unit or country; {} for module (its id is its name)."""
    if by == "department":
        return dict(session.execute(select(Department.id, Department.code)).all())
    if by == "unit":
        return dict(session.execute(select(Unit.id, Unit.full_name)).all())
    if by == "country":
        return dict(session.execute(select(Country.code, Country.name)).all())
    return {}
