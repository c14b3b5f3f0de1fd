"""A central admin flags a country; officials posted there see the module as required, with due date and reason."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from app.clock import today
from app.models import AuditEvent, CountryRiskAssessment, DueRule, Role
from tests.conftest import check_page, hidden_fields
from tests.factories import PASSWORD, make_official, make_posting, make_requirement


def test_flagging_a_country_makes_training_required_for_officials_posted_there(client, session):
    make_requirement(session, name="Pre-deployment", at_risk_posting=True, due_rule=DueRule.POSTING.value, due_days=-14)
    learner = make_official(session, email="posted@example.gov.uk")
    make_posting(session, learner, "SS", today() + timedelta(days=60), post="British Embassy Juba")
    admin = make_official(session, roles=f"{Role.LEARNER.value} {Role.CENTRAL_ADMIN.value}")

    client.sign_in(learner.email, PASSWORD)
    page = check_page(client.get("/training").text)
    assert "Required training" not in page.text
    client.client.cookies.clear()

    client.sign_in(admin.email, PASSWORD)
    html = client.get("/admin/countries").text
    check_page(html)
    fields = hidden_fields(html, "/admin/countries/assessments")
    confirm = client.post(
        "/admin/countries/assessments",
        data={**fields, "country": "SS", "at_risk": "yes", "source": "Early Warning Project Statistical Risk Assessment",
              "edition": "2025-26", "assessed_on-day": "3", "assessed_on-month": "9", "assessed_on-year": "2025", "level": "rank 2 of 168"},
    )
    assert confirm.status_code == 200  # flagging assigns training to many: the admin confirms first
    response = client.post("/admin/countries/assessments", data=hidden_fields(confirm.text, "/admin/countries/assessments"))
    assert response.status_code == 303
    listing = check_page(client.get("/admin/countries").text)
    assert "South Sudan" in listing.select_one("#at-risk").text
    assert "Early Warning Project" in listing.select_one("#at-risk").text
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "risk.assess")).one().actor_id == admin.id
    client.client.cookies.clear()

    client.sign_in(learner.email, PASSWORD)
    page = check_page(client.get("/training").text)
    required = page.find("caption", string="Required training").find_parent("table")
    row = required.select_one("tbody tr")
    assert "A visit to the checkpoint" in row.text
    assert (today() + timedelta(days=46)).strftime("%-d %B %Y") in row.text
    assert "will be posted to South Sudan" in row.text and "2025-26" in row.text and "Not started" in row.text


def test_flag_form_errors_are_reported_and_nothing_is_saved(client, session):
    admin = make_official(session, roles="learner central-admin")
    client.sign_in(admin.email, PASSWORD)
    fields = hidden_fields(client.get("/admin/countries").text, "/admin/countries/assessments")
    response = client.post("/admin/countries/assessments", data={**fields, "country": "XX", "at_risk": "", "source": "", "assessed_on-day": "31", "assessed_on-month": "2", "assessed_on-year": "2025"})
    assert response.status_code == 422
    page = check_page(response.text)
    links = {a["href"] for a in page.select(".govuk-error-summary a")}
    assert {"#country", "#at_risk", "#source", "#assessed_on-day"} <= links
    assert "Date of the assessment must be a real date" in page.select_one("#assessed_on-error").text
    assert session.exec(select(CountryRiskAssessment)).first() is None


def test_only_central_admins_may_flag_countries(client, session):
    learner = make_official(session)
    client.sign_in(learner.email, PASSWORD)
    assert client.get("/admin/countries").status_code == 403
    token = client.csrf_token("/training")
    response = client.post("/admin/countries/assessments", data={"csrf_token": token, "country": "SS", "at_risk": "yes", "source": "x", "assessed_on-day": "1", "assessed_on-month": "1", "assessed_on-year": "2025"})
    assert response.status_code == 403
    assert session.exec(select(CountryRiskAssessment)).first() is None


def test_audit_log_is_for_central_admins(client, session):
    admin = make_official(session, roles="learner central-admin")
    client.sign_in(admin.email, PASSWORD)
    page = check_page(client.get("/admin/audit").text)
    assert page.h1.text.strip() == "Audit log"
