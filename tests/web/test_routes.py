"""Conventions over every route: authorisation, CSRF, kebab-case URLs, and pages that pass the HTML checks."""

from __future__ import annotations

import inspect
import re

from fastapi.routing import APIRoute, iter_route_contexts
from starlette.routing import Mount

from app.web.deps import current_official, get_db, parsed_form, verify_csrf
from tests.conftest import check_page
from tests.factories import PASSWORD, make_official

PUBLIC = {"/sign-in", "/sign-out", "/accessibility", "/healthz"}  # signing out needs no session


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


def test_every_state_changing_route_checks_csrf(app):
    for route in routes(app):
        if route.methods & {"POST", "PUT", "PATCH", "DELETE"}:
            assert verify_csrf in _calls(route.dependant), f"{route.path} has no CSRF check"


def _dependants(dependant):
    yield dependant
    for sub in dependant.dependencies:
        yield from _dependants(sub)


def _is_coroutine(call) -> bool:
    return inspect.iscoroutinefunction(call) or inspect.iscoroutinefunction(getattr(call, "__call__", None))


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
    for url in ("/sign-in", "/accessibility"):
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
