"""`aptrain xapi backfill [--since D]`: enqueues the statements of past events once; refuses without an LRS."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import func, select
from typer.testing import CliRunner

from app.cli import cli
from app.clock import today
from app.config import get_settings
from app.models import OutboxMessage
from app.services.learning import player, xapi
from tests.conftest import TEST_SECRET
from tests.factories import make_official


@pytest.fixture(autouse=True)
def environment(monkeypatch, database_url):
    monkeypatch.setenv("APTRAIN_ENVIRONMENT", "test")
    monkeypatch.setenv("APTRAIN_SECRET_KEY", TEST_SECRET)
    monkeypatch.setenv("APTRAIN_DATABASE_URL", database_url)
    get_settings.cache_clear()
    xapi.configure(None)
    yield
    get_settings.cache_clear()


def _lrs(monkeypatch):
    monkeypatch.setenv("APTRAIN_XAPI_LRS_URL", "https://lrs.example.gov.uk/xAPI")
    monkeypatch.setenv("APTRAIN_XAPI_LRS_USERNAME", "key")
    monkeypatch.setenv("APTRAIN_XAPI_LRS_PASSWORD", "secret")
    get_settings.cache_clear()


def _queued(session) -> int:
    session.expire_all()
    return session.exec(select(func.count()).select_from(OutboxMessage)).one()


def test_backfill_enqueues_past_events_once(monkeypatch, session, test_library):
    module = test_library.get("checkpoint-visit")
    attempt = player.start_attempt(session, make_official(session), module)
    player.choose(session, attempt, module, step=attempt.step, scene_id="start", choice_id="report")
    session.commit()  # launched, experienced, answered: recorded while no LRS was configured
    assert _queued(session) == 0
    refused = CliRunner().invoke(cli, ["xapi", "backfill"])
    assert refused.exit_code == 2 and "no LRS is configured" in refused.output
    _lrs(monkeypatch)
    first = CliRunner().invoke(cli, ["xapi", "backfill"])
    assert first.exit_code == 0, first.output
    assert "3 statement(s) for the events recorded: 3 enqueued, 0 already in the outbox." in first.output
    assert _queued(session) == 3
    again = CliRunner().invoke(cli, ["xapi", "backfill", "--since", today().isoformat()])
    assert again.exit_code == 0 and f"since {today().isoformat()}: 0 enqueued, 3 already" in again.output
    later = CliRunner().invoke(cli, ["xapi", "backfill", "--since", (today() + timedelta(days=1)).isoformat()])
    assert "0 statement(s)" in later.output and _queued(session) == 3
    bad = CliRunner().invoke(cli, ["xapi", "backfill", "--since", "yesterday"])
    assert bad.exit_code == 2 and "not a date" in bad.output
