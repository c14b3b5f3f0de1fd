"""After a change, the page says what happened (a GOV.UK success banner, shown once); risky changes are
confirmed first; history reads in words; the same extension twice is refused (issue 11, item 9)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import select

from app.clock import today
from app.models import Assignment, Extension
from app.services.organisation.assignments import recompute_officials
from app.web.flash import FLASH_COOKIE
from app.web.templating import govuk_date
from tests.conftest import check_page, hidden_fields
from tests.factories import PASSWORD, make_requirement


def banner(html: str) -> str | None:
    found = check_page(html).select_one(".govuk-notification-banner--success")
    return " ".join(found.get_text(" ", strip=True).split()) if found else None


def test_an_extension_is_confirmed_once_reads_in_words_and_cannot_be_granted_twice(client, session, org):
    make_requirement(session, name="Everyone", due_days=-5)
    recompute_officials(session, [org["in_team"].id], today() - timedelta(days=40))
    session.commit()
    mine = session.exec(select(Assignment).where(Assignment.official_id == org["in_team"].id)).one()
    client.sign_in(org["manager"].email, PASSWORD)
    url = f"/manage/officials/{org['in_team'].id}"
    html = client.get(url).text
    assert banner(html) is None
    fields = hidden_fields(html, f"/manage/assignments/{mine.id}/extensions")
    until = today() + timedelta(days=20)
    form = {**fields, "reason": "absence", "comment": "Sick leave", "until": until.isoformat(),
            "until-day": str(until.day), "until-month": str(until.month), "until-year": str(until.year)}
    assert client.post(f"/manage/assignments/{mine.id}/extensions", data=form).status_code == 303
    page = client.get(url)
    assert banner(page.text) == f"Success Extension granted to {govuk_date(until)}"
    history = [li.get_text(" ", strip=True) for li in check_page(page.text).select("h2 + ul.govuk-list li")]
    assert any(f"Extension granted to {govuk_date(until)}" in line and line.endswith("by Mara Achebe") for line in history), history
    assert not any("extension.grant" in line for line in history)
    assert banner(client.get(url).text) is None  # shown once
    # The same extension again (a double click, a resubmitted form): refused, nothing stored twice.
    again = client.post(f"/manage/assignments/{mine.id}/extensions", data=form)
    assert again.status_code == 422
    summary = check_page(again.text).select_one(".govuk-error-summary").get_text(" ", strip=True)
    assert f"An extension to {govuk_date(until)} has already been granted for this training" in summary
    assert len(session.exec(select(Extension)).all()) == 1
    assert sum("Extension granted" in li.text for li in check_page(client.get(url).text).select("h2 + ul.govuk-list li")) == 1


def test_a_flash_cookie_cannot_be_forged_or_carry_markup(client, org):
    client.sign_in(org["manager"].email, PASSWORD)
    client.cookies.set(FLASH_COOKIE, "eyJoIjoiPGI-SGFja2VkPC9iPiIsImIiOiIiLCJ0Ijo5OTk5OTk5OTk5fQ==.0000")
    response = client.get("/training")
    assert banner(response.text) is None
    assert "Hacked" not in response.text


def test_revoking_a_token_is_confirmed_first_then_reported(client, session, org):
    from app.models import ApiToken
    from app.services.accounts import api_tokens
    from app.services.audit import Actor

    token, _secret = api_tokens.create(session, Actor(None, "test"), "FCDO warehouse", everything=True)
    session.commit()
    client.sign_in(org["central"].email, PASSWORD)
    listing = check_page(client.get("/admin/api-tokens").text)
    assert not listing.select(f'form[action="/admin/api-tokens/{token.id}/revoke"]')  # no one-click revoke
    link = listing.select_one(f'a[href="/admin/api-tokens/{token.id}/revoke"]')
    assert link.get_text(" ", strip=True) == "Revoke FCDO warehouse"
    confirm = client.get(link["href"])
    page = check_page(confirm.text)
    assert page.h1.get_text(strip=True) == "Revoke the API token FCDO warehouse?"
    assert "cannot be undone" in page.text
    session.refresh(token)
    assert token.revoked_at is None  # looking at the question changes nothing
    response = client.post(link["href"], data=hidden_fields(confirm.text, link["href"]))
    assert response.status_code == 303 and response.headers["location"] == "/admin/api-tokens"
    assert banner(client.get("/admin/api-tokens").text) == (
        "Success API token revoked: FCDO warehouse Requests made with it are refused from now on.")
    session.expire_all()
    assert session.get(ApiToken, token.id).revoked_at is not None
    assert client.get(link["href"]).status_code == 404  # nothing left to revoke


def test_flagging_a_country_says_how_many_officials_first_then_reports_it(client, session, org):
    from app.models import Assignment, CountryRiskAssessment, Posting

    make_requirement(session, name="At-risk postings", at_risk_posting=True, due_rule="posting", due_days=-14)
    for person in ("in_team", "other_team", "mod_official"):
        session.add(Posting(official_id=org[person].id, country_code="SD", post="British Embassy Khartoum",
                            start_on=today() + timedelta(days=60)))
    session.add(Posting(official_id=org["learner"].id, country_code="SD", post="Khartoum", start_on=date(2020, 1, 1),
                        end_on=date(2021, 1, 1)))  # long over: not counted
    session.commit()
    client.sign_in(org["central"].email, PASSWORD)
    html = client.get("/admin/countries").text
    form = {**hidden_fields(html, "/admin/countries/assessments"), "country": "SD", "at_risk": "yes",
            "source": "Early Warning Project", "edition": "2025-26", "assessed_on": "2025-09-03",
            "assessed_on-day": "3", "assessed_on-month": "9", "assessed_on-year": "2025", "level": ""}
    confirm = client.post("/admin/countries/assessments", data=form)
    assert confirm.status_code == 200
    page = check_page(confirm.text)
    assert page.h1.get_text(strip=True) == "Flag Sudan as at risk?"
    assert page.select_one("#impact").get_text(" ", strip=True) == "This assigns training to 3 officials posted to Sudan now or in future."
    assert session.exec(select(CountryRiskAssessment)).first() is None and session.exec(select(Assignment)).first() is None
    done = client.post("/admin/countries/assessments", data=hidden_fields(confirm.text, "/admin/countries/assessments"))
    assert done.status_code == 303 and done.headers["location"] == "/admin/countries"
    assert banner(client.get("/admin/countries").text) == (
        "Success Sudan flagged as at risk Training assigned to 3 officials posted there, now or in future.")
    assert len(session.exec(select(Assignment)).all()) == 3


def test_saving_a_requirement_is_reported_with_its_name_escaped(client, session, org):
    client.sign_in(org["central"].email, PASSWORD)
    html = client.get("/manage/requirements/new").text
    form = {**hidden_fields(html, "/manage/requirements"), "name": "<b>Refresher</b>", "module_id": "checkpoint-visit",
            "at_risk_posting": "no", "due_rule": "assignment", "due_days": "60", "grace_days": "30",
            "validity_months": "", "recertification_days": "30", "retake_on_major": "yes", "active": "yes",
            "audience": "", "due_date": "", "action": "save"}
    assert client.post("/manage/requirements", data=form).status_code == 303
    response = client.get("/manage/requirements")
    assert banner(response.text) == ("Success Requirement created: <b>Refresher</b> "
                                     "Every official's assignments have been brought up to date.")
    assert "<b>Refresher</b>" not in response.text
