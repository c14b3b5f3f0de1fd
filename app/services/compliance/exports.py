"""Compliance exports (CSV and Excel), streamed in bounded memory, with the same figures as the dashboards.

Every table is built from `app.services.compliance.dashboards` (the screen's own view models); the officials' list is
read with `yield_per` through `officials.iter_official_rows`, so exporting the whole civil service never
holds more than one batch of rows in memory.
"""

from __future__ import annotations

import io
import itertools
import re
import tempfile
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date

from openpyxl.utils import get_column_letter
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.services.audit import Actor, record
from app.services.compliance import breakdowns, dashboards, officials
from app.services.compliance import counts as compliance
from app.services.compliance.breakdowns import UnitBreakdown, UnitRef
from app.services.compliance.counts import Counts
from app.services.compliance.dashboards import DashboardQuery, NotInScope
from app.services.organisation import lookups
from app.services.organisation.scope import Scope
from app.services.spreadsheet import SafeCsvWriter, neutralise

BATCH = 2000
VIEWS = ("central", "department", "team", "officials", "units", "countries", "modules")
# The figures in the screen's order (components/compliance.html, counts_head), under the screen's headings.
COUNT_HEADERS = ["Assignments", "Compliant", "Compliance %", "Overdue", "Not yet due", "Exempt", "Expiring in 30 days"]
# The officials' list as the screen shows it (Official, Unit, Module, Status, Due date, Completed or expires, Reason),
# then what the screen links to or leaves out.
OFFICIAL_HEADERS = ["Official", "Department", "Unit", "Module", "Status", "Due date", "Completed on", "Expires on",
                    "Exempt until", "Expiring soon", "Reason", "Requirement", "Email", "Official id"]
CONTEXT_HEADERS = ["As at", "Scope"]  # the CSV's last two columns, on every row: a CSV has no second sheet


def count_cells(counts: Counts) -> list:
    """A row's figures in the screen's order; the percentage to one place ("" when nobody is due to train)."""
    percent = counts.percent
    return [counts.assigned, counts.compliant, round(percent, 1) if percent is not None else "", counts.overdue,
            counts.not_yet_due, counts.exempt, counts.expiring_soon]


def slug(text: str, limit: int = 40) -> str:
    """Text as part of a file name: ASCII letters and digits, words joined by hyphens."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:limit].strip("-")


@dataclass(frozen=True)
class Export:
    """One export: which view, the dashboard's query (as-at date, filters, status, sort) and the scope."""

    view: str
    query: DashboardQuery
    scope: Scope
    scope_label: str
    name_parts: tuple[str, ...] = ()  # the scope and filters, for the file name
    titles: Mapping[str, str] = field(default_factory=dict)  # module id -> the title learners see

    @property
    def on(self) -> date:
        return self.query.on

    def filename(self, extension: str) -> str:
        """compliance-fcdo-2026-12-02.csv: what the file holds (scope, view, filters), then the as-at date."""
        return "-".join(["compliance", *self.name_parts, self.on.isoformat()]) + "." + extension

    def title(self, module_id: str) -> str:
        return self.titles.get(module_id, module_id)

    def about(self) -> list[tuple[str, str]]:
        """The as-at date, the scope and filters, and every definition: Excel's About sheet."""
        return [("As at", self.on.isoformat()), ("Scope and filters", self.scope_label), ("", ""),
                *dashboards.DEFINITIONS]


def prepare(session: Session, scope: Scope, view: str, query: DashboardQuery,
            titles: Mapping[str, str] | None = None) -> Export:  # fmt: skip
    """An export of `view` (one of VIEWS) with the dashboards' query, its unit found, its scope put in words and
    its file named after them."""
    query = dashboards.with_unit_path(session, query)
    titles = dict(titles or {})
    label, parts = _describe(session, scope, view, query, titles)
    return Export(view, query, scope, label, parts, titles)


def _describe(session: Session, scope: Scope, view: str, query: DashboardQuery,
              titles: Mapping[str, str]) -> tuple[str, tuple[str, ...]]:  # fmt: skip
    """The scope and the filters of an export in words (its Scope column) and as file-name parts."""
    filters = query.filters
    words = [scope.label or "Your scope"]
    department_id = filters.department_id if filters.department_id is not None else scope.department_id
    code = None
    if department_id is not None:  # named only within the scope: another department's id names nothing
        department = lookups.department_in_scope(session, scope, department_id)
        code = department.code if department else None
        if filters.department_id is not None:
            words.append(f"department {code}" if code else f"department {filters.department_id} (not found)")
    parts = [slug(code) if code else "all-departments" if scope.everything else slug(scope.label or "team")]
    if view not in ("central", "department"):
        parts.append(view)
    if query.unit_id is not None:
        unit = lookups.unit_in_scope(session, scope, query.unit_id)
        words.append(f"unit {unit.full_name}" if unit else f"unit {query.unit_id} (not found)")
        parts.append(slug(unit.name) if unit else str(query.unit_id))
    if filters.country_code:
        words.append(f"country {filters.country_code}")
        parts.append(slug(filters.country_code))
    if filters.module_id:
        words.append(f"module {titles.get(filters.module_id, filters.module_id)}")
        parts.append(slug(filters.module_id))
    if view == "officials" and query.status != "assigned":
        words.append(f"status {query.status}")
        parts.append(slug(query.status))
    return ", ".join(words), tuple(p for p in parts if p)


def _unit_rows(breakdown: UnitBreakdown, total: Counts) -> Iterator[list]:
    yield ["Unit", *COUNT_HEADERS, "Unit id"]
    for row in breakdown.rows:
        name = row.unit.full_name if row.unit else "No unit recorded"
        if row.direct:
            name += " (officials in this unit itself)"
        yield [name, *count_cells(row.counts), row.unit.id if row.unit else ""]
    yield ["Total", *count_cells(total), ""]


def table(session: Session, export: Export, team: Scope | None = None) -> Iterator[list]:
    """The export's rows, header first, columns in the screen's order: the screen's breakdown and its total, or
    every official behind it. Dates are dates (the CSV writes them as YYYY-MM-DD, Excel as dates)."""
    scope, query, on, filters = export.scope, export.query, export.on, export.query.filters
    if export.view == "officials":
        yield OFFICIAL_HEADERS
        for row in officials.iter_official_rows(session, scope, on, query.status, filters, query.sort, batch=BATCH):
            yield [row.name, row.department, row.unit, export.title(row.module_id), row.status_label, row.due_on,
                   row.completed_on, row.expires_on, row.exempt_until, "yes" if row.expiring_soon else "", row.reason,
                   row.requirement, row.email, row.official_id]  # fmt: skip
    elif export.view == "central":
        view = dashboards.central_view(session, scope, on, filters)
        yield ["Department", *COUNT_HEADERS, "Department code"]
        for department in view.rows:
            yield [department.name, *count_cells(department.counts), department.code]
        yield ["All departments", *count_cells(view.total), ""]
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
        if (found := lookups.unit_in_scope(session, scope, query.unit_id)) is not None:
            parent = UnitRef(found.id, found.name, found.full_name, found.path)
        breakdown = breakdowns.by_unit(session, scope, on, filters, filters.department_id, parent)
        yield from _unit_rows(breakdown, compliance.total(session, scope, on, filters))
    elif export.view == "countries":
        yield ["Country", "At risk", "Flagged by", "Posts", *COUNT_HEADERS, "Country code"]
        for row in breakdowns.by_country(session, scope, on, filters):
            yield [row.country_name, "yes" if row.at_risk else "", row.risk_source, "; ".join(row.posts),
                   *count_cells(row.counts), row.country_code or ""]
        yield ["Total", "", "", "", *count_cells(compliance.total(session, scope, on, filters)), ""]
    else:
        yield ["Module", "Requirements", *COUNT_HEADERS, "Module id"]
        for row in breakdowns.by_module(session, scope, on, filters):
            yield [export.title(row.module_id), "; ".join(row.requirements), *count_cells(row.counts), row.module_id]
        yield ["Total", "", *count_cells(compliance.total(session, scope, on, filters)), ""]


def row_count(session: Session, export: Export, team: Scope | None = None) -> int:
    """How many rows (below the header) the export holds, counted as it begins."""
    if export.view == "officials":
        return officials.count_rows(session, export.scope, export.on, export.query.status, export.query.filters)
    return sum(1 for _row in table(session, export, team)) - 1


def record_export(session: Session, actor: Actor, export: Export, file_format: str, rows: int) -> None:
    """An audit event for an export (it carries names and emails): who, which view, scope and filters, the as-at
    date, the format, the file name and how many rows. Written before the file is sent, so none goes unrecorded."""
    query, filters = export.query, export.query.filters
    given = {"department": filters.department_id, "unit": query.unit_id, "country": filters.country_code,
             "module": filters.module_id, "status": query.status if export.view == "officials" else None,
             "sort": query.sort if export.view == "officials" else None}
    record(session, actor, "compliance.export", "export", export.view, after={
        "view": export.view, "format": file_format, "rows": rows, "on": export.on, "scope": export.scope_label,
        "filters": {k: v for k, v in given.items() if v is not None}, "file": export.filename(file_format)})


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
    """A CSV file in pieces: the header row first (nothing above it), each row ending with the as-at date and the
    scope in words, BATCH rows a piece. It opens its own session: the request's is closed before the body is sent."""
    buffer = io.StringIO()
    writer = SafeCsvWriter(buffer, lineterminator="\r\n")  # every cell, header included, neutralised
    context = [export.on.isoformat(), export.scope_label]
    with Session(engine) as session:
        for n, row in enumerate(table(session, export, team), start=1):
            writer.writerow([*row, *(CONTEXT_HEADERS if n == 1 else context)])
            if n % BATCH == 0:
                yield _drain(buffer)
    yield _drain(buffer)


def _width(value: object) -> int:
    if isinstance(value, date):
        return 11
    return len(str(value)) if value is not None else 0


def xlsx_file(engine: Engine, export: Export, team: Scope | None = None) -> tempfile.SpooledTemporaryFile:
    """An Excel workbook in a spooled file, rewound: write-only, so rows go to disk as they come. The Compliance
    sheet starts with its header row, frozen, columns as wide as their first rows need; an About sheet gives
    the as-at date, the scope and filters, and the definitions."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Compliance")
    sheet.freeze_panes = "A2"
    with Session(engine) as session:
        rows = table(session, export, team)
        header = next(rows)
        first = list(itertools.islice(rows, 200))  # enough to size the columns; the rest streams
        for index, name in enumerate(header, start=1):
            widest = max([len(name) + 2, *(_width(row[index - 1]) + 1 for row in first)])
            sheet.column_dimensions[get_column_letter(index)].width = min(max(widest, 8), 60)
        bold = []
        for name in header:
            cell = WriteOnlyCell(sheet, value=neutralise(name))
            cell.font = Font(bold=True)
            bold.append(cell)
        sheet.append(bold)
        for row in itertools.chain(first, rows):
            sheet.append([neutralise(cell) for cell in row])
    about = workbook.create_sheet("About")
    about.column_dimensions["A"].width = 20
    about.column_dimensions["B"].width = 100
    for term, meaning in export.about():
        about.append([neutralise(term), neutralise(meaning)])
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
