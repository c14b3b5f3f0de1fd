"""Reading a roster: each row checked against what the database already holds (the Book), line managers checked."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from sqlmodel import Session, select

from app.models import Department, Official, Posting, Role, Unit
from app.models.accounts import ROLE_LABELS
from app.services.organisation.csv_input import CountryResolver, CsvTable, ImportReport, RowError, parse_date

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
    department_names: dict[str, tuple[int, str] | None]  # folded name -> (id, code); None when two share it
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
        all_departments = session.exec(select(Department)).all()
        names: dict[str, tuple[int, str] | None] = {}
        for d in all_departments:
            key = fold_name(d.name)
            names[key] = None if key in names and names[key] != (d.id, d.code) else (d.id, d.code)
        return cls(
            departments={fold_name(d.code): (d.id, d.code) for d in all_departments},
            department_names=names,
            units=units,
            unit_keys={unit_id: key for key, (unit_id, _, _) in units.items()},
            officials=officials,
            emails={o["id"]: email for email, o in officials.items()},
            postings=postings,
            countries=CountryResolver(session),
        )


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
        department = _department(book, row.get("department", ""), problems)
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
                problems.append(f"rows for {email} disagree on {name}: {show(first, book)!r} on line {person.line}, {show(here, book)!r} here")
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


def show(value: object, book: Book) -> object:
    """A value as a person reads it: unit parts joined, a department id as its code."""
    if isinstance(value, tuple):
        return " / ".join(value)
    if isinstance(value, int):
        return next((code for did, code in book.departments.values() if did == value), value)
    return value


def fold_name(text: str) -> str:
    """A code or name as compared: trimmed, inner spaces single, case-insensitive."""
    return " ".join(text.split()).casefold()


def _department(book: Book, text: str, problems: list[str]) -> tuple[int, str] | None:
    """A department by its code (`FCDO`) or its name (`Foreign, Commonwealth & Development Office`), any case.
    A code wins over a name that happens to spell it."""
    key = fold_name(text)
    found = book.departments.get(key)
    if found is None and key in book.department_names:
        found = book.department_names[key]
        if found is None:
            problems.append(f"department {text!r} names more than one department: use its code")
            return None
    if found is None:
        problems.append(f"unknown department {text!r} (use a department's code or name)")
    return found


def _roles(text: str, problems: list[str]) -> str:
    roles, unknown = _parse_roles(text)
    if unknown:
        problems.append(f"unknown role(s) {', '.join(unknown)} (use {'; '.join(ROLE_ORDER)})")
    return roles


def normalise_role(name: str) -> str:
    """A role as HR spells it, the way column names are normalised: `Department admin`, `department_admin`
    and `DEPARTMENT-ADMIN` are all `department-admin`."""
    return re.sub(r"[\s_\-]+", "-", name.strip().casefold())


ROLE_NAMES = {normalise_role(role.value): role.value for role in Role} | {
    normalise_role(label): role.value for role, label in ROLE_LABELS.items()  # "Content author" too
}


@lru_cache(maxsize=256)
def _parse_roles(text: str) -> tuple[str, tuple[str, ...]]:
    """`manager; Department admin` as stored ("learner manager department-admin"), and any unknown names.

    Roles are separated by `;` or `,`; a part that is no role name may be roles separated by spaces
    (`manager author`). A roster has few distinct values."""
    given: set[str] = set()
    unknown: list[str] = []
    for part in (p.strip() for p in re.split(r"[;,]", text) if p.strip()):
        role = ROLE_NAMES.get(normalise_role(part))
        words = [ROLE_NAMES.get(normalise_role(word)) for word in part.split()]
        if role is not None:
            given.add(role)
        elif len(words) > 1 and all(words):
            given.update(w for w in words if w)
        else:
            unknown.append(part)
    return " ".join(role for role in ROLE_ORDER if role in given or role == ROLE_ORDER[0]), tuple(sorted(unknown))


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
