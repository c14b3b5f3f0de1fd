"""For operators: a request id and one access log line per request, request latency for Prometheus, /readyz and
/metrics. (/healthz, "the process answers", is in pages.py.)"""

from __future__ import annotations

import hmac
import logging
from time import perf_counter

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import metrics
from app.logs import REQUEST_ID, REQUEST_ID_HEADER, request_id_from
from app.services import operations
from app.web.deps import SettingsDep

access_log = logging.getLogger("aptrain.access")
router = APIRouter()
UNMATCHED = "(unmatched)"  # a path no route serves: one label, however many paths scanners try


class RequestContextMiddleware:
    """Outside everything else (the error pages included): gives the request its id (the caller's X-Request-ID if
    plausible, else a new one) for every log line it causes and in the response's X-Request-ID; when it is done,
    writes one access log line and records its latency under its route template (never the raw path)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        sent = dict(scope.get("headers") or []).get(REQUEST_ID_HEADER.lower().encode())
        request_id = request_id_from(sent.decode("latin-1") if sent else None)
        # Not reset afterwards: the request's task ends with it, and the server's own report of an error that
        # escapes (written after this returns) still names the request.
        REQUEST_ID.set(request_id)
        root_path = scope.get("root_path", "")
        started, status = perf_counter(), 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = perf_counter() - started
            route = route_template(scope, root_path)
            metrics.REQUEST_SECONDS.labels(scope["method"], route, str(status)).observe(seconds)
            client = scope.get("client")
            access_log.info(
                "%s %s %s %.1f ms", scope["method"], scope.get("path", ""), status, seconds * 1000,
                extra={"method": scope["method"], "path": scope.get("path", ""), "route": route, "status": status,
                       "duration_ms": round(seconds * 1000, 1), "client": client[0] if client else None},
            )


def route_template(scope: Scope, root_path: str = "") -> str:
    """The matched route's path template, mounts included (/api/v1/assignments, /attempts/{attempt_id})."""
    route = scope.get("route")
    prefix = scope.get("root_path", "")[len(root_path):]  # what the mounts matched (/api/v1, /static/build)
    if route is None or isinstance(route, Mount):  # static files (or nothing in the API): the mount, not each path
        return f"{prefix}/{{path}}" if prefix else UNMATCHED
    return prefix + getattr(route, "path", "")


@router.get("/readyz")
def ready(request: Request, settings: SettingsDep) -> Response:
    """Ready for traffic: the database answers within APTRAIN_READY_TIMEOUT_SECONDS and is at this code's newest
    migration. Otherwise 503 with the reason, so a load balancer takes this process out until it is."""
    found = operations.readiness(request.app.state.engine, settings.ready_timeout_seconds)
    return JSONResponse(found.as_json(), status_code=200 if found.ready else 503,
                        headers={} if found.ready else {"Retry-After": "5"})


@router.get("/metrics")
def prometheus_metrics(request: Request, settings: SettingsDep) -> Response:
    """Prometheus's text format. With APTRAIN_METRICS_TOKEN set, only for `Authorization: Bearer <token>`;
    without it, open in development and test and absent (404) in production."""
    token = settings.metrics_token.get_secret_value() if settings.metrics_token else None
    if token is None and settings.environment == "production":
        raise HTTPException(404)  # the same page as any path that serves nothing
    if token is not None:
        scheme, _, sent = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(sent.strip().encode(), token.encode()):
            return JSONResponse({"detail": "A valid metrics token is required: Authorization: Bearer …"},
                                status_code=401, headers={"WWW-Authenticate": "Bearer"})
    depth = operations.outbox_depth(request.app.state.engine, settings.ready_timeout_seconds)
    extra = metrics.outbox_families(depth.by_status, depth.oldest_due_seconds) if depth else []
    return Response(metrics.render(extra), media_type=CONTENT_TYPE_LATEST)
