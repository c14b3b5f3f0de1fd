"""Compliance counts and the officials behind them, for a scope and an as-at date, computed in SQL.

The CASE expression below is DESIGN.md's definition written once for the database; it agrees with
`app.services.compliance.status.status_at` (a test checks the two on random data). Dashboards, exports and the
API all read their figures from here.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, timedelta
from operator import attrgetter
from typing import ClassVar

from sqlalchemy import and_, case, func, literal, or_, select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from app.models import Assignment, Official, Posting, Requirement
from app.services.compliance.status import EXPIRING_SOON_DAYS, ListStatus, Status
from app.services.organisation.scope import Scope


def is_assigned(on: date) -> ColumnElement[bool]:
    """Active officials with an assignment active at `on`."""
    return and_(
        Official.active.is_(True),
        Assignment.assigned_on <= on,
        or_(Assignment.ended_on.is_(None), Assignment.ended_on > on),
    )


def status_case(on: date) -> ColumnElement[str]:
    """The status at `on` of an assigned row: exempt, compliant, overdue or not yet due."""
    exempt = and_(Assignment.exempt_until.is_not(None), Assignment.exempt_until >= on)
    compliant = and_(
        Assignment.completed_on.is_not(None),
        Assignment.completed_on <= on,
        or_(Assignment.expires_on.is_(None), Assignment.expires_on > on),
    )
    due = func.coalesce(Assignment.extended_to, Assignment.due_on)
    expired = and_(Assignment.completed_on.is_not(None), Assignment.expires_on.is_not(None), Assignment.expires_on <= on)
    # After an expiry the effective due date is the later of the due date and the expiry date.
    overdue = or_(and_(~expired, due < on), and_(expired, due < on, Assignment.expires_on < on))
    return case(
        (exempt, literal(Status.EXEMPT.value)),
        (compliant, literal(Status.COMPLIANT.value)),
        (overdue, literal(Status.OVERDUE.value)),
        else_=literal(Status.NOT_YET_DUE.value),
    )


def expiring_soon_case(session: Session, on: date) -> ColumnElement[bool]:
    """Compliant and expiring within 30 days, or within the requirement's recertification window if longer."""
    windows = session.execute(select(Requirement.id, Requirement.recertification_days)).all()
    horizons = [
        and_(Assignment.requirement_id == rid, Assignment.expires_on <= on + timedelta(days=max(EXPIRING_SOON_DAYS, days)))
        for rid, days in windows
    ] or [literal(False)]
    return and_(status_case(on) == Status.COMPLIANT.value, Assignment.expires_on.is_not(None), or_(*horizons))


@dataclass(frozen=True)
class Counts:
    """The six compliance figures of DESIGN.md, in their one order: the snapshot table's columns, the CSV's columns
    and the API's fields all follow `Counts.FIELDS`, and every screen, export and API answer is one of these."""

    assigned: int = 0
    exempt: int = 0
    compliant: int = 0
    overdue: int = 0
    not_yet_due: int = 0
    expiring_soon: int = 0

    FIELDS: ClassVar[tuple[str, ...]]  # ("assigned", "exempt", …, "expiring_soon"), set below from the fields
    HEADERS: ClassVar[tuple[str, ...]]  # the CSV/Excel column headings: each figure's label, then "Compliance %"

    @property
    def percent(self) -> float | None:
        """compliant / (assigned − exempt), as a percentage; None when nobody is due to train."""
        denominator = self.assigned - self.exempt
        return None if denominator <= 0 else 100.0 * self.compliant / denominator

    def __add__(self, other: Counts) -> Counts:
        return Counts(*(a + b for a, b in zip(self.as_tuple(), other.as_tuple())))

    def as_tuple(self) -> tuple[int, ...]:
        return _figures_of(self)

    @classmethod
    def of(cls, source: object) -> Counts:
        """The figures held by anything with these six attributes (a snapshot row, say)."""
        return cls(*(int(getattr(source, name) or 0) for name in cls.FIELDS))

    def cells(self) -> list:
        """An export's cells: the six figures, then the percentage to one place ("" when nobody is due)."""
        percent = self.percent
        return [*self.as_tuple(), round(percent, 1) if percent is not None else ""]

    def as_json(self) -> dict:
        """The API's fields: the six figures by name, then compliance_percent to two places (None when nobody is due)."""
        percent = self.percent
        return {**dict(zip(self.FIELDS, self.as_tuple())),
                "compliance_percent": round(percent, 2) if percent is not None else None}


Counts.FIELDS = tuple(f.name for f in fields(Counts))
_figures_of = attrgetter(*Counts.FIELDS)
Counts.HEADERS = (*(ListStatus(name.replace("_", "-")).label for name in Counts.FIELDS), "Compliance %")


@dataclass(frozen=True)
class Filters:
    """Narrowing within a scope, as the URL gives it."""

    department_id: int | None = None
    unit_path: str | None = None
    country_code: str | None = None
    module_id: str | None = None


GROUPS = {
    "department": Official.department_id,
    "unit": Official.unit_id,
    "module": Requirement.module_id,
    "country": Posting.country_code,
    "official": Official.id,
}


def assignment_query(columns, scope: Scope, on: date, filters: Filters, *, with_posting: bool = False):
    """SELECT columns FROM the assignments active at `on`, in scope and filtered."""
    query = (
        select(*columns)
        .select_from(Assignment)
        .join(Official, Official.id == Assignment.official_id)
        .join(Requirement, Requirement.id == Assignment.requirement_id)
    )
    if with_posting or filters.country_code:
        query = query.outerjoin(Posting, Posting.id == Assignment.posting_id)
    where = [is_assigned(on), scope.within(filters.department_id, filters.unit_path)]
    if filters.module_id:
        where.append(Requirement.module_id == filters.module_id)
    if filters.country_code:
        where.append(Posting.country_code == filters.country_code)
    return query.where(*where)


CUBE = ("unit", "module", "country")


@dataclass(frozen=True)
class PageCounts:
    """The counts of one page (a scope, an as-at date and filters) from one GROUP BY over (unit, module, country),
    so a page with several tables scans the assignments once; built by `page_counts`, passed to the views."""

    cube: dict  # {(unit id, module id, country code): (assigned, exempt, compliant, overdue, not yet due, expiring)}

    def by(self, by: str | None) -> dict:
        """Counts per unit, module or country, or {None: totals}: what `counts_by` gives, without a query."""
        if by is not None and by not in CUBE:
            raise ValueError(f"a page's counts group by {', '.join(CUBE)}, not {by}")
        position = CUBE.index(by) if by else None
        sums: dict = {}
        for key, values in self.cube.items():
            group = key[position] if position is not None else None
            so_far = sums.get(group)
            sums[group] = values if so_far is None else tuple(map(sum, zip(so_far, values)))
        if by is None and not sums:
            sums[None] = (0, 0, 0, 0, 0, 0)
        return {group: Counts(*values) for group, values in sums.items()}

    @property
    def total(self) -> Counts:
        return self.by(None)[None]


def page_counts(session: Session, scope: Scope, on: date, filters: Filters = Filters()) -> PageCounts:
    """One scan of the assignments in scope at `on`, grouped by unit, module and country."""
    return PageCounts(_counts(session, scope, on, filters, CUBE))


def counts_by(session: Session, scope: Scope, on: date, by: str | None = None, filters: Filters = Filters()) -> dict:
    """Counts per group key (department id, unit id, module id, country code), or {None: totals}."""
    return {key[0]: Counts(*values) for key, values in _counts(session, scope, on, filters, (by,) if by else ()).items()}


_ORDER = (Status.EXEMPT.value, Status.COMPLIANT.value, Status.OVERDUE.value, Status.NOT_YET_DUE.value)


def _counts(session: Session, scope: Scope, on: date, filters: Filters, dims: tuple[str, ...]) -> dict:
    """{(group keys…): (assigned, exempt, compliant, overdue, not yet due, expiring soon)} from one GROUP BY.

    Grouping by the status itself evaluates the status expression once per row (summing five CASEs of it
    evaluated it five times); the few rows per group are folded here."""
    status = status_case(on).label("status")
    soon = case((expiring_soon_case(session, on), 1), else_=0).label("soon")
    keys = [GROUPS[d] for d in dims]
    query = assignment_query([*keys, status, soon, func.count()], scope, on, filters, with_posting="country" in dims)
    query = query.group_by(*keys, status, soon)
    width = len(keys)
    folded: dict = {}
    for row in session.execute(query):
        key = tuple(row[:width]) if width else (None,)
        state, expiring, n = row[width], int(row[width + 1] or 0), int(row[width + 2])
        values = folded.setdefault(key, [0, 0, 0, 0, 0, 0])
        values[0] += n
        values[1 + _ORDER.index(state)] += n
        values[5] += n if expiring else 0
    if not width and not folded:
        folded[(None,)] = [0, 0, 0, 0, 0, 0]
    return {key: tuple(values) for key, values in folded.items()}


def total(session: Session, scope: Scope, on: date, filters: Filters = Filters()) -> Counts:
    return counts_by(session, scope, on, None, filters).get(None, Counts())
