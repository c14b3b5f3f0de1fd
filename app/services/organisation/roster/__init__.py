"""Importing the HR roster (officials, units, line managers, postings): validated row by row, then applied all-or-nothing.

read: each row checked against the Book (what the database holds); plan: what would change; apply: write it.
"""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from app.clock import today as utc_today
from app.services.audit import Actor
from app.services.organisation.csv_input import ImportReport, UnreadableCsv, read_table
from app.services.organisation.roster.apply import apply
from app.services.organisation.roster.plan import Plan, make_plan
from app.services.organisation.roster.read import (
    POSTING_COLUMNS,
    REQUIRED,
    Book,
    Person,
    PostingRow,
    Progress,
    check_managers,
    read_people,
)

__all__ = ["Book", "Person", "Plan", "PostingRow", "apply", "check_managers", "import_roster", "make_plan", "read_people"]


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
    try:
        table = read_table(data)
    except UnreadableCsv as problem:
        report.error(problem.line, problem.message)
        return report
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
