"""With an LRS configured (settings), the service turns each step a learner takes into xAPI statements in the
outbox, in the request that records it; without one it makes none."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from app.main import create_app
from app.models import OutboxMessage
from app.services import outbox
from app.services.learning import xapi
from tests.conftest import HtmlClient, hidden_fields, make_settings
from tests.factories import PASSWORD, make_official


@pytest.fixture
def lrs_client(database_url, test_library):
    settings = make_settings(database_url, xapi_lrs_url="https://lrs.example.gov.uk/xAPI", xapi_lrs_username="key",
                             xapi_lrs_password="secret", base_url="https://training.example.gov.uk")
    application = create_app(settings, library=test_library)
    try:
        with TestClient(application, follow_redirects=False) as client:
            yield HtmlClient(client)
    finally:
        application.state.engine.dispose()
        xapi.configure(None)
        outbox.unregister_sender(xapi.CHANNEL)


def _start_and_choose(client, session, learner):
    client.sign_in(learner.email, PASSWORD)
    page = client.get("/modules/checkpoint-visit")
    started = client.post("/modules/checkpoint-visit/attempts", data=hidden_fields(page.text, action_ending="/attempts"))
    attempt_url = started.headers["location"]
    fields = hidden_fields(client.get(attempt_url).text, action_ending="/choice")
    assert client.post(f"{attempt_url}/choice", data={**fields, "choice": "report"}).status_code == 303


def test_each_step_a_learner_takes_is_queued_for_the_lrs(lrs_client, session):
    learner = make_official(session)
    _start_and_choose(lrs_client, session, learner)
    session.expire_all()
    messages = session.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    statements = [json.loads(m.payload) for m in messages]
    assert [m.channel for m in messages] == ["xapi"] * 3
    assert [s["verb"]["display"]["en-GB"] for s in statements] == ["launched", "experienced", "answered"]
    assert all(s["actor"]["account"] == {"homePage": "https://training.example.gov.uk", "name": str(learner.id)}
               for s in statements)
    assert statements[0]["object"]["id"] == "https://training.example.gov.uk/xapi/modules/checkpoint-visit"
    assert outbox.sender_for("xapi") is not None  # and the app registered the LRS sender


def test_without_an_lrs_nothing_is_queued(client, session):
    _start_and_choose(client, session, make_official(session))
    session.expire_all()
    assert session.exec(select(OutboxMessage)).first() is None
    assert outbox.sender_for("xapi") is None
