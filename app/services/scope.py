"""What an official may see and change: everything (central admin), a department, or a unit subtree (manager).

Computed once per request from the signed-in official and passed into every service call; the services
filter their queries by it, so changing an id in a URL never reaches past it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, false, true
from sqlalchemy.sql.elements import ColumnElement

from app.models import Official, Role


@dataclass(frozen=True)
class Scope:
    everything: bool = False
    department_id: int | None = None
    unit_path: str | None = None  # a manager's own unit, and everything under it
    label: str = ""

    def officials(self) -> ColumnElement[bool]:
        """A WHERE clause on Official limiting rows to this scope."""
        if self.everything:
            return true()
        if self.department_id is not None:
            return Official.department_id == self.department_id
        if self.unit_path:
            return Official.unit_path.startswith(self.unit_path, autoescape=True)
        return false()

    def allows(self, official: Official) -> bool:
        if self.everything:
            return True
        if self.department_id is not None:
            return official.department_id == self.department_id
        if self.unit_path:
            return official.unit_path.startswith(self.unit_path)
        return False

    def within(self, department_id: int | None, unit_path: str | None) -> ColumnElement[bool]:
        """Narrow this scope further to a department and/or unit subtree (filters in the URL)."""
        clauses = [self.officials()]
        if department_id is not None:
            clauses.append(Official.department_id == department_id)
        if unit_path:
            clauses.append(Official.unit_path.startswith(unit_path, autoescape=True))
        return and_(*clauses)


def scope_for(official: Official) -> Scope | None:
    """The widest scope the official's roles give; None for a learner with no other role."""
    roles = official.role_set
    if Role.CENTRAL_ADMIN in roles:
        return Scope(everything=True, label="All departments")
    if Role.DEPARTMENT_ADMIN in roles and official.department_id is not None:
        return Scope(department_id=official.department_id, label="Your department")
    if Role.MANAGER in roles and official.unit_path:
        return Scope(unit_path=official.unit_path, label="Your team")
    return None
