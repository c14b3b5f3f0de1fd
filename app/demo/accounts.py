"""Demo data for `aptrain seed --demo`: one official for each role, all with the same demo password."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from app.models import Official, Role
from app.services.accounts.sessions import hash_password

DEMO_PASSWORD = "demo-password"  # development and test databases only; the seed refuses production


@dataclass(frozen=True)
class DemoAccount:
    email: str
    given_name: str
    family_name: str
    roles: tuple[Role, ...]


DEMO_ACCOUNTS = (
    DemoAccount("learner@example.gov.uk", "Amira", "Okafor", (Role.LEARNER,)),
    DemoAccount("manager@example.gov.uk", "Siobhán", "O'Brien", (Role.LEARNER, Role.MANAGER)),
    DemoAccount("dept-admin@example.gov.uk", "Tomasz", "Nowak", (Role.LEARNER, Role.DEPARTMENT_ADMIN)),
    DemoAccount("central-admin@example.gov.uk", "Priya", "Raman", (Role.LEARNER, Role.CENTRAL_ADMIN)),
    DemoAccount("author@example.gov.uk", "Nguyễn", "Thảo", (Role.LEARNER, Role.AUTHOR)),
)


def seed_demo(session: Session) -> list[DemoAccount]:
    """Create the demo officials that do not exist yet; safe to run again."""
    password_hash = hash_password(DEMO_PASSWORD)
    for account in DEMO_ACCOUNTS:
        existing = session.exec(select(Official).where(Official.email == account.email)).first()
        if existing is None:
            session.add(
                Official(
                    email=account.email,
                    given_name=account.given_name,
                    family_name=account.family_name,
                    roles=" ".join(r.value for r in account.roles),
                    password_hash=password_hash,
                )
            )
    session.flush()
    return list(DEMO_ACCOUNTS)
