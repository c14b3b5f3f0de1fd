"""Web upload for the roster and at-risk imports: the same services as the CLI, checked first, then applied."""

from __future__ import annotations

import hashlib
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from app.models import Official
from app.clock import today
from app.services.audit import Actor
from app.web.forms import parse_date
from app.services.organisation.risk_import import import_risk
from app.services.organisation.roster import import_roster
from app.web.deps import CsrfProtected, FormDep, SessionDep, central_admin
from app.web.templating import render

router = APIRouter(prefix="/admin/imports")
CentralAdmin = Annotated[Official, Depends(central_admin)]
MAX_UPLOAD = 50 * 1024 * 1024  # 50 MB: a whole-civil-service roster is about 20 MB


def _page(request: Request, *, errors=None, values=None, report=None, checked=None, status_code: int = 200) -> Response:
    context = {"errors": errors or {}, "values": values or {"kind": "roster", "top": "30"}, "report": report,
               "checked": checked, "active_nav": "admin"}
    return render(request, "admin/imports.html", context, status_code=status_code)


@router.get("")
def imports(request: Request, admin: CentralAdmin) -> Response:
    return _page(request)


@router.post("", dependencies=[CsrfProtected])
def run_import(request: Request, form: FormDep, admin: CentralAdmin, session: SessionDep) -> Response:
    """Check the file (a dry run). With `apply` and the fingerprint of the checked file, import it."""
    values = {k: str(form.get(k, "")).strip() for k in ("kind", "source", "top", "edition", "assessed_on", "full", "checked_sha")}
    upload = form.get("file")
    errors: dict[str, str] = {}
    data = b""
    if not isinstance(upload, UploadFile) or not upload.filename:
        errors["file"] = "Choose a CSV file to upload"
    else:
        data = upload.file.read(MAX_UPLOAD + 1)
        if len(data) > MAX_UPLOAD:
            errors["file"] = "The file must be smaller than 50 MB"
        elif not data.strip():
            errors["file"] = "The file is empty"
    if values["kind"] not in ("roster", "risk"):
        errors["kind"] = "Select what the file contains"
    top = int(values["top"]) if values["top"].isdigit() and int(values["top"]) > 0 else None
    assessed_on = parse_date(values["assessed_on"]) if values["assessed_on"] else None
    if values["kind"] == "risk":
        if not values["source"]:
            errors["source"] = "Enter whose assessment this is, for example Early Warning Project Statistical Risk Assessment"
        if top is None:
            errors["top"] = "Enter how many of the top-ranked countries count as at risk, for example 30"
        if values["assessed_on"] and assessed_on is None:
            errors["assessed_on"] = "Enter the publication date as a real date, for example 2025-09-03"
    fingerprint = hashlib.sha256(data).hexdigest()
    apply = form.get("action") == "apply"
    if apply and values["checked_sha"] != fingerprint and "file" not in errors:
        errors["file"] = "Choose the same file you checked: this one is different. Check it again before importing"
    if errors:
        return _page(request, errors=errors, values=values, status_code=422)
    actor = Actor(admin.id, f"{admin.full_name} (import {upload.filename})")
    if values["kind"] == "roster":
        report = import_roster(session, data, filename=upload.filename, dry_run=not apply, full=values["full"] == "yes",
                               today=today(), actor=actor)
    else:
        report = import_risk(session, data, source=values["source"], filename=upload.filename, dry_run=not apply, top=top,
                             edition=values["edition"] or None, assessed_on=assessed_on, today=today(), actor=actor)
    if report.errors:
        session.rollback()
        return _page(request, values=values, report=report, status_code=422)
    return _page(request, values=values, report=report, checked=None if apply else fingerprint)
