"""Delivery under faults, with `aptrain worker` as real processes sending to the local Notify server, on SQLite
and (APTRAIN_TEST_DATABASE_URL) PostgreSQL. Each is bounded in time; run one with
`APTRAIN_ENVIRONMENT=test .venv/bin/pytest tests/server/test_delivery_faults.py -k <name>`.

Exactly once is counted at the server by `reference` (the outbox key): delivery is at-least-once, and the one
message a worker may have sent but not yet recorded when it was killed is sent again after its claim runs
out, with the same reference, so the receiver can recognise it. Notify itself does not deduplicate by
reference; what the tests assert is that every message arrives and that at most the message in flight when
the worker died arrives twice.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from datetime import date, timedelta

import pytest
from sqlmodel import select

from app import PROJECT_ROOT
from app.db import session_scope
from app.models import Assignment, Department, Official, OutboxMessage, Requirement
from tests.conftest import TEST_SECRET
from tests.delivery import enqueue_emails, start_worker, status_counts, stop, wait_until
from tests.notify_server import NotifyServer

MESSAGES = 300
CLAIM_SECONDS = "10"  # the shortest claim the settings allow: a killed worker's batch is free again after it


@pytest.fixture
def notify():
    with NotifyServer() as server:
        yield server


def test_a_worker_killed_mid_batch_and_restarted_delivers_every_message_once(engine, database_url, notify, tmp_path):
    keys = enqueue_emails(engine, MESSAGES)
    notify.state.delay = 0.01  # a batch takes a while, so the kill lands in the middle of one
    log = tmp_path / "worker.log"
    first = start_worker(database_url, notify.base_url, log, APTRAIN_WORKER_CLAIM_SECONDS=CLAIM_SECONDS,
                         APTRAIN_WORKER_BATCH_SIZE="50")
    try:
        wait_until(lambda: notify.stats()["accepted"] >= 75, 30, "the first worker to send 75 messages")
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            first.kill()
    at_kill = status_counts(engine)
    assert at_kill.get("sending", 0) > 0, f"the kill should leave a claimed batch behind: {at_kill}"
    assert at_kill.get("sent", 0) < MESSAGES
    second = start_worker(database_url, notify.base_url, log, APTRAIN_WORKER_CLAIM_SECONDS=CLAIM_SECONDS)
    try:
        wait_until(lambda: status_counts(engine).get("sent", 0) == MESSAGES, 60, "every message to be sent")
    finally:
        assert stop(second) == 0, log.read_text()
    stats = notify.stats()
    assert stats["references"] == MESSAGES
    assert {r["body"]["reference"] for r in notify.requests} == set(keys)
    assert stats["duplicates"] <= 1, f"only the message in flight at the kill may arrive twice: {stats}"


def test_notify_answering_500_for_a_while_then_every_message_arrives_once(engine, database_url, notify, tmp_path):
    keys = enqueue_emails(engine, 100)
    notify.fail_next(500)  # until told otherwise
    log = tmp_path / "worker.log"
    worker = start_worker(database_url, notify.base_url, log, APTRAIN_OUTBOX_RETRY_BASE_SECONDS="0.2",
                          APTRAIN_OUTBOX_RETRY_MAX_SECONDS="1", APTRAIN_OUTBOX_MAX_ATTEMPTS="100")
    try:
        wait_until(lambda: notify.stats()["refused"] >= 300, 30, "the worker to meet 300 errors")
        assert notify.stats()["accepted"] == 0
        assert status_counts(engine).get("queued", 0) > 0  # waiting to retry, not failed
        notify.fail_next(201)  # Notify is back
        wait_until(lambda: status_counts(engine).get("sent", 0) == 100, 60, "every message to be sent")
    finally:
        assert stop(worker) == 0, log.read_text()
    stats = notify.stats()
    assert stats["references"] == 100 and stats["duplicates"] == 0
    assert {r["body"]["reference"] for r in notify.requests} == set(keys)
    with session_scope(engine, write=False) as session:
        messages = session.exec(select(OutboxMessage)).all()
    retried = sum(1 for m in messages if m.attempts > 1)
    errors = {m.last_error for m in messages}
    assert retried > 0 and errors == {None}


def test_a_rejected_message_fails_for_good_and_the_rest_are_delivered(engine, database_url, notify, tmp_path):
    enqueue_emails(engine, 20)
    notify.fail_next(400, count=1)
    log = tmp_path / "worker.log"
    worker = start_worker(database_url, notify.base_url, log, "--until-empty")
    assert worker.wait(timeout=60) == 0, log.read_text()
    assert status_counts(engine) == {"sent": 19, "failed": 1}
    assert notify.stats()["accepted"] == 19


def test_sigterm_stops_the_worker_cleanly_and_releases_its_batch(engine, database_url, notify, tmp_path):
    enqueue_emails(engine, 200)
    notify.state.delay = 0.02
    log = tmp_path / "worker.log"
    worker = start_worker(database_url, notify.base_url, log, APTRAIN_WORKER_BATCH_SIZE="100")
    wait_until(lambda: notify.stats()["accepted"] >= 20, 30, "the worker to start sending")
    assert stop(worker) == 0, log.read_text()
    counts = status_counts(engine)
    assert counts.get("sending", 0) == 0, counts  # nothing left claimed
    assert counts.get("sent", 0) == notify.stats()["accepted"] and counts["sent"] + counts.get("queued", 0) == 200
    assert "given back" in log.read_text()


def test_a_second_worker_on_sqlite_is_refused(engine, database_url, notify, tmp_path):
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL runs several workers at once")
    log = tmp_path / "worker.log"
    first = start_worker(database_url, notify.base_url, log, APTRAIN_LOG_LEVEL="info")
    try:
        wait_until(lambda: "delivering" in log.read_text() or first.poll() is not None, 20, "the first worker")
        second = subprocess.run(
            [sys.executable, "-m", "app.cli", "worker"], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=30,
            env={**os.environ, "APTRAIN_ENVIRONMENT": "test", "APTRAIN_SECRET_KEY": TEST_SECRET,
                 "APTRAIN_DATABASE_URL": database_url},
        )
        assert second.returncode == 3 and "SQLite runs one worker" in second.stderr
    finally:
        stop(first)


def _population(engine, officials: int, due: date) -> None:
    """Officials each with one assignment due on `due`, assigned long before (so 30, 7 and 1-day reminders apply)."""
    with session_scope(engine) as session:
        department = Department(code="FCDO", name="FCDO")
        requirement = Requirement(name="Checkpoint visit", module_id="checkpoint-visit")
        session.add_all([department, requirement])
        session.flush()
        people = [Official(email=f"o{i}@example.gov.uk", given_name="Test", family_name=f"O{i}",
                           department_id=department.id) for i in range(officials)]
        session.add_all(people)
        session.flush()
        session.add_all([Assignment(official_id=p.id, requirement_id=requirement.id, assigned_on=due - timedelta(days=90),
                                    due_on=due, reason="Required for every official.") for p in people])


def test_two_remind_runs_at_once_enqueue_each_reminder_once(engine, database_url, tmp_path):
    due = date(2027, 3, 1)
    _population(engine, 3000, due)
    env = {**os.environ, "APTRAIN_ENVIRONMENT": "test", "APTRAIN_SECRET_KEY": TEST_SECRET,
           "APTRAIN_DATABASE_URL": database_url, "APTRAIN_DB_BUSY_TIMEOUT_SECONDS": "30"}
    command = [sys.executable, "-m", "app.cli", "remind", "--as-at", (due - timedelta(days=7)).isoformat()]
    outputs: list[str] = []
    barrier = threading.Barrier(2)

    def run() -> None:
        barrier.wait()
        done = subprocess.run(command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        outputs.append(done.stdout)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=150)
    assert len(outputs) == 2
    totals = sorted(int(out.rsplit("Total enqueued: ", 1)[1].split()[0]) for out in outputs)
    with session_scope(engine, write=False) as session:
        keys = session.exec(select(OutboxMessage.key)).all()
    rows = len(keys)
    keys = set(keys)
    assert rows == 3000 == len(keys) == sum(totals)  # 3,000 due-7 reminders, each written by one of the runs
    assert all(key.startswith("due-7:") for key in keys)


def test_four_workers_at_once_on_postgresql_one_killed_deliver_every_message_once(engine, database_url, notify, tmp_path):
    if engine.dialect.name != "postgresql":
        pytest.skip("several workers at once need PostgreSQL (SQLite runs one)")
    keys = enqueue_emails(engine, 400)
    notify.state.delay = 0.01
    log = tmp_path / "workers.log"
    workers = [start_worker(database_url, notify.base_url, log, APTRAIN_WORKER_CLAIM_SECONDS=CLAIM_SECONDS,
                            APTRAIN_WORKER_BATCH_SIZE="20") for _ in range(4)]
    try:
        wait_until(lambda: notify.stats()["accepted"] >= 100, 30, "the workers to send 100 messages")
        workers[0].send_signal(signal.SIGKILL)
        workers[0].wait(timeout=10)
        wait_until(lambda: status_counts(engine).get("sent", 0) == 400, 60, "every message to be sent")
    finally:
        codes = [stop(worker) for worker in workers[1:]]
        workers[0].kill()
    assert codes == [0, 0, 0], log.read_text()
    stats = notify.stats()
    assert stats["references"] == 400 and {r["body"]["reference"] for r in notify.requests} == set(keys)
    assert stats["duplicates"] <= 1, stats
