"""The outbox: `enqueue` writes a message in the caller's transaction; `aptrain worker` (app.services.worker)
delivers it through the sender registered for its channel.

A sender is any object with `send(payload: dict) -> None`. It raises `TemporaryFailure` for what may work
later (a timeout, a 5xx, a 429: retried with exponential backoff and jitter) and `PermanentFailure` for
what never will (any other 4xx: the message is kept as failed, with its reason, until an admin retries it).
"""

from __future__ import annotations

import json
from typing import Protocol

from sqlalchemy import insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from app.clock import utcnow
from app.models.outbox import OutboxMessage, OutboxStatus

CHANNELS = ("email", "xapi")


class DeliveryFailure(Exception):
    """A send that did not deliver; `reason` is kept on the message (last_error)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TemporaryFailure(DeliveryFailure):
    """Worth trying again later: a timeout, a refused connection, a 5xx, a 429."""


class PermanentFailure(DeliveryFailure):
    """Will never work as it stands: a 4xx other than 429 (a bad address, a bad template, bad credentials)."""


class Sender(Protocol):
    def send(self, payload: dict) -> None: ...


_senders: dict[str, Sender] = {}


def register_sender(channel: str, sender: Sender) -> None:
    """The sender the worker uses for `channel` (replacing any registered before)."""
    _senders[channel] = sender


def unregister_sender(channel: str) -> None:
    _senders.pop(channel, None)


def sender_for(channel: str) -> Sender | None:
    return _senders.get(channel)


def registered_channels() -> list[str]:
    return sorted(_senders)


def _insert_ignoring_duplicates(dialect: str):
    table = OutboxMessage.__table__
    if dialect == "postgresql":
        return pg_insert(table).on_conflict_do_nothing(index_elements=["key"])
    if dialect == "sqlite":
        return sqlite_insert(table).on_conflict_do_nothing(index_elements=["key"])
    return insert(table)  # pragma: no cover - only SQLite and PostgreSQL are supported


def _row(channel: str, key: str, payload: dict) -> dict:
    if not key or len(key) > 200:
        raise ValueError(f"an outbox key is 1 to 200 characters: {key!r}")
    now = utcnow()
    return {
        "channel": channel,
        "key": key,
        "payload": json.dumps(payload, sort_keys=True, default=str),
        "status": OutboxStatus.QUEUED.value,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }


def enqueue(session: Session, channel: str, key: str, payload: dict) -> bool:
    """Write a message to the outbox in the caller's transaction (committed with it, or not at all).
    Returns False, writing nothing and leaving the transaction usable, when `key` is already in the outbox."""
    statement = _insert_ignoring_duplicates(session.get_bind().dialect.name).values(**_row(channel, key, payload))
    # RETURNING says whether a row was written (rowcount is not reliable for INSERT … RETURNING on psycopg).
    return session.execute(statement.returning(OutboxMessage.__table__.c.id)).first() is not None


def enqueue_many(session: Session, channel: str, messages: list[tuple[str, dict]]) -> int:
    """`enqueue` for many (key, payload) pairs; returns how many were new."""
    return len(enqueue_many_keys(session, channel, messages))


def enqueue_many_keys(session: Session, channel: str, messages: list[tuple[str, dict]]) -> set[str]:
    """`enqueue` for many (key, payload) pairs, in batches; returns the keys that were new."""
    written: set[str] = set()
    statement = _insert_ignoring_duplicates(session.get_bind().dialect.name).returning(OutboxMessage.__table__.c.key)
    for start in range(0, len(messages), 5000):
        rows = [_row(channel, key, payload) for key, payload in messages[start : start + 5000]]
        written.update(session.execute(statement, rows).scalars().all())
    return written
