"""Daily compliance snapshots per (unit, module), and the trend a dashboard draws from them.

A day's snapshot is one GROUP BY over the stored assignments as at that day, written after deleting that day's
rows, so running it twice leaves the same rows. A backfill computes past days from today's stored assignments
(their assigned, due, completion, expiry and exemption dates), which is as close to history as they allow.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import and_, case, delete, func, insert, literal, select, true
from sqlmodel import Session

from app.clock import utcnow
from app.models import ComplianceSnapshot, Official, Requirement
from app.services.compliance.counts import Counts, Filters, assignment_query, expiring_soon_case, status_case
from app.services.compliance.status import Status
from app.services.organisation.scope import Scope

TREND_MONTHS = 12


def take_snapshot(session: Session, day: date) -> int:
    """Replace `day`'s snapshot rows with the counts as at `day`; returns how many rows were written."""
    status = status_case(day)
    columns = [
        Official.department_id,
        Official.unit_id,
        Official.unit_path,
        Requirement.module_id,
        func.count(),
        *(func.sum(case((status == s.value, 1), else_=0)) for s in
          (Status.EXEMPT, Status.COMPLIANT, Status.OVERDUE, Status.NOT_YET_DUE)),
        func.sum(case((expiring_soon_case(session, day), 1), else_=0)),
    ]
    query = assignment_query(columns, Scope(everything=True), day, Filters()).group_by(
        Official.department_id, Official.unit_id, Official.unit_path, Requirement.module_id)
    now = utcnow()
    rows = [
        {"day": day, "created_at": now, "department_id": d, "unit_id": u, "unit_path": p or "", "module_id": m,
         **dict(zip(Counts.FIELDS, (int(n or 0) for n in figures)))}
        for d, u, p, m, *figures in session.execute(query)
    ]
    session.execute(delete(ComplianceSnapshot).where(ComplianceSnapshot.day == day))
    if rows:
        session.execute(insert(ComplianceSnapshot), rows)
    session.flush()
    return len(rows)


def backfill(session: Session, start: date, end: date) -> dict[date, int]:
    """A snapshot for every day from `start` to `end` inclusive, each committed as it is done."""
    written = {}
    day = start
    while day <= end:
        written[day] = take_snapshot(session, day)
        session.commit()
        day += timedelta(days=1)
    return written


def month_ends(on: date, months: int = TREND_MONTHS) -> list[date]:
    """The last day of each of the `months` - 1 months before `on`'s month, then `on`: one day per trend point."""
    return [months_back(on, n - 1) - timedelta(days=1) for n in range(months - 1, 0, -1)] + [on]


def backfill_months(session: Session, on: date, months: int = TREND_MONTHS) -> dict[date, int]:
    """A snapshot at the end of each month of the trend's window (and on `on`), computed from the stored
    assignments: what the trend needs, in `months` queries rather than one a day."""
    written = {day: take_snapshot(session, day) for day in month_ends(on, months)}
    session.flush()
    return written


@dataclass(frozen=True)
class TrendPoint:
    day: date
    counts: Counts

    @property
    def percent(self) -> float | None:
        return self.counts.percent


def _snapshot_scope(scope: Scope, filters: Filters):
    clauses = [true()]
    if not scope.everything:
        if scope.department_id is not None:
            clauses.append(ComplianceSnapshot.department_id == scope.department_id)
        elif scope.unit_path:
            clauses.append(ComplianceSnapshot.unit_path.startswith(scope.unit_path, autoescape=True))
        else:
            clauses.append(literal(False))
    if filters.department_id is not None:
        clauses.append(ComplianceSnapshot.department_id == filters.department_id)
    if filters.unit_path:
        clauses.append(ComplianceSnapshot.unit_path.startswith(filters.unit_path, autoescape=True))
    if filters.module_id:
        clauses.append(ComplianceSnapshot.module_id == filters.module_id)
    return and_(*clauses)


def trend(session: Session, scope: Scope, filters: Filters, on: date, months: int = TREND_MONTHS) -> list[TrendPoint]:
    """Compliance over the `months` before `on`: the last snapshot of each month, within scope.

    Snapshots are per (unit, module), so a country filter does not narrow the trend.
    """
    start = months_back(on, months - 1)
    days = session.execute(
        select(ComplianceSnapshot.day).where(ComplianceSnapshot.day >= start, ComplianceSnapshot.day <= on)
        .group_by(ComplianceSnapshot.day)
    ).scalars().all()
    last_of_month: dict[tuple[int, int], date] = {}
    for day in days:
        key = (day.year, day.month)
        last_of_month[key] = max(day, last_of_month.get(key, day))
    chosen = sorted(last_of_month.values())
    if not chosen:
        return []
    sums = [func.coalesce(func.sum(getattr(ComplianceSnapshot, name)), 0) for name in Counts.FIELDS]
    rows = session.execute(
        select(ComplianceSnapshot.day, *sums)
        .where(ComplianceSnapshot.day.in_(chosen), _snapshot_scope(scope, filters))
        .group_by(ComplianceSnapshot.day)
    ).all()
    found = {day: Counts(*(int(v) for v in values)) for day, *values in rows}
    return [TrendPoint(day, found.get(day, Counts())) for day in chosen]


def months_back(on: date, months: int) -> date:
    """The first day of the month `months` before `on`'s month."""
    index = on.year * 12 + on.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)
