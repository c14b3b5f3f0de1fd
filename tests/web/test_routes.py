"""Conventions over every route: authorisation, CSRF, kebab-case URLs, and pages that pass the HTML checks."""

from __future__ import annotations

import inspect
import re

import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from starlette.routing import Mount

from app.web.deps import central_admin, current_official, get_db, manager_scope, parsed_form, verify_csrf
from tests.conftest import HtmlClient, check_page, hidden_fields, place
from tests.factories import PASSWORD, make_official, make_requirement

PUBLIC = {"/sign-in", "/sign-in/password", "/sign-in/sso/{provider}/callback", "/sign-out", "/accessibility", "/help", "/privacy", "/cookies", "/healthz",  # signing out needs no session
          "/readyz", "/metrics"}  # /metrics has a token of its own (APTRAIN_METRICS_TOKEN), and is absent in production without one


def _calls(dependant) -> set:
    found = {dependant.call}
    for sub in dependant.dependencies:
        found |= _calls(sub)
    return found


def routes(app) -> list[APIRoute]:
    """Every API route, including those of included routers (FastAPI wraps them, so walk their contexts)."""
    found = [c.route for c in iter_route_contexts(app.routes) if isinstance(c.route, APIRoute)]
    assert len(found) > 20, "the route walk found too few routes to mean anything"
    return found


def test_every_non_public_route_requires_a_signed_in_official(app):
    for route in routes(app):
        if route.path in PUBLIC:
            continue
        assert current_official in _calls(route.dependant), f"{route.path} has no authorisation dependency"


ROLE_PREFIXES = ("/manage", "/compliance", "/admin", "/author")
# Under those prefixes, but open to every signed-in official on purpose: what the figures mean
# (test_dashboards.py's matrix and the one below give learners 200 there).
OPEN_TO_EVERY_OFFICIAL = {"/compliance/definitions"}


def _is_role_check(call) -> bool:
    """A dependency that refuses an official for their roles: manager_scope, central_admin, the author check,
    or a check made by require_role(...)."""
    from app.web.author import require_author

    return call in {manager_scope, central_admin, require_author} or getattr(call, "__qualname__", "").startswith("require_role.")


def test_every_audience_route_checks_a_role_not_only_sign_in(app):
    checked = [r for r in routes(app) if r.path.startswith(ROLE_PREFIXES) and r.path not in OPEN_TO_EVERY_OFFICIAL]
    assert len(checked) > 20, "the route walk found too few audience routes to mean anything"
    for route in checked:
        assert any(_is_role_check(call) for call in _calls(route.dependant)), f"{route.path} checks no role, only sign-in"


def test_every_state_changing_route_checks_csrf(app):
    for route in routes(app):
        if route.methods & {"POST", "PUT", "PATCH", "DELETE"}:
            assert verify_csrf in _calls(route.dependant), f"{route.path} has no CSRF check"


def _dependants(dependant):
    yield dependant
    for sub in dependant.dependencies:
        yield from _dependants(sub)


def _is_coroutine(call) -> bool:
    # A function, or an instance whose class defines `async def __call__` (FastAPI's security classes).
    return inspect.iscoroutinefunction(call) or inspect.iscoroutinefunction(type(call).__call__)


def test_no_route_or_dependency_runs_database_work_on_the_event_loop(app):
    """One rule: route handlers and their dependencies are plain `def`, so FastAPI runs them in the thread
    pool and a request waiting for a lock never stops the others. The only coroutines read the request
    (its form body, its Authorization header) and touch no database."""
    from app.api.routes import bearer

    allowed = {parsed_form, bearer}
    api = next(m.app for m in app.routes if isinstance(m, Mount) and m.path == "/api/v1")
    everything = routes(app) + [c.route for c in iter_route_contexts(api.routes) if isinstance(c.route, APIRoute)]
    assert any(r.path.startswith("/assignments") for r in everything), "the API's routes were not walked"
    for route in everything:
        for dependant in _dependants(route.dependant):
            if _is_coroutine(dependant.call):
                assert dependant.call in allowed, f"{route.path}: {dependant.call} is async; make it a plain def"
                assert get_db not in _calls(dependant), f"{route.path}: an async dependency uses the database"


def test_urls_are_kebab_case(app):
    for route in routes(app):
        for part in route.path.strip("/").split("/"):
            # Kebab-case words or {parameters}; a download may end in a file extension (export.csv).
            assert part == "" or re.fullmatch(r"[a-z0-9-]+(\.[a-z]+)?|\{[a-z_]+\}", part), route.path


def test_public_pages_and_error_pages_pass_the_html_checks(client):
    for url in ("/sign-in", "/accessibility", "/help", "/privacy", "/cookies"):
        response = client.get(url)
        assert response.status_code == 200
    response = client.get("/no-such-page")
    assert response.status_code == 404
    check_page(response.text)
    assert client.get("/healthz").json()["status"] == "ok"


def test_every_get_page_for_a_signed_in_learner_passes_the_html_checks(client, session):
    official = make_official(session)
    client.sign_in(official.email, PASSWORD)
    for url in ("/training", "/modules/checkpoint-visit", "/accessibility"):
        response = client.get(url)
        assert response.status_code == 200, url
    assert client.get("/").headers["location"] == "/training"


def test_an_unexpected_error_shows_the_service_problem_page(app, session, monkeypatch):
    from fastapi.testclient import TestClient

    from app.services.learning import catalogue

    official = make_official(session)

    def broken(*_args, **_kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(catalogue, "your_training", broken)
    with TestClient(app, follow_redirects=False, raise_server_exceptions=False) as raw:
        token = raw.get("/sign-in").text.split('name="csrf_token" value="')[1].split('"')[0]
        raw.post("/sign-in", data={"email": official.email, "password": PASSWORD, "csrf_token": token})
        response = raw.get("/training")
    assert response.status_code == 500
    page = check_page(response.text)
    assert page.h1.text.strip() == "Sorry, there is a problem with the service"
    assert "database on fire" not in response.text


def test_every_api_route_requires_a_token(app):
    from starlette.routing import Mount

    from app.api.routes import token_scope

    api = next(r for r in app.routes if isinstance(r, Mount) and r.path == "/api/v1").app
    api_routes = [c.route for c in iter_route_contexts(api.routes) if isinstance(c.route, APIRoute)]
    guarded = [r for r in api_routes if r.path not in ("/openapi.json",)]
    assert len(guarded) >= 2
    for route in guarded:
        assert token_scope in _calls(route.dependant), f"/api/v1{route.path} has no token check"


def test_pages_carry_the_service_name_and_a_phase_banner_without_the_crown(client):
    page = check_page(client.get("/sign-in").text)
    assert page.select_one(".govuk-header, .govuk-generic-header").get_text(" ", strip=True).startswith("Atrocity Prevention Training")
    assert "Beta" in page.select_one(".govuk-phase-banner").text
    assert not page.select(".govuk-footer__crown, .govuk-header__logotype-crown, svg.govuk-logo")


# One row per GET page of the app, one column per role: what that official gets.
#   200, 403, 404, 422: the status;  →/path: a redirect (303) there.
# Ids come from `org` (conftest.py): {official_id} is in the manager's team and the department admin's
# department; {department_id} is FCDO (the manager's and department admin's); {attempt_id} is the learner's.
# A new GET route fails test_the_matrix_covers_every_get_route until it has a row here.
ROLE_MATRIX = """
route                                                      learner        manager              dept_admin                   central              author
/                                                          →/training     →/training           →/training                   →/training           →/training
/sign-in                                                   →/training     →/training           →/training                   →/training           →/training
/sign-in/password                                          →/training     →/training           →/training                   →/training           →/training
/sign-in/sso/nowhere/callback                              404            404                  404                          404                  404
/training                                                  200            200                  200                          200                  200
/accessibility                                             200            200                  200                          200                  200
/help                                                      200            200                  200                          200                  200
/privacy                                                   200            200                  200                          200                  200
/cookies                                                   200            200                  200                          200                  200
/healthz                                                   200            200                  200                          200                  200
/readyz                                                    200            200                  200                          200                  200
/metrics                                                   200            200                  200                          200                  200
/modules/{module_id}                                       200            200                  200                          200                  200
/record                                                    200            200                  200                          200                  200
/record/{completion_id}/certificate                        200            404                  404                          404                  404
/record/{completion_id}/certificate.pdf                    200            404                  404                          404                  404
/verify/{code}                                             200            200                  200                          200                  200
/verify/not-a-code                                         404            404                  404                          404                  404
/attempts/{attempt_id}                                     200            404                  404                          404                  404
/attempts/{attempt_id}/result                              →/attempts/{attempt_id} 404         404                          404                  404
/manage/officials                                          403            200                  200                          200                  403
/manage/officials/{official_id}                            403            200                  200                          200                  403
/manage/departments                                        403            200                  200                          200                  403
/manage/requirements                                       403            200                  200                          200                  403
/manage/requirements/new                                   403            403                  403                          200                  403
/manage/requirements/{requirement_id}/edit                 403            403                  403                          200                  403
/compliance                                                403            →/compliance/team    →/compliance/departments/{department_id} 200     403
/compliance/definitions                                    200            200                  200                          200                  200
/compliance/departments/{department_id}                    403            404                  200                          200                  403
/compliance/departments/{other_department_id}              403            404                  404                          200                  403
/compliance/team                                           403            200                  →/compliance                 →/compliance         403
/compliance/officials                                      403            200                  200                          200                  403
/compliance/export.csv                                     403            200                  200                          200                  403
/compliance/export.xlsx                                    403            200                  200                          200                  403
/admin/countries                                           403            403                  403                          200                  403
/admin/audit                                               403            403                  403                          200                  403
/admin/imports                                             403            403                  403                          200                  403
/admin/api-tokens                                          403            403                  403                          200                  403
/admin/api-tokens/{token_id}/revoke                        403            403                  403                          200                  403
/admin/notifications                                       403            403                  403                          200                  403
/admin/notifications/{message_id}                          403            403                  403                          200                  403
/author                                                    403            403                  403                          200                  200
/author/coverage                                           403            403                  403                          200                  200
/author/modules/{module_id}                                403            403                  403                          200                  200
/author/modules/{module_id}/preview                        403            403                  403                          200                  200
/author/modules/{module_id}/preview/scenes/start           403            403                  403                          200                  200
/author/modules/{module_id}/preview/scenes/start/feedback?choice=report 403 403                403                          200                  200
/author/modules/{module_id}/preview/check                  403            403                  403                          200                  200
/author/modules/{module_id}/map                            403            403                  403                          200                  200
/author/modules/{module_id}/analysis                       403            403                  403                          200                  200
/author/modules/{module_id}/analysis/csv                   403            403                  403                          200                  200
"""


def _matrix() -> tuple[list[str], list[tuple[str, list[str]]]]:
    header, *lines = [line.split() for line in ROLE_MATRIX.strip().splitlines()]
    assert all(len(line) == len(header) for line in lines), "a matrix row has the wrong number of cells"
    return header[1:], [(line[0], line[1:]) for line in lines]


def test_the_matrix_covers_every_get_route(app):
    urls = [url.split("?")[0] for url, _cells in _matrix()[1]]
    for route in routes(app):
        if "GET" in route.methods:
            # {placeholders} stand for any id: "x" matches the route's own path parameters.
            assert any(route.path_regex.match(re.sub(r"\{\w+\}", "x", url)) for url in urls), f"GET {route.path} has no row in ROLE_MATRIX"


def _learner_completion(session, learner):
    from app.models import Attempt, Completion, ModuleVersion

    version = ModuleVersion(module_id="counting-people", version="1.0.0", content_hash="c" * 64, title="Counting people",
                            max_score=10, pass_mark=70)
    session.add(version)
    session.flush()
    attempt = Attempt(official_id=learner.id, module_id="counting-people", module_version_id=version.id,
                      current_scene="end", max_score=10, state="finished")
    session.add(attempt)
    session.flush()
    completion = Completion(official_id=learner.id, attempt_id=attempt.id, module_id="counting-people",
                            module_version="1.0.0", content_hash="c" * 64, score=9, percent=90)
    session.add(completion)
    session.commit()
    return completion


@pytest.fixture
def matrix_ids(client, session, org) -> dict:
    """Real ids for the matrix: a requirement, the learner's attempt, the org's people and departments."""
    from app.services.accounts import api_tokens
    from app.services.audit import Actor

    requirement = make_requirement(session)
    token, _secret = api_tokens.create(session, Actor(None, "test"), "Matrix token", everything=True)
    session.commit()
    client.sign_in(org["learner"].email, PASSWORD)
    page = client.get("/modules/checkpoint-visit")
    response = client.post("/modules/checkpoint-visit/attempts", data=hidden_fields(page.text, action_ending="/attempts"))
    completion = _learner_completion(session, org["learner"])  # for the record's rows: the learner's certificate
    from app.services import outbox

    outbox.enqueue(session, "email", "matrix-message", {"to": "x@example.gov.uk", "subject": "A reminder", "body": "Hello"})
    message_id = session.exec(select_outbox_id()).one()
    session.commit()
    return {"module_id": "checkpoint-visit", "attempt_id": response.headers["location"].rsplit("/", 1)[1],
            "completion_id": completion.id, "code": completion.verification_code,
            "official_id": org["in_team"].id, "requirement_id": requirement.id,
            "department_id": org["fcdo"].id, "other_department_id": org["mod"].id, "token_id": token.id,
            "message_id": message_id}


def select_outbox_id():
    from sqlmodel import select

    from app.models import OutboxMessage

    return select(OutboxMessage.id).where(OutboxMessage.key == "matrix-message")


def test_role_by_route_matrix(app, session, org, matrix_ids):
    people = {**org, "author": place(session, org["team"], roles="learner author")}
    roles, rows = _matrix()
    wrong = []
    for column, who in enumerate(roles):
        with TestClient(app, follow_redirects=False) as raw:
            client = HtmlClient(raw)  # every HTML page also passes the house checks
            client.sign_in(people[who].email, PASSWORD)
            for url, cells in rows:
                expected = cells[column].format(**matrix_ids)
                response = client.get(url.format(**matrix_ids))
                got = f"→{response.headers['location']}" if response.status_code == 303 else str(response.status_code)
                if got != expected:
                    wrong.append(f"{who:<10} {url}: expected {expected}, got {got}")
    assert not wrong, "\n".join(wrong)
