"""Every request error is a clear 4xx page, never the 500 page (issue 12, gap 7): a CSV cell past the csv module's
limit is a row error; an id too large for the database is not found; 400, 401, 405, 409, 413, 422 and 429 each
get their own GOV.UK page, status and headers."""

from __future__ import annotations

import pytest
from fastapi import HTTPException
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.routing import Mount

from tests.conftest import check_page
from tests.factories import PASSWORD, make_department, make_official

HUGE = "99999999999999999999"  # past 64 bits: SQLite cannot bind it, PostgreSQL's integer cannot hold it
LONG_CELL = "x" * 131_073  # one past Python's csv.field_size_limit()


def title(response) -> str:
    return check_page(response.text).h1.text.strip()


def sign_in_admin(client, session):
    admin = make_official(session, roles="learner manager central-admin")
    client.sign_in(admin.email, PASSWORD)
    return admin


def upload(client, kind: str, content: str, **fields):
    token = client.csrf_token("/admin/imports")
    return client.post(f"/admin/imports/{kind}", data={"csrf_token": token, **fields},
                       files={"file": (f"{kind}.csv", content.encode(), "text/csv")})


@pytest.mark.parametrize("kind, content, fields", [
    ("roster", f"email,given_name,family_name,department,unit\na@example.gov.uk,{LONG_CELL},B,FCDO,Team\n", {}),
    ("roster", 'email,given_name,family_name,department,unit\na@example.gov.uk,"never closed,B,FCDO,Team\n' + LONG_CELL, {}),
    ("risk", f"country,at_risk,level\nSudan,yes,{LONG_CELL}\n", {"source": "Test list", "top": "30",
                                                                   "assessed_on-day": "1", "assessed_on-month": "6",
                                                                   "assessed_on-year": "2026"}),
])
def test_a_csv_cell_past_the_csv_limit_is_a_row_error_not_a_500(client, session, kind, content, fields, tmp_path, app):
    app.state.settings.import_hold_dir = tmp_path / "held"
    make_department(session, "FCDO")
    sign_in_admin(client, session)
    response = upload(client, kind, content, **fields)
    assert response.status_code == 422
    page = check_page(response.text)
    assert "Sorry, there is a problem" not in page.h1.text
    assert "a cell is longer than 131,072 characters" in page.text


@pytest.mark.parametrize("path", [
    f"/manage/officials/{HUGE}", f"/compliance/departments/{HUGE}", f"/attempts/{HUGE}", f"/attempts/{HUGE}/result",
    f"/admin/api-tokens/{HUGE}/revoke", f"/manage/requirements/{HUGE}/edit", "/manage/officials/2147483648",
    "/manage/officials/abc", "/manage/officials/0",
])
def test_an_id_no_row_can_have_is_page_not_found(client, session, path):
    sign_in_admin(client, session)
    response = client.get(path)
    assert response.status_code == 404 and title(response) == "Page not found"


@pytest.mark.parametrize("path", [f"/admin/audit?before={HUGE}", f"/manage/officials?page={HUGE}"])
def test_a_query_number_out_of_range_is_a_clear_422_page(client, session, path):
    sign_in_admin(client, session)
    response = client.get(path)
    assert response.status_code == 422 and title(response) == "Sorry, the service could not use that web address"


def test_a_dashboard_filter_out_of_range_is_a_form_error(client, session):
    sign_in_admin(client, session)
    response = client.get(f"/compliance/officials?department={HUGE}")
    assert response.status_code == 422 and "Select a department from the list" in response.text


def test_a_posted_id_out_of_range_is_a_form_error(client, session):
    sign_in_admin(client, session)
    token = client.csrf_token("/admin/api-tokens")
    response = client.post("/admin/api-tokens", data={"csrf_token": token, "name": "x", "scope": "department",
                                                      "department": HUGE})
    assert response.status_code == 422 and "Select a department" in response.text


def test_the_api_bounds_its_numbers_too(client, session):
    from app.services.accounts import api_tokens
    from app.services.audit import Actor

    _row, secret = api_tokens.create(session, Actor(None, "test"), "BI", everything=True)
    session.commit()
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get(f"/api/v1/assignments?department={HUGE}", headers=headers).status_code == 422
    assert client.get(f"/api/v1/compliance/summary?unit={HUGE}", headers=headers).status_code == 422
    import base64

    cursor = base64.urlsafe_b64encode(f"a:{HUGE}".encode()).decode().rstrip("=")
    response = client.get(f"/api/v1/assignments?page[cursor]={cursor}", headers=headers)
    assert response.status_code == 400 and "cursor" in response.json()["detail"]


def test_a_method_the_route_does_not_take_is_405_with_allow(client, session):
    sign_in_admin(client, session)
    response = client.get("/admin/imports/roster")
    assert response.status_code == 405 and title(response) == "Page not found" and "POST" in response.headers["allow"]


def test_a_malformed_upload_is_a_400_page(client, session):
    sign_in_admin(client, session)
    token = client.csrf_token("/admin/imports")
    response = client.post("/admin/imports/roster", content=b"not multipart at all", headers={
        "Content-Type": "multipart/form-data; boundary=xyz", "X-CSRF-Token": token})
    assert response.status_code == 400 and title(response) == "Sorry, there is a problem with what you sent"


@pytest.mark.parametrize("status, heading, header", [
    (400, "Sorry, there is a problem with what you sent", None),
    (401, "You need to sign in", ("WWW-Authenticate", "Bearer")),
    (409, "Sorry, this has changed since you opened the page", None),
    (413, "What you sent is too large", None),
    (418, "Sorry, there is a problem with what you sent", None),
    (422, "Sorry, the service could not use that web address", None),
    (429, "Sorry, there have been too many attempts", ("Retry-After", "60")),
])
def test_each_http_error_has_its_own_page_and_status(app, client, status, heading, header):
    @app.get(f"/test-error-{status}")
    def _raise() -> None:
        raise HTTPException(status, headers=dict([header]) if header else None)

    response = client.get(f"/test-error-{status}")
    assert response.status_code == status
    assert title(response) == heading
    if header:
        assert response.headers[header[0]] == header[1]


def test_every_integer_in_a_path_or_query_is_bounded(app):
    """A number past the database's integers never reaches a query (where it would raise a 500)."""
    api = next(route.app for route in app.routes if isinstance(route, Mount) and route.path == "/api/v1")
    checked = 0
    for application in (app, api):
        for context in iter_route_contexts(application.routes):
            route = context.route
            if not isinstance(route, APIRoute):
                continue
            for param in route.dependant.path_params + route.dependant.query_params:
                if param.field_info.annotation in (int, int | None):
                    checked += 1
                    bounds = [getattr(m, "le", None) for m in param.field_info.metadata]
                    assert any(b is not None and b <= 2**31 - 1 for b in bounds), f"{route.path}: {param.name} is unbounded"
    assert checked > 15
