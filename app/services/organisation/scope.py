"""What an official may see and change: everything (central admin), a department, or a unit subtree (manager).

Computed once per request from the signed-in official and passed into every service call; the services
filter their queries by it, so changing an id in a URL never reaches past it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, false, literal, true
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal

from app.models import Official, Role, Unit


class under_path(ColumnElement):
    """`column` is `prefix` or a path below it (materialised unit paths: "/d1/12/" and "/d1/12/40/")."""

    # No Boolean type on purpose: SQLite would then compare the whole test with "= 1", hiding it from the index.
    inherit_cache = True
    _traverse_internals = [("clauses", InternalTraversal.dp_clauseelement_tuple)]

    def __init__(self, *clauses) -> None:
        self.clauses = clauses


@compiles(under_path)
def _under_path_range(element, compiler, **kw) -> str:
    # A range test, which an index on the column serves under binary collation (SQLite's default).
    # Paths end in "/", so everything below "/d1/12/" sorts before "/d1/120" ("/" < "0").
    column, prefix, upper = (compiler.process(c, **kw) for c in element.clauses)
    return f"({column} >= {prefix} AND {column} < {upper})"


@compiles(under_path, "postgresql")
def _under_path_like(element, compiler, **kw) -> str:
    # Text collations other than "C" do not sort "/" before digits, so PostgreSQL tests the prefix itself.
    column, prefix, _upper = (compiler.process(c, **kw) for c in element.clauses)
    return f"starts_with({column}, {prefix})"


def path_under(column, prefix: str) -> ColumnElement[bool]:
    """Rows whose materialised path is `prefix` or below it. Paths hold only digits, letters and "/"."""
    if not prefix.endswith("/") or any(c in prefix for c in "%_\\"):
        raise ValueError(f"not a unit path: {prefix!r}")
    upper = prefix[:-1] + chr(ord("/") + 1)
    return under_path(column, literal(prefix), literal(upper))


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
            return path_under(Official.unit_path, self.unit_path)
        return false()

    def units(self) -> ColumnElement[bool]:
        """A WHERE clause on Unit: the units this scope reaches (a department's, or a manager's subtree)."""
        if self.everything:
            return true()
        if self.department_id is not None:
            return Unit.department_id == self.department_id
        if self.unit_path:
            return path_under(Unit.path, self.unit_path)
        return false()

    def reaches_unit(self, unit: Unit) -> bool:
        if self.everything:
            return True
        if self.department_id is not None:
            return unit.department_id == self.department_id
        return bool(self.unit_path) and unit.path.startswith(self.unit_path)

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
            clauses.append(path_under(Official.unit_path, unit_path))
        return and_(*clauses)


def team_scope(official: Official) -> Scope | None:
    """A manager's own team: their unit and everything under it (None if they manage no unit)."""
    if official.has_role(Role.MANAGER) and official.unit_path:
        return Scope(unit_path=official.unit_path, label="Your team")
    return None


def scope_for(official: Official) -> Scope | None:
    """The widest scope the official's roles give; None for a learner with no other role."""
    roles = official.role_set
    if Role.CENTRAL_ADMIN in roles:
        return Scope(everything=True, label="All departments")
    if Role.DEPARTMENT_ADMIN in roles and official.department_id is not None:
        return Scope(department_id=official.department_id, label="Your department")
    return team_scope(official)
