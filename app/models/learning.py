"""Module versions served, learners' attempts and their events, and completions."""

from __future__ import annotations

import secrets
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Index, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.clock import utcnow
from app.models.types import UTCDateTime


class ModuleVersion(SQLModel, table=True):
    """A module version (id, semver, content hash) as first served; attempts point at it."""

    __tablename__ = "module_version"
    __table_args__ = (UniqueConstraint("module_id", "version", "content_hash", name="uq_module_version"),)

    id: int | None = Field(default=None, primary_key=True)
    module_id: str = Field(max_length=100, index=True)
    version: str = Field(max_length=40)
    content_hash: str = Field(max_length=64)
    title: str = Field(max_length=200)
    max_score: int
    pass_mark: int
    # The module file's text as served, so an attempt can finish on the version it started on.
    source: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    first_served_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class AttemptState(StrEnum):
    SCENE = "scene"  # a decision point is shown, waiting for a choice
    FEEDBACK = "feedback"  # a choice was made; its feedback is shown
    ENDING = "ending"  # an ending is shown
    CHECK = "check"  # the knowledge check is shown
    FINISHED = "finished"


class Attempt(SQLModel, table=True):
    """One official's run through one module version. `step` increases with every move."""

    __table_args__ = (Index("ix_attempt_official_module", "official_id", "module_id"),)

    id: int | None = Field(default=None, primary_key=True)
    official_id: int = Field(foreign_key="official.id")
    module_id: str = Field(max_length=100)
    module_version_id: int = Field(foreign_key="module_version.id")
    state: str = Field(default=AttemptState.SCENE.value, max_length=20)
    current_scene: str = Field(max_length=100)
    pending_choice: str | None = Field(default=None, max_length=100)
    step: int = 0
    path_score: int = 0
    score: int | None = None
    max_score: int
    percent: int | None = None
    passed: bool | None = None
    started_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    finished_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))


class EventKind(StrEnum):
    STARTED = "started"
    SCENE_SHOWN = "scene-shown"
    CHOICE_MADE = "choice-made"
    ANSWER_GIVEN = "answer-given"
    REWOUND = "rewound"  # back from a poor ending to the decision that led there; that choice's points no longer count
    FINISHED = "finished"


class AttemptEvent(SQLModel, table=True):
    """Something that happened in an attempt: the raw material for analytics and xAPI."""

    __tablename__ = "attempt_event"
    __table_args__ = (UniqueConstraint("attempt_id", "seq", name="uq_attempt_event_seq"),)

    id: int | None = Field(default=None, primary_key=True)
    attempt_id: int = Field(foreign_key="attempt.id", index=True)
    seq: int
    kind: str = Field(max_length=20)
    scene_id: str | None = Field(default=None, max_length=100)
    choice_id: str | None = Field(default=None, max_length=100)
    question_id: str | None = Field(default=None, max_length=100)
    answer: str | None = Field(default=None, sa_column=Column(Text, nullable=True))  # option keys, space-separated
    correct: bool | None = None
    score: int | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


# Crockford's base32 (no I, L, O or U: nothing to misread on paper). 20 characters = 100 random bits.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 20


def new_verification_code() -> str:
    """A certificate's verification code: random and unguessable (100 bits), stored without hyphens."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


class Completion(SQLModel, table=True):
    """A passed attempt: the record that counts for compliance, and its certificate's verification code."""

    id: int | None = Field(default=None, primary_key=True)
    official_id: int = Field(foreign_key="official.id", index=True)
    attempt_id: int = Field(foreign_key="attempt.id", unique=True)
    module_id: str = Field(max_length=100, index=True)
    module_version: str = Field(max_length=40)
    content_hash: str = Field(max_length=64)
    score: int
    percent: int
    completed_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    # Given to every new row (ORM and bulk inserts alike, by the column default); nullable in the schema only
    # because SQLite cannot add a NOT NULL column without rebuilding the table (migration 0010 fills old rows).
    verification_code: str | None = Field(
        default_factory=new_verification_code,
        sa_column=Column(String(CODE_LENGTH), nullable=True, unique=True, index=True, default=new_verification_code),
    )
