"""For operators: /readyz (database reachable in time, migrations current), /metrics (latency by route template,
recompute time, the outbox's depth; protected by a token, absent in production without one), and one request id
on every log line a request causes and in its response."""

from __future__ import annotations

import io
import json
import logging
import re
import socket
import threading
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from app.clock import today
from app.logs import REQUEST_ID, JsonFormatter, TextFormatter, request_id_from
from app.main import create_app
from app.services import outbox
from app.services.operations import code_heads
from app.services.organisation.assignments import recompute_officials
from tests.conftest import PG_URL, make_settings


def sample(text_format: str, name: str, **labels: str) -> float | None:
    """One sample's value from Prometheus's text format."""
    wanted = name + ("{" + ",".join(f'{k}="{v}"' for k, v in labels.items()) + "}" if labels else "")
    for line in text_format.splitlines():
        if line.startswith(wanted + " "):
            return float(line.rsplit(" ", 1)[1])
    return None


# --- /readyz ------------------------------------------------------------------------------------------------------


def test_ready_when_the_database_answers_and_is_at_the_newest_migration(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "migration": " ".join(code_heads()),
                               "expected_migration": " ".join(code_heads())}


def test_not_ready_when_the_database_is_behind_the_code(client, engine):
    with engine.begin() as connection:
        current = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        connection.execute(text("UPDATE alembic_version SET version_num = '0009'"))
    try:
        response = client.get("/readyz")
        assert response.status_code == 503 and response.headers["retry-after"]
        body = response.json()
        assert body["status"] == "not ready" and body["migration"] == "0009"
        assert "0009" in body["reason"] and "aptrain db upgrade" in body["reason"]
        assert client.get("/healthz").status_code == 200  # the process itself is alive
    finally:  # PostgreSQL's test database is shared by the run, and emptying it leaves alembic_version alone
        with engine.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": current})


def test_not_ready_when_the_database_cannot_be_reached_or_does_not_answer_in_time(test_library):
    with socket.socket() as closed:  # a port nobody listens on: refused at once
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    app = create_app(make_settings(f"postgresql+psycopg://postgres@127.0.0.1:{port}/none"), library=test_library)
    with TestClient(app) as client:
        response = client.get("/readyz")
    assert response.status_code == 503 and "cannot be reached" in response.json()["reason"]

    silent = socket.socket()  # accepts connections and never says a word
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    accepted = []
    threading.Thread(target=lambda: accepted.append(silent.accept()), daemon=True).start()
    settings = make_settings(f"postgresql+psycopg://postgres@127.0.0.1:{silent.getsockname()[1]}/none",
                             ready_timeout_seconds=0.5)
    app = create_app(settings, library=test_library)
    try:
        with TestClient(app) as client:
            response = client.get("/readyz")
        assert response.status_code == 503
        assert response.json()["reason"] == "the database did not answer within 0.5 s"
    finally:
        for connection, _address in accepted:
            connection.close()
        silent.close()


# --- /metrics -----------------------------------------------------------------------------------------------------


def test_metrics_time_requests_by_route_template_and_recomputes(client, session, org):
    client.get("/attempts/987654")  # a path with an id: counted under its template, not the raw path
    client.get("/no-such-page/12345")
    before = sample(client.get("/metrics").text, "aptrain_assignment_recompute_seconds_count") or 0
    recompute_officials(session, [org["learner"].id], today())
    session.commit()
    body = client.get("/metrics").text
    assert sample(body, "aptrain_http_request_duration_seconds_count", method="GET", route="/attempts/{attempt_id}",
                  status="303") >= 1
    assert sample(body, "aptrain_http_request_duration_seconds_count", method="GET", route="(unmatched)",
                  status="404") >= 1
    routes = set(re.findall(r'route="([^"]*)"', body))  # (a sample's timestamp may hold any digits)
    assert routes and not any("987654" in r or "12345" in r for r in routes), routes
    assert sample(body, "aptrain_assignment_recompute_seconds_count") == before + 1


def test_metrics_report_the_outbox_depth_and_do_without_an_outbox(client, session, engine):
    outbox.enqueue(session, "email", "test:one", {"to": "a@example.gov.uk"})
    outbox.enqueue(session, "email", "test:two", {"to": "b@example.gov.uk"})
    session.commit()
    body = client.get("/metrics").text
    assert sample(body, "aptrain_outbox_messages", status="queued") == 2
    assert sample(body, "aptrain_outbox_messages", status="failed") == 0
    assert sample(body, "aptrain_outbox_oldest_due_seconds") >= 0
    if PG_URL:
        return  # the shared PostgreSQL test database keeps its tables
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE outbox_message"))
    response = client.get("/metrics")
    assert response.status_code == 200 and "aptrain_outbox" not in response.text
    assert "aptrain_http_request_duration_seconds" in response.text


def test_metrics_need_the_token_when_one_is_set_and_are_absent_in_production_without_one(database_url, test_library):
    settings = make_settings(database_url, metrics_token="scrape-token-0123456789")
    with TestClient(create_app(settings, library=test_library)) as client:
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic scrape-token-0123456789"}):
            response = client.get("/metrics", headers=headers)
            assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"
        response = client.get("/metrics", headers={"Authorization": "Bearer scrape-token-0123456789"})
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    production = make_settings(database_url, environment="production", base_url="https://training.example.gov.uk",
                               allowed_hosts=["testserver"])
    with TestClient(create_app(production, library=test_library)) as client:
        assert client.get("/metrics").status_code == 404
        assert client.get("/readyz").status_code == 200


# --- request ids and logs -----------------------------------------------------------------------------------------


@pytest.fixture
def log_lines():
    """Every log record while the test runs, formatted as JSON at the moment it is written."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)
    root.setLevel(level)


def test_every_log_line_of_a_request_carries_its_id_which_the_response_returns(app, log_lines, monkeypatch):
    from app.web import pages

    def failing(_session):
        logging.getLogger("aptrain.test").warning("about to fail")  # in the thread pool, like every handler
        raise RuntimeError("boom")

    monkeypatch.setattr(pages, "database_answers", failing)
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/healthz")
        kept = client.get("/readyz", headers={"X-Request-ID": "lb-7f3a9c21-0001"})
        replaced = client.get("/readyz", headers={"X-Request-ID": "bad id\nforged: line"})
    assert response.status_code == 500
    request_id = response.headers["x-request-id"]
    assert len(request_id) == 32
    lines = [line for line in log_lines() if line["request_id"] == request_id]
    assert {line["logger"] for line in lines} >= {"aptrain.test", "aptrain", "aptrain.access"}
    access = next(line for line in lines if line["logger"] == "aptrain.access")
    assert (access["route"], access["status"], access["method"]) == ("/healthz", 500, "GET")
    assert access["duration_ms"] >= 0
    failure = next(line for line in lines if line["logger"] == "aptrain")
    assert "RuntimeError: boom" in failure["exception"]
    assert kept.headers["x-request-id"] == "lb-7f3a9c21-0001"
    assert replaced.headers["x-request-id"] != "bad id\nforged: line" and len(replaced.headers["x-request-id"]) == 32


def test_formats_and_settings():
    record = logging.makeLogRecord({"name": "aptrain", "levelname": "INFO", "msg": "hello %s", "args": ("world",)})
    token = REQUEST_ID.set("abc123def456")
    try:
        line = json.loads(JsonFormatter().format(record))
        assert (line["message"], line["request_id"], line["level"]) == ("hello world", "abc123def456", "info")
        assert line["time"].endswith("Z")
        assert "[abc123def456] hello world" in TextFormatter().format(record)
    finally:
        REQUEST_ID.reset(token)
    assert "[-] hello world" in TextFormatter().format(record)
    assert request_id_from("x" * 200) != "x" * 200 and request_id_from("short") != "short"
    assert make_settings("sqlite://").log_format == "text"
    production = make_settings("sqlite://", environment="production", base_url="https://training.example.gov.uk")
    assert production.log_format == "json"
    assert make_settings("sqlite://", log_format="json").log_format == "json"


def test_an_outbox_message_due_long_ago_shows_its_wait(client, session):
    from app.clock import utcnow
    from app.models import OutboxMessage

    session.add(OutboxMessage(channel="email", key="test:old", payload="{}",
                              next_attempt_at=utcnow() - timedelta(minutes=10)))
    session.commit()
    assert sample(client.get("/metrics").text, "aptrain_outbox_oldest_due_seconds") >= 600
