"""Training that cannot be clicked through: harm is decisive, a poor ending can be rewound, and the
order of choices and options is fixed per attempt but differs between attempts."""

from __future__ import annotations

import dataclasses

from sqlmodel import select

from app.content.shuffle import in_order
from app.models import Attempt, AttemptState, Completion, EventKind
from app.services.learning import player
from tests.factories import make_official


def _play(session, attempt, module, choices):
    for choice_id in choices:
        assert player.choose(session, attempt, module, step=attempt.step, scene_id=attempt.current_scene, choice_id=choice_id)
        assert player.proceed(session, attempt, module, step=attempt.step)


ALL_RIGHT = {"q-prep": {"2"}, "q-signs": {"1", "2"}}


def test_a_poor_ending_fails_even_with_a_passing_score(session, test_library):
    module = test_library.get("checkpoint-visit")
    # report (3) + send-name (0) ends poor; with all 3 question points: 6/8 = 75%, over the 70% mark.
    assert module.passes(6) and not module.passes(6, "poor")
    attempt = player.start_attempt(session, make_official(session), module)
    _play(session, attempt, module, ["report", "send-name"])
    assert attempt.current_scene == "end-poor" and player.can_rewind(attempt, module)
    assert player.proceed(session, attempt, module, step=attempt.step)
    assert player.answer(session, attempt, module, step=attempt.step, answers=ALL_RIGHT).moved
    assert attempt.score == 6 and attempt.percent == 75 and attempt.passed is False
    assert session.exec(select(Completion)).all() == []


def test_rewind_goes_back_to_the_decision_and_stops_counting_its_points(session, test_library):
    module = test_library.get("checkpoint-visit")
    attempt = player.start_attempt(session, make_official(session), module)
    _play(session, attempt, module, ["report", "send-name"])
    stale_step = attempt.step - 1
    assert not player.rewind(session, attempt, module, step=stale_step)  # a stale form changes nothing
    assert player.rewind(session, attempt, module, step=attempt.step)
    assert attempt.state == AttemptState.SCENE and attempt.current_scene == "corroborate"
    assert attempt.path_score == 3  # send-name's 0 no longer counts; report's 3 still does
    assert not player.rewind(session, attempt, module, step=attempt.step)  # only from a poor ending
    _play(session, attempt, module, ["ask-un"])
    assert attempt.current_scene == "end-good" and not player.can_rewind(attempt, module)
    assert player.proceed(session, attempt, module, step=attempt.step)
    assert player.answer(session, attempt, module, step=attempt.step, answers=ALL_RIGHT).moved
    assert attempt.passed is True and attempt.score == 8
    kinds = [e.kind for e in player.events(session, attempt)]
    assert kinds.count(EventKind.REWOUND) == 1
    rewound = next(e for e in player.events(session, attempt) if e.kind == EventKind.REWOUND)
    assert (rewound.scene_id, rewound.choice_id) == ("corroborate", "send-name")
    assert len(session.exec(select(Completion)).all()) == 1


def test_rewinding_a_points_scoring_choice_takes_its_points_away(session, test_library):
    module = test_library.get("checkpoint-visit")
    attempt = player.start_attempt(session, make_official(session), module)
    _play(session, attempt, module, ["wait"])  # 0 points, to `later`
    scene = module.scene(attempt.current_scene)
    poor = next(c for c in scene.choices if module.scene(c.target).outcome == "poor")
    _play(session, attempt, module, [poor.id])
    before = attempt.path_score
    assert player.rewind(session, attempt, module, step=attempt.step)
    assert attempt.path_score == before - poor.score
    assert attempt.current_scene == scene.id


def test_order_is_fixed_per_attempt_and_differs_between_attempts(session, test_library):
    module = test_library.get("checkpoint-visit")
    scene = module.scene(module.start)
    question = module.question("q-signs")
    orders = set()
    for _ in range(12):
        attempt = player.start_attempt(session, make_official(session), module)
        first = [c.id for c in player.choices_in_order(attempt, module, scene)]
        again = session.get(Attempt, attempt.id)  # a reload, another device: the same attempt
        assert [c.id for c in player.choices_in_order(again, module, scene)] == first
        assert sorted(first) == sorted(c.id for c in scene.choices)
        orders.add((tuple(first), tuple(o.key for o in player.options_in_order(attempt, module, question))))
    assert len(orders) > 1, "every attempt showed the same order"  # all equal by chance: (1/12)**11


def test_the_order_depends_on_the_seed_and_only_on_it():
    items = [type("Item", (), {"pin_last": False, "n": n})() for n in range(5)]
    orders = {tuple(i.n for i in in_order(items, f"attempt-{seed}")) for seed in range(10)}
    assert len(orders) > 1  # deterministic: the same seeds give the same orders in every process
    assert [i.n for i in in_order(items, "attempt-3")] == [i.n for i in in_order(items, "attempt-3")]


def test_shuffle_false_keeps_file_order_and_pinned_items_stay_last(session, test_library):
    module = test_library.get("checkpoint-visit")
    question = module.question("q-signs")
    attempt = player.start_attempt(session, make_official(session), module)
    fixed = dataclasses.replace(module, shuffle=False)
    assert [o.key for o in player.options_in_order(attempt, fixed, question)] == [o.key for o in question.options]
    pinned = [dataclasses.replace(o, pin_last=(o.key == "1")) for o in question.options]
    for seed in range(20):
        assert in_order(pinned, str(seed))[-1].key == "1"


def test_item_analysis_counts_first_choices_and_rewinds_separately(session, test_library):
    from app.services.learning.item_analysis import AnalysisFilters, analyse

    module = test_library.get("checkpoint-visit")
    for _ in range(5):  # five learners: figures from fewer are suppressed
        attempt = player.start_attempt(session, make_official(session), module)
        _play(session, attempt, module, ["report", "send-name"])
        assert player.rewind(session, attempt, module, step=attempt.step)
        _play(session, attempt, module, ["ask-un"])
    session.commit()
    scene = next(s for s in analyse(session, module, AnalysisFilters()).scenes if s.scene_id == "corroborate")
    figures = {c.choice_id: (c.count, c.rewinds) for c in scene.choices}
    assert figures == {"send-name": (5, 5), "ask-un": (0, 0)}


def test_feedback_verdict_follows_the_score_against_the_best_and_worst(test_library):
    module = test_library.get("checkpoint-visit")
    scene = module.scene("corroborate")
    assert player.verdict(scene, scene.choice("ask-un")) == "strong"
    assert player.verdict(scene, scene.choice("send-name")) == "weak"
    three = dataclasses.replace(scene, choices=(*scene.choices, dataclasses.replace(scene.choice("ask-un"), id="x", score=1)))
    assert player.verdict(three, three.choice("x")) == "partly"
