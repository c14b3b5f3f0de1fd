"""The audit log is append-only in the database itself (migration 0008): an UPDATE, a DELETE (and on
PostgreSQL a TRUNCATE) of `audit_event` fails, whatever code sends it; an INSERT still works."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, select

from app.models import AuditEvent
from app.services.audit import Actor, record


@pytest.fixture
def event_id(engine) -> int:
    with Session(engine) as session:
        event = record(session, Actor(None, "test"), "unit.create", "unit", 1, after={"name": "Sudan Team"})
        session.commit()
        return event.id


@pytest.mark.parametrize("statement", [
    "UPDATE audit_event SET actor_label = 'someone else' WHERE id = :id",
    "DELETE FROM audit_event WHERE id = :id",
    "DELETE FROM audit_event",
])
def test_changing_or_deleting_an_audit_event_fails(engine, event_id, statement):
    with pytest.raises(DBAPIError, match="append-only"):
        with engine.begin() as conn:
            conn.execute(text(statement), {"id": event_id} if ":id" in statement else {})
    with Session(engine) as session:
        assert session.exec(select(AuditEvent.actor_label).where(AuditEvent.id == event_id)).one() == "test"


def test_the_orm_cannot_change_an_event_either(engine, event_id):
    with Session(engine) as session:
        event = session.get(AuditEvent, event_id)
        event.after = "{}"
        with pytest.raises(DBAPIError, match="append-only"):
            session.commit()


def test_truncate_fails_on_postgresql(engine, event_id):
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no TRUNCATE (DELETE without WHERE is tested above)")
    with pytest.raises(DBAPIError, match="append-only"):
        with engine.begin() as conn:
            conn.execute(text("TRUNCATE audit_event"))


def test_new_events_are_still_written(engine, event_id):
    with Session(engine) as session:
        record(session, Actor(None, "test"), "unit.create", "unit", 2, after={"name": "Khartoum"})
        session.commit()
        assert len(session.exec(select(AuditEvent)).all()) == 2
