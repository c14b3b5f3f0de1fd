"""`aptrain db backup` and `aptrain db restore`: a backup taken while another connection keeps writing is one
consistent moment of the database, and restoring it brings exactly that moment back."""

from __future__ import annotations

import shutil
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from app.cli import cli
from app.config import get_settings
from app.services.backup import BackupError, restore_sqlite
from tests.conftest import PG_URL, TEST_SECRET

sqlite_only = pytest.mark.skipif(bool(PG_URL), reason="SQLite's backup API (PostgreSQL: see the pg_dump test)")


@pytest.fixture
def database(monkeypatch, database_url) -> Path:
    """A migrated SQLite database with a table of numbered writes and their running total."""
    monkeypatch.setenv("APTRAIN_ENVIRONMENT", "test")
    monkeypatch.setenv("APTRAIN_SECRET_KEY", TEST_SECRET)
    monkeypatch.setenv("APTRAIN_DATABASE_URL", database_url)
    get_settings.cache_clear()
    path = Path(make_url(database_url).database)
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("CREATE TABLE tick (n INTEGER PRIMARY KEY, filler TEXT NOT NULL)")
        connection.execute("CREATE TABLE total (n INTEGER NOT NULL)")
        connection.execute("INSERT INTO total VALUES (0)")
    yield path
    get_settings.cache_clear()


class Writer(threading.Thread):
    """Writes tick 1, 2, 3, … each in its own transaction with the total, until told to stop."""

    def __init__(self, path: Path) -> None:
        super().__init__(daemon=True)
        self.path, self.written, self.stop, self.error = path, 0, threading.Event(), None

    def run(self) -> None:
        connection = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        try:
            while not self.stop.is_set():
                connection.execute("BEGIN IMMEDIATE")
                connection.execute("INSERT INTO tick VALUES (?, ?)", (self.written + 1, "x" * 2000))
                connection.execute("UPDATE total SET n = n + 1")
                connection.execute("COMMIT")
                self.written += 1
        except Exception as error:
            self.error = error
        finally:
            connection.close()

    def wait_for(self, count: int) -> None:
        deadline = time.monotonic() + 20
        while self.written < count:
            assert self.error is None and time.monotonic() < deadline, self.error
            time.sleep(0.005)


def ticks(path: Path) -> tuple[list[int], int, str]:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        numbers = [row[0] for row in connection.execute("SELECT n FROM tick ORDER BY n")]
        total = connection.execute("SELECT n FROM total").fetchone()[0]
        revision = connection.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    return numbers, total, revision


def run(*args) -> object:
    return CliRunner().invoke(cli, ["db", *map(str, args)])


def said(result) -> str:
    """The command's output as one line (rich wraps long lines at the terminal's width)."""
    return " ".join(result.output.split())


@sqlite_only
def test_a_backup_taken_during_writes_restores_to_one_consistent_moment(database, tmp_path):
    writer = Writer(database)
    writer.start()
    try:
        writer.wait_for(200)
        before = writer.written
        result = run("backup", tmp_path / "backups" / "aptrain.db")
        after = writer.written
        writer.wait_for(after + 50)  # still writing after the backup finished
    finally:
        writer.stop.set()
        writer.join(10)
    assert writer.error is None and result.exit_code == 0, result.output
    assert "Backed up to" in said(result)
    backup = tmp_path / "backups" / "aptrain.db"
    numbers, total, revision = ticks(backup)
    # A prefix of the writes, each with its total: the database as it was between two transactions.
    assert numbers == list(range(1, len(numbers) + 1)) and total == len(numbers)
    assert before <= len(numbers) <= after and revision
    assert not list((tmp_path / "backups").glob(".*partial"))
    final, final_total, _ = ticks(database)
    assert len(final) == final_total == writer.written > len(numbers)

    refused = run("restore", backup)
    assert refused.exit_code == 1 and "--yes" in said(refused)
    assert len(ticks(database)[0]) == writer.written  # nothing changed

    restored = run("restore", backup, "--yes")
    assert restored.exit_code == 0, restored.output
    assert ticks(database) == (numbers, total, revision)
    kept = list(database.parent.glob(f"{database.stem}.before-restore-*.db"))
    assert len(kept) == 1 and len(ticks(kept[0])[0]) == writer.written  # the database as it was, kept
    # The restored database is this service's: the app opens it and is ready.
    from fastapi.testclient import TestClient

    from app.main import create_app
    from tests.conftest import make_settings

    with TestClient(create_app(make_settings(f"sqlite:///{database}"))) as client:
        assert client.get("/readyz").json()["status"] == "ready"


@sqlite_only
def test_restore_refuses_what_is_not_a_backup_of_this_service(database, tmp_path):
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"not a database at all" * 100)
    result = run("restore", garbage, "--yes")
    assert result.exit_code == 1 and "not an SQLite database" in said(result)
    foreign = tmp_path / "foreign.db"
    sqlite3.connect(foreign).execute("CREATE TABLE t (x)").connection.close()
    with pytest.raises(BackupError, match="no migration record"):
        restore_sqlite(foreign, database)
    assert ticks(database)[1] == 0  # untouched


@sqlite_only
def test_backup_refuses_to_overwrite_the_database_itself(database):
    result = run("backup", database)
    assert result.exit_code == 1 and "must not be the database itself" in said(result)


@pytest.mark.skipif(not shutil.which("pg_dump"), reason="pg_dump is not installed")
def test_postgresql_backup_is_a_pg_dump_and_restore_prints_pg_restore(monkeypatch, tmp_path):
    url = PG_URL or "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    monkeypatch.setenv("APTRAIN_ENVIRONMENT", "test")
    monkeypatch.setenv("APTRAIN_SECRET_KEY", TEST_SECRET)
    monkeypatch.setenv("APTRAIN_DATABASE_URL", url)
    get_settings.cache_clear()
    try:
        import psycopg

        try:
            psycopg.connect(make_url(url).set(drivername="postgresql").render_as_string(hide_password=False),
                            connect_timeout=2).close()
        except psycopg.OperationalError:
            pytest.skip("no PostgreSQL server to dump")
        result = run("backup", tmp_path / "aptrain.dump")
        assert result.exit_code == 0, result.output
        assert (tmp_path / "aptrain.dump").read_bytes()[:5] == b"PGDMP"  # pg_dump's custom format
        restore = run("restore", tmp_path / "aptrain.dump", "--yes")
        assert restore.exit_code == 2 and "pg_restore" in said(restore)
    finally:
        get_settings.cache_clear()
