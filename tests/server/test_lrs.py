"""Learning records reach a real Learning Record Store: Ralph (ralph-malph 5.1.0 in its own virtual environment,
.venv-ralph), started by the test in a fresh folder. An attempt's events become statements in the outbox, the
worker delivers them, and GET /xAPI/statements gives them back; resending is harmless; a different statement
under a known id (409) and bad credentials (401) are permanent failures kept with their reason. Where Ralph
cannot be installed the tests skip, saying why."""

from __future__ import annotations

import json
import threading

import pytest
from sqlmodel import Session, select

from app.models import OutboxMessage
from app.services import outbox
from app.services import worker as outbox_worker
from app.services.learning import player, xapi
from app.services.learning.lrs import LrsSender
from app.services.outbox import PermanentFailure, TemporaryFailure
from tests.factories import make_official
from tests.live import free_port
from tests.lrs import ralph_lrs

ADL = "http://adlnet.gov/expapi/verbs/"


@pytest.fixture(scope="module")
def auth_file(tmp_path_factory):
    reason = ralph_lrs.unavailable()
    if reason:
        pytest.skip(reason)
    return ralph_lrs.make_auth_file(tmp_path_factory.mktemp("ralph-auth"))


@pytest.fixture
def lrs(auth_file, tmp_path):
    with ralph_lrs.ralph(tmp_path / "lrs", auth_file) as running:
        yield running


@pytest.fixture
def lrs_settings(settings, lrs):
    """The settings with this LRS configured; statements on and the "xapi" sender registered for the test."""
    configured = settings.model_copy(update={
        "xapi_lrs_url": lrs.url, "xapi_lrs_username": lrs.username,
        "xapi_lrs_password": type(settings.secret_key)(lrs.password), "base_url": "https://training.example.gov.uk"})
    xapi.setup(configured)
    yield configured
    xapi.configure(None)
    outbox.unregister_sender(xapi.CHANNEL)


def _deliver(engine) -> outbox_worker.Tally:
    return outbox_worker.run(engine, batch=50, claim_seconds=60, poll_seconds=0.05,
                             policy=outbox_worker.RetryPolicy(3, 0.01, 0.05), stop=threading.Event(), until_empty=True)


def _messages(engine) -> list[OutboxMessage]:
    with Session(engine) as session:
        return list(session.exec(select(OutboxMessage).order_by(OutboxMessage.id)))


def _pass(session, module):
    learner = make_official(session)
    attempt = player.start_attempt(session, learner, module)
    for choice_id in ("report", "ask-un"):
        player.choose(session, attempt, module, step=attempt.step, scene_id=attempt.current_scene, choice_id=choice_id)
        player.proceed(session, attempt, module, step=attempt.step)
    player.proceed(session, attempt, module, step=attempt.step)
    player.answer(session, attempt, module, step=attempt.step, answers={"q-prep": {"2"}, "q-signs": {"1", "2"}})
    session.commit()
    return learner


def _fail_after_going_back(session, module):
    """To the poor ending, back (rewound), to it again, every answer wrong: … rewound … failed."""
    attempt = player.start_attempt(session, make_official(session), module)
    for choice_id in ("report", "send-name"):
        player.choose(session, attempt, module, step=attempt.step, scene_id=attempt.current_scene, choice_id=choice_id)
        player.proceed(session, attempt, module, step=attempt.step)
    assert player.rewind(session, attempt, module, step=attempt.step)
    player.choose(session, attempt, module, step=attempt.step, scene_id=attempt.current_scene, choice_id="send-name")
    player.proceed(session, attempt, module, step=attempt.step)
    player.proceed(session, attempt, module, step=attempt.step)
    player.answer(session, attempt, module, step=attempt.step, answers={"q-prep": {"1"}, "q-signs": {"3"}})
    session.commit()
    assert attempt.passed is False


def test_a_fail_and_a_rewind_reach_the_lrs(engine, session, test_library, lrs, lrs_settings):
    _fail_after_going_back(session, test_library.get("checkpoint-visit"))
    queued = {json.loads(m.payload)["id"]: json.loads(m.payload) for m in _messages(engine)}
    tally = _deliver(engine)
    assert (tally.sent, tally.failed) == (len(queued), 0)
    stored = {s["id"]: s for s in lrs.statements()}
    assert set(stored) == set(queued)
    verbs = {s["verb"]["id"] for s in stored.values()}
    assert {ADL + "failed", ADL + "completed", "https://training.example.gov.uk/xapi/verbs/rewound"} <= verbs
    assert ADL + "passed" not in verbs
    failed = next(s for s in stored.values() if s["verb"]["id"] == ADL + "failed")
    assert failed["result"]["success"] is False


def test_an_attempts_statements_reach_the_lrs_and_read_back(engine, session, test_library, lrs, lrs_settings):
    learner = _pass(session, test_library.get("checkpoint-visit"))
    queued = [json.loads(m.payload) for m in _messages(engine)]
    assert len(queued) == 11
    tally = _deliver(engine)
    assert (tally.sent, tally.failed) == (11, 0)
    assert {m.status for m in _messages(engine)} == {"sent"}
    stored = {s["id"]: s for s in lrs.statements()}
    assert set(stored) == {s["id"] for s in queued}
    verbs = sorted(s["verb"]["id"].removeprefix(ADL) for s in stored.values())
    assert verbs == sorted(["launched", "experienced", "answered", "experienced", "answered", "experienced",
                            "experienced", "answered", "answered", "completed", "passed"])
    for sent in queued:  # what the LRS gives back is what was sent (plus what the LRS adds: stored, authority…)
        back = stored[sent["id"]]
        assert back["actor"] == sent["actor"] == {"objectType": "Agent", "account": {
            "homePage": "https://training.example.gov.uk", "name": str(learner.id)}}
        assert back["verb"] == sent["verb"] and back["object"]["id"] == sent["object"]["id"]
        assert back["context"]["registration"] == sent["context"]["registration"]
        assert back["context"]["revision"] == "1.2.0"
    passed = next(s for s in stored.values() if s["verb"]["id"] == ADL + "passed")
    assert passed["object"]["id"] == "https://training.example.gov.uk/xapi/modules/checkpoint-visit"
    assert passed["result"]["success"] is True

    # Resending is harmless: the same statement again is accepted (204) and stored once.
    sender = LrsSender(lrs.url, lrs.username, lrs.password)
    sender.send(queued[0])
    assert len(lrs.statements()) == 11

    # A backfill finds every statement already in the outbox: nothing new to send.
    made, new = xapi.backfill(session, xapi.current_config())
    assert (made, new) == (11, 0)


def test_a_different_statement_under_a_known_id_is_a_permanent_failure(engine, session, test_library, lrs, lrs_settings):
    _pass(session, test_library.get("checkpoint-visit"))
    _deliver(engine)
    first = json.loads(_messages(engine)[0].payload)
    changed = {**first, "verb": {"id": ADL + "attempted", "display": {"en-GB": "attempted"}}}
    assert outbox.enqueue(session, "xapi", "xapi:changed-for-the-test", changed)
    session.commit()
    tally = _deliver(engine)
    assert (tally.sent, tally.failed) == (0, 1)
    failed = _messages(engine)[-1]
    assert failed.status == "failed" and "409" in failed.last_error and first["id"] in failed.last_error
    assert len(lrs.statements()) == 11  # the LRS kept the first


def test_wrong_credentials_are_a_permanent_failure(lrs):
    sender = LrsSender(lrs.url, lrs.username, "not-the-password")
    with pytest.raises(PermanentFailure, match="LRS 401"):
        sender.send({"id": "6f1c0a52-8a6b-5d55-9a1e-2f4f1a0e7c11", "actor": {"mbox": "mailto:a@example.org"},
                     "verb": {"id": ADL + "launched"}, "object": {"id": "https://training.example.gov.uk/xapi/modules/x"}})
    assert lrs.statements() == []


def test_an_lrs_that_does_not_answer_is_a_temporary_failure():
    sender = LrsSender(f"http://127.0.0.1:{free_port()}/xAPI", "u", "p", timeout=2)
    with pytest.raises(TemporaryFailure, match="LRS unreachable"):
        sender.send({"id": "6f1c0a52-8a6b-5d55-9a1e-2f4f1a0e7c11"})
