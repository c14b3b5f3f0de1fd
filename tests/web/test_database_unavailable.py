"""A database that cannot be reached (PostgreSQL down or restarting) is a 503 with Retry-After and a page
saying the service is unavailable, never a 500. (tests/server/test_database_faults.py kills a real cluster
under load and checks the recovery.)"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import exc as sa_exc

from app.db import is_busy, is_unavailable
from app.main import create_app
from tests.conftest import HtmlClient, make_settings
from tests.live import free_port


@pytest.fixture
def client_without_database(test_library):
    """The app pointed at a PostgreSQL port where nothing listens (connection refused at once)."""
    url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/aptrain"
    application = create_app(make_settings(url), library=test_library)
    with TestClient(application, follow_redirects=False) as test_client:
        yield HtmlClient(test_client)
    application.state.engine.dispose()


def test_a_page_needing_the_database_answers_503_unavailable(client_without_database):
    token = client_without_database.csrf_token("/sign-in")
    response = client_without_database.post("/sign-in", data={"email": "someone@example.gov.uk", "password": "x" * 12,
                                                               "csrf_token": token})
    assert response.status_code == 503, response.text[:500]
    assert response.headers["Retry-After"] == "2"
    assert "Sorry, the service is unavailable" in response.text
    assert "cannot reach its database" in response.text


def test_the_api_answers_503_json_when_the_database_is_unreachable(client_without_database):
    response = client_without_database.get("/api/v1/assignments", headers={"Authorization": "Bearer apt_" + "x" * 40})
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "2"
    assert response.json() == {"detail": "The service is unavailable: try again in a few seconds"}


def test_which_database_errors_are_an_outage():
    import sqlite3

    import psycopg

    refused = sa_exc.OperationalError("SELECT 1", {}, psycopg.OperationalError("connection refused"))
    assert is_unavailable(refused) and not is_busy(refused)
    shutdown = sa_exc.OperationalError("SELECT 1", {}, psycopg.errors.AdminShutdown("terminating connection"))
    assert is_unavailable(shutdown)
    assert not is_unavailable(sa_exc.ProgrammingError("SELECT x", {}, psycopg.errors.UndefinedColumn("no column x")))
    assert not is_unavailable(sa_exc.OperationalError("SELECT 1", {}, sqlite3.OperationalError("no such table: x")))
    assert not is_unavailable(ValueError("not a database error"))
