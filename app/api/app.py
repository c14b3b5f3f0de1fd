"""create_api(): the /api/v1 application, authenticated by bearer tokens only (never by the session cookie).

Its OpenAPI schema is served at /api/v1/openapi.json. There is no Swagger UI or ReDoc page: both load their
JavaScript from a CDN, which the Content-Security-Policy and the network both block; point any OpenAPI
viewer or client generator at the JSON instead.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeoutError

from app.api import routes
from app.db import RETRY_AFTER, is_busy, is_unavailable

DESCRIPTION = """Compliance figures and assignments for departmental HR and BI systems.

Authenticate with `Authorization: Bearer apt_…`: central admins issue tokens at /admin/api-tokens, each
limited to all departments, one department or one unit subtree. Every answer is limited to the token's
scope whatever filters are given. The figures are those of the dashboards and the CSV exports.

Tokens expire (12 months after they are issued unless the admin chose less). Every answer carries
`API-Token-Expires` (RFC 3339, UTC); in the token's last 30 days it also carries `API-Token-Warning`, a
sentence saying when it ends: alert on it and ask a central admin for a replacement. `next` links are built
on the service's configured address (APTRAIN_BASE_URL), never on the Host header sent.

Errors are JSON `{"detail": …}` with status 400 (bad cursor), 401 (no, unknown, revoked or expired token),
403 (a filter outside the token's scope), 404 (unknown department, unit or country) or 422 (invalid
parameters: dates are YYYY-MM-DD, and a parameter the operation does not have is refused, not ignored).
Only this schema is served: the interactive documentation pages need scripts from a CDN, which this
service's Content-Security-Policy blocks."""


def create_api(engine: Engine, base_url: str | None = None) -> FastAPI:
    api = FastAPI(title="Atrocity Prevention Training API", version="1", description=DESCRIPTION,
                  docs_url=None, redoc_url=None, openapi_url="/openapi.json")
    api.state.engine = engine
    api.state.base_url = base_url  # links it gives (`next`) are built on this, not on the request's Host
    api.include_router(routes.router)

    @api.exception_handler(DBAPIError)
    @api.exception_handler(SQLAlchemyTimeoutError)
    async def _busy(_request: Request, exc: Exception) -> JSONResponse:
        if is_unavailable(exc):
            return JSONResponse({"detail": "The service is unavailable: try again in a few seconds"}, status_code=503,
                                headers={"Retry-After": RETRY_AFTER})
        if not is_busy(exc):
            raise exc
        return JSONResponse({"detail": "The service is busy: try again in a few seconds"}, status_code=503,
                            headers={"Retry-After": RETRY_AFTER})

    return api
