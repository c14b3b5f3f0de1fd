"""Web upload for the roster and at-risk imports: the same services as the CLI. One form per kind of file;
"Check" is a dry run that holds the checked file server-side (keyed by its SHA-256, for its admin only, for
APTRAIN_IMPORT_HOLD_MINUTES); "Import" names that key, and the held file is checked again and applied, all or
nothing, once."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlmodel import Session

from app.clock import today, utcnow
from app.models import Official
from app.services.audit import Actor
from app.services.organisation.csv_input import ImportReport
from app.services.organisation.held_imports import Held, HeldImports, HoldError, default_directory
from app.services.organisation.risk_import import import_risk
from app.services.organisation.roster import import_roster
from app.web import forms
from app.web.deps import CentralAdmin, CsrfProtected, FormDep, SessionDep, TransactionsDep, central_admin
from app.web.templating import page_with_errors, render

# Checked first, so a request from anyone else is refused before its body is read (app/web/limits.py).
router = APIRouter(prefix="/admin/imports", dependencies=[Depends(central_admin)])
# The two upload forms: their bodies may be APTRAIN_MAX_UPLOAD_MB (a whole-civil-service roster is about 20 MB)
# plus room for the form; every other POST is capped at APTRAIN_MAX_FORM_KB (app/web/limits.py).
UPLOAD_PATHS = frozenset({"/admin/imports/roster", "/admin/imports/risk"})
DEFAULTS = {"top": "30"}
TEMPLATE = "admin/imports.html"


def max_upload(request: Request) -> int:
    return request.app.state.settings.max_upload_mb * 1024 * 1024


def holds(request: Request) -> HeldImports:
    settings = request.app.state.settings
    return HeldImports(settings.import_hold_dir or default_directory(settings.database_url), settings.import_hold_minutes)


def _page(request: Request, *, values: dict | None = None, status_code: int = 200, **context) -> Response:
    context = {"errors": {}, "values": values or DEFAULTS, "report": None, "held": None, "done": None,
               "problem": None, "active_nav": "admin", **context}  # fmt: skip
    return render(request, TEMPLATE, context, status_code=status_code)


def _run(session: Session, held: Held | forms.UploadInput, admin: Official, *, dry_run: bool) -> ImportReport:
    """The import service for the file's kind, with the options it was checked with."""
    actor = Actor(admin.id, f"{admin.full_name} (import {held.filename})")
    o = held.options
    if held.kind == "roster":
        return import_roster(session, held.data, filename=held.filename, dry_run=dry_run, full=bool(o.get("full")),
                             today=today(), actor=actor)  # fmt: skip
    assessed_on = o.get("assessed_on")
    return import_risk(session, held.data, source=str(o["source"]), filename=held.filename, dry_run=dry_run,
                       top=int(o["top"]), edition=o.get("edition"),  # type: ignore[arg-type]
                       assessed_on=date.fromisoformat(assessed_on) if isinstance(assessed_on, str) else None,
                       today=today(), actor=actor)  # fmt: skip


@router.get("")
def imports(request: Request, admin: CentralAdmin) -> Response:
    holds(request).cleanup(utcnow())
    return _page(request)


def _check(request: Request, parsed: forms.Parsed[forms.UploadInput], admin: Official, session: SessionDep) -> Response:
    """A dry run: nothing changes. A clean file is held so that Import needs no second upload."""
    if not parsed.ok:
        context = {"report": None, "held": None, "done": None, "problem": None, "active_nav": "admin"}
        return page_with_errors(request, TEMPLATE, context, parsed.errors, {**DEFAULTS, **parsed.values})
    given = parsed.data
    report = _run(session, given, admin, dry_run=True)
    session.rollback()
    values = {**DEFAULTS, **parsed.values}
    if report.errors:
        return _page(request, values=values, report=report, kind=given.kind, status_code=422)
    held = holds(request).hold(admin.id, given.kind, given.filename, given.data, given.options, utcnow())
    return _page(request, values=values, report=report, held=held, kind=given.kind)


@router.post("/roster", dependencies=[CsrfProtected])
def check_roster(request: Request, form: FormDep, admin: CentralAdmin, session: SessionDep) -> Response:
    return _check(request, forms.roster_upload(form, max_upload(request)), admin, session)


@router.post("/risk", dependencies=[CsrfProtected])
def check_risk(request: Request, form: FormDep, admin: CentralAdmin, session: SessionDep) -> Response:
    return _check(request, forms.risk_upload(form, max_upload(request)), admin, session)


@router.post("/confirm", dependencies=[CsrfProtected])
def confirm_import(request: Request, form: FormDep, admin: CentralAdmin, tx: TransactionsDep) -> Response:
    """Import the held file the admin checked: checked again, applied all or nothing, and only once (a second
    confirm of the same key, say a double click, finds it already imported)."""
    key, store, now = forms.held_key(form), holds(request), utcnow()
    done = store.done(admin.id, key)
    if done is not None:
        return _page(request, done=done)
    try:
        held = store.claim(admin.id, key, now)
    except HoldError as problem:
        done = store.done(admin.id, key)  # the other click may have finished meanwhile
        if done is not None:
            return _page(request, done=done)
        return _page(request, problem=str(problem), status_code=409)
    try:
        with tx.write() as session:
            report = _run(session, held, admin, dry_run=False)
            if report.errors:
                session.rollback()  # all or nothing: something changed since the check
    except BaseException:
        store.release(held)  # not the file's fault (a busy database, say): it can be imported again
        raise
    if report.errors:
        store.drop(held)
        return _page(request, report=report, kind=held.kind, rechecked=True, status_code=422)
    store.finish(held, report.counts, utcnow())
    return _page(request, report=report, kind=held.kind)
