"""Central admins issue and revoke the API tokens departmental systems use for /api/v1."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from app.models import Official
from app.services.accounts import api_tokens
from app.services.organisation import lookups
from app.services.audit import Actor
from app.web.deps import CsrfProtected, FormDep, SessionDep, central_admin
from app.web.templating import render

router = APIRouter(prefix="/admin/api-tokens")
CentralAdmin = Annotated[Official, Depends(central_admin)]
SCOPES = ("all", "department", "unit")


def _page(request: Request, session, *, created: tuple | None = None, errors: dict | None = None,
          values: dict | None = None, status_code: int = 200) -> Response:
    context = {
        "tokens": api_tokens.list_tokens(session),
        "departments": lookups.departments(session),
        "created": created,
        "errors": errors or {},
        "values": values or {},
        "active_nav": "admin",
    }
    return render(request, "admin/api_tokens.html", context, status_code=status_code)


@router.get("")
def token_list(request: Request, admin: CentralAdmin, session: SessionDep) -> Response:
    return _page(request, session)


@router.post("", dependencies=[CsrfProtected])
def create_token(request: Request, form: FormDep, admin: CentralAdmin, session: SessionDep) -> Response:
    values = {key: str(form.get(key, "")).strip() for key in ("name", "scope", "department", "unit")}
    errors = {}
    if not values["name"]:
        errors["name"] = "Enter a name that says which system uses the token"
    if values["scope"] not in SCOPES:
        errors["scope"] = "Select what the token can see"
    elif values["scope"] == "department" and not values["department"].isdigit():
        errors["department"] = "Select a department"
    elif values["scope"] == "unit" and not values["unit"].isdigit():
        errors["unit"] = "Enter the unit's id, a whole number"
    if not errors:
        try:
            token, secret = api_tokens.create(
                session, Actor(admin.id, admin.full_name), values["name"], everything=values["scope"] == "all",
                department_id=int(values["department"]) if values["scope"] == "department" else None,
                unit_id=int(values["unit"]) if values["scope"] == "unit" else None)
        except api_tokens.InvalidScope as exc:
            errors[str(exc)] = f"There is no such {exc}"
    if errors:
        return _page(request, session, errors=errors, values=values, status_code=422)
    # Shown once, on this response only: never put in a URL, never stored in clear.
    return _page(request, session, created=(token, secret), status_code=201)


@router.post("/{token_id}/revoke", dependencies=[CsrfProtected])
def revoke_token(token_id: int, admin: CentralAdmin, session: SessionDep) -> Response:
    if api_tokens.revoke(session, Actor(admin.id, admin.full_name), token_id) is None:
        raise HTTPException(404)
    return RedirectResponse("/admin/api-tokens", status_code=303)
