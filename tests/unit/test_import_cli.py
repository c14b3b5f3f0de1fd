"""`aptrain import roster` and `aptrain import risk`: output format, exit codes, dry run."""

from __future__ import annotations

import pytest
from sqlmodel import func, select
from typer.testing import CliRunner

from app.cli import cli
from app.config import get_settings
from app.models import AuditEvent, CountryRiskAssessment, Department, Official
from tests.conftest import TEST_SECRET

ROSTER = (
    "email,given_name,family_name,department,unit,line_manager_email,country,post,posting_start\n"
    "boss@fcdo.gov.uk,Ann,Head,FCDO,Africa Directorate,,,,\n"
    "siobhan@fcdo.gov.uk,Siobhán,O'Brien,FCDO,Africa Directorate / Sudan Team,boss@fcdo.gov.uk,SD,British Embassy Khartoum,2025-09-01\n"
)


@pytest.fixture(autouse=True)
def environment(monkeypatch, database_url, session):
    monkeypatch.setenv("APTRAIN_ENVIRONMENT", "test")
    monkeypatch.setenv("APTRAIN_SECRET_KEY", TEST_SECRET)
    monkeypatch.setenv("APTRAIN_DATABASE_URL", database_url)
    get_settings.cache_clear()
    session.add(Department(code="FCDO", name="Foreign, Commonwealth & Development Office"))
    session.commit()
    yield
    get_settings.cache_clear()


def run(*args: str):
    return CliRunner().invoke(cli, ["import", *map(str, args)])


def count(session, model) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


def test_roster_dry_run_then_import_then_nothing_to_do(tmp_path, session):
    path = tmp_path / "roster.csv"
    path.write_text(ROSTER, encoding="utf-8")
    result = run("roster", path, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "added: official siobhan@fcdo.gov.uk: Siobhán O'Brien, FCDO" in result.stdout
    assert "Dry run, nothing changed: would add 5, change 0, end 0 (2 row(s))." in result.stdout
    assert count(session, Official) == 0
    result = run("roster", path)
    assert result.exit_code == 0, result.output
    assert "Imported: added 5, change 0, end 0 (2 row(s))." in result.stdout
    assert count(session, Official) == 2 and count(session, AuditEvent) == 5
    result = run("roster", path)
    assert "Imported: added 0, change 0, end 0" in result.stdout
    assert count(session, AuditEvent) == 5


def test_roster_errors_are_path_line_message_and_exit_1(tmp_path, session):
    path = tmp_path / "roster.csv"
    path.write_text(ROSTER + "bad,X,Y,DFID,,,,,\n", encoding="utf-8")
    result = run("roster", path)
    assert result.exit_code == 1
    assert f"{path}:4: bad email 'bad'" in result.stdout.splitlines()
    assert f"{path}:4: unknown department 'DFID' (use a department's code or name)" in result.stdout.splitlines()
    assert count(session, Official) == 0


def test_roster_full_marks_leavers(tmp_path, session):
    path = tmp_path / "roster.csv"
    path.write_text(ROSTER, encoding="utf-8")
    run("roster", path)
    path.write_text(ROSTER.splitlines()[0] + "\n" + ROSTER.splitlines()[1] + "\n", encoding="utf-8")
    result = run("roster", path, "--full")
    assert result.exit_code == 0, result.output
    assert "ended: official siobhan@fcdo.gov.uk: marked as left" in result.stdout


def test_risk_import_with_options(tmp_path, session):
    path = tmp_path / "internal.csv"
    path.write_text("country,at_risk,level\nSudan,yes,high\nNorway,no,\n", encoding="utf-8")
    result = run("risk", path, "--source", "Internal list", "--edition", "Q1 2026", "--date", "2026-01-10")
    assert result.exit_code == 0, result.output
    assert "added: Sudan: at risk (high)" in result.stdout
    rows = session.exec(select(CountryRiskAssessment).order_by(CountryRiskAssessment.country_code)).all()
    assert [(r.country_code, r.at_risk, r.edition, str(r.assessed_on)) for r in rows] == [
        ("NO", False, "Q1 2026", "2026-01-10"), ("SD", True, "Q1 2026", "2026-01-10")]


def test_risk_errors_and_bad_date(tmp_path, session):
    path = tmp_path / "internal.csv"
    path.write_text("country,at_risk\nNarnia,yes\n", encoding="utf-8")
    result = run("risk", path, "--source", "Internal list", "--date", "2026-01-10")
    assert result.exit_code == 1 and f"{path}:2: unknown country 'Narnia'" in result.stdout
    result = run("risk", path, "--source", "Internal list", "--date", "10 Jan")
    assert result.exit_code == 2
    assert count(session, CountryRiskAssessment) == 0
