"""Item analysis for authors: aggregate figures over a module's attempts, computed by grouped SQL queries.

Aggregates only: no official's name or id leaves this module. A figure whose base is fewer
than MIN_LEARNERS distinct learners is suppressed (None), so no one can be singled out.
"""

from __future__ import annotations

import csv
import io
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
    learners: int | None  # distinct learners who started
    attempts: int | None
    finished: int | None
    completion_rate: float | None  # finished / started
    pass_rate: float | None  # passed / finished
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
    share: float | None
    rewinds: int | None = None  # times learners went back from the poor ending this choice led to


@dataclass(frozen=True)
class SceneFigures:
    scene_id: str
    title: str
    suppressed: bool
    choices: tuple[ChoiceFigure, ...]


@dataclass(frozen=True)
class QuestionFigures:
    question_id: str
    text: str
    answered: int | None
    correct_share: float | None
    common_wrong: str | None  # the most common wrong answer (option texts), None if suppressed or none wrong
    common_wrong_count: int | None
    suppressed: bool


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
    suppressed: bool  # fewer than MIN_LEARNERS started
    finished_suppressed: bool  # fewer than MIN_LEARNERS finished: pass rate, median, distribution
    distribution: tuple[Bucket, ...]
    scenes: tuple[SceneFigures, ...]
    questions: tuple[QuestionFigures, ...]
    endings: tuple[EndingFigure, ...]
    endings_suppressed: bool


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


def _share(count: int, total: int) -> float:
    return count / total if total else 0.0


def _plain(html: str) -> str:
    return Markup(html).striptags()


def _answer_text(question: Question, answer: str) -> str:
    options = [question.option(key) for key in answer.split()]
    return "; ".join(_plain(o.text_html) for o in options if o is not None) or answer


def analyse(session: Session, module: Module, filters: AnalysisFilters) -> ItemAnalysis:
    """Every figure for a module's attempts under the filters."""
    finished = Attempt.finished_at.is_not(None)
    totals = session.execute(
        _attempts(
            filters,
            module.id,
            func.count(Attempt.id).label("attempts"),
            func.count(distinct(Attempt.official_id)).label("learners"),
            func.count(Attempt.finished_at).label("finished"),
            func.count(distinct(case((finished, Attempt.official_id)))).label("finished_learners"),
            func.coalesce(func.sum(case((Attempt.passed.is_(True), 1), else_=0)), 0).label("passed"),
        )
    ).one()
    suppressed = totals.learners < MIN_LEARNERS
    finished_suppressed = totals.finished_learners < MIN_LEARNERS
    overview = Overview(
        learners=None if suppressed else totals.learners,
        attempts=None if suppressed else totals.attempts,
        finished=None if suppressed else totals.finished,
        completion_rate=None if suppressed else _share(totals.finished, totals.attempts),
        pass_rate=None if finished_suppressed else _share(totals.passed, totals.finished),
        median_seconds=None if finished_suppressed else _median_seconds(session, filters, module.id),
    )
    return ItemAnalysis(
        module=module,
        filters=filters,
        overview=overview,
        suppressed=suppressed,
        finished_suppressed=finished_suppressed,
        distribution=_distribution(session, module, filters, totals.finished, finished_suppressed),
        scenes=_scenes(session, module, filters),
        questions=_questions(session, module, filters),
        **_endings(session, module, filters),
    )


def _distribution(
    session: Session, module: Module, filters: AnalysisFilters, finished: int, suppressed: bool
) -> tuple[Bucket, ...]:
    bucket = case((Attempt.percent >= 90, 9), else_=Attempt.percent // 10)
    rows = session.execute(
        _attempts(filters, module.id, bucket.label("bucket"), func.count().label("n"))
        .where(Attempt.finished_at.is_not(None), Attempt.percent.is_not(None))
        .group_by(bucket)
    )
    counts = {int(row.bucket): row.n for row in rows}
    return tuple(
        Bucket(low, high, None if suppressed else counts.get(i, 0), None if suppressed else _share(counts.get(i, 0), finished))
        for i, (low, high) in enumerate(BUCKETS)
    )


def _scenes(session: Session, module: Module, filters: AnalysisFilters) -> tuple[SceneFigures, ...]:
    first = (
        select(AttemptEvent.attempt_id, func.min(AttemptEvent.seq).label("seq"))
        .where(AttemptEvent.kind == EventKind.CHOICE_MADE.value)
        .group_by(AttemptEvent.attempt_id, AttemptEvent.scene_id)
        .subquery()
    )
    rows = session.execute(
        _events(filters, module.id, EventKind.CHOICE_MADE, AttemptEvent.scene_id, AttemptEvent.choice_id, func.count().label("n"))
        .join(first, and_(first.c.attempt_id == AttemptEvent.attempt_id, first.c.seq == AttemptEvent.seq))
        .group_by(AttemptEvent.scene_id, AttemptEvent.choice_id)
    )
    counts = {(row.scene_id, row.choice_id): row.n for row in rows}
    rewinds = {
        (row.scene_id, row.choice_id): row.n
        for row in session.execute(
            _events(filters, module.id, EventKind.REWOUND, AttemptEvent.scene_id, AttemptEvent.choice_id,
                    func.count().label("n"))
            .group_by(AttemptEvent.scene_id, AttemptEvent.choice_id)
        )
    }
    learners = dict(
        session.execute(
            _events(filters, module.id, EventKind.CHOICE_MADE, AttemptEvent.scene_id, func.count(distinct(Attempt.official_id)))
            .group_by(AttemptEvent.scene_id)
        ).all()
    )
    figures = []
    for scene in module.scenes.values():
        if scene.is_end:
            continue
        suppressed = learners.get(scene.id, 0) < MIN_LEARNERS
        total = sum(counts.get((scene.id, c.id), 0) for c in scene.choices)
        choices = tuple(
            ChoiceFigure(
                choice_id=c.id,
                text=_plain(c.text_html),
                target=c.target,
                count=None if suppressed else counts.get((scene.id, c.id), 0),
                share=None if suppressed else _share(counts.get((scene.id, c.id), 0), total),
                rewinds=None if suppressed else rewinds.get((scene.id, c.id), 0),
            )
            for c in scene.choices
        )
        figures.append(SceneFigures(scene.id, scene.title, suppressed, choices))
    return tuple(figures)


def _questions(session: Session, module: Module, filters: AnalysisFilters) -> tuple[QuestionFigures, ...]:
    rows = session.execute(
        _events(
            filters,
            module.id,
            EventKind.ANSWER_GIVEN,
            AttemptEvent.question_id,
            func.count().label("answered"),
            func.coalesce(func.sum(case((AttemptEvent.correct.is_(True), 1), else_=0)), 0).label("correct"),
            func.count(distinct(Attempt.official_id)).label("learners"),
        ).group_by(AttemptEvent.question_id)
    )
    totals = {row.question_id: row for row in rows}
    wrong_rows = session.execute(
        _events(filters, module.id, EventKind.ANSWER_GIVEN, AttemptEvent.question_id, AttemptEvent.answer, func.count().label("n"))
        .where(AttemptEvent.correct.is_(False))
        .group_by(AttemptEvent.question_id, AttemptEvent.answer)
    )
    wrong: dict[str, tuple[int, str]] = {}
    for row in wrong_rows:  # one row per distinct wrong answer, not per event
        best = wrong.get(row.question_id)
        if best is None or (-row.n, row.answer) < (-best[0], best[1]):  # most often; ties by answer, for stability
            wrong[row.question_id] = (row.n, row.answer)
    figures = []
    for question in module.questions:
        row = totals.get(question.id)
        suppressed = row is None or row.learners < MIN_LEARNERS
        common = wrong.get(question.id)
        figures.append(
            QuestionFigures(
                question_id=question.id,
                text=question.text,
                answered=None if suppressed else row.answered,
                correct_share=None if suppressed else _share(row.correct, row.answered),
                common_wrong=None if suppressed or common is None else _answer_text(question, common[1]),
                common_wrong_count=None if suppressed else (common[0] if common else 0),
                suppressed=suppressed,
            )
        )
    return tuple(figures)


def _endings(session: Session, module: Module, filters: AnalysisFilters) -> dict:
    endings = [s for s in module.scenes.values() if s.is_end]
    ids = [s.id for s in endings]
    reached = _events(filters, module.id, EventKind.SCENE_SHOWN).where(AttemptEvent.scene_id.in_(ids))
    counts = dict(session.execute(reached.add_columns(AttemptEvent.scene_id, func.count()).group_by(AttemptEvent.scene_id)).all())
    learners = session.execute(reached.add_columns(func.count(distinct(Attempt.official_id)))).scalar() or 0
    suppressed = learners < MIN_LEARNERS
    total = sum(counts.values())
    figures = tuple(
        EndingFigure(
            scene_id=s.id,
            title=s.title,
            outcome=s.outcome,
            count=None if suppressed else counts.get(s.id, 0),
            share=None if suppressed else _share(counts.get(s.id, 0), total),
        )
        for s in endings
    )
    return {"endings": figures, "endings_suppressed": suppressed}


def _cell(value: object) -> str:
    """A CSV cell that a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _percent(share: float | None) -> str:
    return "" if share is None else f"{share * 100:.1f}"


def analysis_csv(analysis: ItemAnalysis) -> str:
    """The same figures as the page, one per row; suppressed figures are left empty with a note."""
    out = io.StringIO()
    writer = csv.writer(out)
    note = lambda hidden: SUPPRESSED if hidden else ""  # noqa: E731
    rows: list[tuple] = [("section", "subject", "item", "count", "percent", "note")]
    o, title = analysis.overview, analysis.module.title
    rows += [
        ("Module", title, "Attempts started", o.attempts, "", note(analysis.suppressed)),
        ("Module", title, "Completion rate (finished / started)", o.finished, _percent(o.completion_rate), note(analysis.suppressed)),
        ("Module", title, "Pass rate (passed / finished)", "", _percent(o.pass_rate), note(analysis.finished_suppressed)),
        ("Module", title, "Median time to finish (seconds)",
         "" if o.median_seconds is None else round(o.median_seconds), "", note(analysis.finished_suppressed)),
    ]  # fmt: skip
    rows += [
        ("Score distribution", b.label, "Finished attempts", b.count, _percent(b.share), note(b.count is None))
        for b in analysis.distribution
    ]
    for scene in analysis.scenes:
        rows += [
            ("Choices", scene.title, f"{c.choice_id}: {c.text}", c.count, _percent(c.share), note(scene.suppressed))
            for c in scene.choices
        ]
        rows += [
            ("Rewinds", scene.title, f"{c.choice_id}: {c.text}", c.rewinds, "", note(scene.suppressed))
            for c in scene.choices if c.rewinds
        ]
    for q in analysis.questions:
        rows.append(("Questions", q.text, "Answered correctly", q.answered, _percent(q.correct_share), note(q.suppressed)))
        wrong = f"Most common wrong answer: {q.common_wrong}" if q.common_wrong else "Most common wrong answer"
        rows.append(("Questions", q.text, wrong, q.common_wrong_count, "", note(q.suppressed)))
    rows += [
        ("Endings", e.title, f"{e.outcome} outcome" if e.outcome else "Ending", e.count, _percent(e.share),
         note(analysis.endings_suppressed))
        for e in analysis.endings
    ]  # fmt: skip
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return out.getvalue()
