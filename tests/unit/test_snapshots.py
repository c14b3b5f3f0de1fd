"""Compliance snapshots: one row per (unit, module) per day, safe to rerun, backfilled from stored assignments; trend."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import func, select
from typer.testing import CliRunner

from app.cli import cli
from app.config import get_settings
from app.models import Assignment, ComplianceSnapshot
from app.services.compliance.counts import Counts, Filters, counts_by
from app.services.compliance.maintained import sync
from app.services.compliance.snapshots import backfill, take_snapshot, trend
from app.services.compliance.trend import trend_chart
from app.services.organisation.assignments import recompute_officials
from app.services.organisation.scope import Scope
from tests.conftest import TEST_SECRET, place
from tests.factories import make_requirement

DAY = date(2026, 3, 10)


@pytest.fixture
def org(org_units, session):
    """The shared `org_units` (conftest.py); officials in Africa Directorate, the Policy team (two) and MOD
    Operations, two requirements each, one completion."""
    africa, team, ops = org_units["africa"], org_units["team"], org_units["defence"]
    people = [place(session, u) for u in (africa, team, team, ops)]
    make_requirement(session, module_id="checkpoint-visit", due_days=10, grace_days=0)
    make_requirement(session, module_id="other-module", due_days=40, grace_days=0)
    recompute_officials(session, [p.id for p in people], DAY - timedelta(days=30))
    session.commit()
    first = session.exec(select(Assignment).where(Assignment.official_id == people[1].id)).first()
    first.completed_on, first.expires_on = DAY - timedelta(days=5), DAY + timedelta(days=20)
    session.add(first)
    sync(session, [first.id])  # facts written directly: keep the maintained counts with them
    session.commit()
    return {**org_units, "ops": ops, "people": people}


def rows(session, day):
    found = session.exec(select(ComplianceSnapshot).where(ComplianceSnapshot.day == day)).all()
    return sorted((r.unit_id, r.module_id, r.assigned, r.exempt, r.compliant, r.overdue, r.not_yet_due, r.expiring_soon)
                  for r in found)


def test_a_snapshot_stores_the_counts_per_unit_and_module_and_is_safe_to_rerun(session, org):
    assert take_snapshot(session, DAY) == 6  # three units × two modules
    session.commit()
    first = rows(session, DAY)
    assert take_snapshot(session, DAY) == 6
    session.commit()
    assert rows(session, DAY) == first
    assert session.exec(select(func.count()).select_from(ComplianceSnapshot)).one() == 6
    by_unit = counts_by(session, Scope(everything=True), DAY, "unit")
    for unit_id in {r[0] for r in first}:
        stored = [Counts(*r[2:]) for r in first if r[0] == unit_id]
        assert sum(stored, Counts()) == by_unit[unit_id]
    team_checkpoint = next(r for r in first if r[0] == org["team"].id and r[1] == "checkpoint-visit")
    assert team_checkpoint[2:] == (2, 0, 1, 1, 0, 1)


def test_backfill_computes_each_past_day_from_the_stored_assignments(session, org):
    start = DAY - timedelta(days=35)
    written = backfill(session, start, DAY)
    assert len(written) == 36 and written[start] == 0  # nothing was assigned yet
    assert sum(r[2] for r in rows(session, DAY - timedelta(days=30))) == 8
    # Due on DAY - 20: not yet due before then, overdue after.
    assert sum(r[5] for r in rows(session, DAY - timedelta(days=21))) == 0
    assert sum(r[5] for r in rows(session, DAY - timedelta(days=19))) == 4
    backfilled = rows(session, DAY)
    take_snapshot(session, DAY)
    assert rows(session, DAY) == backfilled


def test_trend_takes_the_last_snapshot_of_each_month_within_scope(session, org):
    for day in (date(2026, 2, 10), date(2026, 2, 28), DAY):
        take_snapshot(session, day)
    for day in (date(2025, 3, 31), date(2025, 4, 30)):  # older rows, as a nightly job would have left them
        session.add(ComplianceSnapshot(day=day, department_id=org["fcdo"].id, unit_id=org["team"].id,
                                       unit_path=org["team"].path, module_id="checkpoint-visit", assigned=5, compliant=5))
    session.commit()
    points = trend(session, Scope(everything=True), Filters(), DAY)
    # March 2025 is more than 12 months back; 10 February is not the last snapshot of its month.
    assert [p.day for p in points] == [date(2025, 4, 30), date(2026, 2, 28), DAY]
    assert points[0].percent == 100.0
    manager = trend(session, Scope(unit_path=org["team"].path), Filters(), DAY)
    assert manager[-1].counts.assigned == 4 and manager[-1].counts.compliant == 1
    department = trend(session, Scope(department_id=org["mod"].id), Filters(module_id="other-module"), DAY)
    assert department[-1].counts.assigned == 1
    assert trend(session, Scope(), Filters(), DAY)[-1].counts == Counts()
    chart = trend_chart(points, DAY)
    assert chart is not None and chart.path.startswith("M ") and len(chart.points) == 3
    assert chart.points[0].x < chart.points[1].x < chart.points[2].x == chart.right
    assert trend_chart([], DAY) is None


def test_the_snapshot_command(session, org, monkeypatch, database_url):
    monkeypatch.setenv("APTRAIN_ENVIRONMENT", "test")
    monkeypatch.setenv("APTRAIN_SECRET_KEY", TEST_SECRET)
    monkeypatch.setenv("APTRAIN_DATABASE_URL", database_url)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["snapshot", "--date", DAY.isoformat(), "--backfill-from", "2026-03-08"])
        assert result.exit_code == 0, result.output
        assert "3 day(s)" in result.output
        again = CliRunner().invoke(cli, ["snapshot", "--date", DAY.isoformat()])
        assert again.exit_code == 0 and "1 day(s)" in again.output
        session.expire_all()
        days = session.exec(select(ComplianceSnapshot.day).distinct()).all()
        assert sorted(days) == [date(2026, 3, 8), date(2026, 3, 9), DAY]
        assert len(rows(session, DAY)) == 6
        bad = CliRunner().invoke(cli, ["snapshot", "--date", "2026-02-30"])
        assert bad.exit_code != 0 and "not a date" in bad.output
    finally:
        get_settings.cache_clear()


def test_the_snapshot_stores_the_figures_of_counts_in_their_order():
    columns = [c.name for c in ComplianceSnapshot.__table__.columns if c.name in Counts.FIELDS]
    assert tuple(columns) == Counts.FIELDS
    assert Counts.of(ComplianceSnapshot(day=DAY, module_id="m", assigned=3, compliant=2)) == Counts(3, 0, 2)


def test_the_trend_in_words_from_its_first_and_last_months():
    from app.services.compliance.snapshots import TrendPoint
    from app.services.compliance.trend import describe

    def point(day, compliant):
        return TrendPoint(day, Counts(assigned=100, compliant=compliant))

    jan, jun, dec = date(2026, 1, 31), date(2026, 6, 30), date(2026, 12, 2)
    assert describe([point(jan, 41), point(jun, 44), point(dec, 46)]).startswith(
        "Compliance rose from 41% in January 2026 to 46% in December 2026;")
    assert describe([point(jan, 50), point(dec, 46)]).startswith("Compliance fell from 50% in January 2026 to 46%")
    assert describe([point(jan, 46), point(jun, 30), point(dec, 46)]).startswith(
        "Compliance was 46% in both January 2026 and December 2026, between a low of 30% (June 2026) and a high of 46%")
    assert describe([point(dec, 46)]).startswith("Compliance was 46% in December 2026, the only month with figures so far")
    assert describe([]) == "Nobody was due to train in this period."
    chart = trend_chart([TrendPoint(jun, Counts()), point(dec, 46)], dec)
    assert chart is not None and "the only month" in chart.description  # a month nobody was due is left out
