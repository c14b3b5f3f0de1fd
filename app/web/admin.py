"""Central administration: the at-risk country list and the audit log."""

from __future__ import annotations


from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from app.models import Country, Official, Role
from app.services.organisation import lookups
from app.clock import today
from app.services.audit import Actor
from app.services.organisation.risk import AssessmentInput, at_risk_list, set_assessment
from app.web.deps import CsrfProtected, FormDep, SessionDep, require_role
from app.web.forms import parse_date
from app.web.templating import render

router = APIRouter(prefix="/admin")
CentralAdmin = Annotated[Official, Depends(require_role(Role.CENTRAL_ADMIN))]
AUDIT_PAGE = 50


def _countries_page(request: Request, session: SessionDep, *, errors: dict | None = None, values: dict | None = None,
                    status_code: int = 200) -> Response:
    context = {
        "at_risk": at_risk_list(session),
        "countries": lookups.countries(session),
        "errors": errors or {},
        "values": values or {},
    }
    return render(request, "admin/countries.html", context, status_code=status_code)


@router.get("/countries")
def countries(request: Request, admin: CentralAdmin, session: SessionDep) -> Response:
    return _countries_page(request, session)


@router.post("/countries/assessments", dependencies=[CsrfProtected])
def assess_country(request: Request, form: FormDep, admin: CentralAdmin, session: SessionDep) -> Response:
    values = {key: str(form.get(key, "")).strip() for key in ("country", "at_risk", "source", "edition", "assessed_on", "level")}
    errors: dict[str, str] = {}
    if session.get(Country, values["country"]) is None:
        errors["country"] = "Select a country"
    if values["at_risk"] not in ("yes", "no"):
        errors["at_risk"] = "Select whether the source lists the country as at risk"
    if not values["source"]:
        errors["source"] = "Enter the source of the assessment, for example Early Warning Project Statistical Risk Assessment"
    assessed_on = parse_date(values["assessed_on"])
    if assessed_on is None:
        errors["assessed_on"] = "Enter the date of the assessment as a real date, for example 2025-09-03"
    elif assessed_on > today():
        errors["assessed_on"] = "The date of the assessment must be today or in the past"
    if errors:
        return _countries_page(request, session, errors=errors, values=values, status_code=422)
    given = AssessmentInput(
        country_code=values["country"],
        at_risk=values["at_risk"] == "yes",
        source=values["source"][:200],
        edition=values["edition"][:100],
        assessed_on=assessed_on,
        level=values["level"][:40],
    )
    set_assessment(session, Actor(admin.id, admin.full_name), given, today())
    return RedirectResponse("/admin/countries", status_code=303)


@router.get("/audit")
def audit_log(request: Request, admin: CentralAdmin, session: SessionDep, page: int = 1) -> Response:
    page = max(page, 1)
    events, has_next = lookups.audit_page(session, page, AUDIT_PAGE)
    context = {"events": events, "page": page, "has_next": has_next}
    return render(request, "admin/audit.html", context)


