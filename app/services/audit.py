"""The append-only audit log: every change made by a person or an import."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum

from sqlmodel import Session, SQLModel

from app.models import AuditEvent


@dataclass(frozen=True)
class Actor:
    """Who made a change: an official (id and name) or a process such as an import."""

    id: int | None
    label: str


def snapshot(row: SQLModel | dict | None) -> dict | None:
    """A JSON-ready copy of a row's fields."""
    if row is None:
        return None
    values = row if isinstance(row, dict) else row.model_dump()
    return {key: _plain(value) for key, value in values.items() if key != "password_hash"}


def _plain(value: object) -> object:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


def record(
    session: Session,
    actor: Actor,
    action: str,
    entity: str,
    entity_id: object,
    *,
    before: SQLModel | dict | None = None,
    after: SQLModel | dict | None = None,
) -> AuditEvent:
    event = AuditEvent(
        actor_id=actor.id,
        actor_label=actor.label[:200],
        action=action,
        entity=entity,
        entity_id=str(entity_id),
        before=json.dumps(snapshot(before), ensure_ascii=False, sort_keys=True) if before is not None else None,
        after=json.dumps(snapshot(after), ensure_ascii=False, sort_keys=True) if after is not None else None,
    )
    session.add(event)
    return event
