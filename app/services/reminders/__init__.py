"""The daily reminders (`aptrain remind`): what is due at an as-at date, enqueued to the outbox once each.

Set-based: one query finds every assignment reminder due (with its idempotency key built in SQL and any key
already in the outbox left out), one finds the managers' digest lines, one the department admins; the
emails are rendered in Python and written with INSERT … ON CONFLICT DO NOTHING, so two runs at once (or a
run repeated) enqueue each reminder once.

Kinds and keys (`<kind>:<id>:<date>`; the due date is the effective one, after any extension):
- due-30, due-7, due-1, due-today — not yet done, the due date 8–30, 2–7, 1 or 0 days away, and the
  assignment already made that many days before it (a new assignment gets the new-assignment email, not
  a 30-day reminder the same week). A run missed for a day still sends the reminder the next day.
- overdue — weekly from the day after the due date, at most 4 (key ends with the week, 1 to 4).
- expiring — compliant, and the completion expires within the requirement's recertification window.
- retake — a new major version no longer counts the official's earlier completion (requirement asks for
  a retake); key with the new due date.
- manager-digest — one email a week (key: the manager and the week's Monday) to each line manager whose
  direct reports have overdue training or training due in the next 30 days.
- department-summary — one email a month (key: the admin and the month) to each department admin with their
  department's figures and a link to its dashboard.
The new-assignment email ("assigned") is enqueued by the assignment write itself (`enqueue_assigned`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import Date, Integer, String, and_, case, cast, exists, func, literal, or_, select, union_all
from sqlmodel import Session

from app.models import Assignment, Completion, Department, ModuleVersion, Official, Requirement
from app.models.accounts import Role
from app.models.outbox import OutboxMessage
from app.services import outbox
from app.services.compliance.counts import is_assigned, status_case
from app.services.compliance.status import Status
from app.services.reminders import texts

DIGEST_LINES = 50  # officials listed in a manager's digest; the rest are counted
DUE_SOON_DAYS = 30  # the digest's "due soon"
OVERDUE_WEEKS = 4


@dataclass
class RemindResult:
    as_at: date
    counts: Counter = field(default_factory=Counter)  # kind -> emails enqueued (or, in a dry run, due)
    dry_run: bool = False

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def _days(dialect: str, later, earlier):
    """Whole days from `earlier` to `later` (dates), in SQL."""
    if dialect == "postgresql":
        return cast(cast(later, Date) - cast(earlier, Date), Integer)
    return cast(func.julianday(later) - func.julianday(earlier), Integer)


def _text(value):
    return cast(value, String)


def _key(*parts):
    expression = None
    for part in parts:
        piece = literal(part) if isinstance(part, str) else _text(part)
        expression = piece if expression is None else expression.op("||")(literal(":")).op("||")(piece)
    return expression


def _not_in_outbox(key_expression):
    return ~exists().where(OutboxMessage.__table__.c.key == key_expression)


def effective_due(on: date):
    """The due date that applies at `on` (compliance.status.effective_due, in SQL)."""
    due = func.coalesce(Assignment.extended_to, Assignment.due_on)
    expired = and_(Assignment.completed_on.is_not(None), Assignment.expires_on.is_not(None), Assignment.expires_on <= on)
    return case((and_(expired, Assignment.expires_on > due), Assignment.expires_on), else_=due)


def _assignment_candidates(session: Session, on: date):
    """Every assignment reminder due at `on` and not yet in the outbox: (kind, key, assignment columns…)."""
    dialect = session.get_bind().dialect.name
    d = literal(on, Date)
    status = status_case(on)
    due = effective_due(on)
    until_due = _days(dialect, due, d)
    notice = _days(dialect, due, Assignment.assigned_on)  # days between the assignment and its due date
    overdue_days = _days(dialect, d, due)
    to_do = status == Status.NOT_YET_DUE.value
    kind = case(
        (and_(to_do, until_due == 0), literal("due-today")),
        (and_(to_do, until_due == 1), literal("due-1")),
        (and_(to_do, until_due.between(2, 7), notice >= 7), literal("due-7")),
        (and_(to_do, until_due.between(8, 30), notice >= 30), literal("due-30")),
        (and_(status == Status.OVERDUE.value, overdue_days.between(1, 7 * OVERDUE_WEEKS)), literal("overdue")),
        (and_(status == Status.COMPLIANT.value, Assignment.expires_on.is_not(None),
              _days(dialect, Assignment.expires_on, d).between(1, Requirement.recertification_days)), literal("expiring")),
        else_=literal(None),
    )
    base = (
        select(
            Assignment.id.label("assignment_id"), kind.label("kind"), due.label("due"),
            Assignment.expires_on.label("expires"), overdue_days.label("overdue_days"),
            Official.email, Official.given_name, Assignment.reason, Requirement.module_id, Requirement.name,
        )
        .select_from(Assignment)
        .join(Official, Official.id == Assignment.official_id)
        .join(Requirement, Requirement.id == Assignment.requirement_id)
        .where(is_assigned(on))
    )
    regular = base.subquery("regular")
    week = (regular.c.overdue_days - 1) // 7 + 1  # integer division on both databases
    key = case(
        (regular.c.kind == "overdue", _key("overdue", regular.c.assignment_id, regular.c.due, week)),
        (regular.c.kind == "expiring", _key("expiring", regular.c.assignment_id, regular.c.expires)),
        else_=regular.c.kind.op("||")(literal(":")).op("||")(_text(regular.c.assignment_id)).op("||")(literal(":"))
        .op("||")(_text(regular.c.due)),
    )
    regular_rows = select(*regular.c, key.label("key")).where(regular.c.kind.is_not(None))

    earlier = exists().where(Completion.official_id == Assignment.official_id, Completion.module_id == Requirement.module_id)
    retake = (
        select(
            Assignment.id.label("assignment_id"), literal("retake").label("kind"), due.label("due"),
            Assignment.expires_on.label("expires"), overdue_days.label("overdue_days"),
            Official.email, Official.given_name, Assignment.reason, Requirement.module_id, Requirement.name,
        )
        .select_from(Assignment)
        .join(Official, Official.id == Assignment.official_id)
        .join(Requirement, Requirement.id == Assignment.requirement_id)
        .where(is_assigned(on), Requirement.retake_on_major.is_(True), Assignment.completion_id.is_(None),
               status.in_([Status.NOT_YET_DUE.value, Status.OVERDUE.value]), earlier)
    ).subquery("retake")
    retake_rows = select(*retake.c, _key("retake", retake.c.assignment_id, retake.c.due).label("key"))
    every = union_all(regular_rows, retake_rows).subquery("candidate")
    return session.execute(select(every).where(_not_in_outbox(every.c.key))).all()


def module_titles(session: Session) -> dict[str, str]:
    """Each module's title as last served (the requirement's name stands in for a module never served)."""
    rows = session.execute(
        select(ModuleVersion.module_id, ModuleVersion.title).order_by(ModuleVersion.first_served_at, ModuleVersion.id)
    ).all()
    return {module_id: title for module_id, title in rows}


def _link(base_url: str | None, path: str) -> str:
    return (base_url or configured_base_url()).rstrip("/") + path


def configured_base_url() -> str:
    """APTRAIN_BASE_URL, or the development server's address when it is not set."""
    from pydantic import ValidationError

    from app.config import get_settings

    try:
        return get_settings().base_url or "http://127.0.0.1:8000"
    except ValidationError:
        return "http://127.0.0.1:8000"


def _assignment_payload(row, kind: str, titles: dict[str, str], base_url: str | None) -> dict:
    title = titles.get(row.module_id, row.name)
    email = texts.assignment_email(
        kind, given_name=row.given_name, title=title, due=_date(row.due), reason=row.reason or "",
        expires=_date(row.expires) if row.expires else None, days_overdue=int(row.overdue_days or 0),
        link=_link(base_url, "/training"),
    )
    return {"to": row.email, "subject": email.subject, "body": email.body, "kind": kind, "assignment_id": row.assignment_id}


def _date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _week_start(on: date) -> date:
    return on - timedelta(days=on.weekday())


def _digest_candidates(session: Session, on: date):
    """Lines of the managers' weekly digests not yet sent this week: the first DIGEST_LINES of each manager's
    direct reports' overdue or due-soon assignments, with the manager's total."""
    manager = Official.__table__.alias("manager")
    status = status_case(on)
    due = effective_due(on)
    week = _week_start(on)
    key = _key("manager-digest", manager.c.id, literal(week, Date))
    urgent = or_(status == Status.OVERDUE.value,
                 and_(status == Status.NOT_YET_DUE.value, due <= on + timedelta(days=DUE_SOON_DAYS)))
    overdue_first = case((status == Status.OVERDUE.value, 0), else_=1)
    lines = (
        select(
            manager.c.id.label("manager_id"), manager.c.email.label("manager_email"),
            manager.c.given_name.label("manager_given_name"), Official.given_name, Official.family_name,
            Requirement.module_id, Requirement.name, due.label("due"), (overdue_first == 0).label("overdue"),
            func.row_number().over(partition_by=manager.c.id, order_by=(overdue_first, due, Official.family_name,
                                                                         Assignment.id)).label("line"),
            func.count().over(partition_by=manager.c.id).label("total"),
        )
        .select_from(Assignment)
        .join(Official, Official.id == Assignment.official_id)
        .join(Requirement, Requirement.id == Assignment.requirement_id)
        .join(manager, manager.c.id == Official.line_manager_id)
        .where(is_assigned(on), manager.c.active.is_(True), urgent, _not_in_outbox(key))
    ).subquery("digest")
    return session.execute(select(lines).where(lines.c.line <= DIGEST_LINES)
                           .order_by(lines.c.manager_id, lines.c.line)).all()


def _summary_candidates(session: Session, on: date):
    month = on.replace(day=1)
    key = _key("department-summary", Official.id, literal(month, Date))
    return session.execute(
        select(Official.id, Official.email, Official.given_name, Official.department_id, Department.name)
        .join(Department, Department.id == Official.department_id)
        .where(Official.active.is_(True), Official.roles.contains(Role.DEPARTMENT_ADMIN.value), _not_in_outbox(key))
        .order_by(Official.id)
    ).all()


def remind(session: Session, on: date, *, base_url: str | None = None, dry_run: bool = False) -> RemindResult:
    """Enqueue every reminder due at `on` (in the caller's transaction); a dry run only counts them."""
    result = RemindResult(as_at=on, dry_run=dry_run)
    titles = module_titles(session)
    base_url = base_url or configured_base_url()  # once, not per message
    messages: list[tuple[str, dict]] = []
    kinds: list[str] = []
    for row in _assignment_candidates(session, on):
        kinds.append(row.kind)
        if not dry_run:
            messages.append((row.key, _assignment_payload(row, row.kind, titles, base_url)))

    week = _week_start(on)
    digests: dict[int, list] = {}
    for row in _digest_candidates(session, on):
        digests.setdefault(row.manager_id, []).append(row)
    for manager_id, rows in digests.items():
        kinds.append("manager-digest")
        if dry_run:
            continue
        first = rows[0]
        lines = [texts.TeamLine(f"{r.given_name} {r.family_name}", titles.get(r.module_id, r.name), _date(r.due),
                                bool(r.overdue)) for r in rows]
        email = texts.manager_digest(given_name=first.manager_given_name, week_of=week, lines=lines,
                                     total=int(first.total), link=_link(base_url, "/compliance/team"))
        messages.append((f"manager-digest:{manager_id}:{week.isoformat()}",
                         {"to": first.manager_email, "subject": email.subject, "body": email.body,
                          "kind": "manager-digest"}))

    admins = _summary_candidates(session, on)
    if admins:
        kinds += ["department-summary"] * len(admins)
        if not dry_run:
            messages += _summaries(session, on, admins, base_url)

    if dry_run:
        result.counts.update(kinds)
        return result
    written = outbox.enqueue_many_keys(session, "email", messages)
    result.counts.update(payload["kind"] for key, payload in messages if key in written)
    return result


def _summaries(session: Session, on: date, admins, base_url: str | None) -> list[tuple[str, dict]]:
    from app.services.compliance.counts import counts_by
    from app.services.organisation.scope import Scope

    by_department = counts_by(session, Scope(everything=True), on, by="department")
    month = on.replace(day=1)
    messages = []
    for admin in admins:
        figures = by_department.get(admin.department_id)
        values = {name: getattr(figures, name, 0) if figures else 0 for name in
                  ("assigned", "exempt", "compliant", "overdue", "not_yet_due", "expiring_soon")}
        email = texts.department_summary(
            given_name=admin.given_name, department=admin.name, month=on, figures=values,
            percent=figures.percent if figures else None,
            link=_link(base_url, f"/compliance/departments/{admin.department_id}"),
        )
        messages.append((f"department-summary:{admin.id}:{month.isoformat()}",
                         {"to": admin.email, "subject": email.subject, "body": email.body, "kind": "department-summary"}))
    return messages


def enqueue_assigned(session: Session, rows: list[tuple[Assignment, Official, Requirement]],
                     base_url: str | None = None) -> int:
    """The new-assignment emails of these (new or renewed) assignments, in the caller's transaction. Key:
    the assignment and the day it was (re)made. Nobody is told to do what they have done or are exempt from."""
    wanted = [(a, o, r) for a, o, r in rows
              if o.active and a.active and a.completion_id is None and a.exempt_until is None and a.id is not None]
    if not wanted:
        return 0
    titles = module_titles(session)
    base_url = base_url or configured_base_url()  # once, not per email (settings are read afresh when invalid)
    messages = []
    for assignment, official, requirement in wanted:
        email = texts.assignment_email(
            "assigned", given_name=official.given_name, title=titles.get(requirement.module_id, requirement.name),
            due=assignment.extended_to or assignment.due_on, reason=assignment.reason, expires=None, days_overdue=0,
            link=_link(base_url, "/training"),
        )
        messages.append((f"assigned:{assignment.id}:{assignment.assigned_on.isoformat()}",
                         {"to": official.email, "subject": email.subject, "body": email.body, "kind": "assigned",
                          "assignment_id": assignment.id}))
    return outbox.enqueue_many(session, "email", messages)
