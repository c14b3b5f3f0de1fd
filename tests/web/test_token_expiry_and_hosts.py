"""API tokens expire, and say so before they do; the API's links come from the configured base URL, never the Host
header; requests naming another host are refused; production cookies carry the __Host- prefix (issue 12, gap 8)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from sqlmodel import select

from app.clock import utcnow
from app.models import ApiToken
from app.services.accounts import api_tokens
from app.services.audit import Actor
from tests.conftest import HtmlClient, check_page, make_settings
from tests.factories import PASSWORD


def token_made(session, name: str, *, days_ago: int, days: int = 365) -> str:
    """A token for everything, made `days_ago` days ago to work for `days` days."""
    _row, secret = api_tokens.create(session, Actor(None, "test"), name, everything=True, days=days,
                                     now=utcnow() - timedelta(days=days_ago))
    session.commit()
    return secret


def bearer(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


def test_an_expired_token_is_refused_with_a_clear_json_error(client, session, populated_org):
    secret = token_made(session, "Old warehouse", days_ago=366)
    response = client.get("/api/v1/compliance/summary", headers=bearer(secret))
    assert response.status_code == 401
    assert "expired on" in response.json()["detail"] and "ask a central admin for a new one" in response.json()["detail"]
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


def test_answers_say_when_the_token_expires_and_warn_in_its_last_30_days(client, session, populated_org):
    fresh = token_made(session, "Fresh", days_ago=0)
    response = client.get("/api/v1/compliance/summary", headers=bearer(fresh))
    assert response.status_code == 200
    expires = session.exec(select(ApiToken).where(ApiToken.name == "Fresh")).one().expires_at
    assert response.headers["API-Token-Expires"] == expires.isoformat(timespec="seconds").replace("+00:00", "Z")
    assert "API-Token-Warning" not in response.headers
    ending = token_made(session, "Ending", days_ago=350)  # 15 days left
    response = client.get("/api/v1/assignments?limit=1", headers=bearer(ending))
    assert response.status_code == 200
    assert response.headers["API-Token-Warning"].startswith("This API token expires on ")


def test_the_tokens_page_shows_each_expiry_and_warns_near_the_end(client, session, org):
    token_made(session, "Fresh warehouse", days_ago=0)
    token_made(session, "Ending warehouse", days_ago=350)
    token_made(session, "Old warehouse", days_ago=400)
    client.sign_in(org["central"].email, PASSWORD)
    page = check_page(client.get("/admin/api-tokens").text)
    headers = [th.text.strip() for th in page.select("#tokens thead th")]
    assert "Expires" in headers
    column = headers.index("Expires")
    rows = {tr.th.text.strip(): tr.find_all(["th", "td"])[column].text for tr in page.select("#tokens tbody tr")}
    in_a_year = utcnow() + timedelta(days=365)
    assert f"{in_a_year.day} {in_a_year:%b %Y}" in rows["Fresh warehouse"]
    assert "Expires soon" not in rows["Fresh warehouse"] and "Expired" not in rows["Fresh warehouse"]
    assert "Expires soon" in rows["Ending warehouse"]
    assert "Expired" in rows["Old warehouse"]


def test_an_admin_chooses_a_shorter_life_but_not_a_longer_one(client, session, org):
    client.sign_in(org["central"].email, PASSWORD)

    def create(days: str):
        page = BeautifulSoup(client.get("/admin/api-tokens").text, "html5lib")
        token = page.find("form", {"action": "/admin/api-tokens"}).find("input", {"name": "csrf_token"})["value"]
        return client.post("/admin/api-tokens", data={"csrf_token": token, "name": f"{days} days", "scope": "all",
                                                      "days": days})

    page = check_page(client.get("/admin/api-tokens").text)
    choices = [radio["value"] for radio in page.select("input[name=days]")]
    assert choices == ["365", "180", "90", "30"] and page.select_one("input[name=days][checked]")["value"] == "365"
    response = create("30")
    assert response.status_code == 201 and "It works until" in response.text
    made = session.exec(select(ApiToken).where(ApiToken.name == "30 days")).one()
    assert timedelta(days=29, hours=23) < made.expires_at - utcnow() <= timedelta(days=30)
    refused = create("3650")
    assert refused.status_code == 422 and "Select how long the token will work" in refused.text


def test_a_request_naming_an_unknown_host_is_refused(client):
    assert client.get("/sign-in", headers={"Host": "evil.example.com"}).status_code == 400
    assert client.get("/api/v1/openapi.json", headers={"Host": "evil.example.com"}).status_code == 400
    assert client.get("/sign-in", headers={"Host": "localhost:8000"}).status_code == 200  # development and test


@pytest.fixture
def based_app(database_url, test_library):
    from app.main import create_app

    settings = make_settings(database_url, base_url="https://training.example.gov.uk",
                             allowed_hosts="training.example.gov.uk,internal.example.gov.uk")
    application = create_app(settings, library=test_library)
    yield application
    application.state.engine.dispose()


def test_the_api_next_link_uses_the_base_url_whatever_host_was_sent(based_app, session, populated_org):
    secret = token_made(session, "BI", days_ago=0)
    with TestClient(based_app, base_url="http://internal.example.gov.uk") as raw:
        response = raw.get("/api/v1/assignments?limit=1", headers=bearer(secret))
        assert response.status_code == 200
        following = response.json()["next"]
        assert following.startswith("https://training.example.gov.uk/api/v1/assignments?")
        assert "internal" not in following and "page%5Bcursor%5D=" in following
        assert raw.get("/sign-in", headers={"Host": "elsewhere.example.gov.uk"}).status_code == 400


def test_production_cookies_are_host_prefixed_and_secure(database_url, test_library, session, org):
    from app.main import create_app

    settings = make_settings(database_url, environment="production", base_url="https://training.example.gov.uk")
    assert settings.trusted_hosts == ["training.example.gov.uk"]  # no localhost in production
    application = create_app(settings, library=test_library)
    try:
        with TestClient(application, base_url="https://training.example.gov.uk", follow_redirects=False) as raw:
            client = HtmlClient(raw)
            first = client.get("/sign-in")
            assert first.status_code == 200
            set_cookie = first.headers["set-cookie"]
            assert set_cookie.startswith("__Host-aptrain_csrf=") and "Secure" in set_cookie and "Path=/" in set_cookie
            assert "domain" not in set_cookie.lower()
            client.sign_in(org["central"].email, PASSWORD)
            assert raw.cookies.get("__Host-aptrain_session") and raw.cookies.get("aptrain_session") is None
            assert client.get("/admin/api-tokens").status_code == 200  # the prefixed session cookie is the one read
            cookies_page = check_page(client.get("/cookies").text).text
            assert "__Host-aptrain_session" in cookies_page and "__Host-aptrain_flash" in cookies_page
            # A flash message travels in __Host-aptrain_flash, and is deleted with Secure (or the browser ignores it).
            _row, _secret = api_tokens.create(session, Actor(None, "test"), "To revoke", everything=True)
            session.commit()
            token = BeautifulSoup(client.get("/admin/api-tokens").text, "html5lib").find(
                "input", {"name": "csrf_token"})["value"]
            revoked = client.post(f"/admin/api-tokens/{_row.id}/revoke", data={"csrf_token": token})
            assert revoked.status_code == 303
            flash_cookie = revoked.headers["set-cookie"]
            assert flash_cookie.startswith("__Host-aptrain_flash=") and "Secure" in flash_cookie
            shown = client.get("/admin/api-tokens")
            assert "API token revoked" in shown.text
            assert shown.headers["set-cookie"].startswith("__Host-aptrain_flash=") and "Secure" in shown.headers["set-cookie"]
    finally:
        application.state.engine.dispose()
