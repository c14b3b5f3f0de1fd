"""Single sign-on against real OpenID Connect providers over HTTP: oidc-provider-mock for the flow, and a
token server of our own for ID tokens a sound provider never issues. Every failure gives a clear page and
writes no session and no identity link."""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from app.config import OidcProvider
from app.models import AuditEvent, Official, OfficialIdentity, UserSession
from app.services.accounts import oidc
from tests.conftest import check_page, make_settings
from tests.factories import make_department, make_official
from tests.oidc import (
    TokenServer,
    log_in_at_provider,
    mock_provider,
    path_and_query,
    provider_settings,
    query,
    set_user,
)


@pytest.fixture(scope="module")
def issuer():
    with mock_provider() as url:
        yield url


@pytest.fixture
def settings(database_url, issuer):
    oidc.clear_cache()
    return make_settings(database_url, oidc_providers=[provider_settings(issuer)])


def start(client, email: str, next_path: str = "/training") -> str:
    """The email step: the provider's authorize URL the service sends the browser to."""
    token = client.csrf_token()
    response = client.post("/sign-in", data={"email": email, "csrf_token": token, "next": next_path})
    assert response.status_code == 303, response.text
    return response.headers["location"]


def sign_in_via(client, email: str, sub: str, next_path: str = "/training"):
    authorize = start(client, email, next_path)
    return client.get(path_and_query(log_in_at_provider(authorize, sub)))


def nothing_written(session) -> bool:
    session.expire_all()
    return session.exec(select(UserSession)).first() is None and session.exec(select(OfficialIdentity)).first() is None


def failures(session) -> list[dict]:
    session.expire_all()
    events = session.exec(select(AuditEvent).where(AuditEvent.action == "sign-in.failure")).all()
    return [json.loads(e.after) for e in events]


def test_an_official_signs_in_through_their_provider_and_is_linked_by_subject(client, session, issuer):
    official = make_official(session, email="ada.lovelace@example.gov.uk", roles="learner manager")
    set_user(issuer, "sub-ada", email="Ada.Lovelace@example.gov.uk", email_verified=True, roles=["central-admin"])
    authorize = start(client, "ADA.LOVELACE@example.gov.uk", "/modules/checkpoint-visit")
    params = query(authorize)
    assert authorize.startswith(issuer + "/oauth2/authorize")
    assert params["code_challenge_method"] == "S256" and len(params["code_challenge"]) >= 43
    assert params["state"] and params["nonce"] and params["scope"] == "openid email profile"
    assert params["redirect_uri"] == "http://testserver/sign-in/sso/test/callback"
    assert "code_verifier" not in authorize
    cookie = client.cookies.get("aptrain_sso")
    assert cookie and params["nonce"] not in cookie.split(".")[1]  # signed, and not readable as a MAC

    response = client.get(path_and_query(log_in_at_provider(authorize, "sub-ada")))
    assert response.status_code == 303 and response.headers["location"] == "/modules/checkpoint-visit"
    assert client.get("/training").status_code == 200
    session.expire_all()
    identity = session.exec(select(OfficialIdentity)).one()
    assert (identity.provider, identity.subject, identity.official_id) == ("test", "sub-ada", official.id)
    stored = session.exec(select(UserSession)).one()
    assert stored.sso_provider == "test" and stored.id_token
    assert session.get(Official, official.id).roles == "learner manager"  # roles never come from claims
    assert client.get("/admin/audit").status_code == 403
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "sign-in.success")).one()
    assert json.loads(event.after)["method"] == "single sign-on (test)" and event.actor_id == official.id


def test_a_changed_email_at_the_provider_still_finds_the_same_official(client, session, issuer):
    official = make_official(session, email="grace@example.gov.uk")
    set_user(issuer, "sub-grace", email="grace@example.gov.uk", email_verified=True)
    assert sign_in_via(client, "grace@example.gov.uk", "sub-grace").status_code == 303
    client.post("/sign-out", data={"csrf_token": client.csrf_token("/training")})
    set_user(issuer, "sub-grace", email="grace.hopper@example.gov.uk", email_verified=True)
    response = sign_in_via(client, "grace.hopper@example.gov.uk", "sub-grace")
    assert response.status_code == 303 and response.headers["location"] == "/training"
    session.expire_all()
    assert session.exec(select(Official)).all() == [session.get(Official, official.id)]  # nobody new
    assert len(session.exec(select(OfficialIdentity)).all()) == 1


def test_wrong_state_is_refused(client, session, issuer):
    make_official(session, email="state@example.gov.uk")
    set_user(issuer, "sub-state", email="state@example.gov.uk", email_verified=True)
    callback = log_in_at_provider(start(client, "state@example.gov.uk"), "sub-state")
    forged = callback.replace("state=", "state=forged")
    response = client.get(path_and_query(forged))
    assert response.status_code == 400
    assert check_page(response.text).h1.text.strip() == "Sign-in did not work"
    assert nothing_written(session)
    assert "state" in failures(session)[0]["reason"]
    # Without the browser's flow cookie (another browser), the genuine callback is refused too.
    client.cookies.delete("aptrain_sso")
    assert client.get(path_and_query(callback)).status_code == 400
    assert nothing_written(session)


def test_a_replayed_code_is_refused(client, session, issuer):
    make_official(session, email="replay@example.gov.uk")
    set_user(issuer, "sub-replay", email="replay@example.gov.uk", email_verified=True)
    callback = log_in_at_provider(start(client, "replay@example.gov.uk"), "sub-replay")
    flow_cookie = client.cookies.get("aptrain_sso")
    assert client.get(path_and_query(callback)).status_code == 303
    client.cookies.clear()
    client.cookies.set("aptrain_sso", flow_cookie)  # even with the flow cookie kept back, the code is spent
    response = client.get(path_and_query(callback))
    assert response.status_code == 400
    session.expire_all()
    assert len(session.exec(select(UserSession)).all()) == 1
    assert "invalid_grant" in failures(session)[0]["reason"]


def test_a_token_for_another_nonce_is_refused(client, session, issuer):
    make_official(session, email="nonce@example.gov.uk")
    set_user(issuer, "sub-nonce", email="nonce@example.gov.uk", email_verified=True)
    authorize = start(client, "nonce@example.gov.uk")
    swapped = authorize.replace("nonce=" + query(authorize)["nonce"], "nonce=someone-elses-nonce")
    response = client.get(path_and_query(log_in_at_provider(swapped, "sub-nonce")))
    assert response.status_code == 400
    assert nothing_written(session)
    assert "nonce" in failures(session)[0]["reason"]


def test_an_unverified_email_is_refused(client, session, issuer):
    make_official(session, email="unverified@example.gov.uk")
    set_user(issuer, "sub-unverified", email="unverified@example.gov.uk", email_verified=False)
    response = sign_in_via(client, "unverified@example.gov.uk", "sub-unverified")
    assert response.status_code == 403
    assert check_page(response.text).h1.text.strip() == "We could not confirm your email address"
    assert nothing_written(session)
    assert failures(session)[0]["reason"] == "email not verified by the provider"


def test_an_email_outside_the_providers_domains_is_refused(client, session, issuer):
    make_official(session, email="outsider@elsewhere.example.org")
    set_user(issuer, "sub-outsider", email="outsider@elsewhere.example.org", email_verified=True)
    response = sign_in_via(client, "someone@example.gov.uk", "sub-outsider")
    assert response.status_code == 403
    assert nothing_written(session)


def test_an_email_the_roster_does_not_know_gets_a_page_saying_who_to_contact(client, session, issuer):
    set_user(issuer, "sub-stranger", email="stranger@example.gov.uk", email_verified=True)
    response = sign_in_via(client, "stranger@example.gov.uk", "sub-stranger")
    assert response.status_code == 403
    page = check_page(response.text)
    assert page.h1.text.strip() == "Your email address is not on the training roster"
    assert "atrocity-prevention@example.gov.uk" in page.select_one("#contact-details").text
    assert nothing_written(session) and session.exec(select(Official)).first() is None
    assert failures(session)[0]["email"] == "stranger@example.gov.uk"


def test_a_deactivated_official_cannot_sign_in(client, session, issuer):
    make_official(session, email="left@example.gov.uk", active=False)
    set_user(issuer, "sub-left", email="left@example.gov.uk", email_verified=True)
    response = sign_in_via(client, "left@example.gov.uk", "sub-left")
    assert response.status_code == 403
    assert check_page(response.text).h1.text.strip() == "Your account is not active"
    assert nothing_written(session)


def test_a_provider_for_one_department_signs_in_only_its_officials(database_url, test_library, session, issuer):
    from fastapi.testclient import TestClient

    from app.main import create_app
    from tests.conftest import HtmlClient

    fcdo, mod = make_department(session, "FCDO"), make_department(session, "MOD")
    make_official(session, email="mod.person@example.gov.uk", department_id=mod.id)
    set_user(issuer, "sub-mod", email="mod.person@example.gov.uk", email_verified=True)
    settings = make_settings(database_url, oidc_providers=[provider_settings(issuer, department=fcdo.code)])
    app = create_app(settings, library=test_library)
    with TestClient(app, follow_redirects=False) as raw:
        response = sign_in_via(HtmlClient(raw), "mod.person@example.gov.uk", "sub-mod")
    app.state.engine.dispose()
    assert response.status_code == 403 and nothing_written(session)


def test_sign_out_ends_the_session_here_and_at_the_provider(client, session, issuer):
    make_official(session, email="bye@example.gov.uk")
    set_user(issuer, "sub-bye", email="bye@example.gov.uk", email_verified=True)
    sign_in_via(client, "bye@example.gov.uk", "sub-bye")
    response = client.post("/sign-out", data={"csrf_token": client.csrf_token("/training")})
    location = response.headers["location"]
    assert response.status_code == 303 and location.startswith(issuer + "/oauth2/end_session?")
    params = query(location)
    session.expire_all()
    stored = session.exec(select(UserSession)).one()
    assert stored.revoked_at is not None and params["id_token_hint"] == stored.id_token
    assert params["post_logout_redirect_uri"] == "http://testserver/sign-in?signed_out=true"
    assert client.get("/training").status_code == 303
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "sign-out")).one().actor_id == stored.official_id


def test_a_provider_that_is_down_gives_a_clear_page_and_writes_nothing(database_url, test_library, session):
    from fastapi.testclient import TestClient

    from app.main import create_app
    from tests.conftest import HtmlClient
    from tests.live import free_port

    oidc.clear_cache()
    make_official(session, email="down@example.gov.uk")
    down = provider_settings(f"http://127.0.0.1:{free_port()}")
    app = create_app(make_settings(database_url, oidc_providers=[down], oidc_timeout_seconds=2), library=test_library)
    with TestClient(app, follow_redirects=False) as raw:
        client = HtmlClient(raw)
        response = client.post("/sign-in", data={"email": "down@example.gov.uk", "csrf_token": client.csrf_token()})
    app.state.engine.dispose()
    assert response.status_code == 503 and response.headers["retry-after"]
    assert check_page(response.text).h1.text.strip() == "Sorry, you cannot sign in at the moment"
    assert "Test department sign-in is not answering" in response.text
    assert nothing_written(session)


def test_a_provider_that_goes_down_during_sign_in_writes_nothing(database_url, test_library, session):
    from fastapi.testclient import TestClient

    from app.main import create_app
    from tests.conftest import HtmlClient

    oidc.clear_cache()
    make_official(session, email="someone@example.gov.uk")
    with TokenServer() as server:
        app = create_app(make_settings(database_url, oidc_providers=[provider_settings(server.issuer)],
                                       oidc_timeout_seconds=2), library=test_library)
        with TestClient(app, follow_redirects=False) as raw:
            client = HtmlClient(raw)
            authorize = start(client, "someone@example.gov.uk")
            server.stop()
            response = client.get(f"/sign-in/sso/test/callback?code=abc&state={query(authorize)['state']}")
        app.state.engine.dispose()
    assert response.status_code == 503
    assert nothing_written(session)


# --- ID tokens a sound provider never issues: signed by our own token server ---------------------------------------

@pytest.fixture
def token_server():
    with TokenServer() as server:
        yield server


@pytest.fixture
def token_client(database_url, test_library, token_server):
    from fastapi.testclient import TestClient

    from app.main import create_app
    from tests.conftest import HtmlClient

    oidc.clear_cache()
    app = create_app(make_settings(database_url, oidc_providers=[provider_settings(token_server.issuer)]),
                     library=test_library)
    with TestClient(app, follow_redirects=False) as raw:
        yield HtmlClient(raw)
    app.state.engine.dispose()


def _callback_with(client, server: TokenServer, **changes):
    authorize = start(client, "someone@example.gov.uk")
    params = query(authorize)
    server.claims = server.good_claims(params["nonce"], **changes)
    return client.get(f"/sign-in/sso/test/callback?code=any-code&state={params['state']}")


def test_the_token_servers_good_token_signs_in(token_client, token_server, session):
    official = make_official(session, email="someone@example.gov.uk")
    response = _callback_with(token_client, token_server)
    assert response.status_code == 303
    request = token_server.token_requests[-1]
    assert request["code"] == "any-code" and len(request["code_verifier"]) >= 43  # PKCE verifier sent
    session.expire_all()
    assert session.exec(select(OfficialIdentity)).one().official_id == official.id


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"exp": 1_000_000_000, "iat": 999_999_000}, "ID token expired"),
        ({"aud": "another-client"}, "ID token is for another audience"),
        ({"aud": ["aptrain-test-client", "another-client"], "azp": "another-client"}, "another authorised party"),
        ({"iss": "http://127.0.0.1:1"}, "ID token claim not valid"),
        ({"iat": 4_000_000_000}, "ID token claim not valid"),
    ],
    ids=["expired", "wrong-audience", "wrong-authorised-party", "wrong-issuer", "issued-in-the-future"],
)
def test_an_id_token_that_is_not_for_this_sign_in_is_refused(token_client, token_server, session, changes, reason):
    make_official(session, email="someone@example.gov.uk")
    response = _callback_with(token_client, token_server, **changes)
    assert response.status_code == 400
    assert check_page(response.text).h1.text.strip() == "Sign-in did not work"
    assert nothing_written(session)
    assert reason in failures(session)[0]["reason"]


def test_an_id_token_signed_with_another_key_is_refused(token_client, token_server, session):
    from joserfc.jwk import RSAKey

    make_official(session, email="someone@example.gov.uk")
    token_server.signing_key = RSAKey.generate_key(2048, parameters={"kid": "test-key"})  # same kid, not published
    response = _callback_with(token_client, token_server)
    assert response.status_code == 400
    assert nothing_written(session)
    assert "signature" in failures(session)[0]["reason"]


# --- Entra ID: which claim gives a verified email -------------------------------------------------------------

def test_entra_xms_edov_uses_the_email_only_when_the_domain_owner_verified_it():
    entra = provider_settings("https://login.microsoftonline.com/tenant-id/v2.0", email_source="entra-xms-edov")
    assert oidc.verified_email(entra, {"email": "A@Example.gov.uk", "xms_edov": True}) == "a@example.gov.uk"
    with pytest.raises(oidc.SignInRejected):
        oidc.verified_email(entra, {"email": "a@example.gov.uk"})
    with pytest.raises(oidc.SignInRejected):
        oidc.verified_email(entra, {"email": "a@example.gov.uk", "email_verified": True, "xms_edov": False})


def test_entra_upn_reads_preferred_username_and_needs_a_single_tenant_issuer():
    entra = provider_settings("https://login.microsoftonline.com/0000-tenant/v2.0", email_source="entra-upn")
    assert oidc.verified_email(entra, {"preferred_username": "b@example.gov.uk"}) == "b@example.gov.uk"
    with pytest.raises(oidc.SignInRejected):
        oidc.verified_email(entra, {"preferred_username": "b@personal.example.com"})
    with pytest.raises(ValueError, match="single-tenant"):
        OidcProvider(key="entra", issuer="https://login.microsoftonline.com/common/v2.0", client_id="c",
                     client_secret="s", display_name="Entra", domains=["example.gov.uk"], email_source="entra-upn")


def test_a_domain_no_provider_serves_goes_to_the_password_page(client, session):
    token = client.csrf_token()
    response = client.post("/sign-in", data={"email": "someone@other.example.org", "csrf_token": token})
    assert response.status_code == 200
    assert check_page(response.text).h1.text.strip() == "Sign in with your password"


def test_with_password_sign_in_off_an_unserved_domain_is_told_who_to_contact(database_url, test_library, issuer):
    from fastapi.testclient import TestClient

    from app.main import create_app
    from tests.conftest import HtmlClient

    settings = make_settings(database_url, oidc_providers=[provider_settings(issuer)], password_sign_in=False)
    app = create_app(settings, library=test_library)
    with TestClient(app, follow_redirects=False) as raw:
        client = HtmlClient(raw)
        response = client.post("/sign-in", data={"email": "someone@other.example.org", "csrf_token": client.csrf_token()})
        assert response.status_code == 403
        assert check_page(response.text).h1.text.strip() == "You cannot sign in with this email address"
        assert client.get("/sign-in/password").status_code == 403
        refused = client.post("/sign-in", data={"email": "a@b.example", "password": "x", "step": "password",
                                                "csrf_token": client.csrf_token()})
        assert refused.status_code == 403
    app.state.engine.dispose()


def test_forms_may_lead_to_the_providers_origin_and_nowhere_else(client, issuer):
    """Browsers apply CSP form-action to a form's redirects: the email and sign-out forms lead to the provider."""
    csp = client.get("/sign-in").headers["content-security-policy"]
    assert f"form-action 'self' {issuer};" in csp


def test_the_cookies_page_names_the_sign_in_flow_cookie(client):
    listed = [code.text for code in check_page(client.get("/cookies").text).select("#cookies tbody th code")]
    assert "aptrain_sso" in listed


def test_with_single_sign_on_configured_only_central_admins_may_use_a_password(client, session):
    from tests.factories import PASSWORD

    learner = make_official(session, email="learner.pw@example.gov.uk")
    admin = make_official(session, email="admin.pw@example.gov.uk", roles="learner central-admin")
    page = check_page(client.get("/sign-in").text)
    assert page.find("a", string="Sign in with a password")["href"].startswith("/sign-in/password")

    def with_password(email):
        return client.post("/sign-in", data={"email": email, "password": PASSWORD, "step": "password",
                                             "csrf_token": client.csrf_token("/sign-in/password")})

    assert with_password(learner.email).status_code == 422
    assert failures(session)[0]["reason"] == "password sign-in is for central admins while single sign-on is in use"
    assert with_password(admin.email).status_code == 303


def test_failed_callbacks_count_towards_the_address_lock(database_url, test_library, session, issuer):
    from fastapi.testclient import TestClient

    from app.main import create_app
    from tests.conftest import HtmlClient

    settings = make_settings(database_url, oidc_providers=[provider_settings(issuer)], sign_in_address_attempts=3)
    app = create_app(settings, library=test_library)
    with TestClient(app, follow_redirects=False) as raw:
        client = HtmlClient(raw)
        statuses = [client.get("/sign-in/sso/test/callback?code=x&state=forged").status_code for _ in range(5)]
        authorize_page = client.post("/sign-in", data={"email": "a@example.gov.uk", "csrf_token": client.csrf_token()})
    app.state.engine.dispose()
    assert statuses == [400, 400, 400, 400, 429]  # the 4th failure locks the address for 5 seconds
    assert authorize_page.status_code == 429  # and nobody from it is sent to the provider meanwhile
    assert nothing_written(session)


def test_discovery_and_keys_are_fetched_once_then_cached(token_client, token_server, session):
    make_official(session, email="someone@example.gov.uk")
    for _ in range(2):
        token_client.cookies.clear()
        assert _callback_with(token_client, token_server).status_code == 303
    assert token_server.gets.count("/.well-known/openid-configuration") == 1
    assert token_server.gets.count("/jwks") == 1


def test_a_provider_that_never_answers_is_given_up_on_after_the_timeout(database_url, test_library, session):
    import socket
    import time

    from fastapi.testclient import TestClient

    from app.main import create_app
    from tests.conftest import HtmlClient

    oidc.clear_cache()
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(5)  # accepts connections, never answers
    issuer = f"http://127.0.0.1:{silent.getsockname()[1]}"
    app = create_app(make_settings(database_url, oidc_providers=[provider_settings(issuer)], oidc_timeout_seconds=1),
                     library=test_library)
    try:
        with TestClient(app, follow_redirects=False) as raw:
            client = HtmlClient(raw)
            token = client.csrf_token()
            began = time.monotonic()
            response = client.post("/sign-in", data={"email": "a@example.gov.uk", "csrf_token": token})
            waited = time.monotonic() - began
    finally:
        app.state.engine.dispose()
        silent.close()
    assert response.status_code == 503 and waited < 3
    assert nothing_written(session)


def test_a_second_account_at_the_provider_with_a_linked_officials_email_is_refused(client, session, issuer):
    """Once an official is linked to one subject, another subject claiming their email (a reassigned address)
    does not sign in as them."""
    make_official(session, email="kept@example.gov.uk")
    set_user(issuer, "sub-kept", email="kept@example.gov.uk", email_verified=True)
    assert sign_in_via(client, "kept@example.gov.uk", "sub-kept").status_code == 303
    client.cookies.clear()
    set_user(issuer, "sub-newcomer", email="kept@example.gov.uk", email_verified=True)
    response = sign_in_via(client, "kept@example.gov.uk", "sub-newcomer")
    assert response.status_code == 403
    assert check_page(response.text).h1.text.strip() == "You cannot sign in this way"
    session.expire_all()
    assert len(session.exec(select(UserSession)).all()) == 1
    assert [i.subject for i in session.exec(select(OfficialIdentity))] == ["sub-kept"]
