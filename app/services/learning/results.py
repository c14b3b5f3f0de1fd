"""The result page's content: score, pass or fail, risk factors, and a review of every choice and answer."""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlmodel import Session

from app.content.model import Choice, Module, Option, Question, RiskFactor, Scene
from app.models import Attempt, EventKind
from app.services.learning.player import events


@dataclass(frozen=True)
class ChoiceReview:
    scene: Scene
    choice: Choice
    best: bool  # the highest-scoring choice in that scene
    rewound: bool = False  # the learner went back from the poor ending it led to and chose again


@dataclass(frozen=True)
class AnswerReview:
    question: Question
    chosen: tuple[Option, ...]
    correct: bool


@dataclass(frozen=True)
class AttemptResult:
    attempt: Attempt
    module: Module
    score: int
    max_score: int
    percent: int
    passed: bool
    ending: Scene | None
    risk_factors: tuple[RiskFactor, ...]
    choices: tuple[ChoiceReview, ...]
    answers: tuple[AnswerReview, ...]


def result_of(session: Session, attempt: Attempt, module: Module, risk_factors: dict[str, RiskFactor]) -> AttemptResult:
    """Build the result of a finished attempt from its recorded events."""
    choices: list[ChoiceReview] = []
    answers: list[AnswerReview] = []
    ending: Scene | None = None
    for event in events(session, attempt):
        if event.kind == EventKind.CHOICE_MADE:
            scene = module.scene(event.scene_id or "")
            choice = scene.choice(event.choice_id or "") if scene else None
            if scene and choice:
                best = choice.score == max(c.score for c in scene.choices)
                choices.append(ChoiceReview(scene=scene, choice=choice, best=best))
        elif event.kind == EventKind.REWOUND:
            for n in range(len(choices) - 1, -1, -1):
                if choices[n].choice.id == event.choice_id and not choices[n].rewound:
                    choices[n] = replace(choices[n], rewound=True)
                    break
        elif event.kind == EventKind.SCENE_SHOWN:
            scene = module.scene(event.scene_id or "")
            if scene is not None and scene.is_end:
                ending = scene
        elif event.kind == EventKind.ANSWER_GIVEN:
            question = module.question(event.question_id or "")
            if question is not None:
                keys = (event.answer or "").split()
                chosen = tuple(o for o in question.options if o.key in keys)
                answers.append(AnswerReview(question=question, chosen=chosen, correct=bool(event.correct)))
    return AttemptResult(
        attempt=attempt,
        module=module,
        score=attempt.score or 0,
        max_score=attempt.max_score,
        percent=attempt.percent or 0,
        passed=bool(attempt.passed),
        ending=ending,
        risk_factors=tuple(risk_factors[c] for c in module.risk_factors if c in risk_factors),
        choices=tuple(choices),
        answers=tuple(answers),
    )
