"""create_app(): the FastAPI application, its middleware, static files, routers and error pages."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.trustedhost import TrustedHostMiddleware

from app import PROJECT_ROOT
from app.api.app import create_api
from app.config import Settings, get_settings
from app.content.live import LiveLibrary
from app.content.model import Library
from app.db import RETRY_AFTER, is_busy, is_unavailable, make_engine
from app.services.learning import xapi
from app.web import admin, auth, author, dashboards, imports, learn, manage, notifications, observability, pages
from app.web import api_tokens as api_tokens_web
from app.web import exports as exports_web
from app.web import record as record_web
from app.web import sso as sso_web
from app.web.deps import CsrfFailed, Forbidden, SignInRequired
from app.web.limits import UPLOAD_FORM_ROOM, BodyLimitMiddleware, BodyTooLarge, readable_size
from app.web.security import SecurityHeadersMiddleware, content_security_policy
from app.web.templating import render, template_script_hash, wants_fragment

log = logging.getLogger("aptrain")

NODE_MODULES = PROJECT_ROOT / "node_modules"
STATIC_BUILD = PROJECT_ROOT / "app" / "static" / "build"
STATIC_JS = PROJECT_ROOT / "app" / "static" / "js"


def create_app(settings: Settings | None = None, library: Library | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(title="Atrocity Prevention Training", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.settings = settings
    app.state.engine = make_engine(settings.database_url, settings.database_limits)
    # A ready Library (tests) is served as it is; otherwise the modules folder, re-read on change if asked.
    app.state.library = library if library is not None else LiveLibrary(settings.modules_dir, reload=bool(settings.reload_modules))
    # Learning records: with an LRS configured, each attempt event's xAPI statements go to the outbox.
    xapi.setup(settings)

    # Innermost (added first): its 413 is raised in the handler's own task, where the error pages catch it.
    app.add_middleware(
        BodyLimitMiddleware, form_limit=settings.max_form_kb * 1024, upload_paths=imports.UPLOAD_PATHS,
        upload_limit=settings.max_upload_mb * 1024 * 1024 + UPLOAD_FORM_ROOM,
    )
    app.add_middleware(
        SecurityHeadersMiddleware,
        csp=content_security_policy([template_script_hash()], [p.origin for p in settings.oidc_providers]),
        secure_cookies=settings.cookies_secure,
    )
    # Outermost: a request naming another host is refused (400) before anything else sees it.
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=settings.trusted_hosts, www_redirect=False)
    app.mount("/assets", StaticFiles(directory=NODE_MODULES / "govuk-frontend/dist/govuk/assets", check_dir=False), name="assets")
    app.mount("/static/build", StaticFiles(directory=STATIC_BUILD, check_dir=False), name="static-build")
    app.mount("/static/js", StaticFiles(directory=STATIC_JS), name="static-js")
    app.mount("/static/govuk", StaticFiles(directory=NODE_MODULES / "govuk-frontend/dist/govuk", check_dir=False), name="static-govuk")
    app.mount("/static/htmx", StaticFiles(directory=NODE_MODULES / "htmx.org/dist", check_dir=False), name="static-htmx")
    app.mount("/static/autocomplete", StaticFiles(directory=NODE_MODULES / "accessible-autocomplete/dist", check_dir=False),
              name="static-autocomplete")

    app.include_router(auth.router)
    app.include_router(sso_web.router)
    app.include_router(learn.router)
    app.include_router(record_web.router)
    app.include_router(author.router)
    app.include_router(admin.router)
    app.include_router(manage.router)
    app.include_router(dashboards.router)
    app.include_router(imports.router)
    app.include_router(pages.router)
    app.include_router(exports_web.router)
    app.include_router(api_tokens_web.router)
    app.include_router(notifications.router)
    app.include_router(observability.router)
    app.mount("/api/v1", create_api(app.state.engine, settings.base_url), name="api")
    _add_error_pages(app)
    # Outside even the error pages (Starlette's outermost layer, which answers 500): every answer, that one too,
    # carries the request id, and is logged and timed once (app/web/observability.py).
    stack = app.build_middleware_stack
    app.build_middleware_stack = lambda: observability.RequestContextMiddleware(stack())
    return app


def _add_error_pages(app: FastAPI) -> None:
    @app.exception_handler(SignInRequired)
    async def _sign_in(request: Request, _exc: SignInRequired) -> Response:
        target = "/sign-in"
        if request.method == "GET" and request.url.path not in ("/", "/sign-in"):
            from urllib.parse import quote

            target += "?next=" + quote(request.url.path, safe="/")
        if wants_fragment(request):
            return Response(status_code=204, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, _exc: Forbidden) -> Response:
        return _error_page(request, 403)

    @app.exception_handler(CsrfFailed)
    async def _csrf(request: Request, _exc: CsrfFailed) -> Response:
        return _error_page(request, 403, csrf=True)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        status = exc.status_code if 400 <= exc.status_code < 500 or exc.status_code == 503 else 500
        limit = readable_size(exc.limit) if isinstance(exc, BodyTooLarge) else None
        response = _error_page(request, status, limit=limit)
        for name, value in (exc.headers or {}).items():  # Retry-After, Allow, WWW-Authenticate
            response.headers[name] = value
        return response

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        # A path that cannot name anything (/manage/officials/abc, an id past the database's integers) is not
        # found; a query parameter out of range is a request the service cannot use.
        in_path = any(error.get("loc", ("",))[0] == "path" for error in exc.errors())
        return _error_page(request, 404 if in_path else 422)

    @app.exception_handler(DBAPIError)
    @app.exception_handler(SQLAlchemyTimeoutError)
    async def _database(request: Request, exc: Exception) -> Response:
        unavailable = is_unavailable(exc)
        if not unavailable and not is_busy(exc):
            return await _server_error(request, exc)
        # A bounded wait ran out (SQLite lock, PostgreSQL lock or statement timeout, connection pool), or the
        # database cannot be reached (restarting, crashed): the pool reconnects by itself once it is back.
        log.warning("database %s on %s %s: %s", "unavailable" if unavailable else "busy", request.method,
                    request.url.path, exc.__class__.__name__)
        response = _error_page(request, 503, unavailable=unavailable)
        response.headers["Retry-After"] = RETRY_AFTER
        return response

    @app.exception_handler(Exception)
    async def _server_error(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return _error_page(request, 500)


def _error_page(request: Request, status: int, csrf: bool = False, limit: str | None = None,
                unavailable: bool = False) -> Response:
    context = {"status": status, "csrf": csrf, "limit": limit, "unavailable": unavailable}
    return render(request, "errors/error.html", context, status_code=status)
