"""The SQL status agrees with the Python definition, row by row, on random assignments."""

from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy import select

from app.models import Assignment, Requirement
from app.services.compliance.counts import Filters, assignment_query, counts_by, expiring_soon_case, status_case, total
from app.services.compliance.status import Status, expiring_soon, status_at
from app.services.learning.catalogue import facts_of
from app.services.organisation.scope import Scope
from tests.factories import make_official, make_requirement

ON = date(2026, 6, 15)


def _maybe(rng, chance, value):
    return value if rng.random() < chance else None


def test_sql_and_python_status_agree(session):
    rng = random.Random(7)
    requirements = [make_requirement(session, name=f"r{i}", recertification_days=rng.choice([0, 30, 60, 90])) for i in range(3)]
    officials = [make_official(session) for _ in range(60)]
    day = lambda: ON + timedelta(days=rng.randint(-120, 120))  # noqa: E731
    for official in officials:
        for requirement in requirements:
            completed = _maybe(rng, 0.5, day())
            session.add(Assignment(
                official_id=official.id, requirement_id=requirement.id, assigned_on=ON - timedelta(days=rng.randint(-5, 200)),
                due_on=day(), ended_on=_maybe(rng, 0.1, day()), extended_to=_maybe(rng, 0.2, day()), completed_on=completed,
                expires_on=(completed + timedelta(days=rng.randint(0, 200))) if completed and rng.random() < 0.8 else None,
                exempt_until=_maybe(rng, 0.15, day()), active=True,
            ))
    session.commit()
    scope = Scope(everything=True)
    rows = session.execute(
        assignment_query([Assignment, Requirement, status_case(ON), expiring_soon_case(session, ON)], scope, ON, Filters())
    ).all()
    expected = {}
    for assignment, requirement, sql_status, sql_soon in rows:
        facts = facts_of(assignment, requirement)
        assert sql_status == status_at(facts, ON).value, facts
        assert bool(sql_soon) == expiring_soon(facts, ON), facts
        expected[sql_status] = expected.get(sql_status, 0) + 1
    all_rows = session.execute(select(Assignment, Requirement).join(Requirement, Requirement.id == Assignment.requirement_id)).all()
    assigned = [facts_of(a, r) for a, r in all_rows if status_at(facts_of(a, r), ON) is not None]
    assert len(rows) == len(assigned) > 50
    counts = total(session, scope, ON)
    assert counts.assigned == len(assigned)
    assert (counts.exempt, counts.compliant, counts.overdue, counts.not_yet_due) == tuple(
        expected.get(s.value, 0) for s in (Status.EXEMPT, Status.COMPLIANT, Status.OVERDUE, Status.NOT_YET_DUE))
    assert counts.expiring_soon == sum(expiring_soon(f, ON) for f in assigned)
    by_module = counts_by(session, scope, ON, "module")
    assert sum((c for c in by_module.values()), start=type(counts)()) == counts
