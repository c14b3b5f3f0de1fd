"""Migration 0010 gives every completion made before it a verification code (unique, the certificate's), and
goes down and up again cleanly, on SQLite and (with APTRAIN_TEST_DATABASE_URL) on PostgreSQL."""

from __future__ import annotations

import os
import re

import pytest
from alembic import command
from sqlalchemy import inspect, text

from app.cli import alembic_config
from app.db import make_engine
from tests.conftest import PG_URL, create_postgres_database, drop_postgres_database


@pytest.fixture
def fresh_url(tmp_path):
    if PG_URL:
        url = create_postgres_database(PG_URL, f"cert{os.getpid()}")
        yield url
        drop_postgres_database(PG_URL, url)
    else:
        yield f"sqlite:///{tmp_path / 'migrate.db'}"


def _completions(engine, n: int) -> None:
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO official (id, email, given_name, family_name, roles, active, created_at) "
                          "VALUES (1, 'a@example.gov.uk', 'A', 'B', 'learner', true, CURRENT_TIMESTAMP)"))
        conn.execute(text("INSERT INTO module_version (id, module_id, version, content_hash, title, max_score, pass_mark, "
                          "source, first_served_at) VALUES (1, 'm', '1.0.0', 'h', 'M', 10, 50, '', CURRENT_TIMESTAMP)"))
        for i in range(1, n + 1):
            conn.execute(text("INSERT INTO attempt (id, official_id, module_id, module_version_id, state, current_scene, "
                              "step, path_score, max_score, started_at, updated_at) VALUES "
                              f"({i}, 1, 'm', 1, 'finished', 'end', 3, 8, 10, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
            conn.execute(text("INSERT INTO completion (id, official_id, attempt_id, module_id, module_version, content_hash, "
                              f"score, percent, completed_at) VALUES ({i}, 1, {i}, 'm', '1.0.0', 'h', 8, 80, CURRENT_TIMESTAMP)"))


def test_existing_completions_get_unique_codes_and_the_migration_goes_down_and_up(fresh_url):
    config = alembic_config(fresh_url)
    command.upgrade(config, "0009")
    engine = make_engine(fresh_url)
    try:
        _completions(engine, 30)
        command.upgrade(config, "0010")
        with engine.connect() as conn:
            codes = [row[0] for row in conn.execute(text("SELECT verification_code FROM completion"))]
        assert len(codes) == 30 and len(set(codes)) == 30
        assert all(re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{20}", code) for code in codes)
        unique = [i for i in inspect(engine).get_indexes("completion") if i["name"] == "ix_completion_verification_code"]
        assert unique and unique[0]["unique"]
        command.downgrade(config, "0009")
        assert "verification_code" not in {c["name"] for c in inspect(engine).get_columns("completion")}
        command.upgrade(config, "head")
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM completion WHERE verification_code IS NULL")).scalar() == 0
    finally:
        engine.dispose()
