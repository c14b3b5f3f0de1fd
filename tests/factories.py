"""Plain factory functions for tests: make_official(session, **overrides)."""

from __future__ import annotations

import itertools

from sqlmodel import Session

from app.models import Official
from app.services.accounts.sessions import hash_password

PASSWORD = "correct horse battery staple"
_counter = itertools.count(1)
_password_hash = None


def make_official(session: Session, **overrides) -> Official:
    global _password_hash
    if _password_hash is None:
        _password_hash = hash_password(PASSWORD)
    n = next(_counter)
    values = {
        "email": f"official{n}@example.gov.uk",
        "given_name": "Test",
        "family_name": f"Official {n}",
        "roles": "learner",
        "password_hash": _password_hash,
    }
    values.update(overrides)
    official = Official(**values)
    session.add(official)
    session.commit()
    session.refresh(official)
    return official


def make_department(session: Session, code: str = "FCDO", name: str | None = None):
    from app.models import Department

    department = Department(code=code, name=name or code)
    session.add(department)
    session.commit()
    session.refresh(department)
    return department


def make_unit(session: Session, department, name: str, parent=None):
    from app.models import Unit

    full_name = f"{parent.full_name} / {name}" if parent else name
    unit = Unit(department_id=department.id, parent_id=parent.id if parent else None, name=name, full_name=full_name, path="")
    session.add(unit)
    session.flush()
    unit.path = (parent.path if parent else "/") + f"{unit.id}/"
    session.commit()
    session.refresh(unit)
    return unit


def make_requirement(session: Session, **overrides):
    from app.models import Requirement

    values = {"name": "Pre-deployment training", "module_id": "checkpoint-visit"}
    values.update(overrides)
    requirement = Requirement(**values)
    session.add(requirement)
    session.commit()
    session.refresh(requirement)
    return requirement


def make_posting(session: Session, official, country_code: str, start_on, end_on=None, post: str = "British Embassy"):
    from app.models import Posting

    posting = Posting(official_id=official.id, country_code=country_code, post=post, start_on=start_on, end_on=end_on)
    session.add(posting)
    session.commit()
    session.refresh(posting)
    return posting
