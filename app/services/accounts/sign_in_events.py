"""Audit events for signing in and out: a success, a failure (never the password), a sign-out and a session
that ran past its timeouts. Each is one row in the append-only audit log."""

from __future__ import annotations

from sqlmodel import Session

from app.models import Official, UserSession
from app.services.audit import Actor, record


def _method(sso_provider: str | None) -> str:
    return f"single sign-on ({sso_provider})" if sso_provider else "password"


def record_sign_in(session: Session, official: Official, *, address: str, sso_provider: str | None = None) -> None:
    record(
        session, Actor(official.id, official.full_name), "sign-in.success", "official", official.id,
        after={"official_id": official.id, "method": _method(sso_provider), "address": address},
    )


def record_sign_in_failure(
    session: Session, *, reason: str, email: str, address: str, official: Official | None = None,
    sso_provider: str | None = None,
) -> None:
    """A refused sign-in: why, the email given (as typed, or as the provider gave it) and from where."""
    record(
        session, Actor(None, f"sign-in attempt from {address}"), "sign-in.failure",
        "official" if official else "sign-in", official.id if official else "-",
        after={"official_id": official.id if official else None, "email": email.strip()[:254],
               "method": _method(sso_provider), "reason": reason[:200], "address": address},
    )


def record_sign_out(session: Session, official: Official | None, user_session: UserSession) -> None:
    label = official.full_name if official else f"official {user_session.official_id}"
    record(
        session, Actor(user_session.official_id, label), "sign-out", "official", user_session.official_id,
        after={"official_id": user_session.official_id, "method": _method(user_session.sso_provider)},
    )


def record_session_expired(session: Session, user_session: UserSession) -> None:
    official = session.get(Official, user_session.official_id)
    record(
        session, Actor(None, "the service"), "session.expire", "official", user_session.official_id,
        after={"official_id": user_session.official_id, "signed_in_at": user_session.created_at,
               "last_seen_at": user_session.last_seen_at, "name": official.full_name if official else ""},
    )
