"""Importing the HR roster (officials, units, line managers, postings): validated row by row, then applied all-or-nothing."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from datetime import date, timedelta

from sqlalchemy import Connection, Table, bindparam, func, insert, update
from sqlmodel import Session, select

from app.models import Department, Official, Posting, Role, Unit
from app.clock import today as utc_today
from app.clock import utcnow
from app.services.audit import Actor
from app.services.organisation.csv_input import AuditBatch, CountryResolver, CsvTable, ImportReport, RowError, parse_date, read_table

REQUIRED = ("email", "given_name", "family_name", "department")
POSTING_COLUMNS = ("country", "post", "posting_start")
EMAIL = re.compile(r"^[^@\s;,<>]+@[^@\s;,<>]+\.[^@\s;,<>]+$")
ROLE_ORDER = [role.value for role in Role]
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class PostingRow:
    line: int
    country_code: str
    post: str
    start_on: date
    end_on: date | None


@dataclass
class Person:
    """What the file says about one official (from their first row; later rows must agree)."""

    line: int
    email: str
    given_name: str
    family_name: str
    department_id: int
    unit: tuple[str, ...]  # unit path parts from the department down; () = no unit
    manager: str  # line manager's email, "" = none
    roles: str | None  # None when the file has no roles column
    postings: list[PostingRow] = field(default_factory=list)


@dataclass
class Book:
    """Everything the import compares against, read once so no row needs a query."""

    departments: dict[str, tuple[int, str]]  # folded code -> (id, code)
    units: dict[tuple[int, str], tuple[int, str, str]]  # (department id, folded full name) -> (id, path, full name)
    unit_keys: dict[int, tuple[int, str]]
    officials: dict[str, dict]  # lower-case email -> the official's columns
    emails: dict[int, str]
    postings: dict[int, list[dict]]
    countries: CountryResolver

    @classmethod
    def load(cls, session: Session) -> Book:
        units = {(u.department_id, u.full_name.casefold()): (u.id, u.path, u.full_name) for u in session.exec(select(Unit))}
        columns = [Official.id, Official.email, Official.given_name, Official.family_name, Official.department_id,
                   Official.unit_id, Official.unit_path, Official.line_manager_id, Official.roles, Official.active]
        officials = {row.email.lower(): dict(row._mapping) for row in session.exec(select(*columns))}
        postings: dict[int, list[dict]] = {}
        for row in session.exec(select(Posting.id, Posting.official_id, Posting.country_code, Posting.post, Posting.start_on, Posting.end_on)):
            postings.setdefault(row.official_id, []).append(dict(row._mapping))
        return cls(
            departments={d.code.casefold(): (d.id, d.code) for d in session.exec(select(Department))},
            units=units,
            unit_keys={unit_id: key for key, (unit_id, _, _) in units.items()},
            officials=officials,
            emails={o["id"]: email for email, o in officials.items()},
            postings=postings,
            countries=CountryResolver(session),
        )


@dataclass
class Plan:
    units: list[tuple[int, tuple[str, ...]]] = field(default_factory=list)  # to create, parents first
    new: list[Person] = field(default_factory=list)
    changed: list[tuple[Person, dict]] = field(default_factory=list)  # (file, database row)
    leavers: list[dict] = field(default_factory=list)
    new_postings: list[tuple[str, PostingRow]] = field(default_factory=list)
    posting_ends: list[tuple[dict, date | None, str]] = field(default_factory=list)  # (row, new end, action)
    columns: set[str] = field(default_factory=set)  # the file's columns: what it manages


def import_roster(
    session: Session,
    data: bytes | str,
    *,
    filename: str = "roster.csv",
    dry_run: bool = False,
    full: bool = False,
    today: date | None = None,
    actor: Actor | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Check every row, then (unless a dry run, and only if no row has a problem) apply the whole file. The caller commits."""
    today = today or utc_today()
    report = ImportReport()
    table = read_table(data)
    report.rows = len(table.rows)
    missing = [c for c in REQUIRED if c not in table.columns]
    with_postings = any(c in table.columns for c in POSTING_COLUMNS)
    if with_postings:
        missing += [c for c in POSTING_COLUMNS if c not in table.columns]
    if missing:
        report.error(1, f"missing required column(s): {', '.join(missing)}")
        return report
    book = Book.load(session)
    people = read_people(table, book, report, progress)
    check_managers(people, book, report, "line_manager_email" in table.columns)
    if report.errors:
        return report
    plan = make_plan(people, book, set(table.columns), full=full, today=today, report=report)
    if not dry_run:
        if not report.unchanged:
            apply(session, plan, book, actor or Actor(None, f"import roster {filename}"), today)
        report.applied = True
    return report


def read_people(table: CsvTable, book: Book, report: ImportReport, progress: Progress | None = None) -> dict[str, Person]:
    people: dict[str, Person] = {}
    has_roles = "roles" in table.columns
    for index, (line, row) in enumerate(table.rows):
        if progress and index % 2000 == 0:
            progress(index, len(table.rows))
        problems: list[str] = []
        email = row.get("email", "").lower()
        if not EMAIL.match(email):
            problems.append(f"bad email {row.get('email', '')!r}")
        given, family = row.get("given_name", ""), row.get("family_name", "")
        if not given or not family:
            problems.append("given_name and family_name are required")
        if len(given) > 100 or len(family) > 100:
            problems.append("a name is longer than 100 characters")
        department = book.departments.get(row.get("department", "").casefold())
        if department is None:
            problems.append(f"unknown department {row.get('department', '')!r}")
        unit = tuple(part.strip() for part in row["unit"].split("/")) if row.get("unit") else ()
        if any(not part or len(part) > 200 for part in unit):
            problems.append(f"bad unit {row.get('unit')!r}: parts are separated by ' / ' and none may be empty")
        manager = row.get("line_manager_email", "").lower()
        if manager and not EMAIL.match(manager):
            problems.append(f"bad line manager email {row.get('line_manager_email')!r}")
        if manager and manager == email:
            problems.append("an official cannot be their own line manager")
        roles = _roles(row.get("roles", ""), problems) if has_roles else None
        posting = _posting(row, line, book, problems)
        if problems:
            report.errors.extend(_errors(line, problems))
            continue
        person = people.get(email)
        if person is None:
            people[email] = Person(line, email, given, family, department[0], unit, manager, roles, [posting] if posting else [])
            continue
        for name, first, here in (("given_name", person.given_name, given), ("family_name", person.family_name, family),
                                  ("department", person.department_id, department[0]), ("unit", person.unit, unit),
                                  ("line_manager_email", person.manager, manager), ("roles", person.roles, roles)):
            if first != here:
                problems.append(f"rows for {email} disagree on {name}: {_show(first, book)!r} on line {person.line}, {_show(here, book)!r} here")
        clash = next((p for p in person.postings if posting and (p.country_code, p.post, p.start_on) == (posting.country_code, posting.post, posting.start_on)), None)
        if clash:
            problems.append(f"the same posting for {email} is already on line {clash.line}")
        if problems:
            report.errors.extend(_errors(line, problems))
        elif posting:
            person.postings.append(posting)
    if progress:
        progress(len(table.rows), len(table.rows))
    return people


def _errors(line: int, problems: list[str]) -> list[RowError]:
    return [RowError(line, problem) for problem in problems]


def _show(value: object, book: Book) -> object:
    if isinstance(value, tuple):
        return " / ".join(value)
    if isinstance(value, int):
        return next((code for did, code in book.departments.values() if did == value), value)
    return value


def _roles(text: str, problems: list[str]) -> str:
    roles, unknown = _parse_roles(text)
    if unknown:
        problems.append(f"unknown role(s) {', '.join(unknown)} (use {'; '.join(ROLE_ORDER)})")
    return roles


@lru_cache(maxsize=256)
def _parse_roles(text: str) -> tuple[str, tuple[str, ...]]:
    """`manager; author` as stored ("learner manager author"), and any unknown names. A roster has few distinct values."""
    given = {part for part in re.split(r"[;,\s]+", text.strip().lower()) if part}
    unknown = tuple(sorted(given - set(ROLE_ORDER)))
    return " ".join(role for role in ROLE_ORDER if role in given or role == ROLE_ORDER[0]), unknown


def _posting(row: dict[str, str], line: int, book: Book, problems: list[str]) -> PostingRow | None:
    country, post = row.get("country", ""), row.get("post", "")
    start, end = row.get("posting_start", ""), row.get("posting_end", "")
    if not (country or post or start or end):
        return None
    if not (country and post and start):
        problems.append("a posting needs country, post and posting_start (leave all of them empty for no posting)")
        return None
    code = book.countries.resolve(country)
    if code is None:
        problems.append(f"unknown country {country!r}")
    if len(post) > 200:
        problems.append("post is longer than 200 characters")
    dates: list[date | None] = []
    for name, text in (("posting_start", start), ("posting_end", end)):
        try:
            dates.append(parse_date(text) if text else None)
        except ValueError as exc:
            problems.append(f"{name}: {exc}")
            dates.append(None)
    if dates[0] and dates[1] and dates[1] < dates[0]:
        problems.append(f"posting_end {dates[1]} is before posting_start {dates[0]}")
    if code is None or dates[0] is None or problems:
        return None
    return PostingRow(line, code, post, dates[0], dates[1])


def check_managers(people: dict[str, Person], book: Book, report: ImportReport, managed: bool) -> None:
    """Every line manager is known, and following line managers upwards never comes back round."""
    if not managed:
        return
    for person in people.values():
        if person.manager and person.manager not in people and person.manager not in book.officials:
            report.error(person.line, f"line manager {person.manager} is not in the file or the database")

    def manager_of(email: str) -> str | None:
        if email in people:
            return people[email].manager or None
        row = book.officials.get(email)
        return book.emails.get(row["line_manager_id"]) if row and row["line_manager_id"] else None

    state: dict[str, int] = {}  # 1: on the path being followed, 2: known to end
    for start in people:
        path, email = [], start
        while email and email not in state:
            state[email] = 1
            path.append(email)
            email = manager_of(email)
        if email and state.get(email) == 1:
            cycle = path[path.index(email):]
            lines = [people[e].line for e in cycle if e in people]
            if lines:
                report.error(min(lines), "line manager cycle: " + " → ".join([*cycle, email]))
        for email in path:
            state[email] = 2


def _unit_key(department_id: int, parts: tuple[str, ...]) -> tuple[int, str] | None:
    return (department_id, " / ".join(parts).casefold()) if parts else None


def make_plan(people: dict[str, Person], book: Book, columns: set[str], *, full: bool, today: date, report: ImportReport) -> Plan:
    plan = Plan(columns=columns)
    wanted_units: dict[tuple[int, str], tuple[int, tuple[str, ...]]] = {}
    for person in people.values():
        for depth in range(1, len(person.unit) + 1):
            key = _unit_key(person.department_id, person.unit[:depth])
            if key not in book.units:
                wanted_units.setdefault(key, (person.department_id, person.unit[:depth]))
    plan.units = sorted(wanted_units.values(), key=lambda u: len(u[1]))
    report.added += [f"unit {_show(d, book)}: {' / '.join(parts)}" for d, parts in plan.units]
    by_unit = {key: full_name for key, (_, _, full_name) in book.units.items()}
    for person in people.values():
        row = book.officials.get(person.email)
        if row is None:
            plan.new.append(person)
            report.added.append(f"official {person.email}: {person.given_name} {person.family_name}, {_show(person.department_id, book)}")
        else:
            differences = _differences(person, row, book, columns, by_unit)
            if differences:
                plan.changed.append((person, row))
                report.changed.append(f"official {person.email}: " + "; ".join(differences))
        if "country" in columns:
            _plan_postings(person, book.postings.get(row["id"], []) if row else [], plan, report, today, book)
    if full:
        for email, row in book.officials.items():
            if row["active"] and email not in people:
                plan.leavers.append(row)
                report.ended.append(f"official {email}: marked as left")
    return plan


def _differences(person: Person, row: dict, book: Book, columns: set[str], by_unit: dict) -> list[str]:
    found = []
    for name, old, new in (("given_name", row["given_name"], person.given_name), ("family_name", row["family_name"], person.family_name),
                           ("department", _show(row["department_id"], book), _show(person.department_id, book))):
        if old != new:
            found.append(f"{name} {old!r} → {new!r}")
    old_unit = book.unit_keys.get(row["unit_id"])
    new_unit = _unit_key(person.department_id, person.unit) if "unit" in columns else (old_unit if row["department_id"] == person.department_id else None)
    if old_unit != new_unit:
        found.append(f"unit {by_unit.get(old_unit, '')!r} → {' / '.join(person.unit)!r}")
    old_manager = book.emails.get(row["line_manager_id"], "")
    if "line_manager_email" in columns and old_manager != person.manager:
        found.append(f"line manager {old_manager!r} → {person.manager!r}")
    if person.roles is not None and row["roles"] != person.roles:
        found.append(f"roles {row['roles']!r} → {person.roles!r}")
    if not row["active"]:
        found.append("back (was marked as left)")
    return found


def _plan_postings(person: Person, existing: list[dict], plan: Plan, report: ImportReport, today: date, book: Book) -> None:
    known = {(p["country_code"], p["post"], p["start_on"]): p for p in existing}
    for posting in person.postings:
        row = known.pop((posting.country_code, posting.post, posting.start_on), None)
        label = f"posting {person.email}: {posting.post}, {book.countries.names[posting.country_code]} from {posting.start_on}"
        if row is None:
            plan.new_postings.append((person.email, posting))
            report.added.append(label + (f" to {posting.end_on}" if posting.end_on else ""))
        elif row["end_on"] != posting.end_on:
            plan.posting_ends.append((row, posting.end_on, "posting.update"))
            report.changed.append(f"{label}: end {row['end_on'] or 'open'} → {posting.end_on or 'open'}")
    for row in known.values():  # no longer in the file: end it if it is current or future
        if row["end_on"] is None or row["end_on"] >= today:
            plan.posting_ends.append((row, today - timedelta(days=1), "posting.end"))
            what = "cancelled" if row["start_on"] >= today else f"ended on {today - timedelta(days=1)}"
            report.ended.append(f"posting {person.email}: {row['post']}, {book.countries.names.get(row['country_code'])} from {row['start_on']}: {what}")


def apply(session: Session, plan: Plan, book: Book, actor: Actor, today: date) -> None:
    """Write the plan with bulk statements in the session's transaction, audit it, and recompute assignments."""
    session.flush()
    conn = session.connection()
    audit = AuditBatch(actor)
    units = {key: (unit_id, path) for key, (unit_id, path, _) in book.units.items()}
    unit_table, official_table, posting_table = Unit.__table__, Official.__table__, Posting.__table__
    for depth in sorted({len(parts) for _, parts in plan.units}):
        level = [(d, parts) for d, parts in plan.units if len(parts) == depth]
        rows = [{"department_id": d, "parent_id": units[_unit_key(d, parts[:-1])][0] if depth > 1 else None,
                 "name": parts[-1], "full_name": " / ".join(parts), "path": ""} for d, parts in level]
        ids = conn.execute(insert(unit_table).returning(unit_table.c.id, sort_by_parameter_order=True), rows).scalars().all()
        for unit_id, row, (d, parts) in zip(ids, rows, level):
            parent_path = units[_unit_key(d, parts[:-1])][1] if depth > 1 else "/"
            row.update(id=unit_id, path=f"{parent_path}{unit_id}/")
            units[_unit_key(d, parts)] = (unit_id, row["path"])
            audit.add("unit.create", "unit", unit_id, after=row)
        conn.execute(update(unit_table).where(unit_table.c.id == bindparam("uid")).values(path=bindparam("upath")),
                     [{"uid": r["id"], "upath": r["path"]} for r in rows])

    def columns(person: Person, row: dict | None) -> dict:
        """The official's columns as the file wants them; what the file has no column for is kept."""
        if "unit" in plan.columns:
            unit_id, unit_path = units[_unit_key(person.department_id, person.unit)] if person.unit else (None, "")
        elif row is not None and row["department_id"] == person.department_id:
            unit_id, unit_path = row["unit_id"], row["unit_path"]
        else:
            unit_id, unit_path = None, ""
        if "line_manager_email" in plan.columns:
            manager_id = ids.get(person.manager) if person.manager else None
        else:
            manager_id = row["line_manager_id"] if row is not None else None
        roles = person.roles if person.roles is not None else (row["roles"] if row is not None else Role.LEARNER.value)
        return {"given_name": person.given_name, "family_name": person.family_name, "department_id": person.department_id,
                "unit_id": unit_id, "unit_path": unit_path, "line_manager_id": manager_id, "roles": roles, "active": True}

    ids = {email: row["id"] for email, row in book.officials.items()}
    if plan.new:  # inserted without line managers first: a manager may be a later row of the same file
        rows = [{"email": p.email, "tags": "", "created_at": audit.at, **columns(p, None), "line_manager_id": None} for p in plan.new]
        ids.update(_insert(conn, official_table, rows, ("email",)))
        for person in plan.new:
            after = {"email": person.email, **columns(person, None)}
            audit.add("official.create", "official", ids[person.email], after=after)
    updates = [{"oid": ids[p.email], **columns(p, None)} for p in plan.new if p.manager]
    for person, row in plan.changed:
        after = columns(person, row)
        updates.append({"oid": row["id"], **after})
        audit.add("official.update", "official", row["id"], before={k: row[k] for k in after}, after=after)
    for row in plan.leavers:
        before = {k: row[k] for k in ("given_name", "family_name", "department_id", "unit_id", "unit_path", "line_manager_id", "roles", "active")}
        updates.append({"oid": row["id"], **before, "active": False})
        audit.add("official.leave", "official", row["id"], before=before, after={**before, "active": False})
    if updates:
        conn.execute(update(official_table).where(official_table.c.id == bindparam("oid")), updates)
    if plan.new_postings:
        rows = [{"official_id": ids[email], "country_code": p.country_code, "post": p.post, "start_on": p.start_on, "end_on": p.end_on}
                for email, p in plan.new_postings]
        new_ids = _insert(conn, posting_table, rows, ("official_id", "country_code", "post", "start_on"))
        for row in rows:
            posting_id = new_ids[row["official_id"], row["country_code"], row["post"], row["start_on"]]
            audit.add("posting.create", "posting", posting_id, after=row)
    if plan.posting_ends:
        conn.execute(update(posting_table).where(posting_table.c.id == bindparam("pid")).values(end_on=bindparam("new_end")),
                     [{"pid": row["id"], "new_end": end} for row, end, _ in plan.posting_ends])
        for row, end, action in plan.posting_ends:
            audit.add(action, "posting", row["id"], before=row, after={**row, "end_on": end})
    audit.write(conn)
    session.expire_all()
    touched = {ids[p.email] for p in plan.new} | {row["id"] for _, row in plan.changed} | {row["id"] for row in plan.leavers}
    touched |= {ids[email] for email, _ in plan.new_postings} | {row["official_id"] for row, _, _ in plan.posting_ends}
    if touched:
        from app.services.organisation.assignments import recompute_officials

        recompute_officials(session, touched, today)


def _insert(conn: Connection, table: Table, rows: list[dict], key: tuple[str, ...]) -> dict:
    """Insert many rows in one executemany and return their ids by natural key (SQLite cannot return ids in order in bulk)."""
    before = conn.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()
    conn.execute(insert(table), rows)
    wanted = {tuple(row[k] for k in key) for row in rows}
    found = conn.execute(select(table.c.id, *(table.c[k] for k in key)).where(table.c.id > before))
    by_key = {tuple(row[1:]): row[0] for row in found if tuple(row[1:]) in wanted}
    return {k[0]: v for k, v in by_key.items()} if len(key) == 1 else by_key
