"""Help, privacy and cookies pages anyone can read, linked from every page's footer, with the contact details
the settings give; the cookies page names every cookie the service sets (issue 11, item 17)."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlmodel import select

from app.clock import today
from app.models import Assignment
from app.services.organisation.assignments import recompute_officials
from tests.conftest import HtmlClient, check_page, hidden_fields, make_settings
from tests.factories import PASSWORD, make_requirement

PAGES = {"/help": "Get help with Atrocity Prevention Training", "/privacy": "Privacy notice", "/cookies": "Cookies"}


def test_the_pages_are_public_and_linked_from_every_footer(client, org):
    for url, heading in PAGES.items():
        response = client.get(url)
        assert response.status_code == 200, url
        assert check_page(response.text).h1.get_text(strip=True) == heading
    for who in (None, "learner"):
        if who:
            client.sign_in(org[who].email, PASSWORD)
        footer = check_page(client.get("/sign-in" if who is None else "/training").text).select_one("footer")
        links = {a.get_text(strip=True): a["href"] for a in footer.select("a")}
        assert links == {"Help": "/help", "Privacy": "/privacy", "Cookies": "/cookies",
                         "Accessibility statement": "/accessibility"}


def test_contact_details_come_from_the_settings(database_url, test_library):
    from app.main import create_app

    settings = make_settings(database_url, contact_team="the FCDO Atrocity Prevention Hub",
                             contact_email="aph@fcdo.example.gov.uk", contact_phone="020 7008 5000",
                             data_controller="the Foreign, Commonwealth and Development Office",
                             privacy_email="dpo@fcdo.example.gov.uk")
    app = create_app(settings, library=test_library)
    with TestClient(app) as raw:
        client = HtmlClient(raw)
        for url in ("/help", "/accessibility", "/privacy"):
            page = check_page(client.get(url).text)
            details = page.select_one("#contact-details").get_text(" ", strip=True)
            assert "aph@fcdo.example.gov.uk" in details and "020 7008 5000" in details, url
            assert "the FCDO Atrocity Prevention Hub" in page.text, url
        privacy = check_page(client.get("/privacy").text)
        assert "dpo@fcdo.example.gov.uk" in privacy.select_one("#privacy-contact").text
        assert "The data controller is the Foreign, Commonwealth and Development Office" in privacy.text
    app.state.engine.dispose()


def test_the_cookies_page_names_every_cookie_the_service_sets(client, session, org):
    """Sign in and make a change that confirms itself on the next page, collecting each Set-Cookie on the way."""
    make_requirement(session, due_days=-5)
    recompute_officials(session, [org["in_team"].id], today() - timedelta(days=40))
    session.commit()
    assignment = session.exec(select(Assignment)).one()
    seen: set[str] = set()

    def note(response):
        seen.update(header.split("=", 1)[0] for header in response.headers.get_list("set-cookie"))
        return response

    note(client.get("/sign-in"))
    token = client.csrf_token()
    note(client.post("/sign-in", data={"email": org["manager"].email, "password": PASSWORD, "csrf_token": token}))
    url = f"/manage/officials/{org['in_team'].id}"
    fields = hidden_fields(note(client.get(url)).text, f"/manage/assignments/{assignment.id}/extensions")
    until = today() + timedelta(days=20)
    note(client.post(f"/manage/assignments/{assignment.id}/extensions", data={
        **fields, "reason": "absence", "comment": "Sick leave", "until": until.isoformat(),
        "until-day": str(until.day), "until-month": str(until.month), "until-year": str(until.year)}))
    note(client.get(url))
    assert {"aptrain_session", "aptrain_csrf", "aptrain_flash"} <= seen
    page = check_page(client.get("/cookies").text)
    listed = {code.get_text(strip=True) for code in page.select("#cookies tbody th code")}
    assert seen <= listed, f"set but not on the cookies page: {seen - listed}"
    assert "12 hours after you signed in" in page.select_one("#cookies").text
