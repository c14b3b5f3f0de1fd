"""Single sign-on's side of the roster: who a provider's account is, and signing them in.

An official is found by the provider's stable subject id once linked, else by email (case-insensitive),
and the link is then made, so a changed email at the provider does not make a second person. Nobody is
created by signing in; roles come from the roster, never from the provider's claims."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from app.clock import utcnow
from app.config import OidcProvider
from app.models import Department, Official, OfficialIdentity
from app.services.accounts import throttle
from app.services.accounts.sessions import find_account, revoke_session, start_session
from app.services.accounts.sign_in_events import record_sign_in, record_sign_in_failure

# Why a provider's account was refused, as the pages and the audit log name it.
UNKNOWN = "not on the roster"
INACTIVE = "marked as left"
OTHER_DEPARTMENT = "of another department than the provider's"
LINKED_ELSEWHERE = "already linked to another account at this provider"


@dataclass(frozen=True)
class Outcome:
    """A signed-in session's cookie token, or the reason the sign-in was refused."""

    token: str | None = None
    refused: str | None = None


@dataclass(frozen=True)
class Attempt:
    provider: OidcProvider
    subject: str
    email: str
    id_token: str
    address: str
    user_agent: str
    old_token: str | None


def _match(session: Session, attempt: Attempt) -> tuple[Official | None, OfficialIdentity | None, str | None]:
    key = attempt.provider.key
    identity = session.exec(
        select(OfficialIdentity).where(OfficialIdentity.provider == key, OfficialIdentity.subject == attempt.subject)
    ).first()
    if identity is not None:
        official = session.get(Official, identity.official_id)
    else:
        official = find_account(session, attempt.email)
        if official is not None and session.exec(
            select(OfficialIdentity.id).where(OfficialIdentity.provider == key, OfficialIdentity.official_id == official.id)
        ).first() is not None:
            return official, None, LINKED_ELSEWHERE
    if official is None:
        return None, None, UNKNOWN
    if not official.active:
        return official, identity, INACTIVE
    if attempt.provider.department:
        department = session.get(Department, official.department_id) if official.department_id else None
        if department is None or department.code != attempt.provider.department:
            return official, identity, OTHER_DEPARTMENT
    return official, identity, None


def sign_in(session: Session, attempt: Attempt, limits: throttle.Limits) -> Outcome:
    """In one short write transaction: find the official, link the identity, open the session and audit it;
    or, refused, count the failure and audit that (nothing else is written)."""
    official, identity, refused = _match(session, attempt)
    keys = throttle.keys_for(attempt.email, attempt.address)
    if refused:
        throttle.record_failure(session, keys, limits)
        record_sign_in_failure(
            session, reason=f"account {refused}", email=attempt.email, address=attempt.address,
            official=official, sso_provider=attempt.provider.key,
        )
        return Outcome(refused=refused)
    now = utcnow()
    if identity is None:
        identity = OfficialIdentity(
            provider=attempt.provider.key, subject=attempt.subject, official_id=official.id, email_at_link=attempt.email
        )
    identity.last_sign_in_at = now
    session.add(identity)
    revoke_session(session, attempt.old_token)  # no session fixation
    token = start_session(
        session, official, attempt.user_agent, sso_provider=attempt.provider.key, id_token=attempt.id_token
    )
    throttle.record_success(session, keys)
    record_sign_in(session, official, address=attempt.address, sso_provider=attempt.provider.key)
    return Outcome(token=token)
