"""The outbox worker: claims, delivery, retries with backoff, permanent failures, expired claims, SIGTERM's
release, several workers on PostgreSQL (SKIP LOCKED) and one on SQLite."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlmodel import Session, select

from app.clock import utcnow
from app.db import session_scope
from app.models import OutboxMessage, OutboxStatus
from app.services import outbox
from app.services import worker as w

POLICY = w.RetryPolicy(max_attempts=3, base_seconds=60, max_seconds=3600)


class Recorder:
    """A sender that records payloads and can fail on demand."""

    def __init__(self, fail: Exception | None = None) -> None:
        self.sent: list[dict] = []
        self.fail = fail
        self.lock = threading.Lock()

    def send(self, payload: dict) -> None:
        if self.fail is not None:
            raise self.fail
        with self.lock:
            self.sent.append(payload)


@pytest.fixture
def recorder():
    sender = Recorder()
    outbox.register_sender("email", sender)
    yield sender
    outbox.unregister_sender("email")


def add(engine, n: int, channel: str = "email") -> None:
    with session_scope(engine) as session:
        for i in range(n):
            outbox.enqueue(session, channel, f"k{i}", {"to": f"o{i}@example.gov.uk", "subject": f"s{i}", "body": "b"})


def rows(engine) -> dict[str, OutboxMessage]:
    with Session(engine) as session:
        return {m.key: m for m in session.exec(select(OutboxMessage))}


def run(engine, name: str = "worker-1", **kwargs) -> w.Tally:
    return w.run(engine, batch=kwargs.pop("batch", 10), claim_seconds=60, poll_seconds=0.01, policy=POLICY,
                 stop=threading.Event(), name=name, until_empty=True, **kwargs)


def test_the_worker_delivers_every_message_once_with_its_key_as_reference(engine, recorder):
    add(engine, 25)
    tally = run(engine)
    assert tally.sent == 25
    assert sorted(p["reference"] for p in recorder.sent) == sorted(f"k{i}" for i in range(25))
    for message in rows(engine).values():
        assert message.status == OutboxStatus.SENT and message.sent_at is not None and message.attempts == 1
        assert message.claimed_by is None and message.claimed_until is None
    assert run(engine).sent == 0  # nothing left


def test_a_temporary_failure_is_retried_later_with_exponential_backoff_and_jitter(engine, recorder):
    add(engine, 1)
    recorder.fail = outbox.TemporaryFailure("Notify answered 500: Internal server error")
    before = utcnow()
    assert run(engine).retried == 1
    message = rows(engine)["k0"]
    assert message.status == OutboxStatus.QUEUED and message.attempts == 1
    assert message.last_error == "Notify answered 500: Internal server error"
    # The first retry waits between half and all of the base delay (60 s).
    assert before + timedelta(seconds=29) <= message.next_attempt_at <= utcnow() + timedelta(seconds=61)
    assert run(engine).retried == 0  # not due yet: nothing claimed


def test_backoff_doubles_up_to_its_ceiling_with_jitter():
    policy = w.RetryPolicy(max_attempts=20, base_seconds=30, max_seconds=600)
    assert [policy.delay(n, rng=lambda: 1.0) for n in (1, 2, 3, 4, 5, 6)] == [30, 60, 120, 240, 480, 600]
    assert [policy.delay(n, rng=lambda: 0.0) for n in (1, 2, 3)] == [15, 30, 60]


def test_after_the_last_attempt_a_temporary_failure_becomes_failed(engine, recorder):
    add(engine, 1)
    recorder.fail = outbox.TemporaryFailure("Notify answered 429: rate limit")
    for _ in range(POLICY.max_attempts):
        with session_scope(engine) as session:  # make it due again at once
            session.execute(update(OutboxMessage).values(next_attempt_at=utcnow()))
        run(engine)
    message = rows(engine)["k0"]
    assert message.status == OutboxStatus.FAILED and message.attempts == 3
    assert message.last_error == "gave up after 3 attempts: Notify answered 429: rate limit"


def test_a_permanent_failure_is_kept_as_failed_with_its_reason(engine, recorder):
    add(engine, 1)
    recorder.fail = outbox.PermanentFailure("Notify answered 400: Not a valid email address")
    assert run(engine).failed == 1
    message = rows(engine)["k0"]
    assert message.status == OutboxStatus.FAILED and message.last_error == "Notify answered 400: Not a valid email address"


def test_a_channel_without_a_sender_is_left_for_a_worker_that_has_one(engine, recorder):
    add(engine, 2, channel="xapi")
    assert run(engine).sent == 0
    assert {m.status for m in rows(engine).values()} == {OutboxStatus.QUEUED}


def test_a_killed_workers_claim_runs_out_and_another_worker_delivers_its_messages(engine, recorder):
    add(engine, 3)
    claimed = w.claim(engine, "killed-worker", 10, 60, ["email"])
    assert len(claimed) == 3
    assert run(engine, name="worker-2").sent == 0  # still claimed
    later = utcnow() + timedelta(seconds=61)
    reclaimed = w.claim(engine, "worker-2", 10, 60, ["email"], now=later)
    assert {m.key for m in reclaimed} == {"k0", "k1", "k2"}
    assert all(m.attempts == 2 for m in reclaimed)
    for message in reclaimed:
        w.deliver(engine, message, "worker-2", POLICY, w.Tally())
    assert {m.status for m in rows(engine).values()} == {OutboxStatus.SENT}


def test_stopping_releases_the_unsent_rest_of_the_batch(engine, recorder):
    add(engine, 5)
    stop = threading.Event()

    class StopAfterTwo(Recorder):
        def send(self, payload: dict) -> None:
            super().send(payload)
            if len(self.sent) == 2:
                stop.set()  # SIGTERM arrives while the second message is in hand

    sender = StopAfterTwo()
    outbox.register_sender("email", sender)
    tally = w.run(engine, batch=5, claim_seconds=60, poll_seconds=0.01, policy=POLICY, stop=stop, name="w")
    assert tally.sent == 2 and tally.released == 3
    statuses = sorted(m.status for m in rows(engine).values())
    assert statuses == ["queued", "queued", "queued", "sent", "sent"]
    assert all(m.claimed_by is None and m.attempts == (1 if m.status == "sent" else 0) for m in rows(engine).values())


def test_several_workers_at_once_never_claim_the_same_message(engine, recorder):
    if engine.dialect.name != "postgresql":
        pytest.skip("several workers need PostgreSQL (SELECT … FOR UPDATE SKIP LOCKED); SQLite runs one")
    add(engine, 200)
    threads = [threading.Thread(target=run, args=(engine, f"worker-{n}"), kwargs={"batch": 7}) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    references = [p["reference"] for p in recorder.sent]
    assert len(references) == 200 and len(set(references)) == 200


def test_sqlite_runs_one_worker(tmp_path):
    url = f"sqlite:///{tmp_path / 'one.db'}"
    with w.SqliteWorkerLock(url):
        with pytest.raises(w.WorkerAlreadyRunning, match="SQLite runs one worker"):
            with w.SqliteWorkerLock(url):
                pass
    with w.SqliteWorkerLock(url):  # free again once the first has stopped
        pass
