"""The attempt state machine, against a real database."""

from __future__ import annotations

import pytest
from sqlmodel import select

from app.models import Attempt, AttemptEvent, AttemptState, Completion, EventKind, ModuleVersion
from app.services.learning import catalogue, player
from tests.factories import make_official


@pytest.fixture
def module(test_library):
    return test_library.get("checkpoint-visit")


@pytest.fixture
def learner(session):
    return make_official(session)


def play_path(session, attempt, module, choices):
    for choice_id in choices:
        assert player.choose(session, attempt, module, step=attempt.step, scene_id=attempt.current_scene, choice_id=choice_id)
        assert player.proceed(session, attempt, module, step=attempt.step)
    session.commit()


def test_scores_and_maximum_follow_the_format(module):
    assert module.max_path_score == 5  # report (3) + ask-un (2)
    assert module.max_score == 8  # plus 1 + 2 question points
    assert module.passes(6) and not module.passes(5)
    assert module.percent(6) == 75


def test_start_records_the_version_and_the_first_scene(session, module, learner):
    attempt = player.start_attempt(session, learner, module)
    session.commit()
    assert attempt.state == AttemptState.SCENE and attempt.current_scene == "start" and attempt.step == 0
    version = session.get(ModuleVersion, attempt.module_version_id)
    assert (version.module_id, version.version, version.content_hash) == (module.id, "1.2.0", module.content_hash)
    kinds = [e.kind for e in player.events(session, attempt)]
    assert kinds == [EventKind.STARTED, EventKind.SCENE_SHOWN]


def test_starting_twice_resumes_the_open_attempt(session, module, learner):
    first = player.start_attempt(session, learner, module)
    second = player.start_attempt(session, learner, module)
    assert first.id == second.id
    assert len(session.exec(select(Attempt)).all()) == 1


def test_best_path_and_all_correct_answers_pass_and_record_a_completion(session, module, learner):
    attempt = player.start_attempt(session, learner, module)
    play_path(session, attempt, module, ["report", "ask-un"])
    assert attempt.state == AttemptState.ENDING and attempt.current_scene == "end-good"
    assert player.proceed(session, attempt, module, step=attempt.step)
    assert attempt.state == AttemptState.CHECK
    outcome = player.answer(session, attempt, module, step=attempt.step, answers={"q-prep": {"2"}, "q-signs": {"1", "2"}})
    session.commit()
    assert outcome.moved
    assert (attempt.state, attempt.score, attempt.percent, attempt.passed) == ("finished", 8, 100, True)
    completion = session.exec(select(Completion)).one()
    assert (completion.module_id, completion.module_version, completion.content_hash) == (
        module.id, "1.2.0", module.content_hash)
    assert completion.attempt_id == attempt.id and completion.score == 8


def test_select_all_that_apply_is_all_or_nothing(session, module, learner):
    attempt = player.start_attempt(session, learner, module)
    play_path(session, attempt, module, ["report", "ask-un"])
    player.proceed(session, attempt, module, step=attempt.step)
    player.answer(session, attempt, module, step=attempt.step, answers={"q-prep": {"2"}, "q-signs": {"1"}})
    assert attempt.score == 6  # 5 path + 1 for q-prep; q-signs half right scores nothing
    answers = {e.question_id: e for e in player.events(session, attempt) if e.kind == EventKind.ANSWER_GIVEN}
    assert answers["q-signs"].correct is False and answers["q-signs"].answer == "1"
    assert answers["q-prep"].correct is True


def test_a_poor_path_fails_keeps_the_attempt_and_allows_a_retake(session, module, learner):
    attempt = player.start_attempt(session, learner, module)
    play_path(session, attempt, module, ["wait", "late-report"])
    player.proceed(session, attempt, module, step=attempt.step)
    player.answer(session, attempt, module, step=attempt.step, answers={"q-prep": {"2"}, "q-signs": {"1", "2"}})
    session.commit()
    assert attempt.passed is False and attempt.score == 4 and attempt.percent == 50
    assert session.exec(select(Completion)).first() is None
    assert catalogue.entry_for(session, learner, module).status == catalogue.TrainingStatus.FAILED
    retake = player.start_attempt(session, learner, module)
    assert retake.id != attempt.id and retake.step == 0
    assert len(session.exec(select(Attempt)).all()) == 2


def test_a_stale_or_repeated_move_records_nothing(session, module, learner):
    attempt = player.start_attempt(session, learner, module)
    assert player.choose(session, attempt, module, step=0, scene_id="start", choice_id="report")
    events_before = len(player.events(session, attempt))
    # The same form again (a double click), a choice for a scene no longer current, an unknown choice.
    assert not player.choose(session, attempt, module, step=0, scene_id="start", choice_id="report")
    assert not player.choose(session, attempt, module, step=0, scene_id="start", choice_id="wait")
    assert not player.choose(session, attempt, module, step=1, scene_id="corroborate", choice_id="ask-un")
    assert not player.proceed(session, attempt, module, step=0)
    assert len(player.events(session, attempt)) == events_before
    assert attempt.path_score == 3 and attempt.pending_choice == "report"


def test_choice_not_in_the_current_scene_is_refused(session, module, learner):
    attempt = player.start_attempt(session, learner, module)
    assert not player.choose(session, attempt, module, step=0, scene_id="start", choice_id="ask-un")
    assert attempt.step == 0 and attempt.path_score == 0


def test_unanswered_questions_are_reported_and_nothing_is_recorded(session, module, learner):
    attempt = player.start_attempt(session, learner, module)
    play_path(session, attempt, module, ["report", "ask-un"])
    player.proceed(session, attempt, module, step=attempt.step)
    outcome = player.answer(session, attempt, module, step=attempt.step, answers={"q-prep": {"2"}, "q-signs": {"9"}})
    assert not outcome.moved and [q.id for q in outcome.missing] == ["q-signs"]
    assert attempt.state == AttemptState.CHECK
    assert not [e for e in player.events(session, attempt) if e.kind == EventKind.ANSWER_GIVEN]


def test_every_scene_shown_and_choice_made_is_an_event(session, module, learner):
    attempt = player.start_attempt(session, learner, module)
    play_path(session, attempt, module, ["report", "ask-un"])
    events = session.exec(select(AttemptEvent).where(AttemptEvent.attempt_id == attempt.id).order_by(AttemptEvent.seq)).all()
    assert [(e.kind, e.scene_id, e.choice_id) for e in events] == [
        ("started", None, None),
        ("scene-shown", "start", None),
        ("choice-made", "start", "report"),
        ("scene-shown", "corroborate", None),
        ("choice-made", "corroborate", "ask-un"),
        ("scene-shown", "end-good", None),
    ]
    assert [e.seq for e in events] == list(range(1, 7))


def test_another_officials_attempt_is_not_found(session, module, learner):
    attempt = player.start_attempt(session, learner, module)
    session.commit()
    other = make_official(session)
    with pytest.raises(player.AttemptNotFound):
        player.get_attempt(session, other, attempt.id)


def test_an_attempt_finishes_on_the_version_it_started_on(session, module, learner, tmp_path):
    import dataclasses

    from app.content import load_library

    attempt = player.start_attempt(session, learner, module)
    session.commit()
    # A new version arrives mid-attempt: the scene the learner is on is renamed away.
    changed = module.source.replace("{#corroborate}", "{#second-source}").replace("(#corroborate)", "(#second-source)")
    changed = changed.replace("version: 1.2.0", "version: 2.0.0")
    (tmp_path / "checkpoint-visit.md").write_text(changed)
    new_library = load_library(tmp_path)
    assert new_library.get(module.id).version == "2.0.0"
    resolved = player.module_for_attempt(session, attempt, new_library)
    assert resolved.version == "1.2.0" and resolved.scene("corroborate") is not None
    assert dataclasses.replace(resolved, source="").content_hash == module.content_hash
    play_path(session, attempt, resolved, ["report", "ask-un"])
    assert attempt.current_scene == "end-good"
