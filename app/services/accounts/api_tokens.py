"""API tokens for departmental HR/BI systems: made by central admins, each limited to a scope, stored hashed."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlmodel import Session

from app.clock import utcnow
from app.models import ApiToken, Department, Unit
from app.services.audit import Actor, record
from app.services.organisation.scope import Scope

TOKEN_PREFIX = "apt_"
SHOWN_PREFIX = 12  # characters kept in clear so people can tell tokens apart: "apt_" + 8
TOUCH_EVERY = timedelta(minutes=1)  # last_used_at is written at most this often
DEFAULT_DAYS = 365  # APTRAIN_API_TOKEN_DAYS
EXPIRY_WARNING = timedelta(days=30)  # the tokens page and the API's answers warn this long before a token expires


class InvalidScope(ValueError):
    """The department or unit chosen for a token does not exist."""


@dataclass(frozen=True)
class TokenRow:
    """One token as the admin page lists it."""

    token: ApiToken
    scope_label: str

    @property
    def expired(self) -> bool:
        return is_expired(self.token)

    @property
    def expiring_soon(self) -> bool:
        return expires_soon(self.token)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def scope_of(token: ApiToken, label: str = "") -> Scope:
    """The token's scope, built exactly as the web builds a signed-in official's."""
    if token.everything:
        return Scope(everything=True, label=label or "All departments")
    if token.unit_path:
        return Scope(unit_path=token.unit_path, label=label or "A unit and everything under it")
    if token.department_id is not None:
        return Scope(department_id=token.department_id, label=label or "One department")
    return Scope(label="Nothing")


def create(session: Session, actor: Actor, name: str, *, everything: bool = False, department_id: int | None = None,
           unit_id: int | None = None, days: int = DEFAULT_DAYS, now: datetime | None = None) -> tuple[ApiToken, str]:
    """A new token that works for `days` from now; returns the row and the token itself, which is never stored and
    never shown again."""
    unit_path = None
    if not everything:
        if unit_id is not None:
            unit_path = session.execute(select(Unit.path).where(Unit.id == unit_id)).scalar()
            if unit_path is None:
                raise InvalidScope("unit")
            department_id = None
        elif department_id is None or session.get(Department, department_id) is None:
            raise InvalidScope("department")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = now or utcnow()
    token = ApiToken(name=name[:200], token_hash=hash_token(secret), prefix=secret[:SHOWN_PREFIX], everything=everything,
                     department_id=None if everything else department_id, unit_path=unit_path, created_by_id=actor.id,
                     created_at=now, expires_at=now + timedelta(days=days))
    session.add(token)
    session.flush()
    record(session, actor, "api-token.create", "api_token", token.id, after=_public(token))
    return token, secret


def authenticate(session: Session, secret: str) -> ApiToken | None:
    """The unrevoked token matching `secret`, or None (unknown or revoked). Reads only: see `record_use`. The caller
    refuses an expired one (`is_expired`) with its own message."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    digest = hash_token(secret)
    token = session.execute(select(ApiToken).where(ApiToken.token_hash == digest)).scalar()
    if token is None or not hmac.compare_digest(token.token_hash, digest) or token.revoked_at is not None:
        return None
    return token


def is_expired(token: ApiToken, now: datetime | None = None) -> bool:
    return token.expires_at <= (now or utcnow())


def expires_soon(token: ApiToken, now: datetime | None = None) -> bool:
    """Still working, but for less than EXPIRY_WARNING: time to issue its replacement."""
    now = now or utcnow()
    return now < token.expires_at <= now + EXPIRY_WARNING


def use_due(token: ApiToken, now: datetime | None = None) -> bool:
    """Whether the token's last use is old enough to write again (at most once a minute)."""
    return token.last_used_at is None or (now or utcnow()) - token.last_used_at >= TOUCH_EVERY


def record_use(session: Session, token_id: int, now: datetime | None = None) -> None:
    """Note when a token was last used: one short UPDATE, a no-op if another request just did it. The request
    that wins that UPDATE also writes an "api-token.use" audit event, so the log has a token's use at most once a
    minute (the first request of each minute it is used), never one row per API request. Like last_used_at, it
    is skipped when the database is busy (`write_if_free`); the next request writes it."""
    now = now or utcnow()
    touched = session.execute(
        update(ApiToken)
        .where(ApiToken.id == token_id, or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at <= now - TOUCH_EVERY))
        .values(last_used_at=now)
    )
    if touched.rowcount == 1:
        token = session.get(ApiToken, token_id)
        record(session, Actor(None, f"API token {token.name} ({token.prefix}…)"), "api-token.use", "api_token",
               token_id, after={"name": token.name, "prefix": token.prefix, "used_at": now})


def revoke(session: Session, actor: Actor, token_id: int) -> ApiToken | None:
    """Revoke a token (at once: the next request with it is refused). None when there is no such token."""
    token = session.get(ApiToken, token_id)
    if token is None:
        return None
    if token.revoked_at is None:
        before = _public(token)
        token.revoked_at = utcnow()
        session.add(token)
        record(session, actor, "api-token.revoke", "api_token", token.id, before=before, after=_public(token))
    return token


def find(session: Session, token_id: int) -> TokenRow | None:
    """One token with its scope in words, or None when there is no such token."""
    token = session.get(ApiToken, token_id)
    return TokenRow(token, describe(session, token)) if token is not None else None


def list_tokens(session: Session) -> list[TokenRow]:
    """Every token, live ones first, newest first, with its scope in words."""
    departments = {d.id: d.code for d in session.execute(select(Department)).scalars()}
    tokens = session.execute(select(ApiToken).order_by(ApiToken.revoked_at.is_not(None), ApiToken.id.desc())).scalars()
    rows = []
    for token in tokens:
        rows.append(TokenRow(token, describe(session, token, departments)))
    return rows


def describe(session: Session, token: ApiToken, departments: dict[int, str] | None = None) -> str:
    if token.everything:
        return "All departments"
    if token.unit_path:
        unit = session.execute(select(Unit.full_name).where(Unit.path == token.unit_path)).scalar()
        return f"Unit: {unit or token.unit_path} and everything under it"
    if token.department_id is not None:
        code = (departments or {}).get(token.department_id) or getattr(session.get(Department, token.department_id), "code", "?")
        return f"Department: {code}"
    return "Nothing"


def _public(token: ApiToken) -> dict:
    """What the audit log keeps of a token: never its hash."""
    return {key: value for key, value in token.model_dump().items() if key != "token_hash"}
