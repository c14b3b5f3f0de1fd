"""Alembic is the only way the schema changes: upgrading to head gives exactly the models.

Runs on SQLite and, when APTRAIN_TEST_DATABASE_URL is set, on PostgreSQL: the `engine` fixture is then a
PostgreSQL engine, so the models-vs-migrations comparison runs against PostgreSQL's own catalogue."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

import app.models  # noqa: F401
from tests.conftest import PG_URL


def test_the_engine_is_the_database_this_run_is_for(engine):
    """Guards the tests below: with APTRAIN_TEST_DATABASE_URL set they must really run on PostgreSQL."""
    assert engine.dialect.name == ("postgresql" if PG_URL else "sqlite")


def test_migrations_at_head_match_the_models(engine):
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []


def test_every_model_table_exists_after_upgrade(engine):
    tables = set(inspect(engine).get_table_names())
    assert set(SQLModel.metadata.tables) <= tables
    assert "alembic_version" in tables


def test_sqlite_runs_in_wal_mode_with_foreign_keys(engine):
    if engine.dialect.name != "sqlite":
        pytest.skip(f"journal_mode and foreign_keys are SQLite pragmas; this run's database is {engine.dialect.name}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
