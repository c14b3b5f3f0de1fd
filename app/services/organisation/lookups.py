"""Reference lists that forms and tables show: countries, departments, units, requirements."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from app.models import Country, Department, Requirement, Unit
from app.services.organisation.scope import Scope, path_under


def countries(session: Session) -> list[Country]:
    return list(session.exec(select(Country).order_by(Country.name)))


def departments(session: Session) -> list[Department]:
    return list(session.exec(select(Department).order_by(Department.code)))


def units(session: Session) -> list[Unit]:
    return list(session.exec(select(Unit).order_by(Unit.department_id, Unit.full_name)))


@dataclass(frozen=True)
class UnitGroup:
    """A department's units, for a form that lets someone choose units by name."""

    department: Department
    units: list[Unit]


def units_in_scope(session: Session, scope: Scope) -> list[UnitGroup]:
    """The units a form may offer (and accept): those in the scope, grouped by department, by name."""
    query = select(Unit, Department).join(Department, Department.id == Unit.department_id)
    if not scope.everything:
        if scope.department_id is not None:
            query = query.where(Unit.department_id == scope.department_id)
        elif scope.unit_path:
            query = query.where(path_under(Unit.path, scope.unit_path))
        else:
            return []
    groups: dict[int, UnitGroup] = {}
    for unit, department in session.exec(query.order_by(Department.name, Unit.full_name)):
        groups.setdefault(department.id, UnitGroup(department, [])).units.append(unit)
    return list(groups.values())


def unit_in_scope(session: Session, scope: Scope, unit_id: int | None) -> Unit | None:
    """The unit, if the scope reaches it; None for an id that names no unit and for one outside the scope alike,
    so nothing outside the scope is ever named (in a label, an option or a file name)."""
    unit = session.get(Unit, unit_id) if unit_id is not None else None
    return unit if unit is not None and scope.reaches_unit(unit) else None


def department_in_scope(session: Session, scope: Scope, department_id: int | None) -> Department | None:
    """The department, if the scope reaches it (a manager's: the department of their own unit); else None."""
    department = session.get(Department, department_id) if department_id is not None else None
    if department is None or scope.everything or scope.department_id == department.id:
        return department
    if scope.department_id is None and scope.unit_path:
        root = session.exec(select(Unit.department_id).where(Unit.path == scope.unit_path)).first()
        return department if root == department.id else None
    return None


def requirements(session: Session) -> list[Requirement]:
    """Active requirements first, then by name."""
    return list(session.exec(select(Requirement).order_by(Requirement.active.desc(), Requirement.name)))


def country(session: Session, code: str) -> Country | None:
    return session.get(Country, code) if code else None
