"""The database engine and sessions: SQLite (WAL) by default, PostgreSQL by URL.

Every wait is bounded, so a busy database answers 503 promptly instead of hanging:
- SQLite allows one writer at a time. A transaction that will write starts with `BEGIN IMMEDIATE`,
  taking the write lock up front (waiting at most the busy timeout), so it can never fail half-way when
  a read upgrades to a write; reads never wait for writers (WAL).
- PostgreSQL connections carry `lock_timeout`, `statement_timeout` and
  `idle_in_transaction_session_timeout`.
- A request waits at most `pool_timeout` for a free connection.
`is_busy(exc)` says whether an error is one of those bounded waits running out, `is_unavailable(exc)` whether
the database could not be reached or went away (restarting, crashed): the web layer answers either with 503
and Retry-After. PostgreSQL's pool tests each connection as it is handed out (pre-ping), so once the server is
back the next request reconnects: the application recovers without a restart.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import event, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

log = logging.getLogger("aptrain")

_GATE_HELD = "aptrain_write_gate"
# Execution option naming a transaction that will write (SQLite: BEGIN IMMEDIATE).
WRITE_OPTION = "aptrain_write"
# Seconds a client is asked to wait after a 503 for a busy database.
RETRY_AFTER = "2"
# PostgreSQL SQLSTATEs of a bounded wait that ran out: lock_timeout, statement_timeout, idle-in-transaction.
_PG_BUSY = {"55P03", "57014", "25P03"}
# PostgreSQL SQLSTATEs of a server that cannot serve: connection exceptions (08…), shut down or crashed while we
# were connected (57P01-57P03: admin shutdown, crash shutdown, starting up or in recovery), too many connections.
_PG_UNAVAILABLE_CLASSES = ("08", "57P", "53300")


@dataclass(frozen=True)
class DatabaseLimits:
    busy_timeout: float = 5.0  # seconds (SQLite)
    lock_timeout_ms: int = 5000  # PostgreSQL
    statement_timeout_ms: int = 30000
    idle_in_transaction_timeout_ms: int = 60000
    pool_timeout: float = 5.0  # seconds to wait for a pooled connection


def make_engine(url: str, limits: DatabaseLimits | None = None) -> Engine:
    """An engine for `url` whose every wait is bounded by `limits`."""
    limits = limits or DatabaseLimits()
    if url.startswith("sqlite"):
        return _sqlite_engine(url, limits)
    options = (
        f"-c lock_timeout={limits.lock_timeout_ms} -c statement_timeout={limits.statement_timeout_ms} "
        f"-c idle_in_transaction_session_timeout={limits.idle_in_transaction_timeout_ms}"
    )
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=10,
        max_overflow=10,
        pool_timeout=limits.pool_timeout,
        connect_args={"options": options, "connect_timeout": 10},
    )


def _sqlite_engine(url: str, limits: DatabaseLimits) -> Engine:
    engine = create_engine(
        url,
        # As many connections as the thread pool has threads (40): readers never wait for one another.
        pool_size=10,
        max_overflow=30,
        pool_timeout=limits.pool_timeout,
        connect_args={"check_same_thread": False, "timeout": limits.busy_timeout},
    )

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={int(limits.busy_timeout * 1000)}")
        cursor.close()

    # One writer at a time in this process, woken in turn when the last one is done, rather than left to
    # SQLite's sleep-and-retry, which lets newcomers overtake a writer that has waited longest.
    gate = threading.Lock()

    @event.listens_for(engine, "begin")
    def _sqlite_begin(connection) -> None:
        # A transaction that will write takes the write lock at once. Others keep the driver's own way:
        # each read sees the latest commit (as PostgreSQL's READ COMMITTED does) and a stray write begins
        # its own transaction just before it, so no read snapshot is ever held while waiting for the lock.
        if not connection.get_execution_options().get(WRITE_OPTION, False):
            return
        if not gate.acquire(timeout=limits.busy_timeout):
            raise sa_exc.OperationalError("BEGIN IMMEDIATE", {}, sqlite3.OperationalError("database is locked"))
        connection.info[_GATE_HELD] = True
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")  # other processes: SQLite's own busy timeout
        except BaseException:
            _open_gate(connection.info)
            raise

    def _open_gate(info: dict) -> None:
        if info.pop(_GATE_HELD, False):
            gate.release()

    # The transaction is over once its connection is back in the pool (committed or rolled back).
    event.listen(engine, "checkin", lambda _dbapi, record: _open_gate(record.info))
    event.listen(engine, "invalidate", lambda _dbapi, record, _exc: _open_gate(record.info))
    return engine


@contextmanager
def session_scope(engine: Engine, *, write: bool = True) -> Iterator[Session]:
    """A session that commits on success and rolls back on error. `write=False` for a transaction that
    only reads (on SQLite it then never waits for, nor blocks, a writer)."""
    bind = engine.execution_options(**{WRITE_OPTION: True}) if write else engine
    with Session(bind, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except Exception:
            session.rollback()
            raise


def is_busy(error: BaseException) -> bool:
    """Whether `error` is a bounded wait running out: the SQLite lock, a PostgreSQL lock or statement
    timeout, or no pooled connection in time. Such a request is answered 503 with Retry-After."""
    if isinstance(error, sa_exc.TimeoutError):  # the connection pool
        return True
    if isinstance(error, sa_exc.DBAPIError):
        original = error.orig
        if getattr(original, "sqlstate", None) in _PG_BUSY:
            return True
        message = str(original).lower()
        return "database is locked" in message or "database is busy" in message
    return False


def is_unavailable(error: BaseException) -> bool:
    """Whether `error` says the database cannot be reached or went away mid-request (PostgreSQL refusing
    connections, crashed, restarting). Such a request is answered 503 with Retry-After, like a busy one."""
    if not isinstance(error, sa_exc.DBAPIError):
        return False
    if error.connection_invalidated:  # SQLAlchemy saw the connection drop
        return True
    original = error.orig
    if type(original).__module__.split(".")[0] != "psycopg":
        return False  # SQLite: an OperationalError there is a bug or a busy lock, never an outage
    sqlstate = getattr(original, "sqlstate", None)
    if sqlstate is None:  # psycopg: the connection failed or was lost before any SQLSTATE came back
        return isinstance(original, _psycopg_operational_error())
    return sqlstate.startswith(_PG_UNAVAILABLE_CLASSES)


def _psycopg_operational_error() -> type[BaseException]:
    import psycopg

    return psycopg.OperationalError


def write_if_free(engine: Engine, write: Callable[[Session], object]) -> bool:
    """A small bookkeeping write (a last-seen time) in its own short transaction. When the database is busy
    it is skipped, not waited for twice: the next request writes it. Returns whether it was written."""
    try:
        with session_scope(engine) as session:
            write(session)
    except (sa_exc.DBAPIError, sa_exc.TimeoutError) as error:
        if not is_busy(error):
            raise
        log.info("bookkeeping write skipped: the database is busy")
        return False
    return True


def database_answers(session: Session) -> bool:
    """The health check's question: does the database answer a trivial query?"""
    return session.execute(text("SELECT 1")).scalar() == 1
