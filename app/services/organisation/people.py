"""Officials as admins and managers see them, within their scope: search, detail, postings, extensions, exemptions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, or_
from sqlmodel import Session, select

from app.models import (
    Assignment,
    AuditEvent,
    Country,
    Department,
    Exemption,
    Extension,
    Official,
    Posting,
    Requirement,
    Unit,
)
from app.services.audit import Actor, record, snapshot
from app.services.compliance.status import Status, effective_due, expiring_soon, status_at
from app.services.learning.catalogue import facts_of
from app.services.organisation.assignments import OTHERS, reason_for, recompute_officials, refresh_exemptions
from app.services.organisation.scope import Scope

PAGE_SIZE = 25
MAX_EXTENSION_DAYS = 90  # the default of APTRAIN_MAX_EXTENSION_DAYS


class NotInScope(LookupError):
    """No such record within the caller's scope (reported exactly like a missing one)."""


class OwnRecord(PermissionError):
    """Nobody grants themselves an extension or exemption or changes their own postings, whatever their roles."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what  # "extension", "exemption" or "posting"


class ExtensionTooLong(ValueError):
    """A new due date later than the cap allows (`latest`)."""

    def __init__(self, latest: date) -> None:
        super().__init__(latest.isoformat())
        self.latest = latest


def _not_own(actor: Actor, official_id: int, what: str) -> None:
    if actor.id is not None and actor.id == official_id:
        raise OwnRecord(what)


def official_may_change(session: Session, scope: Scope, actor: Actor, official_id: int, what: str) -> None:
    """Raise NotInScope or OwnRecord as changing this official's `what` would (before a form's errors are shown)."""
    _not_own(actor, official_in_scope(session, scope, official_id).id, what)


def assignment_may_change(session: Session, scope: Scope, actor: Actor, assignment_id: int, what: str) -> None:
    _not_own(actor, _assignment_in_scope(session, scope, assignment_id).official_id, what)


def posting_may_change(session: Session, scope: Scope, actor: Actor, posting_id: int) -> None:
    posting = session.get(Posting, posting_id)
    if posting is None:
        raise NotInScope(posting_id)
    _not_own(actor, official_in_scope(session, scope, posting.official_id).id, "posting")


def latest_extension(assignment: Assignment, today: date, max_days: int = MAX_EXTENSION_DAYS) -> date:
    """The latest new due date an extension may give: `max_days` after the due date it extends (the original one,
    or the expiry of a completion that has run out), or after today when that is later. Earlier extensions
    do not move the cap, so extensions cannot be chained past it."""
    base = max(assignment.due_on, assignment.expires_on or assignment.due_on, today)
    return base + timedelta(days=max_days)


@dataclass(frozen=True)
class OfficialRow:
    official: Official
    department: str
    unit: str


@dataclass(frozen=True)
class OfficialPage:
    rows: list[OfficialRow]
    total: int
    page: int
    pages: int


def search_officials(session: Session, scope: Scope, query: str = "", page: int = 1) -> OfficialPage:
    """Officials in scope whose name or email contains `query`, by family name."""
    where = [scope.officials()]
    text = query.strip().lower()
    if text:
        like = f"%{text}%"
        where.append(
            or_(
                func.lower(Official.email).like(like),
                func.lower(Official.given_name + " " + Official.family_name).like(like),
            )
        )
    total = session.exec(select(func.count()).select_from(Official).where(*where)).one()
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 1), pages)
    rows = session.exec(
        select(Official, Department.code, Unit.full_name)
        .outerjoin(Department, Department.id == Official.department_id)
        .outerjoin(Unit, Unit.id == Official.unit_id)
        .where(*where)
        .order_by(Official.family_name, Official.given_name, Official.id)
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    ).all()
    return OfficialPage([OfficialRow(o, d or "", u or "") for o, d, u in rows], total, page, pages)


def official_in_scope(session: Session, scope: Scope, official_id: int) -> Official:
    official = session.get(Official, official_id)
    if official is None or not scope.allows(official):
        raise NotInScope(official_id)
    return official


@dataclass(frozen=True)
class AssignmentView:
    assignment: Assignment
    requirement: Requirement
    status: Status | None
    due_on: date
    expiring_soon: bool
    exemptions: list[Exemption]
    extensions: list[Extension]

    @property
    def reason(self) -> str:
        """Why it applies, in the third person (this page is for managers and admins)."""
        return reason_for(self.assignment.reason, OTHERS)


@dataclass(frozen=True)
class OfficialDetail:
    official: Official
    department: Department | None
    unit: Unit | None
    line_manager: Official | None
    postings: list[tuple[Posting, str]]
    assignments: list[AssignmentView]
    granted_by: dict[int, str]  # official id -> name, for who granted each extension or exemption
    history: list[AuditEvent]


def official_detail(session: Session, scope: Scope, official_id: int, today: date) -> OfficialDetail:
    official = official_in_scope(session, scope, official_id)
    postings = session.exec(
        select(Posting, Country.name).join(Country, Country.code == Posting.country_code)
        .where(Posting.official_id == official.id).order_by(Posting.start_on)
    ).all()
    views = []
    rows = session.exec(
        select(Assignment, Requirement).join(Requirement, Requirement.id == Assignment.requirement_id)
        .where(Assignment.official_id == official.id).order_by(Assignment.active.desc(), Requirement.name)
    ).all()
    for assignment, requirement in rows:
        facts = facts_of(assignment, requirement)
        views.append(
            AssignmentView(
                assignment=assignment,
                requirement=requirement,
                status=status_at(facts, today) if assignment.active else None,
                due_on=effective_due(facts, today),
                expiring_soon=expiring_soon(facts, today),
                exemptions=list(session.exec(select(Exemption).where(Exemption.assignment_id == assignment.id))),
                extensions=list(session.exec(select(Extension).where(Extension.assignment_id == assignment.id))),
            )
        )
    assignment_ids = [str(v.assignment.id) for v in views]
    history = session.exec(
        select(AuditEvent)
        .where(
            or_(
                (AuditEvent.entity == "official") & (AuditEvent.entity_id == str(official.id)),
                (AuditEvent.entity == "assignment") & AuditEvent.entity_id.in_(assignment_ids or ["-"]),
                (AuditEvent.entity == "posting") & AuditEvent.entity_id.in_([str(p.id) for p, _ in postings] or ["-"]),
            )
        )
        .order_by(AuditEvent.id.desc())
        .limit(50)
    ).all()
    grantor_ids = {g.granted_by_id for v in views for g in (*v.exemptions, *v.extensions) if g.granted_by_id}
    granted_by = {o.id: o.full_name for o in session.exec(select(Official).where(Official.id.in_(grantor_ids or {-1})))}
    return OfficialDetail(
        granted_by=granted_by,
        official=official,
        department=session.get(Department, official.department_id) if official.department_id else None,
        unit=session.get(Unit, official.unit_id) if official.unit_id else None,
        line_manager=session.get(Official, official.line_manager_id) if official.line_manager_id else None,
        postings=list(postings),
        assignments=views,
        history=list(history),
    )


def _assignment_in_scope(session: Session, scope: Scope, assignment_id: int) -> Assignment:
    assignment = session.get(Assignment, assignment_id)
    if assignment is None:
        raise NotInScope(assignment_id)
    official_in_scope(session, scope, assignment.official_id)
    return assignment


def grant_extension(
    session: Session, scope: Scope, actor: Actor, assignment_id: int, *, new_due_on: date, reason: str, comment: str,
    today: date, max_days: int = MAX_EXTENSION_DAYS,
) -> Extension:
    """A new due date for one assignment, within the caller's scope, not the caller's own, and no later than
    `latest_extension` allows (ExtensionTooLong)."""
    extension = Extension(new_due_on=new_due_on, reason=reason, comment=comment, granted_by_id=actor.id, assignment_id=0)
    return _grant(session, scope, actor, assignment_id, extension, "extension.grant", today, max_days)


def grant_exemption(
    session: Session, scope: Scope, actor: Actor, assignment_id: int, *, valid_until: date, reason: str, comment: str, today: date
) -> Exemption:
    """An exemption from one assignment until a date, within the caller's scope, not the caller's own."""
    exemption = Exemption(valid_until=valid_until, reason=reason, comment=comment, granted_by_id=actor.id, assignment_id=0)
    return _grant(session, scope, actor, assignment_id, exemption, "exemption.grant", today)


class AlreadyGranted(ValueError):
    """The same extension (or exemption) to the same date was already granted for this assignment."""


def _grant(session: Session, scope: Scope, actor: Actor, assignment_id: int, grant, action: str, today: date,
           max_days: int = MAX_EXTENSION_DAYS):
    assignment = _assignment_in_scope(session, scope, assignment_id)
    _not_own(actor, assignment.official_id, "extension" if isinstance(grant, Extension) else "exemption")
    if isinstance(grant, Extension) and grant.new_due_on > (latest := latest_extension(assignment, today, max_days)):
        raise ExtensionTooLong(latest)
    # Lock the assignment (PostgreSQL; SQLite's write lock is already held), so a double click sent twice at
    # once finds the first grant rather than both passing the check below.
    session.exec(select(Assignment.id).where(Assignment.id == assignment.id).with_for_update()).first()
    kind, until = (Extension, "new_due_on") if isinstance(grant, Extension) else (Exemption, "valid_until")
    same = select(kind.id).where(kind.assignment_id == assignment.id, getattr(kind, until) == getattr(grant, until))
    if kind is Exemption:
        same = same.where(Exemption.revoked_at.is_(None))
    if session.exec(same).first() is not None:
        raise AlreadyGranted(getattr(grant, until))
    grant.assignment_id = assignment.id
    session.add(grant)
    session.flush()
    before = assignment.model_dump()
    refresh_exemptions(session, assignment, today)
    # The grant itself rides along in `after`, so the log can say which date was granted.
    record(session, actor, action, "assignment", assignment.id, before=before,
           after={**snapshot(assignment), "grant": snapshot(grant)})
    return grant


def add_posting(
    session: Session, scope: Scope, actor: Actor, official_id: int, *, country_code: str, post: str,
    start_on: date, end_on: date | None, today: date,
) -> Posting:
    official = official_in_scope(session, scope, official_id)
    _not_own(actor, official.id, "posting")
    posting = Posting(official_id=official.id, country_code=country_code, post=post, start_on=start_on, end_on=end_on)
    session.add(posting)
    session.flush()
    record(session, actor, "posting.create", "posting", posting.id, after=posting)
    recompute_officials(session, [official.id], today)
    return posting


def end_posting(session: Session, scope: Scope, actor: Actor, posting_id: int, *, end_on: date, today: date) -> Posting:
    posting = session.get(Posting, posting_id)
    if posting is None:
        raise NotInScope(posting_id)
    official_in_scope(session, scope, posting.official_id)
    _not_own(actor, posting.official_id, "posting")
    if end_on < posting.start_on:
        end_on = posting.start_on  # a posting that never started ends on its first day
    before = posting.model_dump()
    posting.end_on = end_on
    session.add(posting)
    session.flush()
    record(session, actor, "posting.end", "posting", posting.id, before=before, after=posting)
    recompute_officials(session, [posting.official_id], today)
    return posting


EXEMPTION_REASONS = {
    "equivalent-training": "Completed equivalent training elsewhere",
    "long-term-absence": "Long-term absence",
    "role-change": "Leaving the role or post shortly",
    "other": "Other (explain in the comment)",
}
EXTENSION_REASONS = {
    "absence": "Absence (illness, leave)",
    "workload": "Operational pressure",
    "access": "Access or accessibility needs",
    "other": "Other (explain in the comment)",
}


@dataclass(frozen=True)
class UnitNode:
    unit: Unit
    officials: int  # active officials in this unit and everything under it
    children: list[UnitNode]


@dataclass(frozen=True)
class DepartmentTree:
    department: Department
    officials: int
    units: list[UnitNode]


def departments_in_scope(session: Session, scope: Scope) -> list[DepartmentTree]:
    """Each department the scope reaches, with its unit tree and head counts (a manager sees their own subtree)."""
    counts = dict(
        session.exec(
            select(Official.unit_id, func.count()).where(scope.officials(), Official.active.is_(True)).group_by(Official.unit_id)
        ).all()
    )
    units = list(session.exec(select(Unit).order_by(Unit.full_name)))
    children: dict[int | None, list[Unit]] = {}
    for unit in units:
        children.setdefault(unit.parent_id, []).append(unit)

    def node(unit: Unit) -> UnitNode:
        kids = [node(child) for child in children.get(unit.id, [])]
        return UnitNode(unit, counts.get(unit.id, 0) + sum(k.officials for k in kids), kids)

    trees = []
    for department in session.exec(select(Department).order_by(Department.code)):
        roots = [node(u) for u in children.get(None, []) if u.department_id == department.id]
        if scope.unit_path:
            roots = _within(roots, scope.unit_path)
        if not scope.everything and scope.department_id not in (None, department.id):
            continue
        if scope.unit_path and not roots:
            continue
        trees.append(DepartmentTree(department, sum(r.officials for r in roots), roots))
    return trees


def _within(nodes: list[UnitNode], path: str) -> list[UnitNode]:
    """The nodes at or under `path` (a manager's own unit becomes the root)."""
    found = []
    for n in nodes:
        if n.unit.path == path:
            found.append(n)
        elif path.startswith(n.unit.path):
            found.extend(_within(n.children, path))
    return found
