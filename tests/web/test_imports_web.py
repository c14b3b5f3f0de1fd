"""Web upload of imports: the same services as the CLI, a check first, then the import of the same file."""

from __future__ import annotations

import re

from sqlmodel import select

from app.models import AuditEvent, Official
from tests.conftest import check_page
from tests.factories import PASSWORD, make_department, make_official

GOOD = "email,given_name,family_name,department,unit\nsiobhan@example.gov.uk,Siobhán,O'Brien,FCDO,Africa Directorate / Sudan Team\n"
BAD = GOOD + "nguyen@example.gov.uk,Nguyễn,Thảo,NOPE,Somewhere\n"


def _token(client) -> str:
    return client.csrf_token("/admin/imports")


def upload(client, content: str, **fields):
    data = {"csrf_token": _token(client), "kind": "roster", **fields}
    return client.post("/admin/imports", data=data, files={"file": ("roster.csv", content.encode(), "text/csv")})


def test_check_then_import_the_same_file(client, session):
    make_department(session, "FCDO")
    admin = make_official(session, roles="learner central-admin")
    client.sign_in(admin.email, PASSWORD)
    checked = upload(client, GOOD, action="check")
    assert checked.status_code == 200
    page = check_page(checked.text)
    assert "Importing it would add" in page.text
    assert session.exec(select(Official).where(Official.email == "siobhan@example.gov.uk")).first() is None
    sha = page.find("input", {"name": "checked_sha"})["value"]
    different = upload(client, GOOD.replace("Siobhán", "Siobhan"), action="apply", checked_sha=sha)
    assert different.status_code == 422 and "Choose the same file you checked" in different.text
    applied = upload(client, GOOD, action="apply", checked_sha=sha)
    assert applied.status_code == 200 and "Import complete" in applied.text
    official = session.exec(select(Official).where(Official.email == "siobhan@example.gov.uk")).one()
    assert official.given_name == "Siobhán"
    events = session.exec(select(AuditEvent).where(AuditEvent.actor_id == admin.id)).all()
    assert events and all("import roster.csv" in e.actor_label for e in events)


def test_a_bad_row_is_reported_with_its_line_and_nothing_changes(client, session):
    make_department(session, "FCDO")
    admin = make_official(session, roles="learner central-admin")
    client.sign_in(admin.email, PASSWORD)
    response = upload(client, BAD, action="check")
    assert response.status_code == 422
    assert re.search(r"Line 3: .*NOPE", check_page(response.text).text)
    assert session.exec(select(Official).where(Official.email.like("%nguyen%"))).first() is None


def test_missing_file_and_other_roles(client, session):
    admin = make_official(session, roles="learner central-admin")
    client.sign_in(admin.email, PASSWORD)
    response = client.post("/admin/imports", data={"csrf_token": _token(client), "kind": "risk", "action": "check", "top": "x"})
    assert response.status_code == 422
    links = {a["href"] for a in check_page(response.text).select(".govuk-error-summary a")}
    assert {"#file", "#source", "#top"} <= links
    client.client.cookies.clear()
    manager = make_official(session, roles="learner manager")
    client.sign_in(manager.email, PASSWORD)
    assert client.get("/admin/imports").status_code == 403
