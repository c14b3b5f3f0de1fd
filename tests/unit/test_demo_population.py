"""The demo population is believable: every status appears, the at-risk list names its source."""

from __future__ import annotations

from collections import Counter

from sqlmodel import select

from app import PROJECT_ROOT
from app.clock import today
from app.content import load_library
from app.demo.accounts import seed_demo
from app.demo.population import place_demo_accounts, seed_population
from app.models import Assignment, CountryRiskAssessment, Official, Requirement
from app.services.compliance.status import Status, status_at
from app.services.learning.catalogue import facts_of


def test_demo_population(session):
    library = load_library(PROJECT_ROOT / "modules")
    seed_demo(session)
    summary = seed_population(session, library, today())
    place_demo_accounts(session, today())
    session.commit()
    assert summary.departments == 5 and 1900 <= summary.officials <= 2100
    assert seed_population(session, library, today()) is None  # runs once
    flags = session.exec(select(CountryRiskAssessment).where(CountryRiskAssessment.at_risk.is_(True))).all()
    assert len(flags) == 30 and {f.source for f in flags} == {"Early Warning Project Statistical Risk Assessment"}
    counts = Counter()
    for assignment, requirement in session.exec(
        select(Assignment, Requirement).join(Requirement, Requirement.id == Assignment.requirement_id).where(Assignment.active.is_(True))
    ):
        counts[status_at(facts_of(assignment, requirement), today())] += 1
    assert all(counts[s] > 0 for s in Status), counts
    learner = session.exec(select(Official).where(Official.email == "learner@example.gov.uk")).one()
    reasons = [a.reason for a in session.exec(select(Assignment).where(Assignment.official_id == learner.id))]
    assert reasons and all("Sudan" in r for r in reasons)
