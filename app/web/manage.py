"""Managers and admins, within their scope: officials, postings, extensions, exemptions, requirements."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from app.clock import today
from app.content.model import Library
from app.models import Official, Requirement
from app.services import audit
from app.services.audit import Actor
from app.services.organisation import countries, lookups, people, requirements
from app.services.organisation.scope import Scope
from app.web import forms
from app.web.deps import (
    CentralAdmin,
    CentralAdminFirst,
    CsrfProtected,
    CurrentOfficial,
    FormDep,
    LibraryDep,
    ManageScope,
    SessionDep,
    SettingsDep,
    get_library,
    manager_scope,
)
from app.web.flash import flash
from app.web.params import Id, PageNumber
from app.web.templating import govuk_date, page_with_errors, render

# Every page needs a scope: checked first, so a request from anyone else is refused before its body is read.
router = APIRouter(prefix="/manage", dependencies=[Depends(manager_scope)])


def _actor(official: Official) -> Actor:
    return Actor(official.id, official.full_name)


@router.get("/officials", name="manage_officials")
def officials(request: Request, scope: ManageScope, session: SessionDep, q: str = "", page: PageNumber = 1) -> Response:
    found = people.search_officials(session, scope, q, page)
    return render(request, "manage/officials.html", {"found": found, "q": q, "scope": scope, "active_nav": "manage"},
                  fragment="results")


BACK_TEXT = (("/compliance/officials", "Back to the list"), ("/compliance/team", "Back to my team"),
             ("/compliance/departments/", "Back to the department"), ("/compliance", "Back to compliance"))


def _back_link(back: str | None) -> dict[str, str]:
    """The official page's back link: to the list or dashboard the user came from (`back`), else to officials."""
    if back is None:
        return {"href": "/manage/officials", "text": "Back to officials"}
    text = next((text for prefix, text in BACK_TEXT if back.startswith(prefix)), "Back to officials")
    return {"href": back, "text": text}


def _official_path(official_id: int, back: str | None) -> str:
    """The official's page, keeping where its back link leads (after a form on it is sent)."""
    return f"/manage/officials/{official_id}" + (f"?{urlencode({'back': back})}" if back else "")


OWN_RECORD = {
    "extension": "You cannot grant yourself an extension",
    "exemption": "You cannot grant yourself an exemption",
    "posting": "You cannot change your own postings",
}


def _own_record(request: Request, refused: people.OwnRecord, official_id: int, back: str | None) -> Response:
    """403: whoever you are, your own training record and postings are changed by someone else."""
    return render(request, "manage/own_record.html", {"heading": OWN_RECORD[refused.what], "active_nav": "manage",
                                                      "official_path": _official_path(official_id, back)},
                  status_code=403)


def _detail(request: Request, session: Session, scope: Scope, viewer: Official, official_id: int,
            back: str | None = None) -> dict:
    try:
        detail = people.official_detail(session, scope, official_id, today())
    except people.NotInScope:
        raise HTTPException(404) from None
    max_days = request.app.state.settings.max_extension_days
    return {
        "own": viewer.id == detail.official.id,  # one's own page: no grant or posting forms (people.OwnRecord)
        "latest_extension": {v.assignment.id: people.latest_extension(v.assignment, today(), max_days)
                             for v in detail.assignments},
        "back": back,
        "back_link": _back_link(back),
        "module_titles": {m.id: m.title for m in get_library(request).modules.values()},  # as the learner sees it
        "detail": detail,
        "countries": countries.choices(session),
        "errors": {},
        "values": {},
        "exemption_reasons": people.EXEMPTION_REASONS,
        "extension_reasons": people.EXTENSION_REASONS,
        "history": audit.describe_all(session, detail.history),
        "active_nav": "manage",
    }


def _detail_with_errors(request: Request, session: Session, scope: Scope, viewer: Official, official_id: int,
                        parsed: forms.Parsed, back: str | None) -> Response:
    return page_with_errors(request, "manage/official.html",
                            _detail(request, session, scope, viewer, official_id, back), parsed.errors, parsed.values)


@router.get("/officials/{official_id}")
def official(request: Request, official_id: Id, scope: ManageScope, viewer: CurrentOfficial,
             session: SessionDep) -> Response:
    back = forms.back_path(request.query_params.get("back"))
    return render(request, "manage/official.html", _detail(request, session, scope, viewer, official_id, back))


@router.post("/officials/{official_id}/postings", dependencies=[CsrfProtected])
def add_posting(request: Request, form: FormDep, official_id: Id, scope: ManageScope, official: CurrentOfficial,
                session: SessionDep) -> Response:
    parsed = forms.posting(form)
    if parsed.values["country"] and parsed.values["country"] not in countries.offered_codes():
        parsed.errors["country"] = "Select the country of the posting"
    back = forms.back_path(form.get("back"))
    try:
        if not parsed.ok:
            people.official_may_change(session, scope, _actor(official), official_id, "posting")
            return _detail_with_errors(request, session, scope, official, official_id, parsed, back)
        given = parsed.data
        people.add_posting(session, scope, _actor(official), official_id, country_code=given.country_code,
                           post=given.post, start_on=given.start_on, end_on=given.end_on, today=today())
    except people.NotInScope:
        raise HTTPException(404) from None
    except people.OwnRecord as refused:
        return _own_record(request, refused, official_id, back)
    return RedirectResponse(_official_path(official_id, forms.back_path(form.get("back"))), status_code=303)


@router.post("/postings/{posting_id}/end", dependencies=[CsrfProtected])
def end_posting(request: Request, form: FormDep, posting_id: Id, scope: ManageScope, official: CurrentOfficial,
                session: SessionDep) -> Response:
    parsed = forms.posting_end(form, posting_id)
    back = forms.back_path(form.get("back"))
    official_id = forms.parse_int(parsed.values["official_id"], 0)
    try:
        if not parsed.ok:
            people.posting_may_change(session, scope, _actor(official), posting_id)
            return _detail_with_errors(request, session, scope, official, official_id, parsed, back)
        posting = people.end_posting(session, scope, _actor(official), posting_id, end_on=parsed.data, today=today())
    except people.NotInScope:
        raise HTTPException(404) from None
    except people.OwnRecord as refused:
        return _own_record(request, refused, official_id, back)
    return RedirectResponse(_official_path(posting.official_id, forms.back_path(form.get("back"))), status_code=303)


@router.post("/assignments/{assignment_id}/{kind}", dependencies=[CsrfProtected])
def grant(request: Request, form: FormDep, assignment_id: Id, kind: str, scope: ManageScope, official: CurrentOfficial,
          session: SessionDep, settings: SettingsDep) -> Response:
    if kind not in ("extensions", "exemptions"):
        raise HTTPException(404)
    extension = kind == "extensions"
    reasons = people.EXTENSION_REASONS if extension else people.EXEMPTION_REASONS
    parsed = forms.grant(form, "extension" if extension else "exemption", assignment_id, reasons, today())
    official_id = forms.parse_int(parsed.values["official_id"], 0)
    back = forms.back_path(form.get("back"))
    until_field = f"{'extension' if extension else 'exemption'}-until-{assignment_id}-day"
    try:
        if not parsed.ok:
            people.assignment_may_change(session, scope, _actor(official), assignment_id, kind[:-1])
            return _detail_with_errors(request, session, scope, official, official_id, parsed, back)
        given = parsed.data
        if extension:
            people.grant_extension(session, scope, _actor(official), assignment_id, reason=given.reason,
                                   comment=given.comment, today=today(), new_due_on=given.until,
                                   max_days=settings.max_extension_days)
        else:
            people.grant_exemption(session, scope, _actor(official), assignment_id, reason=given.reason,
                                   comment=given.comment, today=today(), valid_until=given.until)
    except people.NotInScope:
        raise HTTPException(404) from None
    except people.OwnRecord as refused:
        return _own_record(request, refused, official_id, back)
    except people.ExtensionTooLong as too_long:
        parsed.errors[until_field] = (f"New due date must be no later than {govuk_date(too_long.latest)}: an extension "
                                      f"can be at most {settings.max_extension_days} days after the due date")
        return _detail_with_errors(request, session, scope, official, official_id, parsed, back)
    except people.AlreadyGranted:
        what = "An extension to" if extension else "An exemption until"
        parsed.errors[until_field] = f"{what} {govuk_date(given.until)} has already been granted for this training"
        return _detail_with_errors(request, session, scope, official, official_id, parsed, back)
    heading = f"Extension granted to {govuk_date(given.until)}" if extension else \
        f"Exemption granted until {govuk_date(given.until)}"
    return flash(request, RedirectResponse(_official_path(official_id, forms.back_path(form.get("back"))), status_code=303),
                 heading)


@router.get("/departments")
def departments(request: Request, scope: ManageScope, session: SessionDep) -> Response:
    trees = people.departments_in_scope(session, scope)
    return render(request, "manage/departments.html", {"trees": trees, "scope": scope, "active_nav": "manage"})


@router.get("/requirements")
def requirement_list(request: Request, scope: ManageScope, session: SessionDep, library: LibraryDep) -> Response:
    rows = lookups.requirements(session)
    departments = {str(d.id): d.code for d in lookups.departments(session)}
    units = {str(u.id): u.full_name for u in lookups.units(session)}
    return render(request, "manage/requirements.html", {"rows": rows, "departments": departments, "units": units,
                                                         "library": library,
                                                         "active_nav": "requirements"})


# Requirements are central admins' (CentralAdmin on every route): any unit may be chosen.
REQUIREMENT_SCOPE = Scope(everything=True, label="All departments")


def _requirement_context(session: Session, library: Library, draft: forms.RequirementForm,
                         existing: Requirement | None, impact: list[requirements.DepartmentImpact] | None = None) -> dict:
    return {
        "draft": draft,
        "existing": existing,
        "errors": {},
        "impact": impact,
        "modules": sorted(library.modules.values(), key=lambda m: m.title),
        "departments": lookups.departments(session),
        "unit_groups": lookups.units_in_scope(session, REQUIREMENT_SCOPE),
        "active_nav": "requirements",
    }


def _requirement(session: Session, requirement_id: int | None) -> Requirement | None:
    if requirement_id is None:
        return None
    existing = requirements.get(session, requirement_id)
    if existing is None:
        raise HTTPException(404)
    return existing


@router.get("/requirements/new")
def new_requirement(request: Request, admin: CentralAdmin, session: SessionDep, library: LibraryDep) -> Response:
    context = _requirement_context(session, library, forms.RequirementForm(), None)
    return render(request, "manage/requirement_form.html", context)


@router.get("/requirements/{requirement_id}/edit")
def edit_requirement(request: Request, requirement_id: Id, admin: CentralAdmin, session: SessionDep,
                     library: LibraryDep) -> Response:
    existing = _requirement(session, requirement_id)
    context = _requirement_context(session, library, forms.RequirementForm.of(existing), existing)
    return render(request, "manage/requirement_form.html", context)


# Two routes, one form: the role is checked before the CSRF check reads the body.
@router.post("/requirements", dependencies=[CentralAdminFirst, CsrfProtected], name="save_requirement")
def add_requirement(request: Request, form: FormDep, admin: CentralAdmin, session: SessionDep,
                    library: LibraryDep) -> Response:
    return _save_requirement(request, form, admin, session, library, None)


@router.post("/requirements/{requirement_id}", dependencies=[CentralAdminFirst, CsrfProtected])
def save_requirement(request: Request, form: FormDep, admin: CentralAdmin, session: SessionDep, library: LibraryDep,
                     requirement_id: Id) -> Response:
    return _save_requirement(request, form, admin, session, library, requirement_id)


def _save_requirement(request: Request, form: FormDep, admin: Official, session: Session, library: Library,
                      requirement_id: int | None) -> Response:
    existing = _requirement(session, requirement_id)
    draft, parsed = forms.requirement(form)
    errors = {**requirements.check(session, library, parsed.data, REQUIREMENT_SCOPE), **parsed.errors}
    if errors:
        context = _requirement_context(session, library, draft, existing)
        return page_with_errors(request, "manage/requirement_form.html", context, errors)
    candidate = requirements.build(parsed.data)
    if form.get("action") != "save":
        impact = requirements.preview(session, candidate, existing, today())
        context = _requirement_context(session, library, draft, existing, impact)
        return render(request, "manage/requirement_form.html", context)
    saved = requirements.save(session, _actor(admin), candidate, existing, today())
    heading = f"Requirement {'saved' if existing else 'created'}: {saved.name}"
    return flash(request, RedirectResponse("/manage/requirements", status_code=303), heading,
                 "Every official's assignments have been brought up to date.")
