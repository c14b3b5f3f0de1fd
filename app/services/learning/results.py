"""The result page's content: score, pass or fail, a review of every choice and answer, and the risk factors met."""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlmodel import Session

from app.content.model import Choice, Module, Option, Question, RiskFactor, Scene
from app.models import Attempt, EventKind
from app.services.learning.player import events, options_in_order


@dataclass(frozen=True)
class ChoiceReview:
    scene: Scene
    choice: Choice
    best: bool  # the highest-scoring choice in that scene
    rewound: bool = False  # the learner went back from the poor ending it led to and chose again


@dataclass(frozen=True)
class OptionReview:
    """One option of an answered question: whether the learner ticked it, and whether that was right."""

    option: Option
    selected: bool
    multiple: bool  # the question is "select all that apply"

    @property
    def right(self) -> bool:
        """The learner's choice about this option was right (ticked a right answer, or left a wrong one)."""
        return self.selected == self.option.correct

    @property
    def verdict(self) -> str:
        """What the learner did about this option, and whether it was right, in words."""
        if self.multiple:
            return {
                (True, True): "You selected this, rightly",
                (True, False): "You selected this, but it does not apply",
                (False, True): "You did not select this, but it applies",
                (False, False): "You rightly did not select this",
            }[(self.selected, self.option.correct)]
        if self.selected:
            return "Your answer, which is right" if self.option.correct else "Your answer, which is not right"
        return "The right answer"


@dataclass(frozen=True)
class AnswerReview:
    question: Question
    chosen: tuple[Option, ...]
    correct: bool
    options: tuple[OptionReview, ...] = ()  # in the order the learner saw them; a single answer shows only
    # the option chosen and the right one, "select all that apply" shows every option

    @property
    def right_selected(self) -> int:
        return sum(1 for o in self.chosen if o.correct)

    @property
    def wrong_selected(self) -> int:
        return sum(1 for o in self.chosen if not o.correct)


@dataclass(frozen=True)
class AttemptResult:
    attempt: Attempt
    module: Module
    score: int
    max_score: int
    percent: int
    passed: bool
    ending: Scene | None
    risk_factors: tuple[RiskFactor, ...]  # those the learner met: in the choices they made and the questions
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
                reviews = tuple(
                    OptionReview(option=o, selected=o in chosen, multiple=question.multiple)
                    for o in options_in_order(attempt, module, question)
                    if question.multiple or o in chosen or o.correct
                )
                answers.append(AnswerReview(question=question, chosen=chosen, correct=bool(event.correct), options=reviews))
    met = {code for review in choices for code in review.choice.risk_factors}
    met |= {code for review in answers for code in review.question.risk_factors}
    return AttemptResult(
        attempt=attempt,
        module=module,
        score=attempt.score or 0,
        max_score=attempt.max_score,
        percent=attempt.percent or 0,
        passed=bool(attempt.passed),
        ending=ending,
        risk_factors=tuple(sorted((risk_factors[c] for c in met if c in risk_factors), key=lambda rf: rf.number)),
        choices=tuple(choices),
        answers=tuple(answers),
    )
