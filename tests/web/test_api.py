"""The JSON API: bearer tokens only, each limited to its scope; the same numbers as compliance.total."""

from __future__ import annotations

import pytest
from sqlmodel import select

from app.clock import today
from app.services.accounts import api_tokens
from app.services.audit import Actor
from app.services.compliance import counts as compliance
from app.services.organisation.scope import Scope
from tests.factories import PASSWORD


def token_for(session, **scope) -> str:
    _row, secret = api_tokens.create(session, Actor(None, "test"), "BI", **scope)
    session.commit()
    return secret


def bearer(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


def figures(counts) -> dict:
    return {"assigned": counts.assigned, "exempt": counts.exempt, "compliant": counts.compliant,
            "overdue": counts.overdue, "not_yet_due": counts.not_yet_due, "expiring_soon": counts.expiring_soon}


def test_no_token_unknown_token_and_wrong_scheme_are_401(client, session, populated_org):
    for headers in ({}, bearer("apt_nonsense"), {"Authorization": "Basic dXNlcjpwYXNz"}, bearer("")):
        response = client.get("/api/v1/compliance/summary", headers=headers)
        assert response.status_code == 401 and "detail" in response.json()
        assert response.headers["www-authenticate"] == "Bearer"


def test_revoked_token_is_401_and_use_is_noted_at_most_once_a_minute(client, session, populated_org):
    secret = token_for(session, everything=True)
    assert client.get("/api/v1/compliance/summary", headers=bearer(secret)).status_code == 200
    token = session.exec(select(api_tokens.ApiToken)).one()
    session.refresh(token)
    first = token.last_used_at
    assert first is not None
    client.get("/api/v1/compliance/summary", headers=bearer(secret))
    session.refresh(token)
    assert token.last_used_at == first
    api_tokens.revoke(session, Actor(None, "test"), token.id)
    session.commit()
    assert client.get("/api/v1/compliance/summary", headers=bearer(secret)).status_code == 401


def test_the_session_cookie_does_not_authenticate_the_api(client, session, populated_org):
    client.sign_in(populated_org["central"].email, PASSWORD)
    assert client.get("/compliance/export.csv?view=central").status_code == 200
    response = client.get("/api/v1/compliance/summary")
    assert response.status_code == 401 and response.json()["detail"].startswith("A valid API token")
    assert client.get("/api/v1/assignments").status_code == 401


@pytest.mark.parametrize("by", [None, "department", "unit", "module", "country"])
def test_summary_numbers_equal_the_compliance_service(client, session, populated_org, by):
    secret = token_for(session, everything=True)
    url = "/api/v1/compliance/summary" + (f"?by={by}" if by else "")
    body = client.get(url, headers=bearer(secret)).json()
    expected = compliance.total(session, Scope(everything=True), today())
    assert {k: body["total"][k] for k in figures(expected)} == figures(expected)
    assert body["total"]["compliance_percent"] == round(expected.percent, 2)
    assert body["as_at"] == today().isoformat()
    if by:
        groups = compliance.counts_by(session, Scope(everything=True), today(), by)
        assert {g["key"]: {k: g[k] for k in figures(expected)} for g in body["groups"]} == {
            str(k): figures(v) for k, v in groups.items()}


def test_a_department_token_sees_only_its_department_whatever_the_filters(client, session, populated_org):
    secret = token_for(session, department_id=populated_org["fcdo"].id)
    body = client.get("/api/v1/compliance/summary?by=department", headers=bearer(secret)).json()
    assert [g["key"] for g in body["groups"]] == [str(populated_org["fcdo"].id)]
    expected = compliance.total(session, Scope(department_id=populated_org["fcdo"].id), today())
    assert body["total"]["assigned"] == expected.assigned
    assert client.get(f"/api/v1/compliance/summary?department={populated_org['mod'].id}", headers=bearer(secret)).status_code == 403
    assert client.get(f"/api/v1/assignments?unit={populated_org['defence'].id}", headers=bearer(secret)).status_code == 403
    assert client.get("/api/v1/assignments?unit=99999", headers=bearer(secret)).status_code == 404
    rows = client.get("/api/v1/assignments?limit=500", headers=bearer(secret)).json()["data"]
    assert rows and {r["department"] for r in rows} == {"FCDO"}


def test_a_unit_token_sees_only_its_subtree(client, session, populated_org):
    secret = token_for(session, unit_id=populated_org["africa"].id)
    for url in ("/api/v1/assignments?limit=500", f"/api/v1/assignments?limit=500&unit={populated_org['team'].id}"):
        rows = client.get(url, headers=bearer(secret)).json()["data"]
        assert rows and all(r["unit"].startswith("Africa Directorate") for r in rows)
    assert client.get(f"/api/v1/assignments?department={populated_org['fcdo'].id}", headers=bearer(secret)).status_code == 403
    assert client.get(f"/api/v1/assignments?unit={populated_org['europe'].id}", headers=bearer(secret)).status_code == 403
    body = client.get("/api/v1/compliance/summary", headers=bearer(secret)).json()
    expected = compliance.total(session, Scope(unit_path=populated_org["africa"].path), today())
    assert body["total"]["assigned"] == expected.assigned > 0


def test_pagination_walks_every_row_exactly_once(client, session, populated_org):
    secret = token_for(session, everything=True)
    url, seen = "/api/v1/assignments?limit=3", []
    while url:
        body = client.get(url, headers=bearer(secret)).json()
        assert len(body["data"]) <= 3
        seen += [row["assignment_id"] for row in body["data"]]
        url = body["next"]
    assert len(seen) == len(set(seen)) == compliance.total(session, Scope(everything=True), today()).assigned
    overdue = client.get("/api/v1/assignments?status=overdue&limit=500", headers=bearer(secret)).json()["data"]
    expected = compliance.total(session, Scope(everything=True), today()).overdue
    assert len(overdue) == expected and {r["status"] for r in overdue} == {"overdue"}


def test_errors_are_json(client, session, populated_org):
    secret = token_for(session, everything=True)
    assert client.get("/api/v1/assignments?page[cursor]=!!!", headers=bearer(secret)).status_code == 400
    assert client.get("/api/v1/assignments?limit=501", headers=bearer(secret)).status_code == 422
    assert client.get("/api/v1/compliance/summary?by=colour", headers=bearer(secret)).status_code == 422
    assert client.get("/api/v1/compliance/summary?on=2026-02-30", headers=bearer(secret)).status_code == 422
    response = client.get("/api/v1/compliance/summary?country=XX", headers=bearer(secret))
    assert response.status_code == 404 and response.json() == {"detail": "No such country"}
    assert client.get("/api/v1/no-such-thing", headers=bearer(secret)).json() == {"detail": "Not Found"}


def test_openapi_lists_both_paths_and_the_bearer_scheme(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert {"/compliance/summary", "/assignments"} <= set(schema["paths"])
    assert "HTTPBearer" in schema["components"]["securitySchemes"]
    assert "401" in schema["paths"]["/assignments"]["get"]["responses"]
    for path in ("/assignments", "/compliance/summary"):
        responses = schema["paths"][path]["get"]["responses"]
        assert responses["200"]["headers"]["API-Token-Expires"]["required"] is True  # checked by the fuzz test
        assert responses["401"]["headers"]["WWW-Authenticate"]["required"] is True
        assert responses["503"]["headers"]["Retry-After"]["required"] is True
    assert client.get("/api/v1/docs").status_code == 404


def test_api_answers_carry_the_security_headers(client, session, populated_org):
    response = client.get("/api/v1/compliance/summary", headers=bearer(token_for(session, everything=True)))
    assert response.headers["x-content-type-options"] == "nosniff" and response.headers["cache-control"] == "no-store"


def test_a_date_is_only_yyyy_mm_dd_and_an_unknown_parameter_is_refused(client, session, populated_org):
    """Found by Schemathesis: `on=0` was read as a Unix time (1970-01-01), and a misspelt filter was ignored, so
    `?departmnet=5` answered with every row in the token's scope."""
    secret = token_for(session, everything=True)
    for query in ("on=0", "on=1700000000", "on=2026-1-5", "departmnet=5", "limit=5&colour=red"):
        response = client.get(f"/api/v1/assignments?{query}", headers=bearer(secret))
        assert response.status_code == 422, query
        assert isinstance(response.json()["detail"], list)
    unknown = client.get("/api/v1/compliance/summary?departmnet=5", headers=bearer(secret)).json()["detail"]
    assert unknown == [{"loc": ["query", "departmnet"], "msg": "Unknown parameter", "type": "unknown_parameter"}]
    assert client.get("/api/v1/compliance/summary?on=2026-01-05", headers=bearer(secret)).json()["as_at"] == "2026-01-05"
    assert client.get("/api/v1/assignments?page[cursor]=&limit=2", headers=bearer(secret)).status_code == 200
