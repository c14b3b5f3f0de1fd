"""Signing in and out: password checks and revocable server-side sessions."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy import update
from sqlmodel import Session, select

from app.clock import utcnow
from app.models import Official, UserSession

# Argon2id at OWASP's recommended minimum for an interactive sign-in (19 MiB, 2 passes, 1 lane): tens of
# milliseconds on a small server, where the library default (64 MiB, t=3, p=4) took 0.9-1.8 s on two cores.
# A stored hash with other parameters is replaced at the next successful sign-in (check_password).
ARGON2_TIME_COST = 2
ARGON2_MEMORY_KIB = 19456
ARGON2_PARALLELISM = 1


def make_hasher() -> PasswordHash:
    """The password hasher with this service's parameters (argon2id)."""
    return PasswordHash(
        (Argon2Hasher(time_cost=ARGON2_TIME_COST, memory_cost=ARGON2_MEMORY_KIB, parallelism=ARGON2_PARALLELISM),)
    )


_hasher = make_hasher()
# Checked when the email is unknown, so a wrong email costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))
# last_seen_at is written at most this often, so browsing is not a write per request.
_TOUCH_EVERY = timedelta(seconds=60)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_account(session: Session, email: str) -> Official | None:
    """The official with this email (any state), for a password check."""
    return session.exec(select(Official).where(Official.email == normalise_email(email))).first()


@dataclass(frozen=True)
class PasswordCheck:
    """A successful password check: the official, and a new hash to store when the old one was made with
    other parameters (None when it is current)."""

    official: Official
    new_hash: str | None = None


def check_password(official: Official | None, password: str) -> PasswordCheck | None:
    """A PasswordCheck if `official` is active and the password is theirs, else None. Pure CPU (argon2): call
    it holding no database connection. An unknown email costs the same time as a wrong password."""
    if official is None or not official.password_hash:
        _hasher.verify(password, _DUMMY_HASH)
        return None
    valid, new_hash = _hasher.verify_and_update(password, official.password_hash)
    if not valid or not official.active:
        return None
    return PasswordCheck(official, new_hash)


def store_new_hash(session: Session, official_id: int, old_hash: str, new_hash: str) -> None:
    """Replace a password hash re-made with the current parameters; a no-op if the password changed meanwhile."""
    session.execute(
        update(Official).where(Official.id == official_id, Official.password_hash == old_hash).values(password_hash=new_hash)
    )


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(
    session: Session, official: Official, user_agent: str = "", *, sso_provider: str | None = None,
    id_token: str | None = None,
) -> str:
    """Open a session for `official`; returns the token for the cookie (only its hash is stored). A single
    sign-on session keeps its provider and ID token, for the provider's sign-out."""
    token = secrets.token_urlsafe(32)
    session.add(
        UserSession(
            token_hash=_token_hash(token),
            official_id=official.id,
            csrf_token=secrets.token_urlsafe(32),
            user_agent=user_agent[:300],
            sso_provider=sso_provider,
            id_token=id_token,
        )
    )
    session.flush()
    return token


@dataclass(frozen=True)
class SignedIn:
    official: Official
    user_session: UserSession


@dataclass(frozen=True)
class SessionCheck:
    """What a cookie's token finds: a live session, or one that has just run past its timeouts (to be
    ended and audited once), or neither."""

    found: SignedIn | None = None
    expired: UserSession | None = None


def check_session(
    session: Session, token: str | None, *, idle: timedelta, absolute: timedelta, now: datetime | None = None
) -> SessionCheck:
    """Reads only: a session past its timeouts stays refused by its own timestamps."""
    if not token:
        return SessionCheck()
    now = now or utcnow()
    user_session = session.exec(select(UserSession).where(UserSession.token_hash == _token_hash(token))).first()
    if user_session is None or user_session.revoked_at is not None:
        return SessionCheck()
    if now - user_session.last_seen_at > idle or now - user_session.created_at > absolute:
        return SessionCheck(expired=user_session)
    official = session.get(Official, user_session.official_id)
    if official is None or not official.active:
        return SessionCheck()
    return SessionCheck(found=SignedIn(official=official, user_session=user_session))


def resolve_session(
    session: Session, token: str | None, *, idle: timedelta, absolute: timedelta, now: datetime | None = None
) -> SignedIn | None:
    """The signed-in official for a cookie token, or None when missing, revoked, idle or too old."""
    return check_session(session, token, idle=idle, absolute=absolute, now=now).found


def end_expired_session(session: Session, user_session: UserSession, now: datetime | None = None) -> bool:
    """Mark a timed-out session ended (once, whichever process sees it first) and audit it. Whether this
    call was the one that ended it."""
    from app.services.accounts.sign_in_events import record_session_expired

    now = now or utcnow()
    ended = session.execute(
        update(UserSession).where(UserSession.id == user_session.id, UserSession.revoked_at.is_(None)).values(revoked_at=now)
    ).rowcount
    if ended:
        record_session_expired(session, user_session)
    return bool(ended)


def seen_due(found: SignedIn, now: datetime | None = None) -> bool:
    """Whether the session's last-seen time is old enough to write again (at most once a minute)."""
    return (now or utcnow()) - found.user_session.last_seen_at > _TOUCH_EVERY


def record_seen(session: Session, user_session_id: int, now: datetime | None = None) -> None:
    """Note that a session was used: one short UPDATE, a no-op if another request just did it."""
    now = now or utcnow()
    session.execute(
        update(UserSession)
        .where(UserSession.id == user_session_id, UserSession.last_seen_at < now - _TOUCH_EVERY)
        .values(last_seen_at=now)
    )


def revoke_session(session: Session, token: str | None) -> UserSession | None:
    """End the session with this cookie token; the session ended (None when there was none in force)."""
    if not token:
        return None
    user_session = session.exec(select(UserSession).where(UserSession.token_hash == _token_hash(token))).first()
    if user_session is not None and user_session.revoked_at is None:
        user_session.revoked_at = utcnow()
        session.add(user_session)
        return user_session
    return None
