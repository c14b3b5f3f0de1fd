"""An official signs in through a real OpenID Connect provider (oidc-provider-mock) in Chromium, lands on their
training and signs out, at the provider too; the service's own pages are axe clean."""

from __future__ import annotations

import json
import os

import pytest
from playwright.sync_api import Browser, expect

from app.cli import upgrade_database
from app.db import make_engine, session_scope
from app.demo.accounts import seed_demo
from tests.browser.journey import assert_accessible
from tests.conftest import PG_URL, create_postgres_database, drop_postgres_database
from tests.live import live_server
from tests.oidc import CLIENT_ID, CLIENT_SECRET, mock_provider, set_user


@pytest.fixture(scope="module")
def sso_server(tmp_path_factory):
    """A server of its own whose demo officials (@example.gov.uk) sign in through the mock provider."""
    if PG_URL:
        database_url = create_postgres_database(PG_URL, f"sso{os.getpid()}")
    else:
        database_url = f"sqlite:///{tmp_path_factory.mktemp('sso') / 'sso.db'}"
    upgrade_database(database_url)
    engine = make_engine(database_url)
    with session_scope(engine) as session:
        seed_demo(session)
    engine.dispose()
    with mock_provider() as issuer:
        providers = [{"key": "demo-idp", "issuer": issuer, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                      "display_name": "Demo department", "domains": ["example.gov.uk"]}]
        env = {"APTRAIN_OIDC_PROVIDERS": json.dumps(providers), "AUTHLIB_INSECURE_TRANSPORT": "1"}
        with live_server(database_url, tmp_path_factory.mktemp("sso-server") / "server.log", **env) as server:
            yield server.base_url, issuer
    if PG_URL:
        drop_postgres_database(PG_URL, database_url)


def test_an_official_signs_in_with_their_department_account_and_signs_out(browser: Browser, sso_server):
    base_url, issuer = sso_server
    set_user(issuer, "learner-at-idp", email="learner@example.gov.uk", email_verified=True)
    context = browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto("/sign-in")
    assert_accessible(page)
    expect(page.get_by_role("link", name="Sign in with a password")).to_be_visible()  # the break-glass way
    page.get_by_label("Email address").fill("Learner@example.gov.uk")
    page.get_by_role("button", name="Continue").click()

    # The provider's own sign-in page (the mock asks for the subject to sign in as).
    assert page.url.startswith(issuer + "/oauth2/authorize")
    page.locator("input[name=sub]").fill("learner-at-idp")
    page.get_by_role("button", name="Authorize").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Your training")
    assert page.url == base_url + "/training"
    assert_accessible(page)

    page.get_by_role("button", name="Sign out").click()
    assert page.url.startswith(issuer + "/oauth2/end_session")  # the provider's session ends too
    page.get_by_role("button", name="End session").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    expect(page.locator(".govuk-notification-banner")).to_contain_text("You have signed out.")
    page.goto("/training")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")  # the session is over here
    context.close()


def test_an_email_the_roster_does_not_know_sees_who_to_contact(browser: Browser, sso_server):
    base_url, issuer = sso_server
    set_user(issuer, "stranger-at-idp", email="stranger@example.gov.uk", email_verified=True)
    context = browser.new_context(base_url=base_url, viewport={"width": 375, "height": 800})
    page = context.new_page()
    page.goto("/sign-in")
    page.get_by_label("Email address").fill("stranger@example.gov.uk")
    page.get_by_role("button", name="Continue").click()
    page.locator("input[name=sub]").fill("stranger-at-idp")
    page.get_by_role("button", name="Authorize").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your email address is not on the training roster")
    expect(page.locator("#contact-details")).to_contain_text("@")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert_accessible(page)
    context.close()
