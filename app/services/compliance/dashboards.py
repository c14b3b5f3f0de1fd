"""Compliance dashboards as typed view models: the shared query, definitions, filter options, and the central,
department and team views (their tables come from `breakdowns`, the officials behind a figure from `officials`).

Every figure is a SQL GROUP BY over the stored assignments (app.services.compliance.counts); the web pages, the
CSV/Excel exports and the JSON API all build on these functions, so they show the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from urllib.parse import urlencode

from sqlalchemy import func, select
from sqlmodel import Session

from app.models import Department, Official, Requirement, Unit
from app.services.compliance.breakdowns import (
    CountryRow,
    ModuleRow,
    UnitBreakdown,
    UnitRef,
    by_country,
    by_module,
    by_unit,
)
from app.services.compliance.counts import (
    Counts,
    Filters,
    assignment_query,
    counts_by,
    expiring_soon_case,
    page_counts,
    status_case,
)
from app.services.compliance.officials import PER_PAGE, due_column
from app.services.compliance.status import EXPIRING_SOON_DAYS, ListStatus, Status
from app.services.organisation.countries import CountryChoices
from app.services.organisation.countries import choices as country_choices
from app.services.organisation.scope import Scope, path_under

STATUSES = tuple(s.value for s in ListStatus)
SORTS = {"name": "Name", "due": "Due date", "unit": "Unit"}
NO_SUCH_UNIT = "/no-such-unit/"  # an id that names no unit narrows to nothing, exactly like one out of scope

DEFINITIONS = (
    ("Assignments", "Every figure counts assignments, not people: an assignment is one active official's "
                    "requirement to take one module, active on the as-at date. An official with two required "
                    "modules has two assignments. The team page also gives the number of officials."),
    ("Exempt", "Of those, assignments with an exemption valid on the as-at date. They are shown, not hidden."),
    ("Compliant", "Not exempt, with a completion on or before the as-at date that has not expired by then."),
    ("Overdue", "Not exempt, not compliant, and the due date (including any extension) is before the as-at date."),
    ("Not yet due", "Every other assignment: not exempt, not compliant, and not yet past its due date."),
    ("Expiring soon", f"Compliant, and the completion expires within {EXPIRING_SOON_DAYS} days, or within the "
                      "requirement's recertification window if that is longer."),
    ("Compliance %", "Compliant divided by (assignments minus exempt). No percentage is shown when nobody is due to train."),
)
definitions = "\n".join(f"{term}: {meaning}" for term, meaning in DEFINITIONS)


class NotInScope(LookupError):
    """No such department or unit within the caller's scope (reported exactly like a missing one)."""


@dataclass(frozen=True)
class DashboardQuery:
    """The GET parameters every dashboard view and list shares: bookmarkable, and parsed in one place."""

    on: date
    filters: Filters = Filters()
    unit_id: int | None = None
    status: str = "assigned"
    sort: str = "name"
    page: int = 1

    def params(self, **changes) -> dict[str, str]:
        """The query string's parameters (empty ones left out), with `changes` applied."""
        values = {
            "status": self.status, "department": self.filters.department_id, "unit": self.unit_id,
            "country": self.filters.country_code, "module": self.filters.module_id,
            "on": self.on.isoformat(), "sort": self.sort, "page": self.page,
        }
        values.update(changes)
        defaults = {"status": "assigned", "sort": "name", "page": 1}
        return {k: str(v) for k, v in values.items() if v not in (None, "") and defaults.get(k) != v}

    def query_string(self, **changes) -> str:
        return urlencode(self.params(**changes))


def with_unit_path(session: Session, query: DashboardQuery) -> DashboardQuery:
    """The query with its unit's path filled in: a unit id that names no unit narrows to nothing."""
    if query.unit_id is None:
        return query
    unit_path = session.execute(select(Unit.path).where(Unit.id == query.unit_id)).scalar() or NO_SUCH_UNIT
    return replace(query, filters=replace(query.filters, unit_path=unit_path))


@dataclass(frozen=True)
class FilterOptions:
    """The choices of a filter form, limited to what the viewer may see."""

    departments: list[tuple[int, str]]
    units: list[tuple[int, str]]  # only when narrowed to a department or a unit subtree (a whole service is too many)
    countries: CountryChoices  # the commonest first, then A to Z
    module_ids: list[str]


def filter_options(session: Session, scope: Scope, department_id: int | None = None,
                   unit_path: str | None = None) -> FilterOptions:
    """Every option from the scope: a department or unit id in the URL outside it lists nothing of it."""
    departments = session.execute(select(Department.id, Department.name).order_by(Department.name)).all()
    units = []
    if department_id is not None or unit_path:
        query = select(Unit.id, Unit.full_name).where(scope.units()).order_by(Unit.full_name)
        if department_id is not None:
            query = query.where(Unit.department_id == department_id)
        if unit_path:
            query = query.where(Unit.path.startswith(unit_path, autoescape=True))
        units = [tuple(row) for row in session.execute(query)]
    return FilterOptions(
        [tuple(d) for d in departments if scope.everything or d[0] == scope.department_id], units,
        country_choices(session, with_postings=True),
        sorted(set(session.execute(select(Requirement.module_id)).scalars())),
    )


# ---- views ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DepartmentRow:
    department_id: int
    code: str
    name: str
    counts: Counts


@dataclass(frozen=True)
class CentralView:
    on: date
    filters: Filters
    rows: list[DepartmentRow]
    total: Counts


@dataclass(frozen=True)
class DepartmentView:
    on: date
    filters: Filters  # with the department (and the drilled-into unit's path) filled in
    department: DepartmentRow
    units: UnitBreakdown
    countries: list[CountryRow]
    modules: list[ModuleRow]
    total: Counts


@dataclass(frozen=True)
class ModuleStatus:
    module_id: str
    status: Status
    due_on: date
    expiring_soon: bool = False


@dataclass(frozen=True)
class TeamMember:
    official_id: int
    name: str
    unit: str
    modules: dict[str, ModuleStatus] = field(default_factory=dict)


@dataclass(frozen=True)
class TeamView:
    on: date
    filters: Filters
    root: UnitRef
    units: UnitBreakdown
    module_ids: list[str]
    members: list[TeamMember]  # one page of officials, by name
    members_total: int
    page: int
    pages: int
    modules: list[ModuleRow]
    total: Counts


def central_view(session: Session, scope: Scope, on: date, filters: Filters = Filters()) -> CentralView:
    """Every department in scope side by side (departments with nobody assigned too)."""
    counts = counts_by(session, scope, on, "department", filters)
    departments = session.execute(select(Department.id, Department.code, Department.name).order_by(Department.code)).all()
    rows = [DepartmentRow(i, code, name, counts.get(i, Counts())) for i, code, name in departments
            if scope.everything or i == scope.department_id]
    return CentralView(on, filters, rows, sum((r.counts for r in rows), Counts()))


def _unit_ref(session: Session, unit_id: int | None) -> UnitRef | None:
    if unit_id is None:
        return None
    found = session.execute(select(Unit.id, Unit.name, Unit.full_name, Unit.path).where(Unit.id == unit_id)).first()
    return UnitRef(*found) if found else None


def department_view(session: Session, scope: Scope, department_id: int, on: date, filters: Filters = Filters(),
                    unit_id: int | None = None) -> DepartmentView:
    """One department by unit subtree (drilling into `unit_id`), by country of posting and by module."""
    if not (scope.everything or scope.department_id == department_id):
        raise NotInScope(department_id)
    department = session.get(Department, department_id)
    if department is None:
        raise NotInScope(department_id)
    parent = _unit_ref(session, unit_id)
    if unit_id is not None and (parent is None or session.get(Unit, unit_id).department_id != department_id):
        raise NotInScope(unit_id)
    filters = replace(filters, department_id=department_id, unit_path=parent.path if parent else None)
    scan = page_counts(session, scope, on, filters)
    overall = scan.total
    row = DepartmentRow(department.id, department.code, department.name, overall)
    return DepartmentView(on, filters, row, by_unit(session, scope, on, filters, department_id, parent, scan=scan),
                          by_country(session, scope, on, filters, scan), by_module(session, scope, on, filters, scan),
                          overall)


def team_view(session: Session, scope: Scope, on: date, filters: Filters = Filters(), unit_id: int | None = None,
              page: int = 1, per_page: int = PER_PAGE) -> TeamView:
    """A manager's unit subtree by unit, down to each official's status on each required module."""
    root_id = session.execute(select(Unit.id).where(Unit.path == scope.unit_path)).scalar() if scope.unit_path else None
    root = _unit_ref(session, root_id)
    if root is None:
        raise NotInScope(scope.unit_path)
    parent = _unit_ref(session, unit_id) if unit_id is not None else None
    if unit_id is not None and (parent is None or not parent.path.startswith(root.path)):
        raise NotInScope(unit_id)
    if parent is not None and parent.id == root.id:
        parent = None
    filters = replace(filters, unit_path=(parent or root).path)
    scan = page_counts(session, scope, on, filters)
    units = by_unit(session, scope, on, filters, None, parent, top=root, scan=scan)
    # By the subtree's units (an indexed lookup everywhere; a unit path prefix is not one on PostgreSQL), which is
    # the same officials: an official's unit_path is a copy of their unit's path.
    in_units = Official.unit_id.in_(select(Unit.id).where(path_under(Unit.path, filters.unit_path)))
    member_ids = assignment_query([Official.id], scope, on, filters).where(in_units).distinct().subquery()
    members_total = session.execute(select(func.count()).select_from(member_ids)).scalar_one()
    pages = max(1, -(-members_total // per_page))
    page = min(max(page, 1), pages)
    people = session.execute(
        select(Official.id, Official.given_name, Official.family_name, Unit.full_name)
        .outerjoin(Unit, Unit.id == Official.unit_id)
        .where(Official.id.in_(select(member_ids.c.id)))
        .order_by(Official.family_name, Official.given_name, Official.id)
        .offset((page - 1) * per_page).limit(per_page)
    ).all()
    members = {i: TeamMember(i, f"{given} {family}", unit or "") for i, given, family, unit in people}
    module_ids: set[str] = set()
    if members:
        columns = [Official.id, Requirement.module_id, status_case(on), due_column(on), expiring_soon_case(session, on)]
        for official_id, module_id, status, due, expiring in session.execute(
                assignment_query(columns, scope, on, filters).where(Official.id.in_(list(members)))):
            members[official_id].modules[module_id] = ModuleStatus(module_id, Status(status), due, bool(expiring))
            module_ids.add(module_id)
    return TeamView(on, filters, root, units, sorted(module_ids), list(members.values()), members_total, page, pages,
                    by_module(session, scope, on, filters, scan), scan.total)
