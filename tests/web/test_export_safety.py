"""Every CSV cell and file name is safe in a spreadsheet and in the header (issue 12, gap 5), and every export —
compliance CSV and Excel, item analysis CSV — and the API's use are in the audit log (issue 12, gap 6)."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from app.clock import utcnow
from app.models import AuditEvent
from app.services.accounts import api_tokens
from app.services.audit import Actor
from app.services.spreadsheet import neutralise
from app.web.downloads import attachment
from tests.conftest import place
from tests.factories import PASSWORD, make_unit
from tests.unit.test_item_analysis import seed_population

DANGEROUS = ("=", "+", "-", "@", "\t", "\r", " =", "\n=", "＝")
NASTY_UNIT = "Injected,=2+5"
QUOTED = 'Say "hi"\r\nSet-Cookie: x=1; =HYPERLINK("http://x")'


@pytest.fixture
def nasty(session, populated_org):
    """A unit named to split into a formula cell, an official with quotes and line breaks in her name, and
    a unit whose name is a formula behind a space."""
    unit = make_unit(session, populated_org["fcdo"], NASTY_UNIT)
    spaced = make_unit(session, populated_org["fcdo"], " =1+1")
    from app.services.organisation.assignments import recompute_officials
    people = [place(session, unit, given_name=QUOTED, family_name="-Minus"), place(session, spaced, given_name="@Sum")]
    from app.clock import today
    recompute_officials(session, [p.id for p in people], today())
    session.commit()
    return {"unit": unit, "spaced": spaced, "people": people}


def _cells_are_safe(rows: list[list[str]]) -> None:
    width = len(rows[0])
    for row in rows:
        assert len(row) == width, row  # nothing split a cell or a row
        for cell in row:
            assert not cell.startswith(DANGEROUS), cell


@pytest.mark.parametrize("view", ["officials", "units", "department", "countries", "modules"])
def test_every_csv_cell_and_line_goes_through_the_writer_and_is_neutralised(client, populated_org, nasty, view):
    client.sign_in(populated_org["dept_admin"].email, PASSWORD)
    for unit in (nasty["unit"], nasty["spaced"]):
        response = client.get(f"/compliance/export.csv?view={view}&unit={unit.id}")
        assert response.status_code == 200
        rows = list(csv.reader(io.StringIO(response.text, newline="")))
        _cells_are_safe(rows)
        assert rows[1][-1].endswith(f"unit {unit.full_name}")  # the Scope column names it, as one cell
    rows = list(csv.reader(io.StringIO(client.get("/compliance/export.csv?view=officials").text, newline="")))
    _cells_are_safe(rows)
    units = {row[2] for row in rows[1:]}
    assert NASTY_UNIT in units and "' =1+1" in units  # whole, in one cell each; the spaced formula neutralised
    assert f"{QUOTED} -Minus" in {row[0] for row in rows}  # quotes and line breaks kept inside the cell


def test_excel_cells_are_neutralised_too(client, populated_org, nasty):
    client.sign_in(populated_org["dept_admin"].email, PASSWORD)
    response = client.get(f"/compliance/export.xlsx?view=officials&unit={nasty['spaced'].id}")
    book = load_workbook(io.BytesIO(response.content))
    for sheet in book.worksheets:
        for row in sheet.iter_rows(values_only=True):
            assert not any(isinstance(c, str) and c.startswith(DANGEROUS) for c in row), row


def test_file_names_cannot_break_the_header():
    for name in (QUOTED + ".csv", 'a"b\\c\nd.csv', "Política ünit.csv"):
        header = attachment(name)["Content-Disposition"]
        assert "\r" not in header and "\n" not in header
        plain = header.split('filename="', 1)[1].split('"', 1)[0]
        assert all(c.isascii() and (c.isalnum() or c in "._-") for c in plain), plain
        assert "filename*=UTF-8''" in header and '"' not in header.split("filename*=", 1)[1]
    assert attachment("Política ünit.csv")["Content-Disposition"].endswith("UTF-8''Pol%C3%ADtica%20%C3%BCnit.csv")
    assert neutralise(" =1") == "' =1" and neutralise("＝1") == "'＝1" and neutralise(-3) == -3 and neutralise("a=1") == "a=1"


def test_export_headers_use_rfc_6266(client, populated_org, nasty):
    client.sign_in(populated_org["dept_admin"].email, PASSWORD)
    response = client.get(f"/compliance/export.csv?view=units&unit={nasty['unit'].id}")
    disposition = response.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="compliance-fcdo-units-injected-2-5-')
    assert "filename*=UTF-8''compliance-fcdo-units-injected-2-5-" in disposition


def _events(session, action: str) -> list[dict]:
    session.expire_all()
    return [json.loads(e.after) | {"actor_id": e.actor_id} for e in
            session.exec(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id))]


def test_an_export_writes_an_audit_event_with_who_what_and_how_many(client, session, populated_org):
    me = populated_org["dept_admin"]
    client.sign_in(me.email, PASSWORD)
    text = client.get("/compliance/export.csv?view=officials&status=overdue&country=SD&sort=due").text
    client.get(f"/compliance/export.xlsx?view=units&unit={populated_org['team'].id}")
    csv_event, xlsx_event = _events(session, "compliance.export")
    assert csv_event["actor_id"] == me.id and csv_event["view"] == "officials" and csv_event["format"] == "csv"
    assert csv_event["rows"] == len(list(csv.reader(io.StringIO(text)))) - 1
    assert csv_event["filters"] == {"country": "SD", "status": "overdue", "sort": "due"}
    assert csv_event["scope"].startswith("Your department") and csv_event["file"].endswith(".csv")
    assert xlsx_event["format"] == "xlsx" and xlsx_event["filters"] == {"unit": populated_org["team"].id}
    assert xlsx_event["rows"] >= 1
    # Refused exports record nothing; the audit log reads the event in words.
    assert client.get("/compliance/export.csv?view=galaxy").status_code == 422
    assert len(_events(session, "compliance.export")) == 2
    client.client.cookies.clear()
    client.sign_in(populated_org["central"].email, PASSWORD)
    log = client.get("/admin/audit?what=compliance.export").text
    assert "Exported officials (CSV, " in log and "Compliance data exported" in log


def test_the_item_analysis_csv_writes_an_audit_event(client, session, test_library, sign_in_as):
    module = test_library.get("checkpoint-visit")
    seed_population(session, module)
    author = sign_in_as("learner author")
    response = client.get("/author/modules/checkpoint-visit/analysis/csv?version=" + module.version)
    assert response.status_code == 200 and "filename*=UTF-8''analysis-checkpoint-visit.csv" in response.headers["content-disposition"]
    [event] = _events(session, "item-analysis.export")
    assert event["actor_id"] == author.id and event["module"] == "checkpoint-visit" and event["format"] == "csv"
    assert event["rows"] == len(list(csv.reader(io.StringIO(response.text)))) - 1
    assert event["filters"] == {"version": module.version}
    client.get("/author/modules/checkpoint-visit/analysis/csv?from-day=1&from-month=1&from-year=2026")
    assert _events(session, "item-analysis.export")[-1]["filters"] == {"from": "2026-01-01"}


def test_api_token_use_is_recorded_at_most_once_a_minute(client, session, populated_org):
    token, secret = api_tokens.create(session, Actor(None, "test"), "HR feed", everything=True)
    session.commit()
    for _ in range(5):
        assert client.get("/api/v1/compliance/summary", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    [event] = _events(session, "api-token.use")
    assert event["name"] == "HR feed" and event["prefix"] == token.prefix
    # A minute later the next use writes one more; the event is the UPDATE's winner's alone.
    api_tokens.record_use(session, token.id, utcnow() + timedelta(seconds=30))
    api_tokens.record_use(session, token.id, utcnow() + timedelta(minutes=1, seconds=1))
    api_tokens.record_use(session, token.id, utcnow() + timedelta(minutes=1, seconds=2))
    session.commit()
    assert len(_events(session, "api-token.use")) == 2
