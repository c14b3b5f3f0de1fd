"""Compliance exports (CSV and Excel), streamed in bounded memory, with the same figures as the dashboards.

Every table is built from `app.services.compliance.dashboards` (the screen's own view models); the officials' list is
read with `yield_per` through `officials.iter_official_rows`, so exporting the whole civil service never
holds more than one batch of rows in memory.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.models import Department, Unit
from app.services.compliance import breakdowns, dashboards, officials
from app.services.compliance import counts as compliance
from app.services.compliance.breakdowns import UnitBreakdown, UnitRef
from app.services.compliance.counts import Counts
from app.services.compliance.dashboards import DashboardQuery, NotInScope
from app.services.organisation.scope import Scope

BATCH = 2000
VIEWS = ("central", "department", "team", "officials", "units", "countries", "modules")
COUNT_HEADERS = list(Counts.HEADERS)
OFFICIAL_HEADERS = ["Official id", "Name", "Email", "Department", "Unit", "Module", "Requirement", "Status",
                    "Due on", "Completed on", "Expires on", "Exempt until", "Expiring soon", "Why assigned"]
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """A cell a spreadsheet will not run as a formula: text starting with = + - @ tab or CR gets a leading '."""
    if isinstance(value, str) and value.startswith(DANGEROUS):
        return "'" + value
    return value


@dataclass(frozen=True)
class Export:
    """One export: which view, the dashboard's query (as-at date, filters, status, sort) and the scope."""

    view: str
    query: DashboardQuery
    scope: Scope
    scope_label: str

    @property
    def on(self) -> date:
        return self.query.on

    def filename(self, extension: str) -> str:
        return f"compliance-{self.view}-{self.on.isoformat()}.{extension}"

    def preamble(self) -> list[tuple[str, str]]:
        definitions = " ".join(f"{term}: {meaning}" for term, meaning in dashboards.DEFINITIONS)
        return [("As at", self.on.isoformat()), ("Scope", self.scope_label), ("Definitions", definitions)]


def prepare(session: Session, scope: Scope, view: str, query: DashboardQuery) -> Export:
    """An export of `view` (one of VIEWS) with the dashboards' query, its unit found and its scope put in words."""
    query = dashboards.with_unit_path(session, query)
    return Export(view, query, scope, describe(session, scope, query))


def describe(session: Session, scope: Scope, query: DashboardQuery) -> str:
    """The scope and the filters of an export, in words, for its header lines."""
    filters = query.filters
    parts = [scope.label or "Your scope"]
    if filters.department_id is not None:
        code = session.execute(select(Department.code).where(Department.id == filters.department_id)).scalar()
        parts.append(f"department {code or filters.department_id}")
    if query.unit_id is not None:
        name = session.execute(select(Unit.full_name).where(Unit.id == query.unit_id)).scalar()
        parts.append(f"unit {name or query.unit_id}")
    if filters.country_code:
        parts.append(f"country {filters.country_code}")
    if filters.module_id:
        parts.append(f"module {filters.module_id}")
    if query.status != "assigned":
        parts.append(f"status {query.status}")
    return ", ".join(parts)


def _unit_rows(breakdown: UnitBreakdown, total: Counts) -> Iterator[list]:
    yield ["Unit", "Unit id", *COUNT_HEADERS]
    for row in breakdown.rows:
        name = row.unit.full_name if row.unit else "No unit"
        if row.direct:
            name += " (officials in this unit itself)"
        yield [name, row.unit.id if row.unit else "", *row.counts.cells()]
    yield ["Total", "", *total.cells()]


def table(session: Session, export: Export, team: Scope | None = None) -> Iterator[list]:
    """The export's rows, header first: the screen's breakdown and its total, or every official behind it."""
    scope, query, on, filters = export.scope, export.query, export.on, export.query.filters
    if export.view == "officials":
        yield OFFICIAL_HEADERS
        for row in officials.iter_official_rows(session, scope, on, query.status, filters, query.sort, batch=BATCH):
            yield [row.official_id, row.name, row.email, row.department, row.unit, row.module_id, row.requirement,
                   row.status_label, row.due_on.isoformat(), *(d.isoformat() if d else "" for d in
                   (row.completed_on, row.expires_on, row.exempt_until)), "yes" if row.expiring_soon else "",
                   row.reason]
    elif export.view == "central":
        view = dashboards.central_view(session, scope, on, filters)
        yield ["Department", "Name", *COUNT_HEADERS]
        for department in view.rows:
            yield [department.code, department.name, *department.counts.cells()]
        yield ["Total", "", *view.total.cells()]
    elif export.view == "department":
        department_id = filters.department_id or scope.department_id
        if department_id is None:
            raise NotInScope("department")
        view = dashboards.department_view(session, scope, department_id, on, filters, query.unit_id)
        yield from _unit_rows(view.units, view.total)
    elif export.view == "team":
        narrowed = team  # the manager's own team (scope.team_scope), as on the screen
        if narrowed is None:
            raise NotInScope("team")
        view = dashboards.team_view(session, narrowed, on, filters, query.unit_id, per_page=1)
        yield from _unit_rows(view.units, view.total)
    elif export.view == "units":
        parent = None
        if query.unit_id is not None:
            found = session.execute(select(Unit.id, Unit.name, Unit.full_name, Unit.path).where(Unit.id == query.unit_id)).first()
            parent = UnitRef(*found) if found else None
        breakdown = breakdowns.by_unit(session, scope, on, filters, filters.department_id, parent)
        yield from _unit_rows(breakdown, compliance.total(session, scope, on, filters))
    elif export.view == "countries":
        yield ["Country", "Country code", "At risk", "Source of the flag", "Posts", *COUNT_HEADERS]
        for row in breakdowns.by_country(session, scope, on, filters):
            yield [row.country_name, row.country_code or "", "yes" if row.at_risk else "", row.risk_source,
                   "; ".join(row.posts), *row.counts.cells()]
        yield ["Total", "", "", "", "", *compliance.total(session, scope, on, filters).cells()]
    else:
        yield ["Module", "Requirements", *COUNT_HEADERS]
        for row in breakdowns.by_module(session, scope, on, filters):
            yield [row.module_id, "; ".join(row.requirements), *row.counts.cells()]
        yield ["Total", "", *compliance.total(session, scope, on, filters).cells()]


def check(session: Session, export: Export, team: Scope | None = None) -> None:
    """Raise NotInScope now (before a streamed response starts) if the view cannot be built for this scope."""
    if export.view in ("department", "team"):
        next(table(session, export, team))


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


def csv_chunks(engine: Engine, export: Export, team: Scope | None = None) -> Iterator[str]:
    """A CSV file in pieces: `# As at`, `# Scope` and `# Definitions` lines, then the table, BATCH rows a piece.
    It opens its own session: the request's session is closed before a streamed body is sent."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    # Comment lines, written as they are (readers such as pandas skip them with comment="#").
    yield "".join(f"# {name}: {' '.join(text.split())}\r\n" for name, text in export.preamble())
    with Session(engine) as session:
        for n, row in enumerate(table(session, export, team), start=1):
            writer.writerow([neutralise(cell) for cell in row])
            if n % BATCH == 0:
                yield _drain(buffer)
    yield _drain(buffer)


def xlsx_file(engine: Engine, export: Export, team: Scope | None = None) -> tempfile.SpooledTemporaryFile:
    """An Excel workbook in a spooled file, rewound: write-only, so rows go to disk as they come."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Compliance")
    for name, text in export.preamble()[:2]:
        sheet.append([name, neutralise(text)])
    sheet.append([])
    with Session(engine) as session:
        for row in table(session, export, team):
            sheet.append([neutralise(cell) for cell in row])
    definitions = workbook.create_sheet("Definitions")
    definitions.append(["As at", export.on.isoformat()])
    definitions.append(["Scope", neutralise(export.scope_label)])
    definitions.append([])
    for term, meaning in dashboards.DEFINITIONS:
        definitions.append([term, neutralise(meaning)])
    spooled = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
    workbook.save(spooled)
    spooled.seek(0)
    return spooled


def file_chunks(spooled, size: int = 64 * 1024) -> Iterator[bytes]:
    """Read a spooled file out in pieces, closing it at the end."""
    try:
        while chunk := spooled.read(size):
            yield chunk
    finally:
        spooled.close()
