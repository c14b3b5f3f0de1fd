"""The maintained compliance counts always equal the live query: random sequences of writes (requirements,
postings, completions, exemptions, extensions, revocations, risk flags, unit moves and leavers, batch
recomputes as an import makes) and date changes (rollover), checked after every step.

Runs on SQLite and, with APTRAIN_TEST_DATABASE_URL set, on PostgreSQL."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

import app.clock
from app.models import Assignment, Attempt, Completion, Exemption, Extension, ModuleVersion, Official, Posting
from app.services.audit import Actor
from app.services.compliance import maintained
from app.services.compliance.counts import Filters, assignment_query, live_counts, total
from app.services.organisation.assignments import recompute_everyone, recompute_officials, refresh_exemptions
from app.services.organisation.risk import AssessmentInput, set_assessment
from app.services.organisation.scope import Scope
from tests.conftest import place
from tests.factories import make_department, make_posting, make_requirement, make_unit

START = date(2026, 3, 1)
MODULES = ("checkpoint-visit", "counting-people")
COUNTRIES = ("SD", "FR", "MM")
DIMS = ((), ("department",), ("unit",), ("module",), ("country",), ("unit", "module", "country"))
_serial = itertools.count()

step = st.one_of(
    st.tuples(st.just("requirement"), st.sampled_from(MODULES), st.booleans(), st.sampled_from([None, 1, 12]),
              st.integers(-20, 40), st.integers(0, 90)),
    st.tuples(st.just("posting"), st.integers(0, 3), st.sampled_from(COUNTRIES), st.integers(-60, 60)),
    st.tuples(st.just("complete"), st.integers(0, 3), st.sampled_from(MODULES), st.integers(0, 400)),
    st.tuples(st.just("exempt"), st.integers(0, 20), st.integers(-5, 40)),
    st.tuples(st.just("extend"), st.integers(0, 20), st.integers(-5, 60)),
    st.tuples(st.just("revoke"), st.integers(0, 20)),
    st.tuples(st.just("flag"), st.sampled_from(COUNTRIES), st.booleans()),
    st.tuples(st.just("move"), st.integers(0, 3), st.integers(0, 2)),
    st.tuples(st.just("leave"), st.integers(0, 3), st.booleans()),
    st.tuples(st.just("batch"),),
    st.tuples(st.just("days"), st.sampled_from([1, 1, 2, 7, 29, 31, 45, 200, -1, -3])),  # back too: a clock put right
)


@pytest.fixture
def calendar(monkeypatch):
    """The app's clock, moved by the test: `calendar[0]` is today."""
    day = [START]
    monkeypatch.setattr(app.clock, "utcnow", lambda: datetime.combine(day[0], time(12), UTC))
    return day


def _completion(session, official_id: int, module_id: str, on: date) -> None:
    version = session.exec(select(ModuleVersion).where(ModuleVersion.module_id == module_id)).first()
    if version is None:
        version = ModuleVersion(module_id=module_id, version="1.0", content_hash="h" * 64, title="t", max_score=8,
                                pass_mark=70)
        session.add(version)
        session.flush()
    attempt = Attempt(official_id=official_id, module_id=module_id, module_version_id=version.id, current_scene="x",
                      max_score=8)
    session.add(attempt)
    session.flush()
    session.add(Completion(official_id=official_id, attempt_id=attempt.id, module_id=module_id, module_version="1.0",
                           content_hash="h" * 64, score=8, percent=100, completed_at=datetime.combine(on, time(9), UTC)))
    session.flush()


def _check(session, today: date, units) -> None:
    """The table equals the live query for every grouping, in several scopes and filters."""
    department = units[0].department_id
    scopes = [Scope(everything=True), Scope(department_id=department), Scope(unit_path=units[0].path)]
    filters = [Filters(), Filters(unit_path=units[1].path), Filters(country_code="SD"), Filters(module_id=MODULES[0]),
               Filters(department_id=department, module_id=MODULES[1])]
    cases = [(Scope(everything=True), Filters(), dims) for dims in DIMS]
    cases += [(scope, narrowing, dims) for scope in scopes for narrowing in filters for dims in (DIMS[0], DIMS[-1])]
    for scope, narrowing, dims in cases:
        table = maintained.read(session, scope, narrowing, dims)
        assert maintained.current_on(session) == today
        assert table == live_counts(session, scope, today, narrowing, dims), (scope, narrowing, dims)
    for scope, narrowing in zip(scopes, filters):  # the posts a department view lists per country
        live: dict = {}
        query = assignment_query([Posting.country_code, Posting.post], scope, today, narrowing, with_posting=True)
        for code, post in session.execute(query.group_by(Posting.country_code, Posting.post)):
            if post:
                live.setdefault(code, []).append(post)
        assert maintained.posts(session, scope, narrowing) == {code: sorted(p) for code, p in live.items()}


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(step, min_size=1, max_size=12))
def test_the_maintained_counts_equal_the_live_query_after_every_write_and_date_change(session, calendar, steps):
    calendar[0] = START
    maintained.roll_to(session, START)
    n = next(_serial)
    department = make_department(session, f"H{n}")
    top = make_unit(session, department, "Directorate")
    units = [top, make_unit(session, department, "Team", parent=top), make_unit(session, department, "Post")]
    people = [place(session, units[i % 3], given_name=f"P{n}-{i}") for i in range(4)]
    session.commit()
    actor = Actor(None, "test")
    for action, *args in steps:
        today = calendar[0]
        mine = session.exec(select(Assignment).where(Assignment.official_id.in_([p.id for p in people]))
                            .order_by(Assignment.id)).all()
        if action == "requirement":
            module_id, at_risk, validity, due_days, recert = args
            make_requirement(session, name=f"R{n}", module_id=module_id, at_risk_posting=at_risk,
                             validity_months=validity, due_days=due_days, recertification_days=recert,
                             department_ids=str(department.id) if recert % 2 else "")
            recompute_everyone(session, today)
        elif action == "posting":
            who, country, start = args
            make_posting(session, people[who], country, today + timedelta(days=start), post=f"Post {start % 3}")
            recompute_officials(session, [people[who].id], today)
        elif action == "complete":
            who, module_id, days_ago = args
            _completion(session, people[who].id, module_id, today - timedelta(days=days_ago))
            recompute_officials(session, [people[who].id], today)
        elif action in ("exempt", "extend", "revoke") and mine:
            assignment = mine[args[0] % len(mine)]
            if action == "exempt":
                session.add(Exemption(assignment_id=assignment.id, reason="r", comment="c",
                                      valid_until=today + timedelta(days=args[1])))
            elif action == "extend":
                session.add(Extension(assignment_id=assignment.id, reason="r",
                                      new_due_on=today + timedelta(days=args[1])))
            else:
                for exemption in session.exec(select(Exemption).where(Exemption.assignment_id == assignment.id)):
                    exemption.revoked_at = datetime.combine(today, time(10), UTC)
                    session.add(exemption)
            session.flush()
            refresh_exemptions(session, assignment, today)
        elif action == "flag":
            country, at_risk = args
            set_assessment(session, actor, AssessmentInput(country, at_risk, "Test list", str(n), today), today)
        elif action == "move":
            who, where = args
            official = session.get(Official, people[who].id)
            official.unit_id, official.unit_path = units[where].id, units[where].path
            session.add(official)
            recompute_officials(session, [official.id], today)  # as the roster import does after its writes
        elif action == "leave":
            who, active = args
            official = session.get(Official, people[who].id)
            official.active = active
            session.add(official)
            recompute_officials(session, [official.id], today)
        elif action == "batch":
            recompute_officials(session, session.exec(select(Official.id)).all(), today)
        elif action == "days":
            calendar[0] = today + timedelta(days=args[0])
            # Odd jumps by `aptrain rollover`'s function; even ones by the first write of the day, or, when that
            # finds the table too stale to roll within a request (it then marks it not built), by the command.
            if args[0] % 2 or maintained.ensure_current(session) is None:
                maintained.roll_to(session, calendar[0])
        session.commit()
        _check(session, calendar[0], units)


def test_rollover_moves_only_the_assignments_whose_dates_were_crossed_and_is_safe_twice(session, calendar):
    department = make_department(session, "ROLL")
    unit = make_unit(session, department, "Team")
    people = [place(session, unit) for _ in range(3)]
    make_requirement(session, module_id=MODULES[0], due_days=10, grace_days=0)
    recompute_officials(session, [p.id for p in people], START)  # not built yet: nothing kept, reads go live
    assert maintained.current_on(session) is None
    assert not maintained.is_current(session, START)
    session.commit()
    assert maintained.roll_to(session, START) == "rebuilt"
    assert maintained.roll_to(session, START) == "current"
    assert maintained.roll_to(session, START + timedelta(days=5)) == "rolled"
    assert maintained.roll_to(session, START + timedelta(days=5)) == "current"
    # Due on START + 10: crossing it moves all three from not yet due to overdue, nothing else.
    assert maintained._crossed(session, START + timedelta(days=5), START + timedelta(days=6)) == []
    assert len(maintained._crossed(session, START + timedelta(days=10), START + timedelta(days=11))) == 3
    calendar[0] = START + timedelta(days=11)
    scope = Scope(department_id=department.id)
    assert not maintained.is_current(session, calendar[0])  # a read never rolls over: it uses the live query
    assert total(session, scope, calendar[0]).overdue == 3
    assert maintained.current_on(session) == START + timedelta(days=5)
    assert maintained.ensure_current(session) == calendar[0]  # the first write of the day does (6 days)
    assert maintained.read(session, scope, Filters(), ())[(None,)][3] == 3  # overdue, now from the table
    calendar[0] += timedelta(days=30)  # too stale to roll within a request: marked not built, reads go live
    assert maintained.ensure_current(session) is None and maintained.current_on(session) is None
    assert total(session, scope, calendar[0]).overdue == 3
    assert maintained.roll_to(session, calendar[0] + timedelta(days=400)) == "rebuilt"


def test_the_audit_log_leaves_out_the_bucket_an_assignment_is_counted_in():
    from app.services.audit import snapshot

    written = snapshot(Assignment(official_id=1, requirement_id=1, assigned_on=START, due_on=START, counted_in=7))
    assert "counted_in" not in written and written["due_on"] == START.isoformat()


def test_the_rollover_command_is_safe_to_run_twice(session, calendar, monkeypatch, database_url):
    from typer.testing import CliRunner

    from app.cli import cli
    from app.config import get_settings
    from tests.conftest import TEST_SECRET

    department = make_department(session, "CLI")
    unit = make_unit(session, department, "Team")
    place(session, unit)
    make_requirement(session, module_id=MODULES[0])
    recompute_everyone(session, START)
    maintained.roll_to(session, START)  # built, as `aptrain db upgrade` leaves it
    session.commit()
    monkeypatch.setenv("APTRAIN_ENVIRONMENT", "test")
    monkeypatch.setenv("APTRAIN_SECRET_KEY", TEST_SECRET)
    monkeypatch.setenv("APTRAIN_DATABASE_URL", database_url)
    get_settings.cache_clear()
    try:
        day = START + timedelta(days=3)
        first = CliRunner().invoke(cli, ["rollover", "--date", day.isoformat()])
        assert first.exit_code == 0 and f"rolled over to {day}" in first.output, first.output
        again = CliRunner().invoke(cli, ["rollover", "--date", day.isoformat()])
        assert again.exit_code == 0 and f"already current for {day}" in again.output
        rebuilt = CliRunner().invoke(cli, ["rollover", "--date", day.isoformat(), "--rebuild"])
        assert rebuilt.exit_code == 0 and "rebuilt" in rebuilt.output
        session.expire_all()
        assert maintained.current_on(session) == day
        assert maintained.read(session, Scope(everything=True), Filters(), ()) == live_counts(
            session, Scope(everything=True), day, Filters(), ())
        bad = CliRunner().invoke(cli, ["rollover", "--date", "2026-02-30"])
        assert bad.exit_code != 0 and "not a date" in bad.output
    finally:
        get_settings.cache_clear()


def test_db_upgrade_builds_the_counts_and_a_busy_read_never_writes(session, monkeypatch, database_url):
    """`aptrain db upgrade` leaves the counts built for today; until they are, reads use the live query (a
    request that only reads never rolls the table over, so it never waits for the write lock)."""
    from typer.testing import CliRunner

    from app import clock
    from app.cli import cli
    from app.config import get_settings
    from tests.conftest import TEST_SECRET

    assert maintained.current_on(session) is None
    assert total(session, Scope(everything=True), clock.today()).assigned == 0  # live, and nothing written
    assert maintained.current_on(session) is None
    monkeypatch.setenv("APTRAIN_ENVIRONMENT", "test")
    monkeypatch.setenv("APTRAIN_SECRET_KEY", TEST_SECRET)
    monkeypatch.setenv("APTRAIN_DATABASE_URL", database_url)
    get_settings.cache_clear()
    try:
        done = CliRunner().invoke(cli, ["db", "upgrade"])
        assert done.exit_code == 0 and f"Compliance counts rebuilt for {clock.today()}" in done.output, done.output
    finally:
        get_settings.cache_clear()
    session.expire_all()
    assert maintained.is_current(session, clock.today())
