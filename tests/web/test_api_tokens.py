"""Central admins issue API tokens (shown once, stored hashed) and revoke them; nobody else can."""

from __future__ import annotations

import hashlib

import pytest
from bs4 import BeautifulSoup
from sqlmodel import select

from app.models import ApiToken, AuditEvent
from tests.conftest import check_page
from tests.factories import PASSWORD


def _csrf(client) -> str:
    page = BeautifulSoup(client.get("/admin/api-tokens").text, "html5lib")
    return page.find("form", {"action": "/admin/api-tokens"}).find("input", {"name": "csrf_token"})["value"]


def test_central_admin_creates_a_token_sees_it_once_and_revokes_it(client, session, org):
    client.sign_in(org["central"].email, PASSWORD)
    page = check_page(client.get("/admin/api-tokens").text)
    assert "No token has been issued yet" in page.text
    response = client.post("/admin/api-tokens", data={"csrf_token": _csrf(client), "name": "FCDO warehouse",
                                                      "scope": "department", "department": str(org["fcdo"].id)})
    assert response.status_code == 201
    page = check_page(response.text)
    secret = page.select_one("#token-value").text.strip()
    assert secret.startswith("apt_") and len(secret) > 40
    assert "Copy this token now" in page.text
    stored = session.exec(select(ApiToken)).one()
    assert stored.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert stored.prefix == secret[:12] and stored.department_id == org["fcdo"].id and not stored.everything
    # Shown once: the list never shows it again, and nothing stores it in clear.
    listing = client.get("/admin/api-tokens").text
    assert secret not in listing and stored.prefix in listing and "Department: FCDO" in listing
    events = session.exec(select(AuditEvent).where(AuditEvent.entity == "api_token")).all()
    assert [e.action for e in events] == ["api-token.create"] and secret not in (events[0].after or "")
    assert stored.token_hash not in (events[0].after or "")
    # Revoke.
    assert client.get("/api/v1/compliance/summary", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    response = client.post(f"/admin/api-tokens/{stored.id}/revoke", data={"csrf_token": _csrf(client)})
    assert response.status_code == 303
    session.refresh(stored)
    assert stored.revoked_at is not None
    assert client.get("/api/v1/compliance/summary", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    actions = [e.action for e in session.exec(select(AuditEvent).where(AuditEvent.entity == "api_token"))]
    assert actions == ["api-token.create", "api-token.use", "api-token.revoke"]  # use: at most once a minute


def test_unit_and_all_department_scopes_and_form_errors(client, session, org):
    client.sign_in(org["central"].email, PASSWORD)
    response = client.post("/admin/api-tokens", data={"csrf_token": _csrf(client), "name": "", "scope": "unit", "unit": "x"})
    assert response.status_code == 422
    assert {a["href"] for a in check_page(response.text).select(".govuk-error-summary a")} == {"#name", "#unit"}
    response = client.post("/admin/api-tokens", data={"csrf_token": _csrf(client), "name": "N", "scope": "unit", "unit": "9999"})
    assert response.status_code == 422 and "There is no such unit" in response.text
    assert session.exec(select(ApiToken)).first() is None
    ok = client.post("/admin/api-tokens", data={"csrf_token": _csrf(client), "name": "Africa BI", "scope": "unit",
                                                "unit": str(org["africa"].id)})
    assert ok.status_code == 201
    everything = client.post("/admin/api-tokens", data={"csrf_token": _csrf(client), "name": "Central", "scope": "all"})
    assert everything.status_code == 201
    tokens = {t.name: t for t in session.exec(select(ApiToken))}
    assert tokens["Africa BI"].unit_path == org["africa"].path and tokens["Africa BI"].department_id is None
    assert tokens["Central"].everything


@pytest.mark.parametrize("who", ["dept_admin", "manager", "learner"])
def test_only_central_admins_manage_tokens(client, session, org, who):
    client.sign_in(org[who].email, PASSWORD)
    assert client.get("/admin/api-tokens").status_code == 403
    token = client.csrf_token("/training")
    assert client.post("/admin/api-tokens", data={"csrf_token": token, "name": "x", "scope": "all"}).status_code == 403
    assert session.exec(select(ApiToken)).first() is None


def test_creating_and_revoking_need_the_csrf_token(client, session, org):
    client.sign_in(org["central"].email, PASSWORD)
    assert client.post("/admin/api-tokens", data={"name": "x", "scope": "all"}).status_code == 403
    assert client.post("/admin/api-tokens", data={"csrf_token": "forged", "name": "x", "scope": "all"}).status_code == 403
    assert session.exec(select(ApiToken)).first() is None
    client.post("/admin/api-tokens", data={"csrf_token": _csrf(client), "name": "x", "scope": "all"})
    token = session.exec(select(ApiToken)).one()
    assert client.post(f"/admin/api-tokens/{token.id}/revoke", data={}).status_code == 403
    session.refresh(token)
    assert token.revoked_at is None
    assert client.post("/admin/api-tokens/9999/revoke", data={"csrf_token": _csrf(client)}).status_code == 404
