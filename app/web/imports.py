"""Web upload for the roster and at-risk imports: the same services as the CLI, checked first, then applied."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.clock import today
from app.services.audit import Actor
from app.services.organisation.csv_input import ImportReport
from app.services.organisation.risk_import import import_risk
from app.services.organisation.roster import import_roster
from app.web import forms
from app.web.deps import CentralAdmin, CsrfProtected, FormDep, SessionDep
from app.web.templating import page_with_errors, render

router = APIRouter(prefix="/admin/imports")
MAX_UPLOAD = 50 * 1024 * 1024  # 50 MB: a whole-civil-service roster is about 20 MB


DEFAULTS = {"kind": "roster", "top": "30"}


def _page(request: Request, *, values: dict | None = None, report: ImportReport | None = None, checked: str | None = None,
          status_code: int = 200) -> Response:
    context = {"errors": {}, "values": values or DEFAULTS, "report": report, "checked": checked, "active_nav": "admin"}
    return render(request, "admin/imports.html", context, status_code=status_code)


@router.get("")
def imports(request: Request, admin: CentralAdmin) -> Response:
    return _page(request)


@router.post("", dependencies=[CsrfProtected])
def run_import(request: Request, form: FormDep, admin: CentralAdmin, session: SessionDep) -> Response:
    """Check the file (a dry run). With `apply` and the fingerprint of the checked file, import it."""
    parsed = forms.upload(form, MAX_UPLOAD)
    if not parsed.ok:
        context = {"report": None, "checked": None, "active_nav": "admin"}
        return page_with_errors(request, "admin/imports.html", context, parsed.errors, parsed.values)
    given = parsed.data
    actor = Actor(admin.id, f"{admin.full_name} (import {given.filename})")
    if given.kind == "roster":
        report = import_roster(session, given.data, filename=given.filename, dry_run=not given.apply, full=given.full,
                               today=today(), actor=actor)
    else:
        report = import_risk(session, given.data, source=given.source, filename=given.filename,
                             dry_run=not given.apply, top=given.top, edition=given.edition,
                             assessed_on=given.assessed_on, today=today(), actor=actor)
    if report.errors:
        session.rollback()
        return _page(request, values=parsed.values, report=report, status_code=422)
    return _page(request, values=parsed.values, report=report, checked=None if given.apply else given.fingerprint)
