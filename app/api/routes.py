"""/api/v1 routes: compliance summary and assignments, limited to the bearer token's scope."""

from __future__ import annotations

import base64
import binascii
from dataclasses import asdict
from datetime import UTC, date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BeforeValidator
from sqlmodel import Session

from app.api.schemas import AssignmentOut, AssignmentPage, Figures, Group, Problem, Summary
from app.clock import today
from app.db import write_if_free
from app.services.accounts import api_tokens
from app.services.compliance import counts as compliance
from app.services.compliance import paging
from app.services.compliance.counts import Filters
from app.services.compliance.groups import group_labels
from app.services.organisation.scope import Scope
from app.web.deps import get_db
from app.web.params import MAX_ID, QueryId

MAX_LIMIT = 500
EXPIRES_HEADER = "API-Token-Expires"  # on every answer: when the token stops working (RFC 3339, UTC)
WARNING_HEADER = "API-Token-Warning"  # only in its last 30 days: a sentence for the system's logs or alerts
_HEADER = {"schema": {"type": "string"}}
ERRORS = {status: {"model": Problem} for status in (400, 401, 403, 404, 422)} | {
    401: {"model": Problem, "headers": {"WWW-Authenticate": {**_HEADER, "required": True,
                                                             "description": "Bearer (with error=\"invalid_token\" when expired)"}}},
    503: {"model": Problem, "description": "The database is busy or cannot be reached: try again after Retry-After",
          "headers": {"Retry-After": {**_HEADER, "required": True, "description": "Seconds to wait"}}},
}
TOKEN_HEADERS = {200: {"headers": {
    EXPIRES_HEADER: {"schema": {"type": "string", "format": "date-time"}, "required": True,
                     "description": "When the token stops working (RFC 3339, UTC)"},
    WARNING_HEADER: {**_HEADER, "description": "Only in the token's last 30 days: a sentence saying when it ends"},
}}}
bearer = HTTPBearer(auto_error=False, description="An API token issued by a central admin: apt_…")


def known_parameters(request: Request) -> None:
    """A query parameter the operation does not have is refused (422), not ignored: a misspelt filter
    (`?departmnet=5`) would otherwise answer with every row in the token's scope, as if no filter were given."""
    route = request.scope.get("route")
    unknown = sorted(set(request.query_params) - (_query_names(route.dependant) if route else set()))
    if unknown:
        raise HTTPException(422, [{"loc": ["query", name], "msg": "Unknown parameter", "type": "unknown_parameter"}
                                  for name in unknown])


def _query_names(dependant) -> set[str]:
    """Every query parameter an operation reads, its dependencies' included."""
    names = {param.alias for param in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


router = APIRouter(responses=ERRORS, dependencies=[Depends(known_parameters)])


DbDep = Annotated[Session, Depends(get_db, scope="function")]


def _iso_date(value: object) -> object:
    """Only a calendar date as YYYY-MM-DD: pydantic alone would read `on=0` or `on=1e9` as a Unix time."""
    if isinstance(value, str) and not (len(value) == 10 and value[4] == value[7] == "-"
                                       and (value[:4] + value[5:7] + value[8:]).isascii()
                                       and (value[:4] + value[5:7] + value[8:]).isdigit()):
        raise ValueError("a date as YYYY-MM-DD")
    return value


AsAt = Annotated[date | None, BeforeValidator(_iso_date),
                 Query(description="The as-at date (YYYY-MM-DD); default today")]


def token_scope(request: Request, response: Response, session: DbDep,
                credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Scope:
    """The scope of the bearer token; cookies are never looked at, so a browser session cannot call the API.
    Every answer says when the token expires (EXPIRES_HEADER), and warns in its last 30 days (WARNING_HEADER)."""
    unauthorised = HTTPException(401, "A valid API token is required: Authorization: Bearer apt_…",
                                 headers={"WWW-Authenticate": "Bearer"})
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise unauthorised
    token = api_tokens.authenticate(session, credentials.credentials.strip())
    if token is None:
        raise unauthorised
    ends = f"{token.expires_at.day} {token.expires_at:%B %Y}"
    if api_tokens.is_expired(token):
        raise HTTPException(401, f"This API token expired on {ends}: ask a central admin for a new one",
                            headers={"WWW-Authenticate": 'Bearer error="invalid_token", error_description="expired"'})
    response.headers[EXPIRES_HEADER] = token.expires_at.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    if api_tokens.expires_soon(token):
        response.headers[WARNING_HEADER] = f"This API token expires on {ends}: ask a central admin for a new one"
    if api_tokens.use_due(token):
        # Its own short write transaction, so the request's own stays read-only.
        write_if_free(request.app.state.engine, lambda writer: api_tokens.record_use(writer, token.id))
    return api_tokens.scope_of(token, api_tokens.describe(session, token))


TokenScope = Annotated[Scope, Depends(token_scope)]


def _filters(session: Session, scope: Scope, department: int | None, unit: int | None, country: str | None,
             module: str | None) -> Filters:
    try:
        return paging.checked_filters(session, scope, department, unit, country, module)
    except paging.OutOfScope as exc:
        raise HTTPException(403, f"That {exc} is outside this token's scope") from None
    except LookupError as exc:
        raise HTTPException(404, f"No such {exc}") from None


@router.get("/compliance/summary", response_model=Summary, responses=TOKEN_HEADERS,
            summary="Compliance figures per group and in total")
def summary(session: DbDep, scope: TokenScope, on: AsAt = None,
            by: Literal["department", "unit", "module", "country"] | None = None, department: QueryId = None,
            unit: QueryId = None, country: str | None = None, module: str | None = None) -> Summary:
    on = on or today()
    filters = _filters(session, scope, department, unit, country, module)
    groups = compliance.counts_by(session, scope, on, by, filters) if by else {}
    totals = compliance.total(session, scope, on, filters)
    labels = group_labels(session, by)
    rows = [Group(key=str(key), label=str(labels.get(key, key)), **counts.as_json())
            for key, counts in sorted(groups.items(), key=lambda item: str(item[0]))]
    return Summary(as_at=on, scope=scope.label, by=by, groups=rows, total=Figures(**totals.as_json()))


def _cursor(value: str | None) -> int:
    if not value:
        return 0
    try:
        decoded = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
        kind, _, number = decoded.partition(":")
        if kind != "a" or not (number.isascii() and number.isdigit()) or int(number) > MAX_ID:
            raise ValueError(decoded)
        return int(number)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise HTTPException(400, "The page[cursor] parameter is not one this API gave") from None


def _next_link(request: Request, cursor: str) -> str:
    """This request's URL with the next cursor, on the configured base URL (APTRAIN_BASE_URL), never the Host header
    a client sent; without one (development and test only) the request's own, whose host was checked."""
    url = request.url.include_query_params(**{"page[cursor]": cursor})
    base = request.app.state.base_url
    if base:
        scheme, _, netloc = base.partition("://")
        url = url.replace(scheme=scheme, netloc=netloc)
    return str(url)


def _encode(assignment_id: int) -> str:
    return base64.urlsafe_b64encode(f"a:{assignment_id}".encode()).decode().rstrip("=")


@router.get("/assignments", response_model=AssignmentPage, responses=TOKEN_HEADERS,
            summary="Officials' assignments and their status, a page at a time")
def assignments(request: Request, session: DbDep, scope: TokenScope, on: AsAt = None,
                status: Literal["assigned", "exempt", "compliant", "overdue", "not-yet-due", "expiring-soon"] = "assigned",
                department: QueryId = None, unit: QueryId = None, country: str | None = None,
                module: str | None = None, cursor: Annotated[str | None, Query(alias="page[cursor]")] = None,
                limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100) -> AssignmentPage:
    """Ordered by assignment id; follow `next` until it is null to read every row exactly once."""
    on = on or today()
    after = _cursor(cursor)
    filters = _filters(session, scope, department, unit, country, module)
    rows, more = paging.assignment_page(session, scope, on, filters, status, after, limit)
    following = None
    if more:
        following = _next_link(request, _encode(rows[-1].assignment_id))
    return AssignmentPage(as_at=on, scope=scope.label, data=[AssignmentOut(**asdict(row)) for row in rows],
                          next=following)
