"""Managers and admins within their scope: officials, postings, extensions, exemptions, requirements."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import select

from app.clock import today
from app.models import Assignment, AuditEvent, Exemption, Extension, Posting, Requirement
from app.services.organisation.assignments import recompute_officials
from app.web.forms.common import date_values
from tests.conftest import check_page, hidden_fields
from tests.factories import PASSWORD, make_requirement


@pytest.mark.parametrize(
    ("who", "visible", "hidden_names"),
    [
        ("manager", {"Tendai"}, {"Ulla", "Victor"}),
        ("dept_admin", {"Tendai", "Ulla"}, {"Victor"}),
        ("central", {"Tendai", "Ulla", "Victor"}, set()),
    ],
)
def test_official_search_is_limited_to_scope(client, org, who, visible, hidden_names):
    client.sign_in(org[who].email, PASSWORD)
    page = check_page(client.get("/manage/officials").text)
    names = {a.text.split()[0] for a in page.select("#results tbody a")}
    assert visible <= names and not (hidden_names & names)


def test_a_manager_cannot_open_an_official_outside_their_team_by_id(client, org):
    client.sign_in(org["manager"].email, PASSWORD)
    assert client.get(f"/manage/officials/{org['in_team'].id}").status_code == 200
    assert client.get(f"/manage/officials/{org['other_team'].id}").status_code == 404
    assert client.get(f"/manage/officials/{org['mod_official'].id}").status_code == 404


def test_manager_grants_an_extension_and_an_exemption_in_their_team(client, session, org):
    make_requirement(session, due_days=-5)
    recompute_officials(session, [org["in_team"].id, org["other_team"].id], today() - timedelta(days=40))
    session.commit()
    mine = session.exec(select(Assignment).where(Assignment.official_id == org["in_team"].id)).one()
    theirs = session.exec(select(Assignment).where(Assignment.official_id == org["other_team"].id)).one()
    client.sign_in(org["manager"].email, PASSWORD)
    html = client.get(f"/manage/officials/{org['in_team'].id}").text
    assert "Overdue" in check_page(html).text
    fields = hidden_fields(html, f"/manage/assignments/{mine.id}/extensions")
    until = date_values("until", today() + timedelta(days=20))
    response = client.post(f"/manage/assignments/{mine.id}/extensions", data={**fields, "reason": "absence", "comment": "Sick leave", **until})
    assert response.status_code == 303
    page = check_page(client.get(f"/manage/officials/{org['in_team'].id}").text)
    assert "Not yet due" in page.text and "Sick leave" in page.text
    response = client.post(f"/manage/assignments/{mine.id}/exemptions", data={**fields, "reason": "other", "comment": "", **date_values("until", date(2020, 1, 1))})
    assert response.status_code == 422
    assert {a["href"] for a in check_page(response.text).select(".govuk-error-summary a")} == {
        f"#exemption-comment-{mine.id}", f"#exemption-until-{mine.id}-day"}
    # Outside the team: refused, and nothing is stored.
    response = client.post(f"/manage/assignments/{theirs.id}/exemptions", data={**fields, "reason": "other", "comment": "x", **until})
    assert response.status_code == 404
    assert session.exec(select(Exemption)).first() is None
    assert len(session.exec(select(Extension)).all()) == 1
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "extension.grant")).one().actor_id == org["manager"].id


def test_adding_a_posting_to_an_at_risk_country_assigns_training(client, session, org):
    from app.services.audit import Actor
    from app.services.organisation.risk import AssessmentInput, set_assessment

    set_assessment(session, Actor(None, "test"), AssessmentInput("SD", True, "EWP", "2025-26", today()), today())
    make_requirement(session, at_risk_posting=True, due_rule="posting", due_days=-14)
    session.commit()
    client.sign_in(org["dept_admin"].email, PASSWORD)
    url = f"/manage/officials/{org['in_team'].id}"
    fields = hidden_fields(client.get(url).text, url + "/postings")
    bad = client.post(url + "/postings", data={**fields, "country": "SD", "post": "", "start_on-day": "30", "start_on-month": "2", "start_on-year": "2027"})
    assert bad.status_code == 422 and session.exec(select(Posting)).first() is None
    start = date_values("start_on", today() + timedelta(days=90))
    ok = client.post(url + "/postings", data={**fields, "country": "SD", "post": "British Embassy Khartoum", **start})
    assert ok.status_code == 303
    page = check_page(client.get(url).text)
    assert "British Embassy Khartoum" in page.text and "To be posted to Sudan" in page.text


def test_central_admin_previews_then_saves_a_requirement(client, session, org, test_library):
    client.sign_in(org["central"].email, PASSWORD)
    html = client.get("/manage/requirements/new").text
    check_page(html)
    fields = hidden_fields(html, "/manage/requirements")
    fcdo_id = str(org["in_team"].department_id)
    form = {**fields, "name": "FCDO refresher", "module_id": "checkpoint-visit", "department_ids": fcdo_id, "at_risk_posting": "no",
            "due_rule": "assignment", "due_days": "60", "grace_days": "30", "validity_months": "12", "recertification_days": "30",
            "retake_on_major": "yes", "active": "yes", "audience": ""}
    preview = client.post("/manage/requirements", data={**form, "action": "preview"})
    assert preview.status_code == 200
    rows = impact_rows(preview.text)
    assert rows["FCDO"] == ["0", "5", "0", "0", "5"] and rows["MOD"] == ["0", "0", "0", "0", "0"]
    assert session.exec(select(Requirement)).first() is None
    saved = client.post("/manage/requirements", data={**form, "action": "save"})
    assert saved.status_code == 303
    assert len(session.exec(select(Assignment)).all()) == 5
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "requirement.create")).one()
    bad = client.post("/manage/requirements", data={**form, "name": "", "due_days": "x", "action": "save"})
    assert bad.status_code == 422


def impact_rows(html: str) -> dict[str, list[str]]:
    """The preview's table: department -> [now, after saving, already trained or exempt, due at once, not yet due]."""
    page = check_page(html)
    return {r.th.text.strip(): [td.text.strip() for td in r.find_all("td")] for r in page.select(".govuk-inset-text tbody tr")}


def test_a_posting_rule_for_postings_that_started_long_ago_leaves_nobody_overdue(client, session, org, test_library):
    """Due 30 days before arrival, for officials who arrived months ago: due the grace period after saving, and
    the preview says so per department before saving."""
    from datetime import UTC, datetime, time

    from app.models import Attempt, Completion, ModuleVersion
    from app.services.audit import Actor
    from app.services.compliance.counts import total
    from app.services.organisation.risk import AssessmentInput, set_assessment
    from app.services.organisation.scope import Scope
    from tests.factories import make_posting

    flagged = set_assessment(session, Actor(None, "test"), AssessmentInput("SD", True, "EWP", "2025-26", today()), today())
    flagged.created_at = datetime.combine(today() - timedelta(days=400), time(9), UTC)  # flagged long ago
    session.add(flagged)
    make_posting(session, org["in_team"], "SD", today() - timedelta(days=300))
    make_posting(session, org["mod_official"], "SD", today() - timedelta(days=200))
    make_posting(session, org["learner"], "SD", today() + timedelta(days=100))
    make_posting(session, org["other_team"], "FR", today() - timedelta(days=100))
    version = ModuleVersion(module_id="checkpoint-visit", version="1.0.0", content_hash="h" * 64, title="t", max_score=8, pass_mark=70)
    session.add(version)
    session.flush()
    attempt = Attempt(official_id=org["learner"].id, module_id="checkpoint-visit", module_version_id=version.id, current_scene="x", max_score=8)
    session.add(attempt)
    session.flush()
    session.add(Completion(official_id=org["learner"].id, attempt_id=attempt.id, module_id="checkpoint-visit", module_version="1.0.0",
                           content_hash="h" * 64, score=8, percent=100, completed_at=datetime.combine(today() - timedelta(days=20), time(9), UTC)))
    session.commit()
    client.sign_in(org["central"].email, PASSWORD)
    fields = hidden_fields(client.get("/manage/requirements/new").text, "/manage/requirements")
    form = {**fields, "name": "Posted to an at-risk country", "module_id": "checkpoint-visit", "at_risk_posting": "yes",
            "due_rule": "posting", "due_days": "-30", "grace_days": "30", "validity_months": "12", "recertification_days": "30",
            "retake_on_major": "no", "active": "yes", "audience": ""}
    preview = client.post("/manage/requirements", data={**form, "action": "preview"})
    assert preview.status_code == 200
    rows = impact_rows(preview.text)
    # FCDO: Tendai (arrived 300 days ago) not yet due, Lars (trained 20 days ago) already trained; MOD: Victor.
    assert rows["FCDO"] == ["0", "2", "1", "0", "1"] and rows["MOD"] == ["0", "1", "0", "0", "1"]
    assert "Due at once or overdue" in preview.text
    no_grace = impact_rows(client.post("/manage/requirements", data={**form, "grace_days": "0", "action": "preview"}).text)
    assert no_grace["FCDO"] == ["0", "2", "1", "1", "0"] and no_grace["MOD"] == ["0", "1", "0", "1", "0"]
    assert client.post("/manage/requirements", data={**form, "action": "save"}).status_code == 303
    made = session.exec(select(Assignment)).all()
    assert len(made) == 3 and all(a.assigned_on == today() for a in made)
    arrived = {a.official_id: a.due_on for a in made if a.official_id != org["learner"].id}
    assert arrived == {org["in_team"].id: today() + timedelta(days=30), org["mod_official"].id: today() + timedelta(days=30)}
    assert total(session, Scope(everything=True), today()).overdue == 0


def test_only_central_admins_edit_requirements(client, org):
    client.sign_in(org["dept_admin"].email, PASSWORD)
    assert client.get("/manage/requirements").status_code == 200
    assert client.get("/manage/requirements/new").status_code == 403
    token = client.csrf_token("/manage/requirements")
    assert client.post("/manage/requirements", data={"csrf_token": token, "name": "x"}).status_code == 403


def test_departments_and_units_follow_scope(client, org):
    client.sign_in(org["manager"].email, PASSWORD)
    page = check_page(client.get("/manage/departments").text)
    assert "Africa Directorate" in page.text and "Policy team" in page.text
    assert "Europe Directorate" not in page.text and "MOD" not in page.text
    client.client.cookies.clear()
    client.sign_in(org["central"].email, PASSWORD)
    page = check_page(client.get("/manage/departments").text)
    assert "Europe Directorate" in page.text and "Operations" in page.text


def test_ending_a_posting_ends_the_assignment_and_is_audited(client, session, org):
    from app.services.audit import Actor
    from app.services.organisation.risk import AssessmentInput, set_assessment
    from tests.factories import make_posting

    set_assessment(session, Actor(None, "test"), AssessmentInput("SD", True, "EWP", "2025-26", today()), today())
    make_requirement(session, at_risk_posting=True, due_rule="posting", due_days=-14)
    posting = make_posting(session, org["in_team"], "SD", today() - timedelta(days=30))
    recompute_officials(session, [org["in_team"].id], today())
    session.commit()
    client.sign_in(org["manager"].email, PASSWORD)
    url = f"/manage/officials/{org['in_team'].id}"
    fields = hidden_fields(client.get(url).text, f"/manage/postings/{posting.id}/end")
    bad = client.post(f"/manage/postings/{posting.id}/end", data={**fields, "end_on-day": "soon", "end_on-month": "6", "end_on-year": "2027"})
    assert bad.status_code == 422
    ok = client.post(f"/manage/postings/{posting.id}/end", data={**fields, **date_values("end_on", today() - timedelta(days=1))})
    assert ok.status_code == 303
    session.expire_all()
    assert not session.exec(select(Assignment).where(Assignment.official_id == org["in_team"].id)).one().active
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "posting.end")).one().actor_id == org["manager"].id
    other = make_posting(session, org["mod_official"], "SD", today())
    assert client.post(f"/manage/postings/{other.id}/end", data={**fields, **date_values("end_on", today())}).status_code == 404
