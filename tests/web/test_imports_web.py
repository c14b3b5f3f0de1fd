"""Web upload of imports: one form per kind of file, a check that holds the file server-side, then an import of
the held file by its key (no second upload), for its admin only, once, within the hold time."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from sqlmodel import func, select

from app.clock import utcnow
from app.models import AuditEvent, CountryRiskAssessment, Official
from tests.conftest import check_page
from tests.factories import PASSWORD, make_department, make_official

GOOD = "email,given_name,family_name,department,unit\nsiobhan@example.gov.uk,Siobhán,O'Brien,FCDO,Africa Directorate / Sudan Team\n"
BAD = GOOD + "nguyen@example.gov.uk,Nguyễn,Thảo,NOPE,Somewhere\n"
RISK = "country,at_risk,level\nSudan,yes,high\n"


@pytest.fixture(autouse=True)
def hold_dir(app, tmp_path):
    app.state.settings.import_hold_dir = tmp_path / "held"
    return tmp_path / "held"


def _token(client) -> str:
    return client.csrf_token("/admin/imports")


def check(client, content: str, kind: str = "roster", **fields):
    data = {"csrf_token": _token(client), **fields}
    return client.post(f"/admin/imports/{kind}", data=data, files={"file": (f"{kind}.csv", content.encode(), "text/csv")})


def confirm(client, key: str):
    return client.post("/admin/imports/confirm", data={"csrf_token": _token(client), "key": key})


def held_key(response) -> str:
    form = check_page(response.text).find("form", action="/admin/imports/confirm")
    assert form is not None and form.find("input", {"type": "file"}) is None  # no file to choose again
    return form.find("input", {"name": "key"})["value"]


def signed_in_admin(client, session):
    admin = make_official(session, roles="learner central-admin")
    client.sign_in(admin.email, PASSWORD)
    return admin


def siobhan(session):
    session.expire_all()
    return session.exec(select(Official).where(Official.email == "siobhan@example.gov.uk")).first()


def audit_events(session) -> int:
    return session.exec(select(func.count()).select_from(AuditEvent)).one()


def test_one_form_per_kind_of_import(client, session):
    signed_in_admin(client, session)
    page = check_page(client.get("/admin/imports").text)
    forms = {f["action"]: f for f in page.select("main form")}
    assert set(forms) == {"/admin/imports/roster", "/admin/imports/risk"}
    roster, risk = forms["/admin/imports/roster"], forms["/admin/imports/risk"]
    assert roster.find(id="roster-file") and roster.find(id="full") and not roster.find(id="source")
    assert risk.find(id="risk-file") and risk.find(id="source") and risk.find(id="top") and not risk.find(id="full")
    assert not page.find(attrs={"name": "kind"})  # no "what does the file contain?" switch any more


def test_check_then_import_by_key_without_choosing_the_file_again(client, session, hold_dir):
    make_department(session, "FCDO")
    admin = signed_in_admin(client, session)
    checked = check(client, GOOD)
    assert checked.status_code == 200
    page = check_page(checked.text)
    assert "Importing it would add" in page.text and "Held until" in page.text
    assert siobhan(session) is None
    key = held_key(checked)
    assert key == hashlib.sha256(GOOD.encode()).hexdigest()
    assert (hold_dir / str(admin.id) / f"{key}.csv").read_bytes() == GOOD.encode()
    applied = confirm(client, key)  # the key alone: no file in this request
    assert applied.status_code == 200 and "Import complete" in applied.text
    assert siobhan(session).given_name == "Siobhán"
    events = session.exec(select(AuditEvent).where(AuditEvent.actor_id == admin.id,
                                                    AuditEvent.action != "sign-in.success")).all()  # signing in is audited too
    assert events and all("import roster.csv" in e.actor_label for e in events)
    assert not (hold_dir / str(admin.id) / f"{key}.csv").exists()  # the held bytes are gone once imported


def test_a_second_confirm_of_the_same_key_imports_nothing_more(client, session):
    make_department(session, "FCDO")
    signed_in_admin(client, session)
    key = held_key(check(client, GOOD))
    assert "Import complete" in confirm(client, key).text
    events = audit_events(session)
    again = confirm(client, key)  # a double click, or the form sent twice
    assert again.status_code == 200
    assert "roster.csv has already been imported" in again.text and "Nothing was imported again" in again.text
    assert audit_events(session) == events
    assert session.exec(select(func.count()).select_from(Official).where(Official.email == "siobhan@example.gov.uk")).one() == 1


def test_another_admins_key_is_refused(client, session):
    make_department(session, "FCDO")
    signed_in_admin(client, session)
    key = held_key(check(client, GOOD))
    client.client.cookies.clear()
    signed_in_admin(client, session)
    refused = confirm(client, key)
    assert refused.status_code == 409
    assert "Another admin checked this file" in check_page(refused.text).select_one(".govuk-error-summary").text
    assert siobhan(session) is None


def test_an_expired_key_says_so_and_imports_nothing(client, session, monkeypatch):
    make_department(session, "FCDO")
    signed_in_admin(client, session)
    key = held_key(check(client, GOOD))
    later = utcnow() + timedelta(minutes=31)
    monkeypatch.setattr("app.web.imports.utcnow", lambda: later)
    expired = confirm(client, key)
    assert expired.status_code == 409
    message = check_page(expired.text).select_one(".govuk-error-summary").get_text(" ", strip=True)
    assert "held for 30 minutes and has expired" in message and "check it again" in message
    assert siobhan(session) is None
    assert confirm(client, "0" * 64).status_code == 409  # a key never held
    assert "no checked file" in confirm(client, "../../etc/passwd").text


def test_the_held_file_is_checked_again_when_imported(client, session):
    department = make_department(session, "FCDO")
    make_department(session, "MOD")
    signed_in_admin(client, session)
    key = held_key(check(client, GOOD))
    department.code = "FCDO-OLD"  # something the file relies on changes between the check and the import
    department.name = "Old name"
    session.add(department)
    session.commit()
    response = confirm(client, key)
    assert response.status_code == 422
    page = check_page(response.text)
    assert "Something changed since the file was checked" in page.text and re.search(r"Line 2: unknown department", page.text)
    assert siobhan(session) is None
    assert confirm(client, key).status_code == 409  # dropped: it must be checked again


def test_a_risk_list_is_checked_then_imported_by_key(client, session):
    signed_in_admin(client, session)
    checked = check(client, RISK, kind="risk", source="Test watch list", top="30",
                    **{"assessed_on-day": "3", "assessed_on-month": "9", "assessed_on-year": "2025"})
    assert checked.status_code == 200, checked.text
    assert "Test watch list" in check_page(checked.text).select_one(".govuk-summary-list").text
    applied = confirm(client, held_key(checked))
    assert "Import complete" in applied.text
    session.expire_all()
    assessment = session.exec(select(CountryRiskAssessment).where(CountryRiskAssessment.country_code == "SD")).one()
    assert (assessment.source, str(assessment.assessed_on)) == ("Test watch list", "2025-09-03")


def test_a_bad_row_is_reported_with_its_line_nothing_changes_and_nothing_is_held(client, session, hold_dir):
    make_department(session, "FCDO")
    signed_in_admin(client, session)
    response = check(client, BAD)
    assert response.status_code == 422
    page = check_page(response.text)
    assert re.search(r"Line 3: .*NOPE", page.text)
    assert page.find("form", action="/admin/imports/confirm") is None
    assert not list(hold_dir.glob("*/*.csv"))
    assert session.exec(select(Official).where(Official.email.like("%nguyen%"))).first() is None


def test_missing_file_and_other_roles(client, session):
    signed_in_admin(client, session)
    response = client.post("/admin/imports/risk", data={"csrf_token": _token(client), "top": "x"})
    assert response.status_code == 422
    links = {a["href"] for a in check_page(response.text).select(".govuk-error-summary a")}
    assert links == {"#risk-file", "#source", "#top"}
    response = client.post("/admin/imports/roster", data={"csrf_token": _token(client)})
    assert response.status_code == 422
    assert {a["href"] for a in check_page(response.text).select(".govuk-error-summary a")} == {"#roster-file"}
    client.client.cookies.clear()
    manager = make_official(session, roles="learner manager")
    client.sign_in(manager.email, PASSWORD)
    assert client.get("/admin/imports").status_code == 403
    assert client.post("/admin/imports/confirm", data={"csrf_token": _token(client), "key": "0" * 64}).status_code == 403
