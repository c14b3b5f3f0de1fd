"""The attempt state machine: start, choose, continue, answer, finish.

Every move names the step it was made from. A move from a step that is no longer
current (a double click, a resubmitted form, a second tab) changes nothing, so
nothing is ever recorded twice; the caller then shows the current step.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from app.clock import utcnow
from app.content.model import Choice, Library, Module, Option, Question, Scene
from app.content.parser import parse_bytes
from app.content.shuffle import in_order
from app.models import Attempt, AttemptEvent, AttemptState, Completion, EventKind, ModuleVersion, Official
from app.services.learning import xapi
from app.services.organisation.assignments import recompute_officials


class AttemptNotFound(LookupError):
    """No such attempt for this official (another official's attempt is reported the same way)."""


def ensure_module_version(session: Session, module: Module) -> ModuleVersion:
    """The row for this exact module version, created the first time it is served."""
    query = select(ModuleVersion).where(
        ModuleVersion.module_id == module.id,
        ModuleVersion.version == module.version,
        ModuleVersion.content_hash == module.content_hash,
    )
    found = session.exec(query).first()
    if found is not None:
        return found
    row = ModuleVersion(
        module_id=module.id,
        version=module.version,
        content_hash=module.content_hash,
        title=module.title,
        max_score=module.max_score,
        pass_mark=module.pass_mark,
        source=module.source,
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:  # another request served it first
        return session.exec(query).one()
    return row


_parsed_versions: dict[int, Module | None] = {}


def module_for_attempt(session: Session, attempt: Attempt, library: Library) -> Module | None:
    """The exact module version the attempt started on: the library's if unchanged, else the kept source."""
    current = library.get(attempt.module_id)
    version = session.get(ModuleVersion, attempt.module_version_id)
    if current is not None and version is not None and current.content_hash == version.content_hash:
        return current
    if version is None or not version.source:
        return current
    if version.id not in _parsed_versions:
        result = parse_bytes(version.source.encode("utf-8"), Path(f"{version.module_id}@{version.version}.md"))
        _parsed_versions[version.id] = result.module
    return _parsed_versions[version.id] or current


def open_attempt(session: Session, official_id: int, module_id: str) -> Attempt | None:
    """The official's unfinished attempt at a module, if any."""
    return session.exec(
        select(Attempt)
        .where(Attempt.official_id == official_id, Attempt.module_id == module_id, Attempt.finished_at.is_(None))
        .order_by(Attempt.id.desc())
    ).first()


def get_attempt(session: Session, official: Official, attempt_id: int) -> Attempt:
    """The attempt, only if it belongs to `official`."""
    attempt = session.get(Attempt, attempt_id)
    if attempt is None or attempt.official_id != official.id:
        raise AttemptNotFound(attempt_id)
    return attempt


def start_attempt(session: Session, official: Official, module: Module) -> Attempt:
    """Resume the open attempt, or start a new one at the module's first scene."""
    # One start at a time per official (a double click, two tabs): PostgreSQL locks the official's row
    # until commit; SQLite's write transactions (BEGIN IMMEDIATE) are already one at a time.
    session.exec(select(Official.id).where(Official.id == official.id).with_for_update())
    existing = open_attempt(session, official.id, module.id)
    if existing is not None:
        return existing
    version = ensure_module_version(session, module)
    attempt = Attempt(
        official_id=official.id,
        module_id=module.id,
        module_version_id=version.id,
        current_scene=module.start,
        state=_state_for_scene(module, module.start),
        max_score=module.max_score,
    )
    session.add(attempt)
    session.flush()
    _record(session, attempt, EventKind.STARTED)
    _record(session, attempt, EventKind.SCENE_SHOWN, scene_id=module.start)
    return attempt


def _state_for_scene(module: Module, scene_id: str) -> str:
    scene = module.scene(scene_id)
    return AttemptState.ENDING.value if scene is not None and scene.is_end else AttemptState.SCENE.value


def _move(session: Session, attempt: Attempt, from_step: int, **changes) -> bool:
    """Advance the attempt one step, only if it is still at `from_step` (safe under concurrency)."""
    result = session.execute(
        update(Attempt)
        .where(Attempt.id == attempt.id, Attempt.step == from_step, Attempt.finished_at.is_(None))
        .values(step=from_step + 1, updated_at=utcnow(), **changes)
    )
    if result.rowcount != 1:
        session.refresh(attempt)
        return False
    session.refresh(attempt)
    return True


def _record(session: Session, attempt: Attempt, kind: EventKind, **values) -> None:
    last = session.exec(select(func.max(AttemptEvent.seq)).where(AttemptEvent.attempt_id == attempt.id)).one()
    event = AttemptEvent(attempt_id=attempt.id, seq=(last or 0) + 1, kind=kind.value, **values)
    session.add(event)
    session.flush()
    xapi.enqueue_event(session, attempt, event)  # its learning-record statements, in this same transaction


def choose(session: Session, attempt: Attempt, module: Module, *, step: int, scene_id: str, choice_id: str) -> bool:
    """Commit to a choice in the current scene. False when the move is stale or unknown."""
    if attempt.state != AttemptState.SCENE or attempt.step != step or attempt.current_scene != scene_id:
        return False
    scene = module.scene(scene_id)
    choice = scene.choice(choice_id) if scene else None
    if choice is None:
        return False
    if not _move(
        session,
        attempt,
        step,
        state=AttemptState.FEEDBACK.value,
        pending_choice=choice.id,
        path_score=attempt.path_score + choice.score,
    ):
        return False
    _record(session, attempt, EventKind.CHOICE_MADE, scene_id=scene.id, choice_id=choice.id, score=choice.score)
    return True


def proceed(session: Session, attempt: Attempt, module: Module, *, step: int) -> bool:
    """Continue from feedback to the next scene, or from an ending to the knowledge check (or the result)."""
    if attempt.step != step:
        return False
    if attempt.state == AttemptState.FEEDBACK:
        scene = module.scene(attempt.current_scene)
        choice = scene.choice(attempt.pending_choice or "") if scene else None
        if choice is None:
            return False
        target = choice.target
        if not _move(session, attempt, step, state=_state_for_scene(module, target), current_scene=target, pending_choice=None):
            return False
        _record(session, attempt, EventKind.SCENE_SHOWN, scene_id=target)
        return True
    if attempt.state == AttemptState.ENDING:
        if module.questions:
            check_id = _check_scene_id(module)
            if not _move(session, attempt, step, state=AttemptState.CHECK.value):
                return False
            _record(session, attempt, EventKind.SCENE_SHOWN, scene_id=check_id)
            return True
        return _finish(session, attempt, module, step, score=attempt.path_score)
    return False


def ending_outcome(attempt: Attempt, module: Module) -> str | None:
    """The outcome of the ending the attempt reached (good, mixed or poor), once it reached one."""
    scene = module.scene(attempt.current_scene)
    return scene.outcome if scene is not None and scene.is_end else None


def can_rewind(attempt: Attempt, module: Module) -> bool:
    """At a poor ending the learner may go back to the decision that led there and choose again."""
    return attempt.state == AttemptState.ENDING and ending_outcome(attempt, module) == "poor"


def rewind(session: Session, attempt: Attempt, module: Module, *, step: int) -> bool:
    """Back from a poor ending to the decision that led there. The rewound choice's points stop counting;
    the rewind is an event of its own. False when the move is stale or not allowed."""
    if attempt.step != step or not can_rewind(attempt, module):
        return False
    last = session.exec(
        select(AttemptEvent)
        .where(AttemptEvent.attempt_id == attempt.id, AttemptEvent.kind == EventKind.CHOICE_MADE.value)
        .order_by(AttemptEvent.seq.desc())
    ).first()
    scene = module.scene(last.scene_id) if last is not None else None
    choice = scene.choice(last.choice_id) if scene is not None else None
    if choice is None or choice.target != attempt.current_scene:
        return False
    if not _move(session, attempt, step, state=AttemptState.SCENE.value, current_scene=scene.id, pending_choice=None,
                 path_score=attempt.path_score - choice.score):
        return False
    _record(session, attempt, EventKind.REWOUND, scene_id=scene.id, choice_id=choice.id, score=-choice.score)
    _record(session, attempt, EventKind.SCENE_SHOWN, scene_id=scene.id)
    return True


VERDICTS = {"strong": "Strong choice", "partly": "Partly right", "weak": "Weak choice"}


def verdict(scene: Scene, choice: Choice) -> str:
    """strong, partly or weak: the choice's score against the best and the worst at that decision."""
    scores = [c.score for c in scene.choices]
    if choice.score == max(scores):
        return "strong"
    return "weak" if choice.score == min(scores) else "partly"


def _seed(attempt: Attempt, part: str) -> str:
    return f"{attempt.id}:{attempt.started_at.isoformat()}:{part}"


def choices_in_order(attempt: Attempt, module: Module, scene: Scene) -> list[Choice]:
    """The scene's choices in this attempt's order (the same on every load; another attempt, another order)."""
    return in_order(scene.choices, _seed(attempt, scene.id), shuffle=module.shuffle)


def options_in_order(attempt: Attempt, module: Module, question: Question) -> list[Option]:
    return in_order(question.options, _seed(attempt, question.id), shuffle=module.shuffle)


def _check_scene_id(module: Module) -> str:
    return module.check_id or "check"


@dataclass
class AnswerOutcome:
    """What submitting the knowledge check did: moved on, was stale, or needs answers."""

    moved: bool
    missing: list[Question] = field(default_factory=list)


def answer(
    session: Session, attempt: Attempt, module: Module, *, step: int, answers: dict[str, set[str]]
) -> AnswerOutcome:
    """Mark the knowledge check and finish the attempt. Every question must be answered."""
    if attempt.state != AttemptState.CHECK or attempt.step != step:
        return AnswerOutcome(moved=False)
    cleaned = {
        q.id: {key for key in answers.get(q.id, set()) if q.option(key) is not None} for q in module.questions
    }
    missing = [q for q in module.questions if not cleaned[q.id]]
    if missing:
        return AnswerOutcome(moved=False, missing=missing)
    points = sum(q.points for q in module.questions if q.is_correct(cleaned[q.id]))
    if not _finish(session, attempt, module, step, score=attempt.path_score + points, answers=cleaned):
        return AnswerOutcome(moved=False)
    return AnswerOutcome(moved=True)


def _finish(
    session: Session, attempt: Attempt, module: Module, step: int, *, score: int, answers: dict[str, set[str]] | None = None
) -> bool:
    now = utcnow()
    passed = module.passes(score, ending_outcome(attempt, module))
    percent = module.percent(score)
    if not _move(
        session,
        attempt,
        step,
        state=AttemptState.FINISHED.value,
        score=score,
        percent=percent,
        passed=passed,
        finished_at=now,
    ):
        return False
    for question in module.questions if answers else ():
        given = answers[question.id]
        _record(
            session,
            attempt,
            EventKind.ANSWER_GIVEN,
            question_id=question.id,
            answer=" ".join(sorted(given)),
            correct=question.is_correct(given),
            score=question.points if question.is_correct(given) else 0,
        )
    _record(session, attempt, EventKind.FINISHED, score=score, correct=passed)
    if passed:
        version = session.get(ModuleVersion, attempt.module_version_id)
        session.add(
            Completion(
                official_id=attempt.official_id,
                attempt_id=attempt.id,
                module_id=module.id,
                module_version=version.version,
                content_hash=version.content_hash,
                score=score,
                percent=percent,
                completed_at=now,
            )
        )
        session.flush()
        # A pass may satisfy mandatory training: bring the official's assignments up to date.
        recompute_officials(session, [attempt.official_id], now.date())
    return True


def events(session: Session, attempt: Attempt) -> list[AttemptEvent]:
    return list(
        session.exec(select(AttemptEvent).where(AttemptEvent.attempt_id == attempt.id).order_by(AttemptEvent.seq))
    )


def finished_attempts(session: Session, official: Official, module_id: str) -> list[Attempt]:
    """The official's finished attempts at a module, newest first."""
    return list(
        session.exec(
            select(Attempt)
            .where(Attempt.official_id == official.id, Attempt.module_id == module_id, Attempt.finished_at.is_not(None))
            .order_by(Attempt.id.desc())
        )
    )


def decision_number(session: Session, attempt: Attempt) -> int:
    """Which decision the learner is on (1-based): choices made, less those rewound, plus one."""
    counts = dict(
        session.execute(
            select(AttemptEvent.kind, func.count())
            .where(AttemptEvent.attempt_id == attempt.id,
                   AttemptEvent.kind.in_([EventKind.CHOICE_MADE.value, EventKind.REWOUND.value]))
            .group_by(AttemptEvent.kind)
        ).all()
    )
    return counts.get(EventKind.CHOICE_MADE.value, 0) - counts.get(EventKind.REWOUND.value, 0) + 1
