"""Signing in and out: the work email first (GOV.UK: one question per page), which sends the official to
their department's single sign-on or, where that is allowed, to a password; and signing out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from app.models import Role
from app.services.accounts import oidc, throttle
from app.services.accounts.sessions import check_password, find_account, revoke_session, start_session, store_new_hash
from app.services.accounts.sign_in_events import record_sign_in, record_sign_in_failure, record_sign_out
from app.web import sso
from app.web.deps import (
    SESSION_COOKIE,
    CsrfProtected,
    SettingsDep,
    SignedInDep,
    TransactionsDep,
    cookie_name,
    signed_in,
)
from app.web.forms.sign_in import parse_email, parse_password_sign_in
from app.web.templating import render

router = APIRouter(dependencies=[Depends(signed_in)])

PASSWORD_ONLY_FOR_ADMINS = "password sign-in is for central admins while single sign-on is in use"


@router.get("/sign-in")
def sign_in_form(
    request: Request, found: SignedInDep, settings: SettingsDep, next: str | None = None, signed_out: bool = False
) -> Response:
    if found is not None:
        return RedirectResponse(sso.safe_next(next), status_code=303)
    return _email_page(request, settings, sso.safe_next(next), signed_out=signed_out)


def _email_page(request: Request, settings, next_path: str, *, signed_out: bool = False, email: str = "",
                errors: dict | None = None, status_code: int = 200) -> Response:
    context = {
        "next": next_path, "signed_out": signed_out, "errors": errors or {}, "email": email,
        "password_link": bool(settings.password_sign_in and settings.oidc_providers),
    }
    return render(request, "auth/sign_in.html", context, status_code=status_code)


@router.get("/sign-in/password")
def password_form(
    request: Request, found: SignedInDep, settings: SettingsDep, next: str | None = None, email: str = ""
) -> Response:
    if found is not None:
        return RedirectResponse(sso.safe_next(next), status_code=303)
    if not settings.password_sign_in:
        return _password_off(request, settings)
    return _password_page(request, settings, sso.safe_next(next), email=email[:254])


def _password_page(request: Request, settings, next_path: str, *, email: str = "", errors: dict | None = None,
                   status_code: int = 200) -> Response:
    context = {"next": next_path, "errors": errors or {}, "email": email,
               "admins_only": bool(settings.oidc_providers)}
    return render(request, "auth/password.html", context, status_code=status_code)


def _password_off(request: Request, settings) -> Response:
    return sso.problem(
        request, settings, 403, "You cannot sign in with a password",
        ["This service signs officials in with their department's own account.",
         "Go back and enter your work email address."],
        contact=True, start_again=True,
    )


@router.post("/sign-in", dependencies=[CsrfProtected])
def sign_in(
    request: Request,
    transactions: TransactionsDep,
    settings: SettingsDep,
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    step: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/training",
) -> Response:
    """The email step: single sign-on for a provider's domain, else the password page. The password page
    (step=password), or any form that sends a password: password sign-in."""
    next_path = sso.safe_next(next)
    if step == "password" or password:
        return _password_sign_in(request, transactions, settings, email, password, next_path)
    parsed = parse_email(email)
    if not parsed.ok:
        return _email_page(request, settings, next_path, email=email, errors=parsed.errors, status_code=422)
    provider = oidc.provider_for_email(settings.oidc_providers, parsed.data)
    if provider is not None:
        with transactions.read() as session:
            wait = throttle.locked_for(session, throttle.keys_for(None, sso.client_address(request)))
        if wait:
            return sso.throttled(request, settings, wait)
        return sso.start(request, settings, provider, parsed.data, next_path)
    if settings.password_sign_in:
        return _password_page(request, settings, next_path, email=email.strip())
    return sso.problem(
        request, settings, 403, "You cannot sign in with this email address",
        [f"This service does not sign in email addresses at {parsed.data.rpartition('@')[2]}. "
         "Check you entered your work email address.",
         f"If it is right and you should have access, contact {settings.contact_team}."],
        contact=True, start_again=True,
    )


def _password_sign_in(
    request: Request, transactions, settings, email: str, password: str, next_path: str
) -> Response:
    if not settings.password_sign_in:
        return _password_off(request, settings)
    parsed = parse_password_sign_in(email, password)
    if not parsed.ok:
        return _password_page(request, settings, next_path, email=email, errors=parsed.errors, status_code=422)
    address = sso.client_address(request)
    keys = throttle.keys_for(email, address)
    # The lock is checked before any password is hashed (each check costs memory and time); the hash runs
    # holding no connection and no lock.
    with transactions.read() as session:
        wait = throttle.locked_for(session, keys)
        account = find_account(session, email) if not wait else None
    if wait:
        return sso.throttled(request, settings, wait)
    checked = check_password(account, password)
    reason = "wrong email or password" if checked is None else None
    if checked is not None and settings.oidc_providers and not checked.official.has_role(Role.CENTRAL_ADMIN):
        checked, reason = None, PASSWORD_ONLY_FOR_ADMINS
    if checked is None:
        with transactions.write() as session:
            throttle.record_failure(session, keys, sso.limits(settings))
            record_sign_in_failure(session, reason=reason, email=email, address=address,
                                   official=account)
        errors = {"email": "Enter a correct email address and password"}
        return _password_page(request, settings, next_path, email=email, errors=errors, status_code=422)
    with transactions.write() as session:
        revoke_session(session, request.cookies.get(cookie_name(settings, SESSION_COOKIE)))  # no session fixation
        if checked.new_hash:  # made with older parameters: store it re-made with the current ones
            store_new_hash(session, checked.official.id, account.password_hash, checked.new_hash)
        token = start_session(session, checked.official, request.headers.get("user-agent", ""))
        throttle.record_success(session, keys)
        record_sign_in(session, checked.official, address=address)
    response = RedirectResponse(next_path, status_code=303)
    response.set_cookie(
        cookie_name(settings, SESSION_COOKIE),
        token,
        httponly=True,
        samesite="lax",
        secure=settings.cookies_secure,
        path="/",
        max_age=settings.session_absolute_hours * 3600,
    )
    return response


@router.post("/sign-out", dependencies=[CsrfProtected])
def sign_out(request: Request, transactions: TransactionsDep, settings: SettingsDep, found: SignedInDep) -> Response:
    """End the platform's session; after a single sign-on, the provider's too where it offers that
    (RP-initiated logout with the ID token as hint, back to the sign-in page)."""
    with transactions.write() as session:
        ended = revoke_session(session, request.cookies.get(cookie_name(settings, SESSION_COOKIE)))
        if ended is not None:
            record_sign_out(session, found.official if found else None, ended)
    target = "/sign-in?signed_out=true"
    provider = next((p for p in settings.oidc_providers if ended is not None and p.key == ended.sso_provider), None)
    if provider is not None:
        try:
            meta = oidc.metadata(provider, settings.oidc_timeout_seconds)
        except oidc.ProviderUnavailable:
            meta = None  # signed out here; the provider's session is left to its own timeout
        if meta is not None:
            after = sso.absolute_url(request, settings, "/sign-in?signed_out=true")
            target = oidc.end_session_url(meta, provider, ended.id_token, after) or target
    response = RedirectResponse(target, status_code=303)
    response.delete_cookie(cookie_name(settings, SESSION_COOKIE), path="/", secure=settings.cookies_secure,
                           httponly=True, samesite="lax")
    return response
