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

COUNTS = ["Assigned", "Exempt", "Compliant", "Overdue", "Not yet due", "Expiring soon"]


def read_csv(text: str) -> tuple[list[str], list[dict]]:
    lines = text.splitlines()
    preamble = [line for line in lines if line.startswith("# ")]
    return preamble, list(csv.DictReader(io.StringIO("\n".join(lines[len(preamble):]))))


def test_csv_of_the_central_view_equals_the_dashboard(client, session, populated_org):
    client.sign_in(populated_org["central"].email, PASSWORD)
    response = client.get("/compliance/export.csv?view=central")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert f'filename="compliance-central-{today().isoformat()}.csv"' in response.headers["content-disposition"]
    preamble, rows = read_csv(response.text)
    assert preamble[0] == f"# As at: {today().isoformat()}" and preamble[1].startswith("# Scope: All departments")
    assert preamble[2].startswith("# Definitions: Assigned:") and "Compliance %" in preamble[2]
    view = dashboards.central_view(session, Scope(everything=True, label="All departments"), today())
    by_code = {row["Department"]: row for row in rows}
    for department in view.rows:
        assert [int(by_code[department.code][c]) for c in COUNTS] == list(department.counts.as_tuple())
    assert [int(by_code["Total"][c]) for c in COUNTS] == list(view.total.as_tuple())
    assert float(by_code["Total"]["Compliance %"]) == round(view.total.percent, 1)


@pytest.mark.parametrize("view", ["department", "units", "countries", "modules"])
def test_every_breakdown_totals_to_the_service_figures(client, session, populated_org, view):
    client.sign_in(populated_org["dept_admin"].email, PASSWORD)
    response = client.get(f"/compliance/export.csv?view={view}")
    assert response.status_code == 200, response.text
    _preamble, rows = read_csv(response.text)
    expected = compliance.total(session, Scope(department_id=populated_org["fcdo"].id), today())
    assert [int(rows[-1][c]) for c in COUNTS] == list(expected.as_tuple())
    assert rows[-1][list(rows[-1])[0]] == "Total"


def test_officials_csv_equals_the_service_rows_and_neutralises_formulas(client, session, populated_org):
    client.sign_in(populated_org["central"].email, PASSWORD)
    _preamble, rows = read_csv(client.get("/compliance/export.csv?view=officials&status=overdue&sort=due").text)
    expected = list(officials.iter_official_rows(session, Scope(everything=True), today(), "overdue", sort="due"))
    assert [(int(r["Official id"]), r["Module"], r["Status"], r["Due on"]) for r in rows] == [
        (e.official_id, e.module_id, e.status_label, e.due_on.isoformat()) for e in expected]
    _preamble, rows = read_csv(client.get("/compliance/export.csv?view=officials").text)
    names = {r["Name"] for r in rows}
    assert "'=HYPERLINK(\"x\") Official" not in names  # the factory's family name follows the given name
    starts = {name.split()[0] for name in names}
    assert {"'=HYPERLINK(\"x\")", "'+Plus", "'-Minus", "'@At"} <= starts
    assert not any(name.startswith(("=", "+", "-", "@")) for name in names)
    assert len(rows) == compliance.total(session, Scope(everything=True), today()).assigned


def test_a_managers_export_never_leaves_the_team_whatever_ids_are_in_the_url(client, session, populated_org):
    client.sign_in(populated_org["manager"].email, PASSWORD)
    for query in ("", f"&department={populated_org['mod'].id}", f"&unit={populated_org['defence'].id}", f"&unit={populated_org['europe'].id}",
                  f"&department={populated_org['fcdo'].id}&unit={populated_org['team'].id}"):
        response = client.get("/compliance/export.csv?view=officials" + query)
        assert response.status_code == 200
        _preamble, rows = read_csv(response.text)
        assert all(r["Unit"].startswith("Africa Directorate") for r in rows), query
        assert not {r["Department"] for r in rows} - {"FCDO"}
    _preamble, rows = read_csv(client.get("/compliance/export.csv?view=officials").text)
    expected = compliance.total(session, Scope(unit_path=populated_org["africa"].path), today())
    assert len(rows) == expected.assigned > 0
    assert client.get(f"/compliance/export.csv?view=department&department={populated_org['mod'].id}").status_code == 404
    team = read_csv(client.get("/compliance/export.csv?view=team").text)[1]
    assert [int(team[-1][c]) for c in COUNTS] == list(expected.as_tuple())


def test_excel_has_the_figures_the_as_at_date_and_a_definitions_sheet(client, session, populated_org):
    client.sign_in(populated_org["central"].email, PASSWORD)
    response = client.get("/compliance/export.xlsx?view=officials")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert f"compliance-officials-{today().isoformat()}.xlsx" in response.headers["content-disposition"]
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["Compliance", "Definitions"]
    sheet = list(workbook["Compliance"].iter_rows(values_only=True))
    assert sheet[0][:2] == ("As at", today().isoformat()) and sheet[1][0] == "Scope"
    header, body = sheet[3], sheet[4:]
    assert header[0] == "Official id"
    assert len(body) == compliance.total(session, Scope(everything=True), today()).assigned
    names = [row[header.index("Name")] for row in body]
    assert not any(str(name).startswith(("=", "+", "-", "@")) for name in names)
    definitions = {row[0]: row[1] for row in workbook["Definitions"].iter_rows(values_only=True) if row and row[0]}
    assert definitions["As at"] == today().isoformat()
    assert set(dict(dashboards.DEFINITIONS)) <= set(definitions)
    central = load_workbook(io.BytesIO(client.get("/compliance/export.xlsx?view=central").content))
    total = [row for row in central["Compliance"].iter_rows(values_only=True) if row and row[0] == "Total"][0]
    assert list(total[2:8]) == list(compliance.total(session, Scope(everything=True), today()).as_tuple())


def test_exports_are_streamed_in_batches(client, session, populated_org, monkeypatch, engine):
    client.sign_in(populated_org["central"].email, PASSWORD)
    with client.client.stream("GET", "/compliance/export.csv?view=officials") as response:
        assert response.status_code == 200 and "content-length" not in response.headers
        assert next(response.iter_text()).startswith("# As at:")
    monkeypatch.setattr(exports, "BATCH", 5)
    export = exports.prepare(session, Scope(everything=True, label="All"), "officials", DashboardQuery(today()))
    chunks = exports.csv_chunks(engine, export)
    assert isinstance(chunks, GeneratorType)
    pieces = list(chunks)
    rows = compliance.total(session, Scope(everything=True), today()).assigned + 1
    assert len(pieces) == 1 + rows // 5 + 1  # the preamble, one piece per batch, the rest


def test_bad_parameters_and_learners(client, session, populated_org):
    client.sign_in(populated_org["central"].email, PASSWORD)
    assert client.get("/compliance/export.csv?view=galaxy").status_code == 422
    assert client.get("/compliance/export.csv?on=2026-02-30").status_code == 422
    assert client.get("/compliance/export.csv?view=team").status_code == 404  # a central admin with no team
    client.client.cookies.clear()
    client.sign_in(make_official(session).email, PASSWORD)
    assert client.get("/compliance/export.csv").status_code == 403
    assert client.get("/compliance/export.xlsx").status_code == 403
