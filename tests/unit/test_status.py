"""Status as at a date (DESIGN.md "Compliance, defined"): table-driven cases and invariants."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.services.compliance.status import AssignmentFacts, Status, add_months, expiring_soon, is_assigned, status_at

D = date(2026, 6, 1)


def facts(**overrides) -> AssignmentFacts:
    values = {"assigned_on": date(2026, 1, 1), "due_on": date(2026, 3, 1)}
    values.update(overrides)
    return AssignmentFacts(**values)


CASES = [
    # (name, facts, as-at date, expected status, expiring soon)
    ("not yet due", facts(due_on=date(2026, 7, 1)), D, Status.NOT_YET_DUE, False),
    ("due today is not overdue", facts(due_on=D), D, Status.NOT_YET_DUE, False),
    ("overdue the day after", facts(due_on=D - timedelta(days=1)), D, Status.OVERDUE, False),
    ("completed, never expires", facts(completed_on=date(2026, 2, 1)), D, Status.COMPLIANT, False),
    ("late completion counts", facts(completed_on=date(2026, 5, 1), expires_on=date(2027, 5, 1)), D, Status.COMPLIANT, False),
    ("completion after D does not count yet", facts(completed_on=date(2026, 6, 2)), D, Status.OVERDUE, False),
    ("expiring within 30 days", facts(completed_on=date(2025, 6, 20), expires_on=date(2026, 6, 20)), D, Status.COMPLIANT, True),
    ("expiring in 31 days is not soon", facts(completed_on=date(2025, 7, 2), expires_on=date(2026, 7, 2)), D, Status.COMPLIANT, False),
    ("expiring within a 60-day window", facts(completed_on=date(2025, 7, 20), expires_on=date(2026, 7, 20), recertification_days=60), D, Status.COMPLIANT, True),
    ("expired today: due today, not yet overdue", facts(completed_on=date(2025, 6, 1), expires_on=D), D, Status.NOT_YET_DUE, False),
    ("expired yesterday: overdue", facts(completed_on=date(2025, 5, 31), expires_on=D - timedelta(days=1)), D, Status.OVERDUE, False),
    ("extension moves the due date", facts(extended_to=date(2026, 6, 30)), D, Status.NOT_YET_DUE, False),
    ("extension already passed", facts(extended_to=date(2026, 5, 1)), D, Status.OVERDUE, False),
    ("exempt until after D", facts(exempt_until=date(2026, 12, 31)), D, Status.EXEMPT, False),
    ("exempt until D itself", facts(exempt_until=D), D, Status.EXEMPT, False),
    ("exemption expired: overdue again", facts(exempt_until=date(2026, 5, 31)), D, Status.OVERDUE, False),
    ("exempt beats compliant", facts(exempt_until=D, completed_on=date(2026, 2, 1)), D, Status.EXEMPT, False),
    ("assigned later than D", facts(assigned_on=date(2026, 7, 1), due_on=date(2026, 8, 1)), D, None, False),
    ("ended before D", facts(ended_on=date(2026, 5, 1)), D, None, False),
    ("ended on D", facts(ended_on=D), D, None, False),
    ("ends after D", facts(ended_on=date(2026, 6, 2)), D, Status.OVERDUE, False),
]


@pytest.mark.parametrize(("name", "f", "on", "expected", "soon"), CASES, ids=[c[0] for c in CASES])
def test_status_at(name, f, on, expected, soon):
    assert status_at(f, on) == expected
    assert expiring_soon(f, on) is soon


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),
        (date(2026, 11, 15), 12, date(2027, 11, 15)),
        (date(2026, 12, 31), 2, date(2027, 2, 28)),
    ],
)
def test_add_months_clamps_to_the_month_end(start, months, expected):
    assert add_months(start, months) == expected


days = st.dates(min_value=date(2024, 1, 1), max_value=date(2028, 12, 31))


@st.composite
def any_facts(draw):
    assigned = draw(days)
    completed = draw(st.none() | days)
    return AssignmentFacts(
        assigned_on=assigned,
        due_on=draw(days),
        ended_on=draw(st.none() | days),
        extended_to=draw(st.none() | days),
        completed_on=completed,
        expires_on=draw(st.none() | days) if completed else None,
        exempt_until=draw(st.none() | days),
        recertification_days=draw(st.integers(0, 120)),
    )


@given(any_facts(), days)
def test_every_active_assignment_is_in_exactly_one_state(f, on):
    status = status_at(f, on)
    if is_assigned(f, on):
        assert status in (Status.EXEMPT, Status.COMPLIANT, Status.OVERDUE, Status.NOT_YET_DUE)
    else:
        assert status is None


@given(any_facts(), days)
def test_expiring_soon_only_when_compliant_and_expiring(f, on):
    if expiring_soon(f, on):
        assert status_at(f, on) == Status.COMPLIANT
        assert f.expires_on is not None and f.expires_on > on


@given(any_facts(), days)
def test_a_valid_exemption_always_wins(f, on):
    if is_assigned(f, on) and f.exempt_until is not None and f.exempt_until >= on:
        assert status_at(f, on) == Status.EXEMPT
