"""Officials, their roles and their sign-in sessions."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.clock import utcnow
from app.models.types import UTCDateTime


class Role(StrEnum):
    LEARNER = "learner"
    MANAGER = "manager"
    DEPARTMENT_ADMIN = "department-admin"
    CENTRAL_ADMIN = "central-admin"
    AUTHOR = "author"


ROLE_LABELS = {
    Role.LEARNER: "Learner",
    Role.MANAGER: "Manager",
    Role.DEPARTMENT_ADMIN: "Department admin",
    Role.CENTRAL_ADMIN: "Central admin",
    Role.AUTHOR: "Content author",
}


class OfficialBase(SQLModel):
    email: str = Field(max_length=254, unique=True, index=True)
    given_name: str = Field(max_length=100)
    family_name: str = Field(max_length=100)
    roles: str = Field(default=Role.LEARNER.value, max_length=200)  # space-separated Role values
    active: bool = True


class Official(OfficialBase, table=True):
    # A department's officials in name order: a drill-down's first page reads ~50 of them, not the department.
    __table_args__ = (Index("ix_official_department_name", "department_id", "family_name", "given_name", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    password_hash: str | None = Field(default=None, max_length=200)
    department_id: int | None = Field(default=None, foreign_key="department.id", index=True)
    unit_id: int | None = Field(default=None, foreign_key="unit.id", index=True)
    unit_path: str = Field(default="", max_length=400, index=True)  # copy of the unit's path, for subtree queries
    line_manager_id: int | None = Field(default=None, foreign_key="official.id")
    tags: str = Field(default="", max_length=300)  # audience tags, space-separated (political, trade, …)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))

    @property
    def role_set(self) -> frozenset[Role]:
        return frozenset(Role(r) for r in self.roles.split()) | {Role.LEARNER}

    def has_role(self, role: Role) -> bool:
        return role in self.role_set

    @property
    def tag_set(self) -> frozenset[str]:
        return frozenset(self.tags.split())

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"


class UserSession(SQLModel, table=True):
    """A server-side sign-in session; the cookie holds a token whose SHA-256 is `token_hash`."""

    __tablename__ = "user_session"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    official_id: int = Field(foreign_key="official.id", index=True)
    csrf_token: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    last_seen_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    user_agent: str = Field(default="", max_length=300)
    # Signed in through single sign-on: the provider's key and its ID token (the hint for its sign-out).
    sso_provider: str | None = Field(default=None, max_length=40)
    id_token: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class OfficialIdentity(SQLModel, table=True):
    """An official's account at a single sign-on provider: once linked, the provider's stable subject id (not
    the email, which can change) finds the official."""

    __tablename__ = "official_identity"
    __table_args__ = (UniqueConstraint("provider", "subject", name="uq_official_identity_provider_subject"),)

    id: int | None = Field(default=None, primary_key=True)
    provider: str = Field(max_length=40)
    subject: str = Field(max_length=255)
    official_id: int = Field(foreign_key="official.id", index=True)
    email_at_link: str = Field(default="", max_length=254)
    linked_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    last_sign_in_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))


class SignInThrottle(SQLModel, table=True):
    """Failed sign-ins counted per account (a hash of the email) and per client address, shared by every
    server process: `locked_until` refuses further attempts before any password is hashed."""

    __tablename__ = "sign_in_throttle"

    key: str = Field(primary_key=True, max_length=100)
    failures: int = 0
    last_failed_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    locked_until: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
