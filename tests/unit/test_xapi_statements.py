"""Learning records: each attempt event's xAPI statements (ADL verbs, activity ids under the base IRI, the
official as an account), ids stable per (attempt, event, verb), enqueued with the event only when an LRS is
configured, and a backfill that enqueues nothing twice."""

from __future__ import annotations

import uuid

import pytest
from sqlmodel import select

from app.models import EventKind, OutboxMessage
from app.services.learning import player, xapi
from app.services.learning.xapi import XapiConfig
from tests.factories import make_official

BASE = "https://training.example.gov.uk/xapi"
CONFIG = XapiConfig(activity_base=BASE, home_page="https://training.example.gov.uk")
ADL = "http://adlnet.gov/expapi/verbs/"


@pytest.fixture
def configured():
    xapi.configure(CONFIG)
    yield CONFIG
    xapi.configure(None)


@pytest.fixture
def module(test_library):
    return test_library.get("checkpoint-visit")


def _pass(session, module, learner):
    """The best path and every answer right: launched … passed."""
    attempt = player.start_attempt(session, learner, module)
    for choice_id in ("report", "ask-un"):
        player.choose(session, attempt, module, step=attempt.step, scene_id=attempt.current_scene, choice_id=choice_id)
        player.proceed(session, attempt, module, step=attempt.step)
    player.proceed(session, attempt, module, step=attempt.step)
    player.answer(session, attempt, module, step=attempt.step, answers={"q-prep": {"2"}, "q-signs": {"1", "2"}})
    session.commit()
    return attempt


def _queued(session) -> list[dict]:
    import json

    rows = session.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert all(r.channel == "xapi" and r.key == f"xapi:{json.loads(r.payload)['id']}" for r in rows)
    return [json.loads(r.payload) for r in rows]


def test_an_attempt_makes_statements_with_adl_verbs_in_the_same_transaction(session, module, configured):
    learner = make_official(session)
    attempt = _pass(session, module, learner)
    statements = _queued(session)
    verbs = [s["verb"]["id"].removeprefix(ADL) for s in statements]
    assert verbs == ["launched", "experienced", "answered", "experienced", "answered", "experienced", "experienced",
                     "answered", "answered", "completed", "passed"]
    module_iri = f"{BASE}/modules/checkpoint-visit"
    launched, shown, chose = statements[:3]
    assert launched["object"]["id"] == module_iri and launched["object"]["definition"]["name"] == {"en-GB": module.title}
    assert launched["context"]["revision"] == "1.2.0"
    assert launched["context"]["contextActivities"]["grouping"][0]["id"] == f"{module_iri}/versions/1.2.0"
    assert shown["object"]["id"] == f"{module_iri}/scenes/start"
    assert shown["context"]["contextActivities"]["parent"][0]["id"] == module_iri
    assert chose["object"]["id"] == f"{module_iri}/scenes/start" and chose["result"]["response"] == "report"
    answers = [s for s in statements if s["object"]["id"].startswith(f"{module_iri}/questions/")]
    assert {a["object"]["id"].rsplit("/", 1)[1]: a["result"]["response"] for a in answers} == {"q-prep": "2", "q-signs": "1[,]2"}
    assert all(a["result"]["success"] for a in answers)
    completed, passed = statements[-2:]
    assert completed["result"]["completion"] is True and completed["result"]["score"]["max"] == module.max_score
    assert completed["result"]["duration"].startswith("PT")
    assert passed["result"] == {"score": completed["result"]["score"], "success": True}
    # One registration per attempt; the official is an account on the home page named by their id, never their email.
    assert {s["context"]["registration"] for s in statements} == {str(uuid.uuid5(CONFIG.namespace, f"attempt/{attempt.id}"))}
    assert all(s["actor"] == {"objectType": "Agent", "account": {"homePage": "https://training.example.gov.uk",
                                                                "name": str(learner.id)}} for s in statements)
    assert learner.email not in str(statements)
    assert all(s["timestamp"].endswith("Z") for s in statements)


def test_going_back_from_a_poor_ending_is_a_rewound_statement(session, module, configured):
    attempt = player.start_attempt(session, make_official(session), module)
    for choice_id in ("report", "send-name"):  # to the poor ending
        player.choose(session, attempt, module, step=attempt.step, scene_id=attempt.current_scene, choice_id=choice_id)
        player.proceed(session, attempt, module, step=attempt.step)
    assert player.rewind(session, attempt, module, step=attempt.step)
    rewound = [s for s in _queued(session) if s["verb"]["id"] == f"{BASE}/verbs/rewound"]
    assert len(rewound) == 1 and rewound[0]["verb"]["display"] == {"en-GB": "rewound"}
    assert rewound[0]["object"]["id"] == f"{BASE}/modules/checkpoint-visit/scenes/corroborate"
    assert rewound[0]["result"] == {"response": "send-name"}


def test_statement_ids_are_stable_and_differ_by_event_verb_and_installation():
    first = xapi.statement_id(CONFIG, 7, 3, "answered")
    assert first == xapi.statement_id(CONFIG, 7, 3, "answered") and uuid.UUID(first).version == 5
    assert len({first, xapi.statement_id(CONFIG, 7, 4, "answered"), xapi.statement_id(CONFIG, 7, 3, "passed"),
                xapi.statement_id(CONFIG, 8, 3, "answered"),
                xapi.statement_id(XapiConfig("https://other.example.gov.uk/xapi", "x"), 7, 3, "answered")}) == 5


def test_building_again_gives_the_same_statements(session, module, configured):
    _pass(session, module, make_official(session))
    queued = _queued(session)
    rebuilt = []
    for event in session.exec(select(player.AttemptEvent).order_by(player.AttemptEvent.id)):
        attempt = session.get(player.Attempt, event.attempt_id)
        version = session.get(player.ModuleVersion, attempt.module_version_id)
        rebuilt += xapi.statements_for(CONFIG, event, attempt, version, session.get(player.Official, attempt.official_id))
    assert rebuilt == queued


def test_actor_forms(session):
    official = make_official(session, email="tendai.banda@example.gov.uk", given_name="Tendai", family_name="Banda")
    assert xapi.actor(CONFIG, official) == {"objectType": "Agent", "account": {"homePage": CONFIG.home_page, "name": str(official.id)}}
    keyed = XapiConfig(BASE, CONFIG.home_page, actor="pseudonym", pseudonym_key=b"k" * 32)
    pseudonym = xapi.actor(keyed, official)["account"]["name"]
    assert len(pseudonym) == 32 and pseudonym != str(official.id) and pseudonym == xapi.actor(keyed, official)["account"]["name"]
    other_key = XapiConfig(BASE, CONFIG.home_page, actor="pseudonym", pseudonym_key=b"j" * 32)
    assert xapi.actor(other_key, official)["account"]["name"] != pseudonym
    by_email = xapi.actor(XapiConfig(BASE, CONFIG.home_page, actor="email"), official)
    assert by_email == {"objectType": "Agent", "name": "Tendai Banda", "mbox": "mailto:tendai.banda@example.gov.uk"}


def test_a_failed_finish_says_completed_and_failed(session, module):
    from datetime import UTC, datetime

    from app.models import Attempt, AttemptEvent, ModuleVersion

    official = make_official(session)
    version = ModuleVersion(module_id="m", version="2.0.0", content_hash="h", title="M", max_score=10, pass_mark=70)
    attempt = Attempt(id=5, official_id=official.id, module_id="m", module_version_id=1, current_scene="end", max_score=10,
                      started_at=datetime(2026, 1, 1, 9, tzinfo=UTC))
    event = AttemptEvent(attempt_id=5, seq=9, kind=EventKind.FINISHED.value, score=4, correct=False,
                         created_at=datetime(2026, 1, 1, 9, 12, 30, tzinfo=UTC))
    completed, failed = xapi.statements_for(CONFIG, event, attempt, version, official)
    assert completed["verb"]["id"] == ADL + "completed" and failed["verb"]["id"] == ADL + "failed"
    assert failed["result"] == {"score": {"raw": 4, "min": 0, "max": 10, "scaled": 0.4}, "success": False}
    assert completed["result"]["duration"] == "PT750.00S" and completed["timestamp"] == "2026-01-01T09:12:30.000Z"


def test_no_lrs_no_statements(session, module):
    xapi.configure(None)
    _pass(session, module, make_official(session))
    assert session.exec(select(OutboxMessage)).first() is None


def test_config_from_settings(settings):
    assert xapi.config_from(settings) is None
    configured = settings.model_copy(update={"xapi_lrs_url": "https://lrs.example.gov.uk/xAPI/", "base_url": "https://t.example.gov.uk"})
    config = xapi.config_from(configured)
    assert config.activity_base == "https://t.example.gov.uk/xapi" and config.home_page == "https://t.example.gov.uk"


def test_backfill_enqueues_past_events_once(session, module):
    xapi.configure(None)
    _pass(session, module, make_official(session))  # recorded while no LRS was configured
    assert session.exec(select(OutboxMessage)).first() is None
    made, new = xapi.backfill(session, CONFIG)
    session.commit()
    assert made == new == 11
    assert xapi.backfill(session, CONFIG) == (11, 0)  # again: nothing new
    from datetime import timedelta

    from app.clock import today

    assert xapi.backfill(session, CONFIG, since=today() + timedelta(days=1)) == (0, 0)


def test_statements_are_written_with_the_event_or_not_at_all(session, module, configured):
    """Same transaction: an attempt rolled back leaves neither its events nor their statements."""
    from app.models import AttemptEvent

    player.start_attempt(session, make_official(session), module)
    assert len(_queued(session)) == 2  # launched, experienced: in the open transaction
    session.rollback()
    assert session.exec(select(AttemptEvent)).first() is None and _queued(session) == []
