"""Compliance exports: the dashboards' figures and the officials behind them as CSV or Excel, streamed."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import PlainTextResponse, Response, StreamingResponse

from app.clock import today
from app.models import Official
from app.services.audit import Actor
from app.services.compliance import exports
from app.services.organisation.scope import Scope, team_scope
from app.web import forms
from app.web.deps import CurrentOfficial, LibraryDep, SessionDep, Transactions, TransactionsDep, manager_scope
from app.web.downloads import attachment

router = APIRouter(prefix="/compliance")
ManageScope = Annotated[Scope, Depends(manager_scope)]
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def _prepare(request: Request, session, scope: Scope, official: Official, library, transactions: Transactions,
             file_format: str):
    """The export, checked and recorded in the audit log (who, view, filters, format, rows) before any of it is
    sent; or the problem to answer instead."""
    view, query, errors = forms.export_query(request.query_params, today())
    if errors:
        return None, PlainTextResponse("\n".join(errors.values()), status_code=422)
    titles = {module.id: module.title for module in library.modules.values()}  # learners' titles, not ids
    export = exports.prepare(session, scope, view, query, titles)
    try:
        exports.check(session, export, team_scope(official))
        rows = exports.row_count(session, export, team_scope(official))
    except exports.NotInScope:
        raise HTTPException(404) from None
    with transactions.write() as writer:  # its own short write: the request's session only reads (GET)
        exports.record_export(writer, Actor(official.id, official.full_name), export, file_format, rows)
    return export, None


def _headers(filename: str) -> dict[str, str]:
    return attachment(filename)


@router.get("/export.csv")
def export_csv(request: Request, scope: ManageScope, official: CurrentOfficial, session: SessionDep,
               library: LibraryDep, transactions: TransactionsDep) -> Response:
    """Takes the dashboards' parameters: view, department, unit, country, module, status, on, sort."""
    export, problem = _prepare(request, session, scope, official, library, transactions, "csv")
    if problem is not None:
        return problem
    chunks = exports.csv_chunks(request.app.state.engine, export, team_scope(official))
    return StreamingResponse(chunks, media_type=MEDIA_TYPES["csv"], headers=_headers(export.filename("csv")))


@router.get("/export.xlsx")
def export_xlsx(request: Request, scope: ManageScope, official: CurrentOfficial, session: SessionDep,
                library: LibraryDep, transactions: TransactionsDep) -> Response:
    export, problem = _prepare(request, session, scope, official, library, transactions, "xlsx")
    if problem is not None:
        return problem
    spooled = exports.xlsx_file(request.app.state.engine, export, team_scope(official))
    return StreamingResponse(exports.file_chunks(spooled), media_type=MEDIA_TYPES["xlsx"],
                             headers=_headers(export.filename("xlsx")))
