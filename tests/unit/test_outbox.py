"""The outbox contract: enqueue writes in the caller's transaction, a repeated key writes nothing and leaves
the transaction usable, and senders are found by channel."""

from __future__ import annotations

import json

import pytest
from sqlmodel import Session, func, select

from app.db import session_scope
from app.models import OutboxMessage, OutboxStatus
from app.services import outbox


def count(engine) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(OutboxMessage)).one()


def test_enqueue_writes_a_queued_message(engine):
    with session_scope(engine) as session:
        assert outbox.enqueue(session, "email", "reminder:1:due-7:2027-01-31", {"to": "a@example.org", "n": 1})
    with Session(engine) as session:
        message = session.exec(select(OutboxMessage)).one()
    assert message.channel == "email"
    assert message.key == "reminder:1:due-7:2027-01-31"
    assert json.loads(message.payload) == {"to": "a@example.org", "n": 1}
    assert message.status == OutboxStatus.QUEUED
    assert message.attempts == 0
    assert message.next_attempt_at.tzinfo is not None
    assert message.sent_at is None and message.claimed_by is None


def test_a_repeated_key_writes_nothing_and_the_transaction_goes_on(engine):
    with session_scope(engine) as session:
        assert outbox.enqueue(session, "email", "k1", {"n": 1})
    with session_scope(engine) as session:
        assert outbox.enqueue(session, "email", "k1", {"n": 2}) is False
        # The same transaction still works: a new key after the duplicate is written and committed.
        assert outbox.enqueue(session, "xapi", "k2", {"n": 3}) is True
    with Session(engine) as session:
        rows = {m.key: json.loads(m.payload) for m in session.exec(select(OutboxMessage))}
    assert rows == {"k1": {"n": 1}, "k2": {"n": 3}}


def test_enqueue_is_part_of_the_callers_transaction(engine):
    with pytest.raises(RuntimeError):
        with session_scope(engine) as session:
            outbox.enqueue(session, "email", "rolled-back", {})
            raise RuntimeError("the change that caused the message failed")
    assert count(engine) == 0


def test_enqueue_many_counts_only_new_keys(engine):
    with session_scope(engine) as session:
        assert outbox.enqueue_many(session, "email", [("a", {}), ("b", {})]) == 2
    with session_scope(engine) as session:
        assert outbox.enqueue_many(session, "email", [("b", {}), ("c", {}), ("c", {})]) == 1
    assert count(engine) == 3


def test_keys_must_be_short_and_present(engine):
    with session_scope(engine) as session:
        with pytest.raises(ValueError):
            outbox.enqueue(session, "email", "", {})
        with pytest.raises(ValueError):
            outbox.enqueue(session, "email", "x" * 201, {})


def test_senders_are_registered_by_channel():
    class Recorder:
        def send(self, payload: dict) -> None:
            pass

    recorder = Recorder()
    outbox.register_sender("test-channel", recorder)
    try:
        assert outbox.sender_for("test-channel") is recorder
        assert "test-channel" in outbox.registered_channels()
    finally:
        outbox.unregister_sender("test-channel")
    assert outbox.sender_for("test-channel") is None


def test_failures_carry_their_reason():
    temporary = outbox.TemporaryFailure("503 from Notify")
    permanent = outbox.PermanentFailure("400: email_address Not a valid email address")
    assert temporary.reason == "503 from Notify" and isinstance(temporary, outbox.DeliveryFailure)
    assert permanent.reason.startswith("400") and not isinstance(permanent, outbox.TemporaryFailure)
