"""Compliance by unit subtree, by country of posting and by module: the tables every dashboard shows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlmodel import Session

from app import clock
from app.models import Country, Posting, Requirement, Unit
from app.services.compliance import maintained
from app.services.compliance.counts import Counts, Filters, PageCounts, assignment_query, counts_by
from app.services.organisation.assignments import current_risk_flags
from app.services.organisation.scope import Scope


@dataclass(frozen=True)
class UnitRef:
    id: int
    name: str
    full_name: str
    path: str


@dataclass(frozen=True)
class UnitRow:
    """A unit with the counts of its whole subtree (or, when `direct`, of the officials in the unit itself)."""

    unit: UnitRef | None  # None: officials with no unit
    counts: Counts
    has_children: bool = False
    direct: bool = False


@dataclass(frozen=True)
class UnitBreakdown:
    parent: UnitRef | None  # the unit drilled into; None = the top of the department (or scope)
    trail: list[UnitRef]  # the parent's ancestors within the viewer's reach, root first
    rows: list[UnitRow]


@dataclass(frozen=True)
class CountryRow:
    country_code: str | None  # None: assignments not tied to a posting
    country_name: str
    at_risk: bool
    risk_source: str  # whose assessment flags it, and which edition ("" when not flagged)
    posts: list[str]
    counts: Counts


@dataclass(frozen=True)
class ModuleRow:
    module_id: str
    requirements: list[str]
    counts: Counts


def _grouped(session: Session, scope: Scope, on: date, filters: Filters, by: str, scan: PageCounts | None) -> dict:
    """Counts per `by`, from the page's one scan when the caller made one (for this scope, date and filters)."""
    return scan.by(by) if scan is not None else counts_by(session, scope, on, by, filters)


def by_unit(session: Session, scope: Scope, on: date, filters: Filters, department_id: int | None,
            parent: UnitRef | None = None, top: UnitRef | None = None, scan: PageCounts | None = None) -> UnitBreakdown:
    """Children of `parent` (or the top-level units) with their subtree totals: one GROUP BY, rolled up in Python."""
    counts = _grouped(session, scope, on, filters, "unit", scan)
    query = select(Unit.id, Unit.parent_id, Unit.name, Unit.full_name, Unit.path)
    if department_id is not None:
        query = query.where(Unit.department_id == department_id)
    if top is not None:
        query = query.where(Unit.path.startswith(top.path, autoescape=True))
    units = {uid: (pid, UnitRef(uid, name, full, path)) for uid, pid, name, full, path in session.execute(query)}
    subtree: dict[int, Counts] = {}
    for unit_id, unit_counts in counts.items():
        if unit_id not in units:
            continue
        for ancestor in units[unit_id][1].path.strip("/").split("/"):
            if ancestor.isdigit() and int(ancestor) in units:
                subtree[int(ancestor)] = subtree.get(int(ancestor), Counts()) + unit_counts
    parent_id = parent.id if parent else (top.id if top else None)
    children = sorted((ref for pid, ref in units.values() if pid == parent_id and (top is None or ref.id != top.id)),
                      key=lambda ref: ref.name)
    has_children = {pid for pid, _ref in units.values()}
    rows = []
    focus = parent or top
    if focus is not None and focus.id in counts:
        rows.append(UnitRow(focus, counts[focus.id], direct=True))
    if focus is None and top is None and None in counts:
        rows.append(UnitRow(None, counts[None]))
    rows += [UnitRow(ref, subtree[ref.id], ref.id in has_children) for ref in children if ref.id in subtree]
    trail: list[UnitRef] = []
    if parent is not None:
        for ancestor in parent.path.strip("/").split("/")[:-1]:
            if ancestor.isdigit() and int(ancestor) in units:
                trail.append(units[int(ancestor)][1])
    return UnitBreakdown(parent, trail, rows)


def by_country(session: Session, scope: Scope, on: date, filters: Filters,
               scan: PageCounts | None = None) -> list[CountryRow]:
    """Counts per country of posting, at-risk countries first; each with the posts it covers."""
    counts = _grouped(session, scope, on, filters, "country", scan)
    if on == clock.today() and maintained.is_current(session, on):  # from the maintained counts
        posts = maintained.posts(session, scope, filters)
    else:
        posts = {}
        post_query = assignment_query([Posting.country_code, Posting.post], scope, on, filters, with_posting=True)
        for code, post in session.execute(post_query.group_by(Posting.country_code, Posting.post)):
            if post:
                posts.setdefault(code, []).append(post)
    names = dict(session.execute(select(Country.code, Country.name).where(Country.code.in_([c for c in counts if c]))).all())
    flags = current_risk_flags(session)
    rows = []
    for code, country_counts in counts.items():
        flag = flags.get(code) if code else None
        rows.append(CountryRow(code, names.get(code, code) if code else "Not tied to a posting", flag is not None,
                               f"{flag.source} {flag.edition}".strip() if flag else "", sorted(posts.get(code, [])),
                               country_counts))
    return sorted(rows, key=lambda r: (not r.at_risk, r.country_code is None, r.country_name))


def by_module(session: Session, scope: Scope, on: date, filters: Filters,
              scan: PageCounts | None = None) -> list[ModuleRow]:
    counts = _grouped(session, scope, on, filters, "module", scan)
    names: dict[str, list[str]] = {}
    for module_id, name in session.execute(select(Requirement.module_id, Requirement.name).order_by(Requirement.name)):
        names.setdefault(module_id, []).append(name)
    return [ModuleRow(m, names.get(m, []), c) for m, c in sorted(counts.items())]
