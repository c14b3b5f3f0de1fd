"""Central administration: the at-risk country list and the audit log."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from app.clock import today
from app.services import audit
from app.services.audit import Actor
from app.services.organisation import countries as places
from app.services.organisation.risk import (
    AssessmentImpact,
    AssessmentInput,
    at_risk_list,
    preview_assessment,
    set_assessment,
)
from app.web import forms
from app.web.deps import CentralAdmin, CsrfProtected, FormDep, SessionDep, central_admin
from app.web.flash import flash
from app.web.forms.audit import audit_filters
from app.web.params import QueryId
from app.web.templating import page_with_errors, render, url_path

# Checked first, so a request from anyone else is refused before its body is read (app/web/limits.py).
router = APIRouter(prefix="/admin", dependencies=[Depends(central_admin)])
AUDIT_PAGE = 50


def _countries(session: Session) -> dict:
    return {"at_risk": at_risk_list(session), "countries": places.choices(session), "errors": {}, "values": {}}


@router.get("/countries")
def countries(request: Request, admin: CentralAdmin, session: SessionDep) -> Response:
    return render(request, "admin/countries.html", _countries(session))


@router.post("/countries/assessments", dependencies=[CsrfProtected])
def assess_country(request: Request, form: FormDep, admin: CentralAdmin, session: SessionDep) -> Response:
    parsed = forms.country_assessment(form, today())
    if parsed.values["country"] and parsed.values["country"] not in places.offered_codes():
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
    return "no official" if n == 0 else f"{n} official" if n == 1 else f"{n} officials"


def _assessment_message(impact: AssessmentImpact, given: AssessmentInput) -> tuple[str, str]:
    if impact.unchanged:
        return "Nothing changed", f"This assessment of {impact.country_name} by {given.source} was already recorded."
    if given.at_risk:
        if not impact.newly_assigned:
            return f"{impact.country_name} flagged as at risk", "No official posted there needed new training."
        return (f"{impact.country_name} flagged as at risk",
                f"Training assigned to {_officials(impact.newly_assigned)} posted there, now or in future.")
    return (f"{impact.country_name} recorded as not at risk by {given.source}",
            f"At-risk training no longer required of {_officials(impact.no_longer_assigned)}.")


@router.get("/audit")
def audit_log(request: Request, admin: CentralAdmin, session: SessionDep, before: QueryId = None,
              after: QueryId = None) -> Response:
    parsed = audit_filters(request.query_params)
    context = {"values": parsed.values, "errors": parsed.errors, "actions": audit.ACTIONS, "page": None,
               "filtered": any(v for v in parsed.values.values())}
    if not parsed.ok:
        return page_with_errors(request, "admin/audit.html", context, parsed.errors, parsed.values)
    page = audit.audit_page(session, parsed.data, before=before, after=after, per_page=AUDIT_PAGE)
    # Newer and older pages keep the filters: the same query string with the keyset bound swapped.
    kept = [(name, value) for name, value in request.query_params.multi_items() if name not in ("before", "after")]
    here = url_path(request, "audit_log")
    context |= {
        "page": page,
        "newer_href": f"{here}?{urlencode([*kept, ('after', page.newer)])}" if page.newer else None,
        "older_href": f"{here}?{urlencode([*kept, ('before', page.older)])}" if page.older else None,
    }
    return render(request, "admin/audit.html", context)
