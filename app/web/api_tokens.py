"""Central admins issue and revoke the API tokens departmental systems use for /api/v1."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from app.clock import utcnow
from app.services.accounts import api_tokens
from app.services.audit import Actor
from app.services.organisation import lookups
from app.services.organisation.scope import Scope
from app.web import forms
from app.web.deps import CentralAdmin, CsrfProtected, FormDep, SessionDep, central_admin
from app.web.flash import flash
from app.web.params import Id
from app.web.templating import page_with_errors, render, url_path

# Checked first, so a request from anyone else is refused before its body is read (app/web/limits.py).
router = APIRouter(prefix="/admin/api-tokens", dependencies=[Depends(central_admin)])


def _tokens(request: Request, session: Session) -> dict:
    longest = request.app.state.settings.api_token_days
    now = utcnow()
    return {"tokens": api_tokens.list_tokens(session), "departments": lookups.departments(session), "created": None,
            "unit_groups": lookups.units_in_scope(session, Scope(everything=True)),  # tokens are central admins'
            "day_choices": [(days, now + timedelta(days=days)) for days in forms.token_day_choices(longest)],
            "errors": {}, "values": {"days": str(longest)}, "active_nav": "admin"}


@router.get("")
def token_list(request: Request, admin: CentralAdmin, session: SessionDep) -> Response:
    return render(request, "admin/api_tokens.html", _tokens(request, session))


@router.post("", dependencies=[CsrfProtected])
def create_token(request: Request, form: FormDep, admin: CentralAdmin, session: SessionDep) -> Response:
    parsed = forms.api_token(form, request.app.state.settings.api_token_days)
    if parsed.ok:
        given = parsed.data
        try:
            token, secret = api_tokens.create(session, Actor(admin.id, admin.full_name), given.name,
                                              everything=given.everything, department_id=given.department_id,
                                              unit_id=given.unit_id, days=given.days)
        except api_tokens.InvalidScope as exc:
            parsed.errors[str(exc)] = f"There is no such {exc}"
    if not parsed.ok:
        return page_with_errors(request, "admin/api_tokens.html", _tokens(request, session), parsed.errors, parsed.values)
    # Shown once, on this response only: never put in a URL, never stored in clear.
    context = {**_tokens(request, session), "created": (token, secret)}
    return render(request, "admin/api_tokens.html", context, status_code=201)


@router.get("/{token_id}/revoke")
def confirm_revoke_token(request: Request, token_id: Id, admin: CentralAdmin, session: SessionDep) -> Response:
    """Are you sure? Revoking cannot be undone, and the systems using the token stop at once."""
    row = api_tokens.find(session, token_id)
    if row is None or row.token.revoked_at is not None:
        raise HTTPException(404)
    return render(request, "admin/api_token_revoke.html", {"row": row})


@router.post("/{token_id}/revoke", dependencies=[CsrfProtected])
def revoke_token(request: Request, token_id: Id, admin: CentralAdmin, session: SessionDep) -> Response:
    token = api_tokens.revoke(session, Actor(admin.id, admin.full_name), token_id)
    if token is None:
        raise HTTPException(404)
    response = RedirectResponse(url_path(request, "token_list"), status_code=303)
    return flash(request, response, f"API token revoked: {token.name}",
                 "Requests made with it are refused from now on.")
