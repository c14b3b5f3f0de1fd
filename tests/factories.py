"""Plain factory functions for tests: make_official(session, **overrides)."""

from __future__ import annotations

import itertools

from sqlmodel import Session

from app.models import Official
from app.services.accounts import hash_password

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
