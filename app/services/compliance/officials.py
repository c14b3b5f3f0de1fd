"""The officials behind a figure: one page of the list, or every row streamed (for exports)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, case, func, select
from sqlmodel import Session

from app import clock
from app.models import Assignment, Department, Official, Requirement, Unit
from app.services.compliance.counts import Filters, assignment_query, expiring_soon_case, status_case, total
from app.services.compliance.status import Status
from app.services.organisation.assignments import OTHERS, reason_for
from app.services.organisation.scope import Scope

PER_PAGE = 50


@dataclass(frozen=True)
class OfficialRow:
    official_id: int
    name: str
    email: str
    department: str
    unit: str
    module_id: str
    requirement: str
    status: Status
    due_on: date  # the effective due date: an extension wins; after an expiry, the expiry date
    completed_on: date | None
    expires_on: date | None
    exempt_until: date | None
    expiring_soon: bool
    reason: str

    @property
    def status_label(self) -> str:
        return self.status.label


@dataclass(frozen=True)
class OfficialList:
    rows: list[OfficialRow]
    total: int
    page: int
    pages: int
    per_page: int


def due_column(on: date):
    """The effective due date: an extension wins; after an expiry, the expiry date if later."""
    due = func.coalesce(Assignment.extended_to, Assignment.due_on)
    expired = and_(Assignment.completed_on.is_not(None), Assignment.expires_on.is_not(None), Assignment.expires_on <= on)
    return case((and_(expired, Assignment.expires_on > due), Assignment.expires_on), else_=due)


def _official_rows_query(session: Session, scope: Scope, on: date, status: str, filters: Filters, sort: str):
    expiring = expiring_soon_case(session, on)
    columns = [Official.id, Official.given_name, Official.family_name, Official.email, Department.code, Unit.full_name,
               Requirement.module_id, Requirement.name, status_case(on), due_column(on), Assignment.completed_on,
               Assignment.expires_on, Assignment.exempt_until, expiring, Assignment.reason]
    query = (assignment_query(columns, scope, on, filters)
             .outerjoin(Department, Department.id == Official.department_id)
             .outerjoin(Unit, Unit.id == Official.unit_id))
    if status == "expiring-soon":
        query = query.where(expiring)
    elif status != "assigned":
        query = query.where(status_case(on) == status)
    name = (Official.family_name, Official.given_name)
    order = {"name": name, "due": (due_column(on), *name), "unit": (Unit.full_name, *name)}[sort]
    return query.order_by(*order, Official.id, Assignment.id)


def _row(values) -> OfficialRow:
    (oid, given, family, email, department, unit, module_id, requirement, status, due, completed, expires, exempt,
     expiring, reason) = values
    return OfficialRow(oid, f"{given} {family}", email, department or "", unit or "", module_id, requirement,
                       Status(status), due, completed, expires, exempt, bool(expiring), reason_for(reason, OTHERS))


def official_list(session: Session, scope: Scope, on: date, status: str = "assigned", filters: Filters = Filters(),
                  sort: str = "name", page: int = 1, per_page: int = PER_PAGE) -> OfficialList:
    """One page of the assignments behind a figure (status 'assigned' = all of them), in scope whatever the filters."""
    query = _official_rows_query(session, scope, on, status, filters, sort)
    if on == clock.today():  # the figure itself, from the maintained counts: no scan to count the rows
        count = getattr(total(session, scope, on, filters), status.replace("-", "_"))
    else:
        count = session.execute(select(func.count()).select_from(query.order_by(None).subquery())).scalar_one()
    pages = max(1, -(-count // per_page))
    page = min(max(page, 1), pages)
    rows = [_row(r) for r in session.execute(query.offset((page - 1) * per_page).limit(per_page))]
    return OfficialList(rows, count, page, pages, per_page)


def count_rows(session: Session, scope: Scope, on: date, status: str = "assigned", filters: Filters = Filters()) -> int:
    """How many rows `iter_official_rows` gives for these filters (an export's row count, for its audit event)."""
    query = _official_rows_query(session, scope, on, status, filters, "name").order_by(None)
    return session.execute(select(func.count()).select_from(query.subquery())).scalar_one()


def iter_official_rows(session: Session, scope: Scope, on: date, status: str = "assigned",
                       filters: Filters = Filters(), sort: str = "name", batch: int = 2000) -> Iterator[OfficialRow]:
    """Every row of the list, streamed from the database in batches (for exports)."""
    query = _official_rows_query(session, scope, on, status, filters, sort)
    result = session.execute(query.execution_options(yield_per=batch))
    for values in result:
        yield _row(values)
