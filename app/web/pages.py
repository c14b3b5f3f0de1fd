"""Pages anyone may read: the accessibility statement and a health check."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from app.db import database_answers
from app.web.deps import LibraryDep, SessionDep, signed_in
from app.web.templating import render

router = APIRouter(dependencies=[Depends(signed_in)])


@router.get("/accessibility")
def accessibility(request: Request) -> Response:
    return render(request, "pages/accessibility.html")


@router.get("/healthz")
def health(session: SessionDep, library: LibraryDep) -> Response:
    database_answers(session)
    return JSONResponse({"status": "ok", "modules": len(library.modules)})
