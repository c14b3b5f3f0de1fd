"""`aptrain worker`: delivers the outbox, message by message, through the sender registered for its channel.

Delivery is at-least-once, made exactly-once at the receiver by the message's key:
1. Claim: in one short transaction, take up to `batch` due messages (queued and due, or claimed by a worker
   whose claim has run out), mark them `sending` with this worker's name and a claim deadline, and commit.
   On PostgreSQL the rows are taken with SELECT … FOR UPDATE SKIP LOCKED, so several workers never claim the
   same row. SQLite has one writer at a time and runs one worker (a lock file refuses a second).
2. Send each message outside any transaction.
3. Mark it sent, or queued again after a temporary failure (exponential backoff with jitter; failed after
   the last attempt), or failed after a permanent one, each in its own short transaction.
A worker killed between 2 and 3 leaves a message that was sent but is still `sending`; after the claim runs
out it is sent again, carrying the same key (Notify's `reference`, an xAPI statement's id), by which the
receiver recognises the repeat. SIGTERM lets the message in hand finish, then releases the rest of the batch.
"""

from __future__ import annotations

import json
import logging
import os
import random
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.engine import Engine

from app.clock import utcnow
from app.db import session_scope
from app.models.outbox import OutboxMessage, OutboxStatus
from app.services import outbox

log = logging.getLogger("aptrain.worker")
T = OutboxMessage.__table__


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 12
    base_seconds: float = 30.0
    max_seconds: float = 6 * 3600.0

    def delay(self, attempts: int, rng: Callable[[], float] = random.random) -> float:
        """Exponential backoff with jitter: base × 2^(attempts−1), capped, then a random half to whole of it."""
        ceiling = min(self.max_seconds, self.base_seconds * 2 ** max(attempts - 1, 0))
        return ceiling / 2 + rng() * ceiling / 2


@dataclass(frozen=True)
class Claimed:
    id: int
    channel: str
    key: str
    payload: dict
    attempts: int


@dataclass
class Tally:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    released: int = 0
    by_error: dict[str, int] = field(default_factory=dict)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident() % 100000}"


def claim(engine: Engine, name: str, batch: int, claim_seconds: int, channels: list[str],
          now: datetime | None = None) -> list[Claimed]:
    """Take up to `batch` due messages of these channels for this worker (see the module's docstring)."""
    if not channels:
        return []
    now = now or utcnow()
    due = or_(
        and_(T.c.status == OutboxStatus.QUEUED.value, T.c.next_attempt_at <= now),
        and_(T.c.status == OutboxStatus.SENDING.value, T.c.claimed_until < now),
    )
    with session_scope(engine) as session:
        query = (
            select(T.c.id, T.c.channel, T.c.key, T.c.payload, T.c.attempts)
            .where(due, T.c.channel.in_(channels))
            .order_by(T.c.next_attempt_at, T.c.id)
            .limit(batch)
        )
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        rows = session.execute(query).all()
        if not rows:
            return []
        ids = [row.id for row in rows]
        session.execute(
            update(T).where(T.c.id.in_(ids)).values(
                status=OutboxStatus.SENDING.value, claimed_by=name, claimed_until=now + timedelta(seconds=claim_seconds),
                attempts=T.c.attempts + 1,
            )
        )
    return [Claimed(r.id, r.channel, r.key, json.loads(r.payload), r.attempts + 1) for r in rows]


def _mine(message_id: int, name: str):
    return and_(T.c.id == message_id, T.c.status == OutboxStatus.SENDING.value, T.c.claimed_by == name)


def _finish(engine: Engine, message_id: int, name: str, **values) -> bool:
    with session_scope(engine) as session:
        result = session.execute(
            update(T).where(_mine(message_id, name)).values(claimed_by=None, claimed_until=None, **values)
        )
        return result.rowcount == 1


def deliver(engine: Engine, message: Claimed, name: str, policy: RetryPolicy, tally: Tally) -> None:
    """Send one claimed message and record the outcome."""
    sender = outbox.sender_for(message.channel)
    now = utcnow()
    try:
        if sender is None:
            raise outbox.TemporaryFailure(f"no sender for channel {message.channel!r} in this worker")
        payload = {**message.payload, "reference": message.key}
        sender.send(payload)
    except outbox.PermanentFailure as failure:
        _finish(engine, message.id, name, status=OutboxStatus.FAILED.value, last_error=failure.reason[:2000])
        tally.failed += 1
        log.warning("message %s (%s) failed for good: %s", message.id, message.key, failure.reason)
        return
    except Exception as error:  # TemporaryFailure, or anything unexpected: try again later
        reason = error.reason if isinstance(error, outbox.DeliveryFailure) else f"{error.__class__.__name__}: {error}"
        tally.by_error[reason[:60]] = tally.by_error.get(reason[:60], 0) + 1
        if message.attempts >= policy.max_attempts:
            _finish(engine, message.id, name, status=OutboxStatus.FAILED.value,
                    last_error=f"gave up after {message.attempts} attempts: {reason}"[:2000])
            tally.failed += 1
            return
        retry_at = now + timedelta(seconds=policy.delay(message.attempts))
        _finish(engine, message.id, name, status=OutboxStatus.QUEUED.value, next_attempt_at=retry_at,
                last_error=reason[:2000])
        tally.retried += 1
        return
    if not _finish(engine, message.id, name, status=OutboxStatus.SENT.value, sent_at=utcnow(), last_error=None):
        log.warning("message %s was sent after this worker's claim ran out", message.id)
    tally.sent += 1


def release(engine: Engine, ids: list[int], name: str) -> int:
    """Give back claimed messages not yet sent (on SIGTERM): queued again, due now, the attempt not counted."""
    if not ids:
        return 0
    with session_scope(engine) as session:
        result = session.execute(
            update(T).where(T.c.id.in_(ids), T.c.status == OutboxStatus.SENDING.value, T.c.claimed_by == name).values(
                status=OutboxStatus.QUEUED.value, claimed_by=None, claimed_until=None, next_attempt_at=utcnow(),
                attempts=T.c.attempts - 1,
            )
        )
        return result.rowcount


def run_once(engine: Engine, name: str, *, batch: int, claim_seconds: int, policy: RetryPolicy,
             stop: threading.Event | None = None, tally: Tally | None = None) -> int:
    """Claim one batch and deliver it; returns how many messages were claimed."""
    tally = tally if tally is not None else Tally()
    claimed = claim(engine, name, batch, claim_seconds, outbox.registered_channels())
    for index, message in enumerate(claimed):
        if stop is not None and stop.is_set():
            tally.released += release(engine, [m.id for m in claimed[index:]], name)
            break
        deliver(engine, message, name, policy, tally)
    return len(claimed)


def run(engine: Engine, *, batch: int, claim_seconds: int, poll_seconds: float, policy: RetryPolicy,
        stop: threading.Event, name: str | None = None, until_empty: bool = False,
        every_loop: Callable[[], None] | None = None) -> Tally:
    """Deliver until `stop` is set (or, with `until_empty`, until nothing is due)."""
    name = name or worker_name()
    tally = Tally()
    log.info("worker %s delivering channels %s", name, ", ".join(outbox.registered_channels()) or "(none)")
    while not stop.is_set():
        if every_loop is not None:
            every_loop()
        claimed = run_once(engine, name, batch=batch, claim_seconds=claim_seconds, policy=policy, stop=stop, tally=tally)
        if claimed == 0:
            if until_empty:
                break
            stop.wait(poll_seconds)
    log.info("worker %s stopped: %s sent, %s to retry, %s failed, %s released", name, tally.sent, tally.retried,
             tally.failed, tally.released)
    return tally


class WorkerAlreadyRunning(RuntimeError):
    pass


class SqliteWorkerLock:
    """SQLite runs one worker: an exclusive lock on `<database>.worker.lock`, refused while another holds it
    (the lock goes with the process, so a killed worker never leaves it behind)."""

    def __init__(self, database_url: str) -> None:
        from sqlalchemy.engine import make_url

        self.path = f"{make_url(database_url).database}.worker.lock"
        self._file = None

    def __enter__(self) -> SqliteWorkerLock:
        import fcntl

        self._file = open(self.path, "a+")  # held for the worker's life
        try:
            fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._file.close()
            raise WorkerAlreadyRunning(
                "another worker is already delivering this SQLite database's outbox (SQLite runs one worker; "
                "use PostgreSQL for several)"
            ) from None
        return self

    def __exit__(self, *_exc) -> None:
        if self._file is not None:
            self._file.close()
