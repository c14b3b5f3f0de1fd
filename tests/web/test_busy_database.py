"""Every wait for the database is bounded: a request that cannot get its lock in time answers 503 with
Retry-After (never a 500, never a hang), saves nothing half-way, and reads carry on meanwhile."""

from __future__ import annotations

import sqlite3
import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlmodel import select

from app.db import DatabaseLimits, is_busy, make_engine
from app.main import create_app
from app.models import Attempt
from tests.conftest import HtmlClient, make_settings
from tests.factories import PASSWORD, make_official
from tests.web.test_learn import form_fields


@pytest.fixture
def impatient_client(database_url, test_library):
    """The app with short bounds: 0.3 s for the SQLite lock, 300 ms for a PostgreSQL row lock."""
    settings = make_settings(database_url, db_busy_timeout_seconds=0.3, db_lock_timeout_ms=300)
    application = create_app(settings, library=test_library)
    with TestClient(application, follow_redirects=False) as test_client:
        yield HtmlClient(test_client)
    application.state.engine.dispose()


def _start(client) -> object:
    page = client.get("/modules/checkpoint-visit")
    assert page.status_code == 200
    return client.post("/modules/checkpoint-visit/attempts", data=form_fields(page.text, "/attempts"))


def _assert_busy_page(response) -> None:
    assert response.status_code == 503, response.text[:500]
    assert response.headers["Retry-After"] == "2"
    assert "Sorry, the service is busy" in response.text
    assert "was not saved" in response.text


def test_sqlite_a_write_that_cannot_get_the_lock_answers_503_and_reads_carry_on(impatient_client, session, database_url):
    if not database_url.startswith("sqlite"):
        pytest.skip("the SQLite write lock")
    official = make_official(session)
    impatient_client.sign_in(official.email, PASSWORD)
    holder = sqlite3.connect(make_url(database_url).database, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer holds the lock
    try:
        started = time.monotonic()
        _assert_busy_page(_start(impatient_client))
        assert time.monotonic() - started < 5, "the wait for the lock was not bounded"
        assert impatient_client.get("/training").status_code == 200  # readers never wait for the writer
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert session.exec(select(Attempt)).all() == []  # nothing half-saved
    assert _start(impatient_client).status_code == 303  # and once the lock is free, it works


def test_postgresql_a_row_lock_held_too_long_answers_503(impatient_client, session, database_url):
    if database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL's lock_timeout")
    official = make_official(session)
    impatient_client.sign_in(official.email, PASSWORD)
    holder = make_engine(database_url)
    with holder.connect() as conn:
        conn.execute(text("SELECT id FROM official WHERE id = :id FOR UPDATE"), {"id": official.id})
        started = time.monotonic()
        _assert_busy_page(_start(impatient_client))
        assert time.monotonic() - started < 5
        conn.rollback()
    holder.dispose()
    session.expire_all()
    assert session.exec(select(Attempt)).all() == []
    assert _start(impatient_client).status_code == 303


def test_postgresql_connections_carry_the_timeouts(database_url):
    if database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL settings")
    engine = make_engine(database_url, DatabaseLimits(lock_timeout_ms=1234, statement_timeout_ms=5678,
                                                      idle_in_transaction_timeout_ms=9012))
    with engine.connect() as conn:
        assert conn.execute(text("SHOW lock_timeout")).scalar() == "1234ms"
        assert conn.execute(text("SHOW statement_timeout")).scalar() == "5678ms"
        assert conn.execute(text("SHOW idle_in_transaction_session_timeout")).scalar() == "9012ms"
        with pytest.raises(Exception) as raised:
            conn.execute(text("SET LOCAL statement_timeout = 50; SELECT pg_sleep(1)"))
        assert is_busy(raised.value)
    engine.dispose()


def test_the_api_keeps_answering_reads_while_a_writer_holds_the_lock(impatient_client, session, database_url):
    """The bookkeeping write of a token's last use is skipped when busy; the read itself goes on."""
    if not database_url.startswith("sqlite"):
        pytest.skip("the SQLite write lock")
    from app.services.accounts import api_tokens
    from app.services.audit import Actor

    admin = make_official(session, roles="central-admin")
    _token, secret = api_tokens.create(session, Actor(admin.id, admin.full_name), "BI", everything=True)
    session.commit()
    holder = sqlite3.connect(make_url(database_url).database, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        response = impatient_client.client.get("/api/v1/compliance/summary", headers={"Authorization": f"Bearer {secret}"})
        assert response.status_code == 200, response.text  # a read: the last-use note waits for a quieter moment
    finally:
        holder.execute("ROLLBACK")
        holder.close()
