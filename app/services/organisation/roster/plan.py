"""Planning a roster import: what the file adds, changes and ends, compared with the Book (nothing written)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from app.services.organisation.csv_input import ImportReport
from app.services.organisation.roster.read import Book, Person, PostingRow, show


@dataclass
class Plan:
    units: list[tuple[int, tuple[str, ...]]] = field(default_factory=list)  # to create, parents first
    new: list[Person] = field(default_factory=list)
    changed: list[tuple[Person, dict]] = field(default_factory=list)  # (file, database row)
    leavers: list[dict] = field(default_factory=list)
    new_postings: list[tuple[str, PostingRow]] = field(default_factory=list)
    posting_ends: list[tuple[dict, date | None, str]] = field(default_factory=list)  # (row, new end, action)
    columns: set[str] = field(default_factory=set)  # the file's columns: what it manages


def unit_key(department_id: int, parts: tuple[str, ...]) -> tuple[int, str] | None:
    """How the Book knows a unit: its department and its full name, folded."""
    return (department_id, " / ".join(parts).casefold()) if parts else None


def make_plan(people: dict[str, Person], book: Book, columns: set[str], *, full: bool, today: date, report: ImportReport) -> Plan:
    plan = Plan(columns=columns)
    wanted_units: dict[tuple[int, str], tuple[int, tuple[str, ...]]] = {}
    for person in people.values():
        for depth in range(1, len(person.unit) + 1):
            key = unit_key(person.department_id, person.unit[:depth])
            if key not in book.units:
                wanted_units.setdefault(key, (person.department_id, person.unit[:depth]))
    plan.units = sorted(wanted_units.values(), key=lambda u: len(u[1]))
    report.added += [f"unit {show(d, book)}: {' / '.join(parts)}" for d, parts in plan.units]
    by_unit = {key: full_name for key, (_, _, full_name) in book.units.items()}
    for person in people.values():
        row = book.officials.get(person.email)
        if row is None:
            plan.new.append(person)
            report.added.append(f"official {person.email}: {person.given_name} {person.family_name}, {show(person.department_id, book)}")
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
                           ("department", show(row["department_id"], book), show(person.department_id, book))):
        if old != new:
            found.append(f"{name} {old!r} → {new!r}")
    old_unit = book.unit_keys.get(row["unit_id"])
    new_unit = unit_key(person.department_id, person.unit) if "unit" in columns else (old_unit if row["department_id"] == person.department_id else None)
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
