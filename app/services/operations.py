"""What operators and their tools ask of the database: is it ready (reachable, and migrated to this code's
newest migration), and how deep is the outbox. Each question has a short time limit of its own, so a health
check never hangs with the database."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from functools import cache

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import exc as sa_exc
from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine

from app import PROJECT_ROOT
from app.clock import utcnow
from app.models import OutboxMessage, OutboxStatus

# Checks run here, so the caller can stop waiting; a check stuck on a dead connection ends at the driver's own
# connect timeout. Two threads: a second probe is not queued behind one that hangs.
_checks = ThreadPoolExecutor(max_workers=2, thread_name_prefix="aptrain-ready")


@dataclass(frozen=True)
class Readiness:
    ready: bool
    reason: str | None = None  # why not, in a sentence
    database_revision: str | None = None
    code_revision: str | None = None

    def as_json(self) -> dict:
        body = {"status": "ready" if self.ready else "not ready", "migration": self.database_revision,
                "expected_migration": self.code_revision}
        if self.reason:
            body["reason"] = self.reason
        return body


@cache
def code_heads() -> tuple[str, ...]:
    """The newest migration(s) this code ships (read once: the files do not change under a running process)."""
    return tuple(sorted(ScriptDirectory(str(PROJECT_ROOT / "migrations")).get_heads()))


def _check(engine: Engine) -> Readiness:
    expected = code_heads()
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
        current = tuple(sorted(MigrationContext.configure(connection).get_current_heads()))
    database, code = " ".join(current) or None, " ".join(expected)
    if current != expected:
        reason = (f"the database is at migration {database}, this code needs {code}: run aptrain db upgrade"
                  if current else f"the database has no migrations applied, this code needs {code}: run aptrain db upgrade")
        return Readiness(False, reason, database, code)
    return Readiness(True, None, database, code)


def readiness(engine: Engine, timeout: float) -> Readiness:
    """Ready when the database answers within `timeout` seconds and is at this code's newest migration."""
    future = _checks.submit(_check, engine)
    try:
        return future.result(timeout=timeout)
    except FutureTimeout:
        return Readiness(False, f"the database did not answer within {timeout:g} s", None, " ".join(code_heads()))
    except (sa_exc.SQLAlchemyError, OSError) as error:
        return Readiness(False, f"the database cannot be reached ({error.__class__.__name__})", None,
                         " ".join(code_heads()))


@dataclass(frozen=True)
class OutboxDepth:
    by_status: dict[str, int]  # queued, sending, failed (sent messages are not counted: they only grow)
    oldest_due_seconds: float  # how long the oldest queued message that is due has waited; 0 when none


def outbox_depth(engine: Engine, timeout: float) -> OutboxDepth | None:
    """The outbox's depth, or None when there is no outbox table (or the database does not answer in time)."""
    future = _checks.submit(_outbox_depth, engine)
    try:
        return future.result(timeout=timeout)
    except (FutureTimeout, sa_exc.SQLAlchemyError, OSError):
        return None


def _outbox_depth(engine: Engine) -> OutboxDepth | None:
    statuses = [OutboxStatus.QUEUED.value, OutboxStatus.SENDING.value, OutboxStatus.FAILED.value]
    now = utcnow()
    with engine.connect() as connection:
        try:
            counts = dict(connection.execute(
                select(OutboxMessage.status, func.count()).where(OutboxMessage.status.in_(statuses))
                .group_by(OutboxMessage.status)).all())
            oldest = connection.execute(
                select(func.min(OutboxMessage.next_attempt_at)).where(
                    OutboxMessage.status == OutboxStatus.QUEUED.value, OutboxMessage.next_attempt_at <= now)).scalar()
        except (sa_exc.OperationalError, sa_exc.ProgrammingError):  # no outbox table in this database
            return None
    waited = max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0
    return OutboxDepth({status: int(counts.get(status, 0)) for status in statuses}, waited)
