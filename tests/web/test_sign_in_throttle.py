"""Sign-in throttling (per account and per client address, in the database, before any hash) and the audit
events for signing in and out and for sessions that time out."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from app.clock import utcnow
from app.models import AuditEvent, SignInThrottle, UserSession
from app.services.accounts import sessions, throttle
from tests.conftest import HtmlClient, check_page
from tests.factories import PASSWORD, make_official


def attempt(client, email: str, password: str):
    token = client.csrf_token("/sign-in/password")
    return client.post("/sign-in", data={"email": email, "password": password, "step": "password", "csrf_token": token})


class CountingHasher:
    """The real hasher, counting how often a password is checked."""

    def __init__(self, inner) -> None:
        self.inner, self.calls = inner, 0

    def verify(self, *args):
        self.calls += 1
        return self.inner.verify(*args)

    def verify_and_update(self, *args):
        self.calls += 1
        return self.inner.verify_and_update(*args)

    def hash(self, *args):
        return self.inner.hash(*args)


@pytest.fixture
def hasher(monkeypatch):
    counting = CountingHasher(sessions._hasher)
    monkeypatch.setattr(sessions, "_hasher", counting)
    return counting


def test_the_51st_attempt_with_the_right_password_is_refused_while_locked_and_no_hash_is_computed(
    client, session, hasher
):
    official = make_official(session, roles="learner central-admin")
    statuses = [attempt(client, official.email, f"wrong {n}").status_code for n in range(50)]
    assert statuses[:5] == [422] * 5 and 429 in statuses  # 5 free failures, then locked for growing whiles
    checks_before = hasher.calls
    response = attempt(client, official.email, PASSWORD)
    assert response.status_code == 429
    assert hasher.calls == checks_before  # refused before any Argon2 work
    assert int(response.headers["retry-after"]) > 0
    page = check_page(response.text)
    assert page.h1.text.strip() == "Too many attempts to sign in"
    assert "try again in" in page.text and "minute" in page.text
    session.expire_all()
    assert session.exec(select(UserSession)).first() is None


def test_delays_grow_then_the_lock_expires(client, session, monkeypatch):
    official = make_official(session)
    for n in range(6):
        assert attempt(client, official.email, f"wrong {n}").status_code == 422
    row = session.exec(select(SignInThrottle).where(SignInThrottle.key == throttle.account_key(official.email))).one()
    assert row.failures == 6 and timedelta(seconds=4) < row.locked_until - utcnow() <= timedelta(seconds=5)
    assert attempt(client, official.email, PASSWORD).status_code == 429
    later = utcnow() + timedelta(seconds=6)
    monkeypatch.setattr(throttle, "utcnow", lambda: later)
    assert attempt(client, official.email, "wrong again").status_code == 422  # the 7th failure: 10 s this time
    session.expire_all()
    row = session.get(SignInThrottle, throttle.account_key(official.email))
    assert row.failures == 7 and row.locked_until - later == timedelta(seconds=10)
    monkeypatch.setattr(throttle, "utcnow", lambda: later + timedelta(seconds=11))
    assert attempt(client, official.email, PASSWORD).status_code == 303  # lock over: the right password works
    session.expire_all()
    assert session.get(SignInThrottle, throttle.account_key(official.email)) is None  # success clears the account


def test_delays_double_up_to_the_lockout():
    lockout = timedelta(minutes=15)
    assert [throttle.lock_seconds(n, 5, lockout) for n in range(1, 12)] == [0, 0, 0, 0, 0, 5, 10, 20, 40, 80, 160]
    assert throttle.lock_seconds(50, 5, lockout) == 900


def test_old_failures_are_forgotten(client, session, monkeypatch):
    official = make_official(session)
    for n in range(5):
        attempt(client, official.email, f"wrong {n}")
    monkeypatch.setattr(throttle, "utcnow", lambda: utcnow() + timedelta(minutes=16))
    assert attempt(client, official.email, "wrong once more").status_code == 422
    session.expire_all()
    assert session.get(SignInThrottle, throttle.account_key(official.email)).failures == 1


def test_one_address_guessing_at_many_accounts_is_locked(client, session, hasher):
    target = make_official(session)
    for n in range(51):  # 50 free failures from one address; the 51st locks it
        assert attempt(client, f"guess{n}@example.gov.uk", "password1").status_code == 422
    before = hasher.calls
    response = attempt(client, target.email, PASSWORD)
    assert response.status_code == 429 and hasher.calls == before


def test_the_count_is_shared_by_every_server_process(settings, test_library, session):
    """Two app instances, each with its own engine and connection pool (as two processes have), on one
    database: failures counted by one lock the account for the other."""
    from app.main import create_app

    official = make_official(session)
    first, second = create_app(settings, library=test_library), create_app(settings, library=test_library)
    try:
        with TestClient(first, follow_redirects=False) as a, TestClient(second, follow_redirects=False) as b:
            for n in range(6):
                assert attempt(HtmlClient(a if n % 2 else b), official.email, f"wrong {n}").status_code == 422
            assert attempt(HtmlClient(b), official.email, PASSWORD).status_code == 429
            assert attempt(HtmlClient(a), official.email, PASSWORD).status_code == 429
    finally:
        first.state.engine.dispose()
        second.state.engine.dispose()


def test_a_locked_address_is_refused_at_the_single_sign_on_callback(database_url, test_library, session):
    from app.main import create_app
    from tests.conftest import make_settings
    from tests.oidc import provider_settings

    session.add(SignInThrottle(key=throttle.address_key("testclient"), failures=60,
                               locked_until=utcnow() + timedelta(minutes=10)))
    session.commit()
    settings = make_settings(database_url, oidc_providers=[provider_settings("http://127.0.0.1:9")])
    app = create_app(settings, library=test_library)
    with TestClient(app, follow_redirects=False) as raw:
        response = HtmlClient(raw).get("/sign-in/sso/test/callback?code=x&state=y")
    app.state.engine.dispose()
    assert response.status_code == 429 and 540 < int(response.headers["retry-after"]) <= 600
    assert "try again in 10 minutes" in response.text


# --- Audit: sign-in, failure, sign-out, session expiry ------------------------------------------------------

def _events(session, action: str) -> list[AuditEvent]:
    session.expire_all()
    return session.exec(select(AuditEvent).where(AuditEvent.action == action)).all()


def test_sign_in_success_and_failure_are_audited_without_the_password(client, session):
    official = make_official(session)
    attempt(client, official.email, "a-wrong-password-123")
    attempt(client, "nobody@example.gov.uk", "another-wrong-one-456")
    attempt(client, official.email, PASSWORD)
    failures = _events(session, "sign-in.failure")
    assert [json.loads(e.after)["reason"] for e in failures] == ["wrong email or password"] * 2
    assert failures[0].entity_id == str(official.id) and failures[1].entity == "sign-in"
    assert json.loads(failures[1].after)["email"] == "nobody@example.gov.uk"
    (success,) = _events(session, "sign-in.success")
    assert success.actor_id == official.id and json.loads(success.after)["method"] == "password"
    everything = " ".join(f"{e.before} {e.after} {e.actor_label}" for e in session.exec(select(AuditEvent)).all())
    for secret in ("a-wrong-password-123", "another-wrong-one-456", PASSWORD):
        assert secret not in everything


def test_sign_out_is_audited(client, session):
    official = make_official(session)
    client.sign_in(official.email, PASSWORD)
    client.post("/sign-out", data={"csrf_token": client.csrf_token("/training")})
    (event,) = _events(session, "sign-out")
    assert event.actor_id == official.id and event.entity_id == str(official.id)
    client.post("/sign-out", data={"csrf_token": client.csrf_token()})  # signed out already: no second event
    assert len(_events(session, "sign-out")) == 1


@pytest.mark.parametrize("timeout", ["idle", "absolute"])
def test_a_session_that_times_out_is_ended_and_audited_once(client, session, timeout):
    official = make_official(session)
    client.sign_in(official.email, PASSWORD)
    stored = session.exec(select(UserSession)).one()
    if timeout == "idle":
        stored.last_seen_at = utcnow() - timedelta(minutes=31)
    else:
        stored.created_at = utcnow() - timedelta(hours=13)
    session.add(stored)
    session.commit()
    assert client.get("/training").status_code == 303
    assert client.get("/training").status_code == 303
    (event,) = _events(session, "session.expire")
    assert event.entity_id == str(official.id)
    session.refresh(stored)
    assert stored.revoked_at is not None


def test_the_audit_log_names_sign_in_events_in_words(client, session):
    admin = make_official(session, roles="learner central-admin", given_name="Ada", family_name="Admin")
    attempt(client, admin.email, "wrong")
    client.sign_in(admin.email, PASSWORD)
    page = check_page(client.get("/admin/audit").text).text
    assert "Signed in" in page and "Sign-in refused" in page and "Ada Admin signed in by password" in page
