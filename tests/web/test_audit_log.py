"""The audit log in words, before → after, filtered by who, what and when, paged by keyset (issue 11, item 11)."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

from sqlmodel import select

from app.clock import today, utcnow
from app.models import AuditEvent
from app.services.audit import Actor, record
from app.services.organisation import requirements
from tests.conftest import check_page
from tests.factories import make_requirement


def _rows(html: str) -> list[list[str]]:
    page = check_page(html)
    return [[" ".join(td.get_text(" ", strip=True).split()) for td in tr.find_all("td")]
            for tr in page.select("#audit-events tbody tr")]


def _sign_in_quietly(client, session, official) -> None:
    """A session opened directly, so the log holds only the events a test writes (signing in is audited)."""
    from app.services.accounts.sessions import start_session

    client.cookies.set("aptrain_session", start_session(session, official))
    session.commit()


def test_changes_read_in_words_with_before_and_after(client, session, org):
    requirement = make_requirement(session, name="Everyone", due_days=30)
    candidate = requirements.build(requirements.RequirementInput(
        name="Everyone", module_id=requirement.module_id, department_ids=[], unit_ids=[], audience="",
        at_risk_posting=False, due_rule="assignment", due_days=14, due_date=None, grace_days=30, validity_months=12,
        recertification_days=30, retake_on_major=True, active=True))
    requirements.save(session, Actor(org["central"].id, "Cleo Fox"), candidate, requirement, today())
    session.commit()
    _sign_in_quietly(client, session, org["central"])
    rows = _rows(client.get("/admin/audit").text)
    assert rows[0][1] == "Cleo Fox"
    assert rows[0][2] == "Requirement changed Requirement changed: Everyone"
    assert "Due days: 30 → 14" in rows[0][3] and "Valid for (months): none → 12" in rows[0][3]
    assert "Updated at" not in rows[0][3]
    assert not any("{" in cell or "requirement.update" in cell for row in rows for cell in row)


def test_filters_by_who_what_and_dates(client, session, org):
    from app.services.organisation.risk import AssessmentInput, set_assessment

    set_assessment(session, Actor(org["central"].id, "Cleo Fox"), AssessmentInput("SD", True, "EWP", "2025-26", today()), today())
    record(session, Actor(None, "import roster.csv"), "official.create", "official", org["learner"].id,
           after={"given_name": "Lars", "family_name": "Gray"})
    old = record(session, Actor(org["manager"].id, "Mara Achebe"), "posting.create", "posting", 1,
                 after={"official_id": org["in_team"].id, "country_code": "SD", "post": "Khartoum", "start_on": "2027-01-12"})
    old.at = utcnow() - timedelta(days=40)  # before it is written: the log is append-only (migration 0008)
    session.commit()
    _sign_in_quietly(client, session, org["central"])
    everything = _rows(client.get("/admin/audit").text)
    assert [row[1] for row in everything] == ["Mara Achebe", "import roster.csv", "Cleo Fox"]
    assert everything[0][2] == "Posting added Posting added for Tendai Banda: Khartoum, Sudan from 12 January 2027"
    assert everything[2][2] == "Country risk assessment recorded Sudan: EWP lists it as at risk"
    assert [r[1] for r in _rows(client.get("/admin/audit?who=cleo").text)] == ["Cleo Fox"]
    assert [r[1] for r in _rows(client.get("/admin/audit?who=import").text)] == ["import roster.csv"]
    assert [r[1] for r in _rows(client.get("/admin/audit?what=official.create").text)] == ["import roster.csv"]
    start = today() - timedelta(days=7)
    recent = client.get(f"/admin/audit?start-day={start.day}&start-month={start.month}&start-year={start.year}")
    assert [r[1] for r in _rows(recent.text)] == ["import roster.csv", "Cleo Fox"]
    end = today() - timedelta(days=30)
    older = client.get(f"/admin/audit?end-day={end.day}&end-month={end.month}&end-year={end.year}&who=%25")
    assert _rows(older.text) == [["No change matches these filters."]]  # '%' is a character, not a wildcard
    older = client.get(f"/admin/audit?end-day={end.day}&end-month={end.month}&end-year={end.year}")
    assert [r[1] for r in _rows(older.text)] == ["Mara Achebe"]
    bad = client.get("/admin/audit?start-day=31&start-month=2&start-year=2026")
    assert bad.status_code == 422
    assert "From date must be a real date" in check_page(bad.text).select_one(".govuk-error-summary").text
    chosen = check_page(client.get("/admin/audit?what=risk.assess&who=Cleo").text)
    assert chosen.select_one("#what option[selected]")["value"] == "risk.assess"
    assert chosen.select_one("#who")["value"] == "Cleo"


def test_pages_go_older_and_newer_keeping_the_filters(client, session, org):
    for n in range(120):
        record(session, Actor(org["central"].id, "Cleo Fox"), "api-token.create", "api_token", n, after={"name": f"Token {n}"})
    record(session, Actor(org["manager"].id, "Mara Achebe"), "api-token.create", "api_token", 999, after={"name": "Other"})
    session.commit()
    _sign_in_quietly(client, session, org["central"])
    seen = []
    url = "/admin/audit?who=Cleo"
    while url:
        page = check_page(client.get(url).text)
        seen += [r[2].rsplit(": ", 1)[1] for r in _rows(str(page))]
        older = page.select_one(".govuk-pagination__next a")
        if older is not None:
            assert parse_qs(urlsplit(older["href"]).query)["who"] == ["Cleo"]
        url = older["href"] if older is not None else None
    assert seen == [f"Token {n}" for n in reversed(range(120))]
    last = page
    assert not last.select_one(".govuk-pagination__next")
    newer = last.select_one(".govuk-pagination__prev a")
    assert newer is not None and newer.get_text(" ", strip=True).startswith("Newer changes")
    back = [r[2].rsplit(": ", 1)[1] for r in _rows(client.get(newer["href"]).text)]
    assert back == [f"Token {n}" for n in reversed(range(20, 70))]
    assert len(session.exec(select(AuditEvent)).all()) == 121
