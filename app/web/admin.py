"""Central administration: the at-risk country list and the audit log."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from app.clock import today
from app.services.audit import Actor
from app.services.organisation import lookups
from app.services.organisation.risk import at_risk_list, set_assessment
from app.web import forms
from app.web.deps import CentralAdmin, CsrfProtected, FormDep, SessionDep
from app.web.templating import page_with_errors, render

router = APIRouter(prefix="/admin")
AUDIT_PAGE = 50


def _countries(session: Session) -> dict:
    return {"at_risk": at_risk_list(session), "countries": lookups.countries(session), "errors": {}, "values": {}}


@router.get("/countries")
def countries(request: Request, admin: CentralAdmin, session: SessionDep) -> Response:
    return render(request, "admin/countries.html", _countries(session))


@router.post("/countries/assessments", dependencies=[CsrfProtected])
def assess_country(request: Request, form: FormDep, admin: CentralAdmin, session: SessionDep) -> Response:
    parsed = forms.country_assessment(form, today())
    if parsed.values["country"] and lookups.country(session, parsed.values["country"]) is None:
        parsed.errors["country"] = "Select a country"
    if not parsed.ok:
        return page_with_errors(request, "admin/countries.html", _countries(session), parsed.errors, parsed.values)
    set_assessment(session, Actor(admin.id, admin.full_name), parsed.data, today())
    return RedirectResponse("/admin/countries", status_code=303)


@router.get("/audit")
def audit_log(request: Request, admin: CentralAdmin, session: SessionDep, page: int = 1) -> Response:
    page = max(page, 1)
    events, has_next = lookups.audit_page(session, page, AUDIT_PAGE)
    context = {"events": events, "page": page, "has_next": has_next}
    return render(request, "admin/audit.html", context)


