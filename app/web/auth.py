"""Signing in and out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from app.services.accounts.sessions import check_password, find_account, revoke_session, start_session, store_new_hash
from app.web.deps import (
    SESSION_COOKIE,
    CsrfProtected,
    SessionDep,
    SettingsDep,
    SignedInDep,
    TransactionsDep,
    signed_in,
)
from app.web.templating import render

router = APIRouter(dependencies=[Depends(signed_in)])


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never `//host` or a full URL (no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/training"


@router.get("/sign-in")
def sign_in_form(request: Request, found: SignedInDep, next: str | None = None, signed_out: bool = False) -> Response:
    if found is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return render(request, "auth/sign_in.html", {"next": _safe_next(next), "signed_out": signed_out, "errors": {}})


@router.post("/sign-in", dependencies=[CsrfProtected])
def sign_in(
    request: Request,
    transactions: TransactionsDep,
    settings: SettingsDep,
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/training",
) -> Response:
    errors: dict[str, str] = {}
    if not email.strip():
        errors["email"] = "Enter your email address"
    if not password:
        errors["password"] = "Enter your password"
    checked = None
    if not errors:
        # The password hash takes a while: it runs holding no connection and no lock.
        with transactions.read() as session:
            account = find_account(session, email)
        checked = check_password(account, password)
    if checked is None and not errors:
        errors["email"] = "Enter a correct email address and password"
    if errors:
        context = {"next": _safe_next(next), "signed_out": False, "errors": errors, "email": email}
        return render(request, "auth/sign_in.html", context, status_code=422)
    with transactions.write() as session:
        revoke_session(session, request.cookies.get(SESSION_COOKIE))  # no session fixation
        if checked.new_hash:  # made with older parameters: store it re-made with the current ones
            store_new_hash(session, checked.official.id, account.password_hash, checked.new_hash)
        token = start_session(session, checked.official, request.headers.get("user-agent", ""))
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=settings.cookies_secure,
        path="/",
        max_age=settings.session_absolute_hours * 3600,
    )
    return response


@router.post("/sign-out", dependencies=[CsrfProtected])
def sign_out(request: Request, session: SessionDep) -> Response:
    revoke_session(session, request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse("/sign-in?signed_out=true", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
