"""The outbox: every message the service sends (an email, an xAPI statement) is a row written in the same
transaction as the change that causes it, and delivered afterwards by `aptrain worker`."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Index, Text
from sqlmodel import Field, SQLModel

from app.clock import utcnow
from app.models.types import UTCDateTime


class OutboxStatus(StrEnum):
    QUEUED = "queued"  # waiting for next_attempt_at
    SENDING = "sending"  # claimed by a worker until claimed_until
    SENT = "sent"
    FAILED = "failed"  # a permanent failure (kept with its reason); an admin may queue it again


class OutboxMessage(SQLModel, table=True):
    """One message to deliver once. `key` is its idempotency key: a second message with the same key is
    never written (app.services.outbox.enqueue)."""

    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_status_next_attempt", "status", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=20)  # "email" | "xapi"
    key: str = Field(max_length=200, unique=True)
    payload: str = Field(sa_column=Column(Text, nullable=False))  # JSON
    status: str = Field(default=OutboxStatus.QUEUED.value, max_length=10)
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    sent_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    claimed_by: str | None = Field(default=None, max_length=100)
    claimed_until: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
