"""Dependencies shared by the routers: the database session, who is signed in, roles and CSRF."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.datastructures import FormData

from app.config import Settings
from app.content.live import LiveLibrary
from app.content.model import Library
from app.db import session_scope, write_if_free
from app.models import Official, Role
from app.services.accounts.sessions import SignedIn, check_session, end_expired_session, record_seen, seen_due
from app.services.organisation.scope import Scope, scope_for

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SESSION_COOKIE = "aptrain_session"
CSRF_COOKIE = "aptrain_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"


class SignInRequired(Exception):
    """The page needs a signed-in official."""


class Forbidden(Exception):
    """Signed in, but this official's roles do not reach this page."""


class CsrfFailed(Exception):
    """A state-changing request without the right CSRF token."""


def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings


def get_library(request: Request) -> Library:
    """The library to serve for this request: a fixed one, or the live one's current state."""
    source = request.app.state.library
    return source.current() if isinstance(source, LiveLibrary) else source


def get_db(request: Request) -> Iterator[Session]:
    """The request's session: a write transaction for POST and the like (on SQLite `BEGIN IMMEDIATE`, so it
    waits for the lock up front, boundedly), a read-only one for GET. It commits before the response leaves."""
    with session_scope(request.app.state.engine, write=request.method not in SAFE_METHODS) as session:
        yield session


@dataclass(frozen=True)
class Transactions:
    """Short transactions on demand, for a handler with slow work (a password hash) that must hold no
    connection or lock while it runs: read, do the slow part, then write briefly."""

    engine: Engine

    def read(self) -> AbstractContextManager[Session]:
        return session_scope(self.engine, write=False)

    def write(self) -> AbstractContextManager[Session]:
        return session_scope(self.engine)


def get_transactions(request: Request) -> Transactions:
    return Transactions(request.app.state.engine)


async def parsed_form(request: Request) -> FormData:
    """The request's form fields. Reading the body is the only await here: no database on the event loop."""
    if request.method in SAFE_METHODS:
        return FormData()
    return await request.form()


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
FormDep = Annotated[FormData, Depends(parsed_form)]
TransactionsDep = Annotated[Transactions, Depends(get_transactions)]
LibraryDep = Annotated[Library, Depends(get_library)]
# scope="function": commit before the response leaves, so a redirect never outruns its data.
SessionDep = Annotated[Session, Depends(get_db, scope="function")]


@dataclass(frozen=True)
class Viewer:
    """What every page shows of the signed-in official: a snapshot, safe after the session closes."""

    full_name: str
    roles: frozenset[Role]


def cookie_name(settings: Settings, name: str) -> str:
    """The name a cookie is set and read under: `__Host-` + name when cookies are Secure (production), so the
    browser keeps it for this host only, over HTTPS, Path=/, no Domain (Settings.cookie_prefix)."""
    return settings.cookie_prefix + name


def anonymous_csrf_token(request: Request, settings: Settings) -> str:
    """The sign-in form's token: an HMAC of a random cookie, so it cannot be forged cross-site."""
    seed = getattr(request.state, "csrf_seed", "") or request.cookies.get(cookie_name(settings, CSRF_COOKIE), "")
    key = settings.secret_key.get_secret_value().encode()
    return hmac.new(key, seed.encode(), hashlib.sha256).hexdigest()


def signed_in(request: Request, settings: SettingsDep) -> SignedIn | None:
    """Who is signed in (or None); also sets the CSRF token every template puts in its forms.
    Its own short transactions: a read, and at most once a minute a one-row write of the last-seen time;
    a session found past its timeouts is ended and its expiry audited, once."""
    engine = request.app.state.engine
    with session_scope(engine, write=False) as session:
        checked = check_session(
            session,
            request.cookies.get(cookie_name(settings, SESSION_COOKIE)),
            idle=timedelta(minutes=settings.session_idle_minutes),
            absolute=timedelta(hours=settings.session_absolute_hours),
        )
    found = checked.found
    if checked.expired is not None:
        write_if_free(engine, lambda session: end_expired_session(session, checked.expired))
    if found is not None and seen_due(found):
        write_if_free(engine, lambda session: record_seen(session, found.user_session.id))
    request.state.signed_in = Viewer(found.official.full_name, found.official.role_set) if found else None
    request.state.csrf_token = found.user_session.csrf_token if found else anonymous_csrf_token(request, settings)
    return found


SignedInDep = Annotated[SignedIn | None, Depends(signed_in)]


def current_official(found: SignedInDep) -> Official:
    if found is None:
        raise SignInRequired()
    return found.official


CurrentOfficial = Annotated[Official, Depends(current_official)]


def require_role(role: Role):
    """A dependency that lets through only officials holding `role`."""

    def check(official: CurrentOfficial) -> Official:
        if not official.has_role(role):
            raise Forbidden()
        return official

    return check


def verify_csrf(request: Request, found: SignedInDep, settings: SettingsDep, form: FormDep) -> None:
    """Every state-changing request carries the token, as a form field or the htmx header."""
    if request.method in SAFE_METHODS:
        return
    sent = request.headers.get(CSRF_HEADER)
    if not sent:
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    expected = found.user_session.csrf_token if found else anonymous_csrf_token(request, settings)
    if not sent or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise CsrfFailed()


CsrfProtected = Depends(verify_csrf)


def manager_scope(official: CurrentOfficial) -> Scope:
    """The scope of a manager, department admin or central admin; others are refused."""
    scope = scope_for(official)
    if scope is None:
        raise Forbidden()
    return scope


def central_admin(official: CurrentOfficial) -> Official:
    if not official.has_role(Role.CENTRAL_ADMIN):
        raise Forbidden()
    return official


ManageScope = Annotated[Scope, Depends(manager_scope)]
CentralAdmin = Annotated[Official, Depends(central_admin)]
# In a route's `dependencies=[CentralAdminFirst, CsrfProtected]`: the role is checked before the CSRF check reads
# the body, so nobody else can make the service read (or spool to disk) what they send.
CentralAdminFirst = Depends(central_admin)
