"""Item analysis over a small population played through the real player: exact figures and suppression."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from app.content.model import frozen_mapping
from app.models import Attempt, ModuleVersion
from app.services.learning import item_analysis, player
from app.services.learning.item_analysis import AnalysisFilters, analyse
from app.services.learning.item_analysis_csv import _cell, analysis_csv, percent_text
from app.web.forms import analysis_filters as parse_filters
from tests.factories import make_official

BEST = (("start", "report"), ("corroborate", "ask-un"))
WORST = (("start", "wait"), ("later", "late-report"))
RIGHT = {"q-prep": {"2"}, "q-signs": {"1", "2"}}
WRONG = {"q-prep": {"1"}, "q-signs": {"3"}}


def play(session, official, module, path, answers=None, *, minutes: int | None = None) -> Attempt:
    """Take `path` (scene, choice) pairs through the player and, given answers, finish the attempt."""
    attempt = player.start_attempt(session, official, module)
    for scene_id, choice_id in path:
        assert player.choose(session, attempt, module, step=attempt.step, scene_id=scene_id, choice_id=choice_id)
        assert player.proceed(session, attempt, module, step=attempt.step)
    if answers is not None:
        assert player.proceed(session, attempt, module, step=attempt.step)  # ending -> knowledge check
        assert player.answer(session, attempt, module, step=attempt.step, answers=answers).moved
    if minutes is not None and attempt.finished_at is not None:
        attempt.started_at = attempt.finished_at - timedelta(minutes=minutes)
        session.add(attempt)
    session.commit()
    return attempt


def seed_population(session, module, *, best: int = 4, worst: int = 2, unfinished: int = 1) -> None:
    """`best` learners pass with full marks, `worst` fail, `unfinished` only start; durations 1, 2, 3… minutes."""
    minutes = iter(range(1, 100))
    for _ in range(best):
        play(session, make_official(session), module, BEST, RIGHT, minutes=next(minutes))
    for _ in range(worst):
        play(session, make_official(session), module, WORST, WRONG, minutes=next(minutes))
    for _ in range(unfinished):
        play(session, make_official(session), module, ())


@pytest.fixture
def module(test_library):
    return test_library.get("checkpoint-visit")


def test_figures_for_a_population_of_twelve(session, module):
    seed_population(session, module, best=6, worst=5, unfinished=1)
    result = analyse(session, module, AnalysisFilters())
    o = result.overview
    assert not result.suppressed
    assert (o.learners, o.attempts, o.finished, o.passed, o.failed) == (12, 12, 11, 6, 5)
    assert o.completion_rate == pytest.approx(11 / 12)
    assert o.pass_rate == pytest.approx(6 / 11)
    assert o.median_seconds == pytest.approx(360, abs=1)  # 1..11 minutes: the sixth
    buckets = {b.label: b.count for b in result.distribution}
    assert buckets["90–100%"] == 6 and buckets["10–19%"] == 5 and sum(buckets.values()) == 11
    assert len(result.distribution) == 10 and result.distribution[0].label == "0–9%"
    scenes = {s.scene_id: s for s in result.scenes}
    assert (scenes["start"].reached, scenes["start"].learners) == (11, 11)
    assert [(c.choice_id, c.count) for c in scenes["start"].choices] == [("report", 6), ("wait", 5)]
    assert scenes["start"].choices[0].share == pytest.approx(6 / 11)
    assert [(c.choice_id, c.count, c.share) for c in scenes["corroborate"].choices] == [("ask-un", 6, 1.0), ("send-name", 0, 0.0)]
    assert scenes["later"].reached == 5
    prep = next(q for q in result.questions if q.question_id == "q-prep")
    assert (prep.answered, prep.correct, prep.correct_share) == (11, 6, pytest.approx(6 / 11))
    assert prep.common_wrong == "RF1 Armed conflict or instability" and prep.common_wrong_count == 5
    signs = next(q for q in result.questions if q.question_id == "q-signs")
    assert signs.common_wrong == "A scheduled public holiday"
    assert result.endings_reached == 11
    assert [(e.scene_id, e.count) for e in result.endings] == [("end-good", 6), ("end-poor", 5)]


def test_one_rule_hides_every_count_of_one_to_four_learners(session, module):
    """Six pass and one fails: the fail is hidden in the overview, the score bands, the choices,
    the questions and the endings alike; zeros are shown; the pass rate agrees with the counts."""
    seed_population(session, module, best=6, worst=1, unfinished=0)
    result = analyse(session, module, AnalysisFilters())
    o = result.overview
    assert (o.attempts, o.finished, o.passed, o.failed) == (7, 7, 6, None)
    assert o.pass_rate == pytest.approx(6 / 7)  # passed of finished, never 100% with a fail among them
    buckets = {b.label: b.count for b in result.distribution}
    assert buckets["90–100%"] == 6 and buckets["10–19%"] is None and buckets["50–59%"] == 0
    assert {b.label: b.share for b in result.distribution}["10–19%"] is None
    scenes = {s.scene_id: s for s in result.scenes}
    assert [(c.choice_id, c.count) for c in scenes["start"].choices] == [("report", 6), ("wait", None)]
    assert scenes["start"].choices[1].share is None
    assert scenes["later"].reached is None and scenes["later"].choices[0].count is None
    assert [(c.choice_id, c.count) for c in scenes["corroborate"].choices] == [("ask-un", 6), ("send-name", 0)]
    prep = next(q for q in result.questions if q.question_id == "q-prep")
    assert (prep.answered, prep.correct, prep.common_wrong, prep.common_wrong_count) == (7, 6, None, None)
    assert [(e.scene_id, e.count) for e in result.endings] == [("end-good", 6), ("end-poor", None)]
    assert [item_analysis.shown(n, n) for n in (0, 1, 4, 5)] == [0, None, None, 5]
    assert item_analysis.rate(None, 7) is None and item_analysis.rate(3, None) is None and item_analysis.rate(0, 0) is None


def test_a_rate_never_rounds_to_all_or_nothing():
    assert percent_text(200 / 201) == "99.5" and percent_text(1999 / 2000) == "99.9"
    assert percent_text(1 / 5000) == "0.1" and percent_text(1.0) == "100.0" and percent_text(0.0) == "0.0"
    assert percent_text(None) == ""


def test_fewer_than_five_learners_suppresses_every_figure(session, module):
    seed_population(session, module, best=3, worst=1, unfinished=0)
    result = analyse(session, module, AnalysisFilters())
    assert result.suppressed
    assert result.overview == item_analysis.Overview(None, None, None, None, None, None, None, None)
    assert all(b.count in (None, 0) for b in result.distribution) and any(b.count is None for b in result.distribution)
    assert all(s.suppressed for s in result.scenes) and all(q.suppressed for q in result.questions)
    rows = list(csv.reader(io.StringIO(analysis_csv(result))))
    assert rows[0] == ["section", "subject", "item", "count", "percent", "note"]
    for row in rows[1:]:
        if row[3] != "0":
            assert row[3] == row[4] == "" and row[5] == "Fewer than 5 learners", row


def test_one_learner_with_many_attempts_is_still_one_learner(session, module):
    official = make_official(session)
    for _ in range(6):
        play(session, official, module, BEST, RIGHT)
    assert analyse(session, module, AnalysisFilters()).suppressed


def test_filters_by_version_and_start_date(session, module, monkeypatch):
    seed_population(session, module, best=5, worst=0, unfinished=0)
    older = ModuleVersion(module_id=module.id, version="1.1.0", content_hash="0" * 64, title=module.title,
                          max_score=8, pass_mark=70)  # fmt: skip
    session.add(older)
    session.commit()
    first = session.exec(select(Attempt).order_by(Attempt.id)).first()
    first.module_version_id = older.id
    first.started_at = datetime(2025, 1, 10, 23, 30, tzinfo=UTC)
    first.finished_at = first.started_at + timedelta(minutes=5)
    session.add(first)
    session.commit()
    assert set(item_analysis.versions(session, module.id)) == {"1.1.0", "1.2.0"}
    assert analyse(session, module, AnalysisFilters()).overview.attempts == 5
    assert analyse(session, module, AnalysisFilters(version="1.2.0")).suppressed  # four learners left
    monkeypatch.setattr(item_analysis, "MIN_LEARNERS", 1)  # to see the small counts behind the filters

    def attempts(**filters) -> int:
        return analyse(session, module, AnalysisFilters(**filters)).overview.attempts

    assert attempts(version="1.2.0") == 4 and attempts(version="1.1.0") == 1
    assert attempts(date_to=date(2025, 1, 10)) == 1  # the "to" day is included, to midnight UTC
    assert attempts(date_from=date(2025, 1, 11)) == 4
    assert attempts(date_from=date(2025, 1, 10), date_to=date.today()) == 5
    assert attempts(version="1.1.0", date_from=date(2025, 1, 11)) == 0  # nobody at all: zero is shown


def test_parse_filters_reports_bad_input():
    filters, errors, _ = parse_filters({"version": "1.2.0", "from": "2026-03-01", "to": "2026-03-31"}, ["1.2.0"])
    assert filters == AnalysisFilters("1.2.0", date(2026, 3, 1), date(2026, 3, 31)) and not errors
    _, errors, _ = parse_filters({"version": "9.9.9", "from-day": "45", "from-month": "13", "from-year": "2026"}, ["1.2.0"])
    assert set(errors) == {"version", "from-day"}
    _, errors, _ = parse_filters({"from": "2026-03-31", "to": "2026-03-01"}, [])
    assert set(errors) == {"to-day"}
    assert parse_filters({}, [])[:2] == (AnalysisFilters(), {})


def test_csv_has_the_figures_and_neutralises_formulas(session, module):
    seed_population(session, module, best=6, worst=2, unfinished=0)
    start = module.scene("start")
    risky = replace(module, title="=HYPERLINK(\"http://evil\")",
                    scenes=frozen_mapping({**module.scenes, "start": replace(start, title="@SUM(A1)")}))  # fmt: skip
    rows = list(csv.reader(io.StringIO(analysis_csv(analyse(session, risky, AnalysisFilters())))))
    assert ["Module", "'=HYPERLINK(\"http://evil\")", "Attempts started", "8", "", ""] in rows
    assert ["Module", "'=HYPERLINK(\"http://evil\")", "Pass rate (passed / finished)", "", "75.0", ""] in rows
    assert ["Choices", "'@SUM(A1)", "report: Write it up and send it to the desk", "6", "75.0", ""] in rows
    later = [r for r in rows if r[1] == "Three weeks later"]
    assert later and all(r[3] == "" and r[5] == "Fewer than 5 learners" for r in later)
    assert ["Module", "'=HYPERLINK(\"http://evil\")", "Failed", "", "", "Fewer than 5 learners"] in rows
    assert ["Endings", "London acts early", "good outcome", "6", "75.0", ""] in rows
    assert _cell("-1") == "'-1" and _cell("+x") == "'+x" and _cell("ok") == "ok"


def seed_unrecorded(session, module, n: int) -> None:
    """`n` learners with a passed attempt and no events, as the demo population makes them (after a played one)."""
    version_id = session.exec(select(Attempt)).first().module_version_id
    finished = datetime.now(UTC)
    for _ in range(n):
        official = make_official(session)
        session.add(Attempt(official_id=official.id, module_id=module.id, module_version_id=version_id, state="finished",
                            current_scene="start", max_score=8, score=8, percent=100, passed=True,
                            started_at=finished - timedelta(minutes=3), finished_at=finished))  # fmt: skip
    session.commit()


def test_attempts_without_recorded_choices_are_counted_and_named(session, module):
    """Demo data and imported completions have attempts but no events: the page says so instead of leaving every
    decision at 'Fewer than 5 learners' beside hundreds of attempts."""
    seed_population(session, module, best=5, worst=0, unfinished=0)
    seed_unrecorded(session, module, 6)
    result = analyse(session, module, AnalysisFilters())
    assert (result.overview.attempts, result.overview.passed, result.unrecorded) == (11, 11, 6)
    assert next(s for s in result.scenes if s.scene_id == "start").reached == 5
    assert analyse(session, module, AnalysisFilters(date_to=date(2000, 1, 1))).unrecorded == 0
