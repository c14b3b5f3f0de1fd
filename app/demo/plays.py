"""Demo plays: attempts at a module as learners make them, choice by choice, for the demo population.

Each play walks the module's real scene graph, choosing as a learner who mostly reads well does (a better
choice is likelier, never certain), answers the knowledge check with the occasional slip, and is scored and
judged by the module's own rules (`Module.passes`: a poor ending never passes). The events are those the
player records, so the authors' item analysis and the learners' records read demo attempts like real ones.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from app.content.model import Module
from app.models import AttemptEvent, EventKind

SLIP = 0.12  # chance of a wrong answer to a question, for a careful learner
MAX_TRIES = 40  # plays tried before taking the best path (a module whose random plays rarely pass)


@dataclass
class Play:
    events: list[dict] = field(default_factory=list)
    path_score: int = 0
    score: int = 0
    ending_scene: str = ""
    ending: str | None = None  # the outcome of the ending reached
    passed: bool = False


def _choose(module: Module, scene_id: str, rng: random.Random, care: float):
    """A choice at this scene: each weighed by how good it is, the more so the more careful the learner."""
    choices = module.scene(scene_id).choices
    low = min(c.score for c in choices)
    weights = [1 + care * (c.score - low) ** 2 for c in choices]
    return rng.choices(choices, weights=weights)[0]


def play(module: Module, rng: random.Random, *, care: float = 3.0) -> Play:
    """One attempt from the start to the result."""
    found = Play()
    scene_id = module.start
    found.events.append({"kind": EventKind.STARTED})
    found.events.append({"kind": EventKind.SCENE_SHOWN, "scene_id": scene_id})
    steps = 0
    while not module.scene(scene_id).is_end and steps < 50:
        choice = _choose(module, scene_id, rng, care)
        found.events.append({"kind": EventKind.CHOICE_MADE, "scene_id": scene_id, "choice_id": choice.id,
                             "score": choice.score})
        found.path_score += choice.score
        scene_id = choice.target
        found.events.append({"kind": EventKind.SCENE_SHOWN, "scene_id": scene_id})
        steps += 1
    found.ending_scene, found.ending = scene_id, module.scene(scene_id).outcome
    points = 0
    if module.questions:
        found.events.append({"kind": EventKind.SCENE_SHOWN, "scene_id": module.check_id or "check"})
        for question in module.questions:
            given = set(question.correct_keys)
            if rng.random() < SLIP:
                wrong = [o.key for o in question.options if o.key not in given]
                given = {rng.choice(wrong)} if wrong and not question.multiple else given - {min(given)} or given
            correct = question.is_correct(given)
            points += question.points if correct else 0
            found.events.append({"kind": EventKind.ANSWER_GIVEN, "question_id": question.id,
                                 "answer": " ".join(sorted(given)), "correct": correct,
                                 "score": question.points if correct else 0})
    found.score = found.path_score + points
    found.passed = module.passes(found.score, found.ending)
    found.events.append({"kind": EventKind.FINISHED, "score": found.score, "correct": found.passed})
    return found


def play_until(module: Module, rng: random.Random, *, passed: bool) -> Play:
    """A play that passed (or failed), as asked; the likeliest such play comes first."""
    for _ in range(MAX_TRIES):
        found = play(module, rng, care=3.0 if passed else 0.3)
        if found.passed == passed:
            return found
    return found


def event_rows(attempt_id: int, found: Play, finished_at: datetime, minutes: int) -> list[AttemptEvent]:
    """The play's events for an attempt, spread over the minutes it took."""
    count = len(found.events)
    start = finished_at - timedelta(minutes=minutes)
    return [
        AttemptEvent(attempt_id=attempt_id, seq=n + 1, kind=event["kind"].value,
                     created_at=start + timedelta(seconds=minutes * 60 * n // max(count - 1, 1)),
                     **{k: v for k, v in event.items() if k != "kind"})
        for n, event in enumerate(found.events)
    ]
