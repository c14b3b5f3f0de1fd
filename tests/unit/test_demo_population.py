"""The demo population is believable: every status appears, the at-risk list names its source."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from sqlmodel import select
from typer.testing import CliRunner

from app import PROJECT_ROOT
from app.cli import cli
from app.clock import today
from app.config import get_settings
from app.content import load_library
from app.demo.accounts import seed_demo
from app.demo.population import place_demo_accounts, seed_population
from app.models import Assignment, CountryRiskAssessment, Official, Requirement
from app.services.compliance.counts import Filters, total
from app.services.compliance.snapshots import trend
from app.services.compliance.status import Status, status_at
from app.services.learning.catalogue import facts_of
from app.services.organisation.scope import Scope
from tests.conftest import TEST_SECRET


def test_demo_population(session):
    library = load_library(PROJECT_ROOT / "modules")
    seed_demo(session)
    summary = seed_population(session, library, today())
    place_demo_accounts(session, today())
    session.commit()
    assert summary.departments == 5 and 1900 <= summary.officials <= 2100
    assert seed_population(session, library, today()) is None  # runs once
    flags = session.exec(select(CountryRiskAssessment).where(CountryRiskAssessment.at_risk.is_(True))).all()
    assert len(flags) == 30 and {f.source for f in flags} == {"Early Warning Project Statistical Risk Assessment"}
    counts = Counter()
    for assignment, requirement in session.exec(
        select(Assignment, Requirement).join(Requirement, Requirement.id == Assignment.requirement_id).where(Assignment.active.is_(True))
    ):
        counts[status_at(facts_of(assignment, requirement), today())] += 1
    assert all(counts[s] > 0 for s in Status), counts
    learner = session.exec(select(Official).where(Official.email == "learner@example.gov.uk")).one()
    reasons = [a.reason for a in session.exec(select(Assignment).where(Assignment.official_id == learner.id))]
    assert reasons and all("Sudan" in r for r in reasons)


def test_the_demo_population_has_a_year_of_history(session, monkeypatch, database_url):
    """`aptrain seed --demo`: past as-at dates show what a department would have seen then, and the trend has a
    point a month."""
    monkeypatch.setenv("APTRAIN_ENVIRONMENT", "test")
    monkeypatch.setenv("APTRAIN_SECRET_KEY", TEST_SECRET)
    monkeypatch.setenv("APTRAIN_DATABASE_URL", database_url)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["seed", "--demo"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "made over the past year" in result.output
    session.expire_all()
    rows = session.exec(select(Assignment)).all()
    assert all(a.due_on >= a.assigned_on for a in rows)
    months = {(a.assigned_on.year, a.assigned_on.month) for a in rows}
    assert len(months) >= 12 and min(a.assigned_on for a in rows) >= today() - timedelta(days=366)
    everyone = Scope(everything=True)
    then = total(session, everyone, today() - timedelta(days=90))
    assert 0 < then.assigned < total(session, everyone, today()).assigned
    assert then.compliant > 0 and then.overdue > 0 and then.not_yet_due > 0 and then.exempt > 0, then
    year_ago = total(session, everyone, today() - timedelta(days=366))
    assert year_ago.assigned == 0
    points = trend(session, everyone, Filters(), today())
    assert len(points) == 12 and len({(p.day.year, p.day.month) for p in points}) == 12
    assert points[-1].day == today() and all(p.counts.assigned > 0 for p in points)
    assert points[0].percent < points[-1].percent  # compliance rose over the year


def test_demo_attempts_are_played_choice_by_choice_and_judged_by_the_modules_rules(session):
    """Authors' item analysis reads the demo like real use: each attempt's choices and answers are recorded,
    its score is theirs, a poor ending never passed, and some learners failed before they passed."""
    from app.models import Attempt, AttemptEvent, Completion, EventKind

    library = load_library(PROJECT_ROOT / "modules")
    seed_population(session, library, today())
    session.commit()
    attempts = session.exec(select(Attempt)).all()
    events = Counter()
    by_attempt: dict[int, list[AttemptEvent]] = {}
    for event in session.exec(select(AttemptEvent).order_by(AttemptEvent.attempt_id, AttemptEvent.seq)):
        by_attempt.setdefault(event.attempt_id, []).append(event)
        events[event.kind] += 1
    assert len(attempts) > 300 and events[EventKind.CHOICE_MADE] > 2 * len(attempts)
    failed = [a for a in attempts if not a.passed]
    assert 0.05 * len(attempts) < len(failed) < 0.4 * len(attempts)
    for attempt in attempts:
        module = library.get(attempt.module_id)
        rows = by_attempt[attempt.id]
        assert [r.seq for r in rows] == list(range(1, len(rows) + 1))
        assert rows[0].kind == EventKind.STARTED and rows[-1].kind == EventKind.FINISHED
        choices = [r for r in rows if r.kind == EventKind.CHOICE_MADE]
        scene = module.start
        for row in choices:  # each choice is one the learner could make where they were
            assert row.scene_id == scene and module.scene(scene).choice(row.choice_id).score == row.score
            scene = module.scene(scene).choice(row.choice_id).target
        assert module.scene(scene).is_end and attempt.current_scene == scene
        answers = sum(r.score for r in rows if r.kind == EventKind.ANSWER_GIVEN)
        assert attempt.path_score == sum(r.score for r in choices) and attempt.score == attempt.path_score + answers
        assert attempt.passed == module.passes(attempt.score, module.scene(scene).outcome)
    completed = {c.attempt_id for c in session.exec(select(Completion))}
    assert completed == {a.id for a in attempts if a.passed}
