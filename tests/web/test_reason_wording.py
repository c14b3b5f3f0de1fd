"""Why training is required: in the second person for the official, the third person for managers, admins and
exports; countries by their everyday names (issue 11, item 8)."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from app.clock import today
from app.models import Assignment, Country
from app.services.audit import Actor
from app.services.organisation.assignments import LEARNER, OTHERS, reason_for, recompute_officials
from app.services.organisation.risk import AssessmentInput, set_assessment
from tests.conftest import check_page
from tests.factories import PASSWORD, make_posting, make_requirement


def _posted_to_drc(session, org):
    set_assessment(session, Actor(None, "test"), AssessmentInput("CD", True, "EWP", "2025-26", today()), today())
    make_requirement(session, at_risk_posting=True, due_rule="posting", due_days=-14)
    make_posting(session, org["in_team"], "CD", today() - timedelta(days=30), post="British Embassy Kinshasa")
    recompute_officials(session, [org["in_team"].id], today())
    session.commit()


def test_country_names_are_the_everyday_ones(session):
    names = {c.code: c.name for c in session.exec(select(Country))}
    assert names["CD"] == "Democratic Republic of the Congo"
    assert names["VN"] == "Vietnam" and names["RU"] == "Russia" and names["FM"] == "Federated States of Micronesia"
    assert not [name for name in names.values() if name.endswith((" of", " of the"))]


def test_the_official_reads_you_and_the_manager_reads_the_third_person(client, session, org):
    _posted_to_drc(session, org)
    client.sign_in(org["in_team"].email, PASSWORD)
    own = check_page(client.get("/training").text).text
    assert "You are posted to the Democratic Republic of the Congo from" in own
    client.client.cookies.clear()

    client.sign_in(org["manager"].email, PASSWORD)
    page = check_page(client.get(f"/manage/officials/{org['in_team'].id}").text).text
    assert "Posted to the Democratic Republic of the Congo from" in page
    assert "You are" not in page and "You will be" not in page and "Congo, The" not in page

    listing = check_page(client.get("/compliance/officials?status=assigned").text).text
    assert "Posted to the Democratic Republic of the Congo" in listing and "You are" not in listing

    export = client.get("/compliance/export.csv?view=officials")
    assert export.status_code == 200
    assert "Posted to the Democratic Republic of the Congo from" in export.text
    assert "You are" not in export.text and "You will be" not in export.text


def test_every_wording_reads_in_the_third_person_for_others(session, org):
    fcdo = org["in_team"].department_id
    team = org["team"].id
    make_requirement(session, name="Everyone", department_ids=str(fcdo), unit_ids=str(team), audience="learner")
    make_requirement(session, name="Posted", at_risk_posting=True, module_id="checkpoint-visit")
    set_assessment(session, Actor(None, "test"), AssessmentInput("SD", True, "EWP", "2025-26", today()), today())
    make_posting(session, org["in_team"], "SD", today() + timedelta(days=30))
    recompute_officials(session, [org["in_team"].id], today())
    session.commit()
    reasons = [a.reason for a in session.exec(select(Assignment).where(Assignment.official_id == org["in_team"].id))]
    assert len(reasons) == 2 and any("You will be posted to Sudan" in r for r in reasons)
    assert any("your role (learner)" in r for r in reasons)
    for reason in reasons:
        assert reason_for(reason, LEARNER) == reason
        theirs = reason_for(reason, OTHERS)
        assert "you" not in theirs.lower().split() and "your" not in theirs.lower()
    assert "To be posted to Sudan from" in " ".join(reason_for(r, OTHERS) for r in reasons)


def test_reasons_stored_before_the_new_names_are_rewritten_by_the_migration(session, org, database_url):
    """Rows written with the ISO name ("Congo, The Democratic Republic of the") read naturally after upgrading."""
    from alembic import command

    from app.cli import alembic_config

    _posted_to_drc(session, org)
    session.close()
    config = alembic_config(database_url)
    command.downgrade(config, "0004")
    session.exec(select(Country)).all()
    assert session.get(Country, "CD").name == "Congo, The Democratic Republic of the"
    reason = session.exec(select(Assignment.reason)).one()  # one column: later migrations' columns are not there yet
    assert "posted to Congo, The Democratic Republic of the from" in reason
    session.close()
    command.upgrade(config, "head")
    assignment = session.exec(select(Assignment)).one()
    assert "You are posted to the Democratic Republic of the Congo from" in assignment.reason
    assert reason_for(assignment.reason, OTHERS).startswith("Posted to the Democratic Republic of the Congo from")
