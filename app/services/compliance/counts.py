"""Compliance counts and the officials behind them, for a scope and an as-at date.

Today's figures come from the maintained table (app.services.compliance.maintained), a past day's from its
nightly snapshot where one was taken, any other from one GROUP BY over the assignments with the status written
as SQL (app.services.compliance.status_sql: DESIGN.md's definition, which agrees with
`app.services.compliance.status.status_at`). Dashboards, exports and the API all read their figures from here.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date
from operator import attrgetter
from typing import ClassVar

from sqlalchemy import case, false, func, select
from sqlmodel import Session

from app import clock
from app.models import Assignment, ComplianceSnapshot, Official, Posting, Requirement
from app.services.compliance import maintained
from app.services.compliance.status import ListStatus, Status
from app.services.compliance.status_sql import expiring_soon_case, is_assigned, status_case
from app.services.organisation.scope import Scope, path_under


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
    """{(group keys…): (assigned, exempt, compliant, overdue, not yet due, expiring soon)}: today's from the
    maintained table, a past day's from its nightly snapshot where there is one, otherwise the live query."""
    if "official" not in dims and on == clock.today() and maintained.is_current(session, on):
        return maintained.read(session, scope, filters, dims)
    if on < clock.today() and not filters.country_code and set(dims) <= SNAPSHOT_DIMS:
        found = snapshots_read(session, scope, on, filters, dims)
        if found is not None:
            return found
    return live_counts(session, scope, on, filters, dims)


SNAPSHOT_DIMS = {"department", "unit", "module"}


def snapshots_read(session: Session, scope: Scope, on: date, filters: Filters, dims: tuple[str, ...]) -> dict | None:
    """The counts from `on`'s nightly snapshot (per unit and module), or None when no snapshot was taken that day."""
    if session.execute(select(ComplianceSnapshot.id).where(ComplianceSnapshot.day == on).limit(1)).first() is None:
        return None
    s = ComplianceSnapshot
    groups = {"department": s.department_id, "unit": s.unit_id, "module": s.module_id}
    keys = [groups[d] for d in dims]
    where = [s.day == on]
    if not scope.everything:
        if scope.department_id is not None:
            where.append(s.department_id == scope.department_id)
        elif scope.unit_path:
            where.append(path_under(s.unit_path, scope.unit_path))
        else:
            where.append(false())
    if filters.department_id is not None:
        where.append(s.department_id == filters.department_id)
    if filters.unit_path:
        where.append(path_under(s.unit_path, filters.unit_path))
    if filters.module_id:
        where.append(s.module_id == filters.module_id)
    sums = [func.coalesce(func.sum(getattr(s, name)), 0) for name in Counts.FIELDS]
    rows = session.execute(select(*keys, *sums).where(*where).group_by(*keys)).all()
    width = len(keys)
    found = {tuple(row[:width]) if width else (None,): tuple(int(v) for v in row[width:]) for row in rows}
    found = {key: values for key, values in found.items() if values[0]}
    if not width and not found:
        found[(None,)] = (0, 0, 0, 0, 0, 0)
    return found


def live_counts(session: Session, scope: Scope, on: date, filters: Filters, dims: tuple[str, ...]) -> dict:
    """{(group keys…): (assigned, exempt, compliant, overdue, not yet due, expiring soon)} from one GROUP BY
    over the assignments.

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
