"""Managers and admins, within their scope: officials, postings, extensions, exemptions, requirements."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from app.models import Country, Official, Requirement
from app.clock import today
from app.services.organisation import lookups, people, requirements
from app.services.audit import Actor
from app.web.forms import parse_date
from app.services.organisation.scope import Scope
from app.web.deps import CsrfProtected, FormDep, CurrentOfficial, LibraryDep, SessionDep, central_admin, manager_scope
from app.web.templating import render

router = APIRouter(prefix="/manage")
ManageScope = Annotated[Scope, Depends(manager_scope)]
CentralAdmin = Annotated[Official, Depends(central_admin)]


def _actor(official: Official) -> Actor:
    return Actor(official.id, official.full_name)


@router.get("/officials")
def officials(request: Request, scope: ManageScope, session: SessionDep, q: str = "", page: int = 1) -> Response:
    found = people.search_officials(session, scope, q, page)
    return render(request, "manage/officials.html", {"found": found, "q": q, "scope": scope, "active_nav": "manage"},
                  fragment="results")


def _detail_page(request: Request, session, scope: Scope, official_id: int, *, errors: dict | None = None,
                 values: dict | None = None, status_code: int = 200) -> Response:
    try:
        detail = people.official_detail(session, scope, official_id, today())
    except people.NotInScope:
        raise HTTPException(404) from None
    context = {
        "detail": detail,
        "countries": lookups.countries(session),
        "errors": errors or {},
        "values": values or {},
        "exemption_reasons": people.EXEMPTION_REASONS,
        "extension_reasons": people.EXTENSION_REASONS,
        "active_nav": "manage",
    }
    return render(request, "manage/official.html", context, status_code=status_code)


@router.get("/officials/{official_id}")
def official(request: Request, official_id: int, scope: ManageScope, session: SessionDep) -> Response:
    return _detail_page(request, session, scope, official_id)


def _form(form: FormData, *names: str) -> dict[str, str]:
    return {name: str(form.get(name, "")).strip() for name in names}


@router.post("/officials/{official_id}/postings", dependencies=[CsrfProtected])
def add_posting(request: Request, form: FormDep, official_id: int, scope: ManageScope, official: CurrentOfficial,
                      session: SessionDep) -> Response:
    values = _form(form, "country", "post", "start_on", "end_on")
    errors = {}
    if session.get(Country, values["country"]) is None:
        errors["country"] = "Select the country of the posting"
    if not values["post"]:
        errors["post"] = "Enter the post, for example British Embassy Khartoum"
    start_on, end_on = parse_date(values["start_on"]), parse_date(values["end_on"]) if values["end_on"] else None
    if start_on is None:
        errors["start_on"] = "Enter the start date as a real date, for example 2027-01-12"
    if values["end_on"] and end_on is None:
        errors["end_on"] = "Enter the end date as a real date, or leave it empty"
    elif start_on and end_on and end_on < start_on:
        errors["end_on"] = "The end date must be after the start date"
    if errors:
        return _detail_page(request, session, scope, official_id, errors=errors, values=values, status_code=422)
    try:
        people.add_posting(session, scope, _actor(official), official_id, country_code=values["country"],
                           post=values["post"][:200], start_on=start_on, end_on=end_on, today=today())
    except people.NotInScope:
        raise HTTPException(404) from None
    return RedirectResponse(f"/manage/officials/{official_id}", status_code=303)


@router.post("/postings/{posting_id}/end", dependencies=[CsrfProtected])
def end_posting(request: Request, form: FormDep, posting_id: int, scope: ManageScope, official: CurrentOfficial,
                      session: SessionDep) -> Response:
    values = _form(form, "official_id", "end_on")
    official_id = int(values["official_id"]) if values["official_id"].isdigit() else 0
    end_on = parse_date(values["end_on"])
    try:
        if end_on is None:
            errors = {f"end-on-{posting_id}": "Enter the last day of the posting as a real date, for example 2027-06-30"}
            return _detail_page(request, session, scope, official_id, errors=errors, values=values, status_code=422)
        posting = people.end_posting(session, scope, _actor(official), posting_id, end_on=end_on, today=today())
    except people.NotInScope:
        raise HTTPException(404) from None
    return RedirectResponse(f"/manage/officials/{posting.official_id}", status_code=303)


@router.post("/assignments/{assignment_id}/{kind}", dependencies=[CsrfProtected])
def grant(request: Request, form: FormDep, assignment_id: int, kind: str, scope: ManageScope, official: CurrentOfficial,
                session: SessionDep) -> Response:
    if kind not in ("extensions", "exemptions"):
        raise HTTPException(404)
    values = _form(form, "official_id", "reason", "comment", "until")
    reasons = people.EXTENSION_REASONS if kind == "extensions" else people.EXEMPTION_REASONS
    prefix = "extension" if kind == "extensions" else "exemption"
    errors = {}
    if values["reason"] not in reasons:
        errors[f"{prefix}-reason-{assignment_id}"] = "Select a reason"
    if not values["comment"]:
        errors[f"{prefix}-comment-{assignment_id}"] = "Enter a comment explaining the decision"
    until = parse_date(values["until"])
    if until is None or until < today():
        errors[f"{prefix}-until-{assignment_id}"] = "Enter a date in the future, for example 2027-03-31"
    official_id = int(values["official_id"]) if values["official_id"].isdigit() else 0
    try:
        if errors:
            return _detail_page(request, session, scope, official_id, errors=errors, values=values, status_code=422)
        action = people.grant_extension if kind == "extensions" else people.grant_exemption
        arguments = {"new_due_on": until} if kind == "extensions" else {"valid_until": until}
        action(session, scope, _actor(official), assignment_id, reason=values["reason"], comment=values["comment"][:2000],
               today=today(), **arguments)
    except people.NotInScope:
        raise HTTPException(404) from None
    return RedirectResponse(f"/manage/officials/{official_id}", status_code=303)


@router.get("/departments")
def departments(request: Request, scope: ManageScope, session: SessionDep) -> Response:
    trees = people.departments_in_scope(session, scope)
    return render(request, "manage/departments.html", {"trees": trees, "scope": scope, "active_nav": "manage"})


@router.get("/requirements")
def requirement_list(request: Request, scope: ManageScope, session: SessionDep, library: LibraryDep) -> Response:
    rows = lookups.requirements(session)
    departments = {str(d.id): d.code for d in lookups.departments(session)}
    return render(request, "manage/requirements.html", {"rows": rows, "departments": departments, "library": library,
                                                         "active_nav": "requirements"})


def _requirement_form(request: Request, session, library, draft, existing, *, errors=None, impact=None,
                      status_code: int = 200) -> Response:
    context = {
        "draft": draft,
        "existing": existing,
        "errors": errors or {},
        "impact": impact,
        "modules": sorted(library.modules.values(), key=lambda m: m.title),
        "departments": lookups.departments(session),
        "units": lookups.units(session),
        "active_nav": "requirements",
    }
    return render(request, "manage/requirement_form.html", context, status_code=status_code)


@router.get("/requirements/new")
def new_requirement(request: Request, admin: CentralAdmin, session: SessionDep, library: LibraryDep) -> Response:
    return _requirement_form(request, session, library, requirements.RequirementDraft(), None)


@router.get("/requirements/{requirement_id}/edit")
def edit_requirement(request: Request, requirement_id: int, admin: CentralAdmin, session: SessionDep,
                     library: LibraryDep) -> Response:
    existing = session.get(Requirement, requirement_id)
    if existing is None:
        raise HTTPException(404)
    return _requirement_form(request, session, library, requirements.RequirementDraft.of(existing), existing)


@router.post("/requirements", dependencies=[CsrfProtected])
@router.post("/requirements/{requirement_id}", dependencies=[CsrfProtected])
def save_requirement(request: Request, form: FormDep, admin: CentralAdmin, session: SessionDep, library: LibraryDep,
                           requirement_id: int | None = None) -> Response:
    existing = session.get(Requirement, requirement_id) if requirement_id is not None else None
    if requirement_id is not None and existing is None:
        raise HTTPException(404)
    text = {k: str(form.get(k, "")) for k in ("name", "module_id", "unit_ids", "audience", "due_rule", "due_days",
                                              "due_date", "grace_days", "validity_months", "recertification_days")}
    draft = requirements.RequirementDraft(
        **text,
        department_ids=[str(v) for v in form.getlist("department_ids")],
        at_risk_posting=form.get("at_risk_posting") == "yes",
        retake_on_major=form.get("retake_on_major") == "yes",
        active=form.get("active", "yes") == "yes",
    )
    errors, candidate = requirements.check(session, library, draft)
    if errors:
        return _requirement_form(request, session, library, draft, existing, errors=errors, status_code=422)
    if form.get("action") != "save":
        impact = requirements.preview(session, candidate, existing, today())
        return _requirement_form(request, session, library, draft, existing, impact=impact)
    requirements.save(session, _actor(admin), candidate, existing, today())
    return RedirectResponse("/manage/requirements", status_code=303)
