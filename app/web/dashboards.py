"""Compliance dashboards: central, department and team views, the officials behind each figure, definitions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from app.clock import today
from app.services.compliance import dashboards
from app.services.compliance.dashboards import DashboardQuery, NotInScope
from app.services.compliance.officials import official_list
from app.services.compliance.snapshots import trend
from app.services.compliance.status import ListStatus
from app.services.compliance.trend import trend_chart
from app.services.organisation.scope import Scope, team_scope
from app.web import forms
from app.web.deps import CurrentOfficial, LibraryDep, SessionDep, manager_scope
from app.web.params import Id
from app.web.templating import render

router = APIRouter(prefix="/compliance")
ViewerScope = Annotated[Scope, Depends(manager_scope)]



def _query(request: Request, session: Session) -> tuple[DashboardQuery, dict[str, str]]:
    query, errors = forms.dashboard_query(request.query_params, today())
    return dashboards.with_unit_path(session, query), errors


def _options(session: Session, scope: Scope, library, *, department_id: int | None = None,
             unit_path: str | None = None) -> dict:
    found = dashboards.filter_options(session, scope, department_id, unit_path)
    titles = [(m, library.modules[m].title if m in library.modules else m) for m in found.module_ids]
    return {"departments": found.departments, "units": found.units, "countries": found.countries, "modules": titles}


def _page(request: Request, template: str, context: dict, errors: dict[str, str]) -> Response:
    context = {"active_nav": "compliance", "errors": errors, "status_names": {s.value: s.label for s in ListStatus}, **context}
    return render(request, template, context, fragment="dashboard", status_code=422 if errors else 200)


def _trend(session: Session, scope: Scope, query: DashboardQuery, filters) -> dict:
    points = trend(session, scope, filters, query.on)
    return {"trend_points": points, "chart": trend_chart(points, query.on)}


@router.get("")
def overview(request: Request, scope: ViewerScope, session: SessionDep, library: LibraryDep) -> Response:
    """Central admins: every department side by side. Others go to their own view."""
    if not scope.everything:
        suffix = ("?" + request.url.query) if request.url.query else ""
        target = f"/compliance/departments/{scope.department_id}" if scope.department_id else "/compliance/team"
        return RedirectResponse(target + suffix, status_code=303)
    query, errors = _query(request, session)
    view = None if errors else dashboards.central_view(session, scope, query.on, query.filters)
    context = {"view": view, "query": query, "options": _options(session, scope, library), "library": library}
    if view:
        context.update(_trend(session, scope, query, query.filters))
    return _page(request, "compliance/central.html", context, errors)


@router.get("/definitions")
def definitions(request: Request, official: CurrentOfficial) -> Response:
    return render(request, "compliance/definitions.html", {"definitions": dashboards.DEFINITIONS,
                                                           "active_nav": "compliance"})


@router.get("/departments/{department_id}")
def department(request: Request, department_id: Id, scope: ViewerScope, session: SessionDep,
               library: LibraryDep) -> Response:
    query, errors = _query(request, session)
    try:
        view = dashboards.department_view(session, scope, department_id, query.on, query.filters,
                                          None if errors else query.unit_id)
    except NotInScope:
        raise HTTPException(404) from None
    context = {"view": None if errors else view, "department": view.department, "query": query, "library": library,
               "options": _options(session, scope, library, department_id=department_id)}
    if not errors:
        context.update(_trend(session, scope, query, view.filters))
    return _page(request, "compliance/department.html", context, errors)


@router.get("/team")
def team(request: Request, scope: ViewerScope, official: CurrentOfficial, session: SessionDep,
         library: LibraryDep) -> Response:
    """A manager's unit subtree, down to each official. Admins who manage no team go to their own view."""
    team = team_scope(official)
    if team is None:
        return RedirectResponse("/compliance", status_code=303)
    query, errors = _query(request, session)
    try:
        view = None if errors else dashboards.team_view(session, team, query.on, query.filters, query.unit_id,
                                                        query.page)
    except NotInScope:
        raise HTTPException(404) from None
    context = {"view": view, "query": query, "library": library,
               "options": _options(session, team, library, unit_path=team.unit_path)}
    if view:
        context.update(_trend(session, team, query, view.filters))
    return _page(request, "compliance/team.html", context, errors)


@router.get("/officials", name="compliance_officials")
def officials(request: Request, scope: ViewerScope, session: SessionDep, library: LibraryDep) -> Response:
    """The assignments behind a figure, in the viewer's scope whatever ids the URL carries."""
    query, errors = _query(request, session)
    found = None if errors else official_list(session, scope, query.on, query.status, query.filters, query.sort,
                                              query.page)
    department_id = query.filters.department_id or scope.department_id
    context = {"found": found, "query": query, "library": library, "sorts": dashboards.SORTS,
               "options": _options(session, scope, library, department_id=department_id,
                                   unit_path=scope.unit_path)}
    return _page(request, "compliance/officials.html", context, errors)
