"""The API's reading: filters given by id checked against the scope, and assignments a page at a time (keyset)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session

from app.models import Assignment, Country, Department, Official, Posting, Requirement, Unit
from app.services.compliance import counts as compliance
from app.services.compliance.counts import Filters
from app.services.compliance.status import AssignmentFacts, effective_due
from app.services.organisation.scope import Scope


class OutOfScope(PermissionError):
    """A filter names a department or unit outside the caller's scope."""


def checked_filters(session: Session, scope: Scope, department: int | None = None, unit: int | None = None,
                    country: str | None = None, module: str | None = None) -> Filters:
    """Filters given by id: an unknown department, unit or country raises LookupError, one outside the scope
    OutOfScope. (Every query is limited to the scope in any case; this only makes the answer explicit.)"""
    unit_path = None
    if department is not None:
        if session.get(Department, department) is None:
            raise LookupError("department")
        if not scope.everything and scope.department_id != department:
            raise OutOfScope("department")
    if unit is not None:
        found = session.get(Unit, unit)
        if found is None:
            raise LookupError("unit")
        if not (scope.everything or (scope.department_id is not None and found.department_id == scope.department_id)
                or (scope.department_id is None and bool(scope.unit_path) and found.path.startswith(scope.unit_path))):
            raise OutOfScope("unit")
        unit_path = found.path
    code = (country or "").strip().upper() or None
    if code is not None and session.get(Country, code) is None:
        raise LookupError("country")
    return Filters(department, unit_path, code, module or None)


@dataclass(frozen=True)
class AssignmentRow:
    """One assignment as the API gives it: the official, the requirement and the status at the as-at date."""

    assignment_id: int
    official_id: int
    name: str
    email: str
    department: str | None
    unit: str | None
    requirement: str
    module_id: str
    country_code: str | None
    status: str
    expiring_soon: bool
    assigned_on: date
    due_on: date
    completed_on: date | None
    expires_on: date | None
    exempt_until: date | None


def assignment_page(session: Session, scope: Scope, on: date, filters: Filters, status: str = "assigned",
                    after_id: int = 0, limit: int = 100) -> tuple[list[AssignmentRow], bool]:
    """Up to `limit` assignments with ids above `after_id` (keyset pagination), and whether more follow."""
    status_expr, soon = compliance.status_case(on), compliance.expiring_soon_case(session, on)
    columns = [Assignment.id, Official.id, Official.given_name, Official.family_name, Official.email, Department.code,
               Unit.full_name, Requirement.name, Requirement.module_id, Posting.country_code, status_expr, soon,
               Assignment.assigned_on, Assignment.due_on, Assignment.extended_to, Assignment.completed_on,
               Assignment.expires_on, Assignment.exempt_until]
    query = (compliance.assignment_query(columns, scope, on, filters, with_posting=True)
             .outerjoin(Department, Department.id == Official.department_id)
             .outerjoin(Unit, Unit.id == Official.unit_id)
             .where(Assignment.id > after_id))
    if status == "expiring-soon":
        query = query.where(soon)
    elif status != "assigned":
        query = query.where(status_expr == status)
    found = session.execute(query.order_by(Assignment.id).limit(limit + 1)).all()
    rows = []
    for (aid, oid, given, family, email, department, unit, requirement, module_id, country, state, expiring,
         assigned_on, due, extended_to, completed_on, expires_on, exempt_until) in found[:limit]:
        facts = AssignmentFacts(assigned_on, due, extended_to=extended_to, completed_on=completed_on,
                                expires_on=expires_on, exempt_until=exempt_until)
        rows.append(AssignmentRow(aid, oid, f"{given} {family}", email, department, unit, requirement, module_id,
                                  country, state, bool(expiring), assigned_on, effective_due(facts, on),
                                  completed_on, expires_on, exempt_until))
    return rows, len(found) > limit
