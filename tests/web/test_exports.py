"""CSV and Excel exports: the screen's figures, the as-at date and definitions, neutralised cells, scope, streaming."""

from __future__ import annotations

import csv
import io
from types import GeneratorType

import pytest
from openpyxl import load_workbook

from app.clock import today
from app.services.compliance import counts as compliance
from app.services.compliance import dashboards, exports, officials
from app.services.compliance.dashboards import DashboardQuery
from app.services.organisation.scope import Scope
from tests.factories import PASSWORD, make_official

COUNTS = ["Assignments", "Exempt", "Compliant", "Overdue", "Not yet due", "Expiring in 30 days"]  # Counts.as_tuple()'s order
SCREEN = ["Assignments", "Compliant", "Compliance %", "Overdue", "Not yet due", "Exempt", "Expiring in 30 days"]


def read_csv(text: str) -> tuple[list[str], list[dict]]:
    """The header row (the file's first line: no comment lines above it) and the rows."""
    assert not text.startswith("#")
    rows = list(csv.reader(io.StringIO(text)))
    return rows[0], list(csv.DictReader(io.StringIO(text)))


def test_csv_of_the_central_view_equals_the_dashboard(client, session, populated_org):
    client.sign_in(populated_org["central"].email, PASSWORD)
    response = client.get("/compliance/export.csv?view=central")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert f'filename="compliance-all-departments-{today().isoformat()}.csv"' in response.headers["content-disposition"]
    header, rows = read_csv(response.text)
    assert header == ["Department", *SCREEN, "Department code", "As at", "Scope"]  # the screen's order, then the rest
    assert all(r["As at"] == today().isoformat() and r["Scope"].startswith("All departments") for r in rows)
    view = dashboards.central_view(session, Scope(everything=True, label="All departments"), today())
    by_name = {row["Department"]: row for row in rows}
    for department in view.rows:
        assert [int(by_name[department.name][c]) for c in COUNTS] == list(department.counts.as_tuple())
        assert by_name[department.name]["Department code"] == department.code
    assert [int(by_name["All departments"][c]) for c in COUNTS] == list(view.total.as_tuple())
    assert float(by_name["All departments"]["Compliance %"]) == round(view.total.percent, 1)


def test_file_names_carry_the_scope_and_filters(client, session, populated_org):
    on = today().isoformat()
    client.sign_in(populated_org["dept_admin"].email, PASSWORD)
    disposition = client.get("/compliance/export.csv?view=department").headers["content-disposition"]
    assert f'filename="compliance-fcdo-{on}.csv"' in disposition
    disposition = client.get(f"/compliance/export.xlsx?view=officials&status=overdue&country=SD&on={on}").headers["content-disposition"]
    assert f'filename="compliance-fcdo-officials-sd-overdue-{on}.xlsx"' in disposition
    unit = populated_org["team"]
    disposition = client.get(f"/compliance/export.csv?view=units&unit={unit.id}&module=checkpoint-visit").headers["content-disposition"]
    assert f'filename="compliance-fcdo-units-{exports.slug(unit.name)}-checkpoint-visit-{on}.csv"' in disposition
    assert exports.slug("Sudan Team / Khartoum — Política") == "sudan-team-khartoum-politica"


@pytest.mark.parametrize("view", ["department", "units", "countries", "modules"])
def test_every_breakdown_totals_to_the_service_figures(client, session, populated_org, view):
    client.sign_in(populated_org["dept_admin"].email, PASSWORD)
    response = client.get(f"/compliance/export.csv?view={view}")
    assert response.status_code == 200, response.text
    _header, rows = read_csv(response.text)
    expected = compliance.total(session, Scope(department_id=populated_org["fcdo"].id), today())
    assert [int(rows[-1][c]) for c in COUNTS] == list(expected.as_tuple())
    assert rows[-1][list(rows[-1])[0]] == "Total"


def test_officials_csv_equals_the_service_rows_and_neutralises_formulas(client, session, populated_org, test_library):
    client.sign_in(populated_org["central"].email, PASSWORD)
    header, rows = read_csv(client.get("/compliance/export.csv?view=officials&status=overdue&sort=due").text)
    assert header[:6] == ["Official", "Department", "Unit", "Module", "Status", "Due date"]  # as on the screen
    expected = list(officials.iter_official_rows(session, Scope(everything=True), today(), "overdue", sort="due"))
    title = {m.id: m.title for m in test_library.modules.values()}
    assert [(int(r["Official id"]), r["Module"], r["Status"], r["Due date"]) for r in rows] == [
        (e.official_id, title.get(e.module_id, e.module_id), e.status_label, e.due_on.isoformat()) for e in expected]
    _header, rows = read_csv(client.get("/compliance/export.csv?view=officials").text)
    assert "A visit to the checkpoint" in {r["Module"] for r in rows} and "checkpoint-visit" not in {r["Module"] for r in rows}
    names = {r["Official"] for r in rows}
    assert "'=HYPERLINK(\"x\") Official" not in names  # the factory's family name follows the given name
    starts = {name.split()[0] for name in names}
    assert {"'=HYPERLINK(\"x\")", "'+Plus", "'-Minus", "'@At"} <= starts
    assert not any(name.startswith(("=", "+", "-", "@")) for name in names)
    assert len(rows) == compliance.total(session, Scope(everything=True), today()).assigned
    _header, modules = read_csv(client.get("/compliance/export.csv?view=modules").text)
    assert {"A visit to the checkpoint": "checkpoint-visit"}.items() <= {r["Module"]: r["Module id"] for r in modules}.items()


def test_a_managers_export_never_leaves_the_team_whatever_ids_are_in_the_url(client, session, populated_org):
    client.sign_in(populated_org["manager"].email, PASSWORD)
    for query in ("", f"&department={populated_org['mod'].id}", f"&unit={populated_org['defence'].id}", f"&unit={populated_org['europe'].id}",
                  f"&department={populated_org['fcdo'].id}&unit={populated_org['team'].id}"):
        response = client.get("/compliance/export.csv?view=officials" + query)
        assert response.status_code == 200
        _header, rows = read_csv(response.text)
        assert all(r["Unit"].startswith("Africa Directorate") for r in rows), query
        assert not {r["Department"] for r in rows} - {"FCDO"}
    _header, rows = read_csv(client.get("/compliance/export.csv?view=officials").text)
    expected = compliance.total(session, Scope(unit_path=populated_org["africa"].path), today())
    assert len(rows) == expected.assigned > 0
    assert client.get(f"/compliance/export.csv?view=department&department={populated_org['mod'].id}").status_code == 404
    team = read_csv(client.get("/compliance/export.csv?view=team").text)[1]
    assert [int(team[-1][c]) for c in COUNTS] == list(expected.as_tuple())


def test_excel_has_a_frozen_header_row_column_widths_and_an_about_sheet(client, session, populated_org):
    client.sign_in(populated_org["central"].email, PASSWORD)
    response = client.get("/compliance/export.xlsx?view=officials")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert f"compliance-all-departments-officials-{today().isoformat()}.xlsx" in response.headers["content-disposition"]
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["Compliance", "About"]
    compliance_sheet = workbook["Compliance"]
    assert compliance_sheet.freeze_panes == "A2"
    widths = {letter: d.width for letter, d in compliance_sheet.column_dimensions.items()}
    assert widths["A"] >= 12 and widths["D"] >= len("A visit to the checkpoint") and all(8 <= w <= 60 for w in widths.values())
    sheet = list(compliance_sheet.iter_rows(values_only=True))
    header, body = sheet[0], sheet[1:]
    assert header[:4] == ("Official", "Department", "Unit", "Module") and compliance_sheet["A1"].font.b
    assert len(body) == compliance.total(session, Scope(everything=True), today()).assigned
    assert all(hasattr(row[header.index("Due date")], "year") for row in body)  # real dates, not text
    names = [row[0] for row in body]
    assert not any(str(name).startswith(("=", "+", "-", "@")) for name in names)
    about = {row[0]: row[1] for row in workbook["About"].iter_rows(values_only=True) if row and row[0]}
    assert about["As at"] == today().isoformat() and about["Scope and filters"].startswith("All departments")
    assert set(dict(dashboards.DEFINITIONS)) <= set(about)
    central = load_workbook(io.BytesIO(client.get("/compliance/export.xlsx?view=central").content))
    rows = list(central["Compliance"].iter_rows(values_only=True))
    total = [row for row in rows if row[0] == "All departments"][0]
    expected = compliance.total(session, Scope(everything=True), today())
    assert [total[rows[0].index(c)] for c in COUNTS] == list(expected.as_tuple())


def test_exports_are_streamed_in_batches(client, session, populated_org, monkeypatch, engine):
    client.sign_in(populated_org["central"].email, PASSWORD)
    with client.client.stream("GET", "/compliance/export.csv?view=officials") as response:
        assert response.status_code == 200 and "content-length" not in response.headers
        assert next(response.iter_text()).startswith("Official,Department,Unit,Module,Status")
    monkeypatch.setattr(exports, "BATCH", 5)
    export = exports.prepare(session, Scope(everything=True, label="All"), "officials", DashboardQuery(today()))
    chunks = exports.csv_chunks(engine, export)
    assert isinstance(chunks, GeneratorType)
    pieces = list(chunks)
    rows = compliance.total(session, Scope(everything=True), today()).assigned + 1
    assert len(pieces) == rows // 5 + 1  # one piece per batch, then the rest


def test_bad_parameters_and_learners(client, session, populated_org):
    client.sign_in(populated_org["central"].email, PASSWORD)
    assert client.get("/compliance/export.csv?view=galaxy").status_code == 422
    assert client.get("/compliance/export.csv?on=2026-02-30").status_code == 422
    assert client.get("/compliance/export.csv?view=team").status_code == 404  # a central admin with no team
    client.client.cookies.clear()
    client.sign_in(make_official(session).email, PASSWORD)
    assert client.get("/compliance/export.csv").status_code == 403
    assert client.get("/compliance/export.xlsx").status_code == 403
