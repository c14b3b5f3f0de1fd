"""Item analysis for authors: aggregate figures over a module's attempts, computed by grouped SQL queries.

Aggregates only: no official's name or id leaves this module. A figure whose base is fewer
than MIN_LEARNERS distinct learners is suppressed (None), so no one can be singled out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from markupsafe import Markup
from sqlalchemy import Select, and_, case, distinct, func, or_, select
from sqlmodel import Session

from app.content.model import Module, Question
from app.models import Attempt, AttemptEvent, EventKind, ModuleVersion

MIN_LEARNERS = 5
SUPPRESSED = "Fewer than 5 learners"
BUCKETS = tuple((low, low + 9 if low < 90 else 100) for low in range(0, 100, 10))


@dataclass(frozen=True)
class AnalysisFilters:
    version: str | None = None
    date_from: date | None = None  # attempts started on or after this day (UTC)
    date_to: date | None = None  # attempts started on or before this day (UTC)


@dataclass(frozen=True)
class Overview:
    learners: int | None  # distinct learners who started an attempt
    attempts: int | None  # attempts started, finished or not
    finished: int | None  # attempts that reached the end of the knowledge check
    passed: int | None  # finished attempts that passed
    failed: int | None  # finished attempts that did not pass
    completion_rate: float | None  # finished / started
    pass_rate: float | None  # passed / finished: the same two figures as `passed` and `failed`
    median_seconds: float | None  # finished_at - started_at


@dataclass(frozen=True)
class Bucket:
    low: int
    high: int
    count: int | None
    share: float | None

    @property
    def label(self) -> str:
        return f"{self.low}–{self.high}%"


@dataclass(frozen=True)
class ChoiceFigure:
    choice_id: str
    text: str
    target: str
    count: int | None  # first choices only: a choice made again after a rewind is not counted twice
    share: float | None  # of the attempts that reached the decision
    rewinds: int | None = None  # times learners went back from the poor ending this choice led to


@dataclass(frozen=True)
class SceneFigures:
    scene_id: str
    title: str
    reached: int | None  # attempts that made a choice at this decision
    learners: int | None  # distinct learners behind `reached`
    choices: tuple[ChoiceFigure, ...]

    @property
    def suppressed(self) -> bool:
        return self.reached is None


@dataclass(frozen=True)
class QuestionFigures:
    question_id: str
    text: str
    answered: int | None
    correct: int | None
    correct_share: float | None
    common_wrong: str | None  # the most common wrong answer (option texts), None if hidden or none wrong
    common_wrong_count: int | None

    @property
    def suppressed(self) -> bool:
        return self.answered is None


@dataclass(frozen=True)
class EndingFigure:
    scene_id: str
    title: str
    outcome: str | None
    count: int | None
    share: float | None


@dataclass(frozen=True)
class ItemAnalysis:
    module: Module
    filters: AnalysisFilters
    overview: Overview
    distribution: tuple[Bucket, ...]
    scenes: tuple[SceneFigures, ...]
    questions: tuple[QuestionFigures, ...]
    endings: tuple[EndingFigure, ...]
    endings_reached: int | None  # attempts that reached an ending
    unrecorded: int | None = 0  # finished attempts with no choice recorded (made outside the player: demo, imports)

    @property
    def suppressed(self) -> bool:
        """Fewer than MIN_LEARNERS learners started: nothing at all can be shown."""
        return self.overview.attempts is None


def shown(count: int, learners: int) -> int | None:
    """The one suppression rule, for every figure on the page and in the CSV: a count that rests on
    one to four distinct learners is hidden (None). Zero is shown (it singles no one out), and so is
    any count from MIN_LEARNERS learners or more."""
    return None if 0 < learners < MIN_LEARNERS else count


def rate(part: int | None, whole: int | None) -> float | None:
    """part / whole, hidden whenever either figure is hidden, so a rate never shows what a count hides."""
    if part is None or whole is None or whole == 0:
        return None
    return part / whole


def versions(session: Session, module_id: str) -> list[str]:
    """The versions of a module ever served, newest first."""
    rows = session.execute(
        select(ModuleVersion.version, func.min(ModuleVersion.first_served_at).label("first"))
        .where(ModuleVersion.module_id == module_id)
        .group_by(ModuleVersion.version)
        .order_by(func.min(ModuleVersion.first_served_at).desc())
    )
    return [row.version for row in rows]


def _attempts(filters: AnalysisFilters, module_id: str, *columns) -> Select:
    """SELECT columns FROM attempt JOIN module_version, restricted to the module and the filters."""
    query = (
        select(*columns)
        .select_from(Attempt)
        .join(ModuleVersion, ModuleVersion.id == Attempt.module_version_id)
        .where(Attempt.module_id == module_id)
    )
    if filters.version:
        query = query.where(ModuleVersion.version == filters.version)
    if filters.date_from:
        query = query.where(Attempt.started_at >= datetime.combine(filters.date_from, time(), UTC))
    if filters.date_to:
        end = datetime.combine(filters.date_to + timedelta(days=1), time(), UTC)
        query = query.where(Attempt.started_at < end)
    return query


def _events(filters: AnalysisFilters, module_id: str, kind: EventKind, *columns) -> Select:
    return _attempts(filters, module_id, *columns).join(AttemptEvent, AttemptEvent.attempt_id == Attempt.id).where(
        AttemptEvent.kind == kind.value
    )


def _seconds(session: Session):
    """finished_at - started_at in seconds, in this database's dialect."""
    if session.get_bind().dialect.name == "sqlite":
        return (func.julianday(Attempt.finished_at) - func.julianday(Attempt.started_at)) * 86400.0
    return func.extract("epoch", Attempt.finished_at - Attempt.started_at)


def _median_seconds(session: Session, filters: AnalysisFilters, module_id: str) -> float | None:
    seconds = _seconds(session)
    ranked = (
        _attempts(
            filters,
            module_id,
            seconds.label("seconds"),
            func.row_number().over(order_by=seconds).label("rank"),
            func.count().over().label("total"),
        )
        .where(Attempt.finished_at.is_not(None))
        .subquery()
    )
    middle = or_(ranked.c.rank == (ranked.c.total + 1) // 2, ranked.c.rank == (ranked.c.total + 2) // 2)
    value = session.execute(select(func.avg(ranked.c.seconds)).where(middle)).scalar()
    return float(value) if value is not None else None


def _plain(html: str) -> str:
    return Markup(html).striptags()


def _answer_text(question: Question, answer: str) -> str:
    options = [question.option(key) for key in answer.split()]
    return "; ".join(_plain(o.text_html) for o in options if o is not None) or answer


def _learners(condition=None):
    """count(DISTINCT official) of the rows matching condition (all rows without one)."""
    return func.count(distinct(Attempt.official_id if condition is None else case((condition, Attempt.official_id))))


def analyse(session: Session, module: Module, filters: AnalysisFilters) -> ItemAnalysis:
    """Every figure for a module's attempts under the filters; each count passes through `shown`."""
    finished = Attempt.finished_at.is_not(None)
    passed = and_(finished, Attempt.passed.is_(True))
    failed = and_(finished, or_(Attempt.passed.is_(False), Attempt.passed.is_(None)))
    t = session.execute(
        _attempts(
            filters,
            module.id,
            func.count(Attempt.id).label("attempts"),
            _learners().label("learners"),
            func.count(Attempt.finished_at).label("finished"),
            _learners(finished).label("finished_learners"),
            func.coalesce(func.sum(case((passed, 1), else_=0)), 0).label("passed"),
            _learners(passed).label("passed_learners"),
            func.coalesce(func.sum(case((failed, 1), else_=0)), 0).label("failed"),
            _learners(failed).label("failed_learners"),
        )
    ).one()
    attempts = shown(t.attempts, t.learners)
    finished_count = shown(t.finished, t.finished_learners)
    passed_count = shown(t.passed, t.passed_learners)
    overview = Overview(
        learners=shown(t.learners, t.learners),
        attempts=attempts,
        finished=finished_count,
        passed=passed_count,
        failed=shown(t.failed, t.failed_learners),
        completion_rate=rate(finished_count, attempts),
        pass_rate=rate(passed_count, finished_count),
        median_seconds=None if shown(1, t.finished_learners) is None or not t.finished
        else _median_seconds(session, filters, module.id),
    )
    endings, endings_reached = _endings(session, module, filters)
    return ItemAnalysis(
        module=module,
        filters=filters,
        overview=overview,
        distribution=_distribution(session, module, filters, finished_count),
        scenes=_scenes(session, module, filters),
        questions=_questions(session, module, filters),
        endings=endings,
        endings_reached=endings_reached,
        unrecorded=_unrecorded(session, module, filters),
    )


def _unrecorded(session: Session, module: Module, filters: AnalysisFilters) -> int | None:
    """Finished attempts without a single choice event: they count above, but at no decision, question or ending."""
    choices = select(AttemptEvent.id).where(AttemptEvent.attempt_id == Attempt.id,
                                            AttemptEvent.kind == EventKind.CHOICE_MADE.value)  # fmt: skip
    row = session.execute(
        _attempts(filters, module.id, func.count(Attempt.id).label("n"), _learners().label("learners"))
        .where(Attempt.finished_at.is_not(None), ~choices.exists())
    ).one()
    return shown(row.n, row.learners)


def _distribution(session: Session, module: Module, filters: AnalysisFilters, finished: int | None) -> tuple[Bucket, ...]:
    bucket = case((Attempt.percent >= 90, 9), else_=Attempt.percent // 10)
    rows = session.execute(
        _attempts(filters, module.id, bucket.label("bucket"), func.count().label("n"), _learners().label("learners"))
        .where(Attempt.finished_at.is_not(None), Attempt.percent.is_not(None))
        .group_by(bucket)
    )
    counts = {int(row.bucket): shown(row.n, row.learners) for row in rows}
    return tuple(
        Bucket(low, high, counts.get(i, 0), rate(counts.get(i, 0), finished)) for i, (low, high) in enumerate(BUCKETS)
    )


def _scenes(session: Session, module: Module, filters: AnalysisFilters) -> tuple[SceneFigures, ...]:
    first = (
        select(AttemptEvent.attempt_id, func.min(AttemptEvent.seq).label("seq"))
        .where(AttemptEvent.kind == EventKind.CHOICE_MADE.value)
        .group_by(AttemptEvent.attempt_id, AttemptEvent.scene_id)
        .subquery()
    )
    firsts = _events(filters, module.id, EventKind.CHOICE_MADE).join(
        first, and_(first.c.attempt_id == AttemptEvent.attempt_id, first.c.seq == AttemptEvent.seq)
    )
    counts = {
        (row.scene_id, row.choice_id): shown(row.n, row.learners)
        for row in session.execute(
            firsts.add_columns(AttemptEvent.scene_id, AttemptEvent.choice_id, func.count().label("n"),
                               _learners().label("learners"))
            .group_by(AttemptEvent.scene_id, AttemptEvent.choice_id)
        )
    }  # fmt: skip
    reached = {
        row.scene_id: (shown(row.n, row.learners), shown(row.learners, row.learners))
        for row in session.execute(
            firsts.add_columns(AttemptEvent.scene_id, func.count().label("n"), _learners().label("learners"))
            .group_by(AttemptEvent.scene_id)
        )
    }
    rewinds = {
        (row.scene_id, row.choice_id): shown(row.n, row.learners)
        for row in session.execute(
            _events(filters, module.id, EventKind.REWOUND, AttemptEvent.scene_id, AttemptEvent.choice_id,
                    func.count().label("n"), _learners().label("learners"))
            .group_by(AttemptEvent.scene_id, AttemptEvent.choice_id)
        )
    }  # fmt: skip
    figures = []
    for scene in module.scenes.values():
        if scene.is_end:
            continue
        attempts, learners = reached.get(scene.id, (0, 0))
        choices = tuple(
            ChoiceFigure(
                choice_id=c.id,
                text=_plain(c.text_html),
                target=c.target,
                count=counts.get((scene.id, c.id), 0),
                share=rate(counts.get((scene.id, c.id), 0), attempts),
                rewinds=rewinds.get((scene.id, c.id), 0),
            )
            for c in scene.choices
        )
        figures.append(SceneFigures(scene.id, scene.title, attempts, learners, choices))
    return tuple(figures)


def _questions(session: Session, module: Module, filters: AnalysisFilters) -> tuple[QuestionFigures, ...]:
    right = AttemptEvent.correct.is_(True)
    rows = session.execute(
        _events(
            filters,
            module.id,
            EventKind.ANSWER_GIVEN,
            AttemptEvent.question_id,
            func.count().label("answered"),
            _learners().label("learners"),
            func.coalesce(func.sum(case((right, 1), else_=0)), 0).label("correct"),
            _learners(right).label("correct_learners"),
        ).group_by(AttemptEvent.question_id)
    )
    totals = {row.question_id: row for row in rows}
    wrong_rows = session.execute(
        _events(filters, module.id, EventKind.ANSWER_GIVEN, AttemptEvent.question_id, AttemptEvent.answer,
                func.count().label("n"), _learners().label("learners"))
        .where(AttemptEvent.correct.is_(False))
        .group_by(AttemptEvent.question_id, AttemptEvent.answer)
    )  # fmt: skip
    wrong: dict[str, tuple[int, str, int]] = {}
    for row in wrong_rows:  # one row per distinct wrong answer, not per event
        best = wrong.get(row.question_id)
        if best is None or (-row.n, row.answer) < (-best[0], best[1]):  # most often; ties by answer, for stability
            wrong[row.question_id] = (row.n, row.answer, row.learners)
    figures = []
    for question in module.questions:
        row = totals.get(question.id)
        answered = 0 if row is None else shown(row.answered, row.learners)
        correct = 0 if row is None else shown(row.correct, row.correct_learners)
        common = wrong.get(question.id)
        common_count = 0 if common is None else shown(common[0], common[2])
        figures.append(
            QuestionFigures(
                question_id=question.id,
                text=question.text,
                answered=answered,
                correct=correct,
                correct_share=rate(correct, answered),
                common_wrong=None if common is None or common_count is None else _answer_text(question, common[1]),
                common_wrong_count=common_count,
            )
        )
    return tuple(figures)


def _endings(session: Session, module: Module, filters: AnalysisFilters) -> tuple[tuple[EndingFigure, ...], int | None]:
    endings = [s for s in module.scenes.values() if s.is_end]
    reached = _events(filters, module.id, EventKind.SCENE_SHOWN).where(AttemptEvent.scene_id.in_([s.id for s in endings]))
    counts = {
        row.scene_id: shown(row.n, row.learners)
        for row in session.execute(
            reached.add_columns(AttemptEvent.scene_id, func.count().label("n"), _learners().label("learners"))
            .group_by(AttemptEvent.scene_id)
        )
    }
    total = session.execute(reached.add_columns(func.count().label("n"), _learners().label("learners"))).one()
    reached_total = shown(total.n, total.learners)
    figures = tuple(
        EndingFigure(s.id, s.title, s.outcome, counts.get(s.id, 0), rate(counts.get(s.id, 0), reached_total))
        for s in endings
    )
    return figures, reached_total
