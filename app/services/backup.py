"""Backing up and restoring the database.

SQLite: SQLite's online backup API copies the whole database in one step, inside one read transaction, so the
copy is the database as it was at one moment even while the server goes on writing (WAL: the writers do not wait
for it). It is written beside the target under a temporary name, checked (`PRAGMA integrity_check`) and only then
renamed into place, so PATH is never half a backup. Restoring copies a checked backup into the database file with
the same API, in one write transaction: any process still connected sees the old database or the restored one,
never a mixture. The database as it was is kept beside it first.

PostgreSQL: `pg_dump --format=custom` when it is installed; restoring is `pg_restore`, by hand (see the README).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import make_url


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why and what to do."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size: int
    revision: str | None  # the backup's migration


def sqlite_path(database_url: str) -> Path | None:
    """The file of an SQLite URL; None for any other database."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        return None
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(url.database)


def _check(path: Path) -> str | None:
    """Fails unless `path` is a sound SQLite database; returns its migration (alembic_version), if any."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        result = connection.execute("PRAGMA integrity_check").fetchall()
        if result != [("ok",)]:
            raise BackupError(f"{path} fails SQLite's integrity check: {result[:3]}")
        try:
            row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        except sqlite3.DatabaseError:
            return None
        return row[0] if row else None
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{path} is not an SQLite database ({error})") from None
    finally:
        connection.close()


def backup_sqlite(database: Path, target: Path, busy_timeout: float = 5.0) -> BackupResult:
    """A consistent copy of the SQLite database `database` at `target` (replaced if it exists), checked."""
    if not database.is_file():
        raise BackupError(f"no database at {database}")
    target = target.resolve()
    if target == database.resolve():
        raise BackupError("the backup must not be the database itself")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    source = sqlite3.connect(database, timeout=busy_timeout)
    copy = sqlite3.connect(partial)
    try:
        source.backup(copy)  # pages=-1: every page in one step, one read transaction, one moment
    finally:
        copy.close()
        source.close()
    try:
        revision = _check(partial)
        with open(partial, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return BackupResult(target, target.stat().st_size, revision)


def restore_sqlite(backup: Path, database: Path, busy_timeout: float = 5.0) -> tuple[BackupResult, Path | None]:
    """Replace the contents of `database` with the checked backup `backup`. The database as it was is kept
    first, beside it (`<name>.before-restore-<UTC time>.db`); returns the restored database and that copy."""
    if not backup.is_file():
        raise BackupError(f"no backup at {backup}")
    if backup.resolve() == database.resolve():
        raise BackupError("the backup is the database itself")
    revision = _check(backup)
    if revision is None:
        raise BackupError(f"{backup} holds no migration record (alembic_version): not a backup of this service")
    kept = None
    if database.is_file():
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        name = f"{database.stem}.before-restore-{stamp}{database.suffix}"
        kept = backup_sqlite(database, database.with_name(name), busy_timeout).path
    source = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
    target = sqlite3.connect(database, timeout=busy_timeout)
    try:
        source.backup(target)  # one write transaction on the database: all of the backup, or nothing
    except sqlite3.OperationalError as error:
        raise BackupError(f"could not write {database} ({error}): stop the server and the worker, then try again") from None
    finally:
        target.close()
        source.close()
    _check(database)
    return BackupResult(database, database.stat().st_size, revision), kept


def pg_dump(database_url: str, target: Path) -> BackupResult:
    """`pg_dump --format=custom` of a PostgreSQL database to `target` (restore with pg_restore)."""
    program = shutil.which("pg_dump")
    if program is None:
        raise BackupError("pg_dump is not installed here: install PostgreSQL's client tools (the server's major "
                          "version or newer), or run pg_dump where they are (see the README)")
    url = make_url(database_url).set(drivername="postgresql")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    environment = {**os.environ}
    if url.password:
        environment["PGPASSWORD"] = url.password
    dsn = url.set(password=None).render_as_string(hide_password=False)
    try:
        done = subprocess.run([program, "--format=custom", "--no-owner", f"--file={partial}", f"--dbname={dsn}"],
                              env=environment, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise BackupError(f"pg_dump failed: {done.stderr.strip()}")
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return BackupResult(target, target.stat().st_size, None)
