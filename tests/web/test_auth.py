"""Signing in and out, sessions, CSRF and security headers."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from app.clock import utcnow
from app.models import UserSession
from tests.conftest import check_page
from tests.factories import PASSWORD, make_official


def test_pages_need_sign_in_and_come_back_after(client, session):
    official = make_official(session)
    response = client.get("/training")
    assert response.status_code == 303 and response.headers["location"] == "/sign-in?next=/training"
    token = client.csrf_token("/sign-in?next=/training")
    response = client.post(
        "/sign-in", data={"email": official.email.upper(), "password": PASSWORD, "csrf_token": token, "next": "/training"}
    )
    assert response.status_code == 303 and response.headers["location"] == "/training"
    assert client.get("/training").status_code == 200


def test_wrong_password_shows_an_error_summary(client, session):
    official = make_official(session)
    token = client.csrf_token()
    response = client.post("/sign-in", data={"email": official.email, "password": "wrong", "csrf_token": token})
    assert response.status_code == 422
    page = check_page(response.text)
    assert "Enter a correct email address and password" in page.select_one(".govuk-error-summary").text
    assert page.title.text.startswith("Error: ")
    assert session.exec(select(UserSession)).first() is None


def test_empty_fields_are_each_reported(client):
    token = client.csrf_token()
    response = client.post("/sign-in", data={"email": "", "password": "", "step": "password", "csrf_token": token})
    assert response.status_code == 422
    links = [a["href"] for a in check_page(response.text).select(".govuk-error-summary a")]
    assert links == ["#email", "#password"]


def test_a_left_official_cannot_sign_in(client, session):
    official = make_official(session, active=False)
    token = client.csrf_token()
    response = client.post("/sign-in", data={"email": official.email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 422


def test_sign_in_without_csrf_is_refused(client, session):
    official = make_official(session)
    client.get("/sign-in")
    response = client.post("/sign-in", data={"email": official.email, "password": PASSWORD})
    assert response.status_code == 403
    assert "this form has expired" in response.text
    response = client.post("/sign-in", data={"email": official.email, "password": PASSWORD, "csrf_token": "forged"})
    assert response.status_code == 403


def test_next_cannot_leave_the_site(client, session):
    official = make_official(session)
    token = client.csrf_token()
    for target in ("//evil.example", "https://evil.example/", "/\\evil.example"):
        client.cookies.clear()
        token = client.csrf_token()
        response = client.post(
            "/sign-in", data={"email": official.email, "password": PASSWORD, "csrf_token": token, "next": target}
        )
        assert response.headers["location"] == "/training"


def test_session_cookie_is_httponly_and_lax(client, session):
    official = make_official(session)
    token = client.csrf_token()
    response = client.post("/sign-in", data={"email": official.email, "password": PASSWORD, "csrf_token": token})
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    stored = session.exec(select(UserSession)).one()
    assert response.cookies.get("aptrain_session") not in (None, stored.token_hash)  # only the hash is stored


def test_sign_out_revokes_the_session(client, session):
    official = make_official(session)
    client.sign_in(official.email, PASSWORD)
    cookie = client.cookies.get("aptrain_session")
    token = client.csrf_token("/training")
    response = client.post("/sign-out", data={"csrf_token": token})
    assert response.status_code == 303
    client.cookies.set("aptrain_session", cookie)  # replaying the old cookie does not work
    assert client.get("/training").status_code == 303
    session.expire_all()
    assert session.exec(select(UserSession)).one().revoked_at is not None


def test_sign_out_needs_csrf(client, session):
    official = make_official(session)
    client.sign_in(official.email, PASSWORD)
    assert client.post("/sign-out", data={}).status_code == 403
    assert client.get("/training").status_code == 200


def test_idle_and_absolute_timeouts_end_the_session(client, session):
    official = make_official(session)
    client.sign_in(official.email, PASSWORD)
    stored = session.exec(select(UserSession)).one()
    stored.last_seen_at = utcnow() - timedelta(minutes=31)
    session.add(stored)
    session.commit()
    assert client.get("/training").status_code == 303

    client.sign_in(official.email, PASSWORD)
    latest = session.exec(select(UserSession).where(UserSession.revoked_at.is_(None))).one()
    latest.created_at = utcnow() - timedelta(hours=13)
    session.add(latest)
    session.commit()
    assert client.get("/training").status_code == 303


def test_security_headers(client):
    response = client.get("/sign-in")
    csp = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp
    assert "'unsafe-inline'" not in csp and "script-src 'self' 'sha256-" in csp
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "same-origin"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"


def _sign_in(client, email: str, password: str):
    token = client.csrf_token()
    return client.post("/sign-in", data={"email": email, "password": password, "csrf_token": token})


def test_a_hash_with_the_old_argon2_parameters_is_remade_at_the_next_sign_in(client, session, monkeypatch):
    """Hashes made with the library default (64 MiB, t=3, p=4) become OWASP's argon2id (19 MiB, t=2, p=1) when
    their owner next signs in; a failed sign-in changes nothing; signing in still works afterwards."""
    from pwdlib import PasswordHash
    from pwdlib.hashers.argon2 import Argon2Hasher

    from app.models import Official
    from app.services.accounts import sessions

    monkeypatch.setattr(sessions, "_hasher", sessions.make_hasher())  # the real parameters, not the tests' cheap ones
    old = PasswordHash((Argon2Hasher(time_cost=3, memory_cost=65536, parallelism=4),)).hash(PASSWORD)
    official = make_official(session, password_hash=old)

    def stored() -> str:
        session.expire_all()
        return session.get(Official, official.id).password_hash

    assert _sign_in(client, official.email, "not the password").status_code == 422
    assert stored() == old
    assert _sign_in(client, official.email, PASSWORD).status_code == 303
    assert stored().startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    client.cookies.clear()
    assert _sign_in(client, official.email, PASSWORD).status_code == 303
    assert client.get("/training").status_code == 200
