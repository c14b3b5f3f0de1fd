"""Central administration: the at-risk country list and the audit log."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from app.clock import today
from app.services.audit import Actor
from app.services.organisation import lookups
from app.services.organisation.risk import (
    AssessmentImpact,
    AssessmentInput,
    at_risk_list,
    preview_assessment,
    set_assessment,
)
from app.web import forms
from app.web.deps import CentralAdmin, CsrfProtected, FormDep, SessionDep
from app.web.flash import flash
from app.web.templating import page_with_errors, render, url_path

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
    given = parsed.data
    impact = preview_assessment(session, given, today())
    if form.get("confirm") != "yes":
        # First say what it would do (flagging assigns training to everyone posted there); the same fields
        # come back with confirm=yes.
        fields = [(name, value) for name, value in form.multi_items()
                  if name not in ("csrf_token", "confirm") and isinstance(value, str)]
        context = {"impact": impact, "given": given, "fields": fields, "active_nav": "admin"}
        return render(request, "admin/country_confirm.html", context)
    set_assessment(session, Actor(admin.id, admin.full_name), given, today())
    heading, body = _assessment_message(impact, given)
    return flash(request, RedirectResponse(url_path(request, "countries"), status_code=303), heading, body)


def _officials(n: int) -> str:
    return f"{n} official" if n == 1 else f"{n} officials"


def _assessment_message(impact: AssessmentImpact, given: AssessmentInput) -> tuple[str, str]:
    if impact.unchanged:
        return "Nothing changed", f"This assessment of {impact.country_name} by {given.source} was already recorded."
    if given.at_risk:
        return (f"{impact.country_name} flagged as at risk",
                f"Training assigned to {_officials(impact.newly_assigned)} posted there, now or in future.")
    return (f"{impact.country_name} recorded as not at risk by {given.source}",
            f"At-risk training no longer required of {_officials(impact.no_longer_assigned)}.")


@router.get("/audit")
def audit_log(request: Request, admin: CentralAdmin, session: SessionDep, page: int = 1) -> Response:
    page = max(page, 1)
    events, has_next = lookups.audit_page(session, page, AUDIT_PAGE)
    context = {"events": events, "page": page, "has_next": has_next}
    return render(request, "admin/audit.html", context)


