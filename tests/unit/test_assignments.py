"""Assignments made and kept current from requirements, postings, risk flags and completions."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlmodel import select

from app.models import (
    Assignment,
    AuditEvent,
    Completion,
    CountryRiskAssessment,
    DueRule,
    Exemption,
    Extension,
    ModuleVersion,
)
from app.services.audit import Actor
from app.services.compliance.status import AssignmentFacts, Status, add_months, status_at
from app.services.organisation import assignments
from app.services.organisation.risk import AssessmentInput, set_assessment
from tests.factories import make_department, make_official, make_posting, make_requirement, make_unit

TODAY = datetime.now(UTC).date()
ADMIN = Actor(None, "Central admin (test)")
EWP = "Early Warning Project Statistical Risk Assessment"


def flag(session, code="SS", at_risk=True, flagged_on: date | None = None):
    result = set_assessment(session, ADMIN, AssessmentInput(code, at_risk, EWP, "2025-26", date(2025, 9, 3)), TODAY)
    if flagged_on is not None and result is not None:
        result.created_at = datetime.combine(flagged_on, time(9), UTC)
        session.add(result)
        session.flush()
        assignments.recompute_countries(session, [code], TODAY)
    session.commit()
    return result


def the_assignment(session, official) -> Assignment:
    session.expire_all()
    return session.exec(select(Assignment).where(Assignment.official_id == official.id)).one()


def facts(a: Assignment, window: int = 30) -> AssignmentFacts:
    return AssignmentFacts(a.assigned_on, a.due_on, a.ended_on, a.extended_to, a.completed_on, a.expires_on, a.exempt_until, window)


def complete(session, official, *, on: date, version="1.2.0", module_id="checkpoint-visit"):
    completion = Completion(
        official_id=official.id, attempt_id=_attempt_id(session, official, module_id, version), module_id=module_id,
        module_version=version, content_hash="h" * 64, score=8, percent=100,
        completed_at=datetime.combine(on, time(12), UTC),
    )
    session.add(completion)
    session.commit()
    assignments.recompute_officials(session, [official.id], TODAY)
    session.commit()
    return completion


def _attempt_id(session, official, module_id, version):
    from app.models import Attempt

    mv = session.exec(select(ModuleVersion).where(ModuleVersion.module_id == module_id, ModuleVersion.version == version)).first()
    if mv is None:
        mv = ModuleVersion(module_id=module_id, version=version, content_hash="h" * 64, title="t", max_score=8, pass_mark=70)
        session.add(mv)
        session.flush()
    attempt = Attempt(official_id=official.id, module_id=module_id, module_version_id=mv.id, current_scene="x", max_score=8)
    session.add(attempt)
    session.flush()
    return attempt.id


@pytest.fixture
def posted_rule(session):
    return make_requirement(session, at_risk_posting=True, due_rule=DueRule.POSTING.value, due_days=-14, validity_months=12)


def test_a_future_posting_to_an_at_risk_country_assigns_training_due_before_arrival(session, posted_rule):
    flag(session, "SS", flagged_on=TODAY - timedelta(days=400))
    official = make_official(session)
    make_posting(session, official, "SS", TODAY + timedelta(days=60))
    assignments.recompute_officials(session, [official.id], TODAY)
    session.commit()
    a = the_assignment(session, official)
    assert a.active and a.due_on == TODAY + timedelta(days=46)
    assert "will be posted to South Sudan" in a.reason and EWP in a.reason and "2025-26" in a.reason
    assert status_at(facts(a), TODAY) == Status.NOT_YET_DUE


def test_no_assignment_for_a_posting_to_a_country_not_at_risk(session, posted_rule):
    official = make_official(session)
    make_posting(session, official, "FR", TODAY + timedelta(days=60))
    assignments.recompute_officials(session, [official.id], TODAY)
    assert session.exec(select(Assignment)).first() is None


def test_a_country_flagged_after_arrival_gives_a_grace_period(session, posted_rule):
    official = make_official(session)
    make_posting(session, official, "SS", TODAY - timedelta(days=200))
    flag(session, "SS")  # flagged today, long after arrival
    a = the_assignment(session, official)
    assert a.due_on == TODAY + timedelta(days=posted_rule.grace_days)
    assert status_at(facts(a), TODAY) == Status.NOT_YET_DUE
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "risk.assess")).one().actor_label == ADMIN.label


def test_a_new_requirement_never_makes_anyone_overdue_the_day_it_is_saved(session):
    """Due 30 days before arrival, for postings that started long ago: due no earlier than assigned + grace."""
    flag(session, "SS", flagged_on=TODAY - timedelta(days=400))
    official = make_official(session)
    make_posting(session, official, "SS", TODAY - timedelta(days=300))
    make_requirement(session, at_risk_posting=True, due_rule=DueRule.POSTING.value, due_days=-30, grace_days=21)
    make_requirement(session, module_id="fixed-date", due_rule=DueRule.FIXED.value, due_date=TODAY - timedelta(days=60),
                     grace_days=14)
    make_requirement(session, module_id="after-assignment", due_rule=DueRule.ASSIGNMENT.value, due_days=5, grace_days=10)
    assignments.recompute_officials(session, [official.id], TODAY)
    session.commit()
    made = {a.requirement_id: a for a in session.exec(select(Assignment).where(Assignment.official_id == official.id))}
    assert sorted((a.assigned_on, a.due_on) for a in made.values()) == [
        (TODAY, TODAY + timedelta(days=10)), (TODAY, TODAY + timedelta(days=14)), (TODAY, TODAY + timedelta(days=21))]
    assert all(status_at(facts(a), TODAY) == Status.NOT_YET_DUE for a in made.values())
    # Assigned 290 days ago: due 269 days ago (assigned + 21, not 330 days ago, before it was assigned), 280 days ago
    # (assigned + 10) and on the fixed date 60 days ago: all three overdue now, none before the assignment existed.
    for a in made.values():
        a.assigned_on = TODAY - timedelta(days=290)
        session.add(a)
    session.commit()
    assignments.recompute_officials(session, [official.id], TODAY)
    session.commit()
    by_rule = sorted(session.exec(select(Assignment.due_on).where(Assignment.official_id == official.id)).all())
    assert by_rule == [TODAY - timedelta(days=280), TODAY - timedelta(days=269), TODAY - timedelta(days=60)]


def test_an_ended_posting_ends_the_assignment_without_deleting_it(session, posted_rule):
    flag(session, "SS", flagged_on=TODAY - timedelta(days=400))
    official = make_official(session)
    posting = make_posting(session, official, "SS", TODAY - timedelta(days=100))
    assignments.recompute_officials(session, [official.id], TODAY)
    posting.end_on = TODAY - timedelta(days=1)
    session.add(posting)
    session.commit()
    assignments.recompute_officials(session, [official.id], TODAY)
    session.commit()
    a = the_assignment(session, official)
    assert not a.active and a.ended_on == TODAY and a.ended_reason == "no longer matches the rule"
    assert status_at(facts(a), TODAY + timedelta(days=1)) is None


def test_late_completion_expires_from_the_actual_completion_date(session, posted_rule):
    flag(session, "SS", flagged_on=TODAY - timedelta(days=400))
    official = make_official(session)
    make_posting(session, official, "SS", TODAY - timedelta(days=100))
    assignments.recompute_officials(session, [official.id], TODAY - timedelta(days=95))  # assigned then: due 30 days on
    assignments.recompute_officials(session, [official.id], TODAY)
    session.commit()
    assert status_at(facts(the_assignment(session, official)), TODAY) == Status.OVERDUE
    done = TODAY - timedelta(days=5)
    complete(session, official, on=done)
    a = the_assignment(session, official)
    assert a.completed_on == done and a.expires_on == add_months(done, 12)
    assert status_at(facts(a), TODAY) == Status.COMPLIANT
    assert status_at(facts(a), add_months(done, 12) + timedelta(days=1)) == Status.OVERDUE


def test_re_entering_a_rule_brings_back_the_same_assignment_and_the_completion_still_counts(session):
    department = make_department(session, "FCDO")
    other = make_department(session, "MOD")
    rule = make_requirement(session, department_ids=str(department.id), validity_months=24)
    official = make_official(session, department_id=department.id)
    assignments.recompute_officials(session, [official.id], TODAY)
    session.commit()
    complete(session, official, on=TODAY - timedelta(days=10))
    first = the_assignment(session, official)
    official.department_id = other.id
    session.add(official)
    session.commit()
    assignments.recompute_officials(session, [official.id], TODAY)
    session.commit()
    assert not the_assignment(session, official).active
    official.department_id = department.id
    session.add(official)
    session.commit()
    assignments.recompute_officials(session, [official.id], TODAY)
    session.commit()
    again = the_assignment(session, official)
    assert again.id == first.id and again.active and again.ended_on is None
    assert status_at(facts(again), TODAY) == Status.COMPLIANT
    assert rule.id == again.requirement_id


def test_a_new_major_version_asks_for_a_retake(session):
    rule = make_requirement(session, retake_on_major=True, grace_days=30)
    official = make_official(session)
    complete(session, official, on=TODAY - timedelta(days=30), version="1.2.0")
    assert status_at(facts(the_assignment(session, official)), TODAY) == Status.COMPLIANT
    session.add(ModuleVersion(module_id="checkpoint-visit", version="2.0.0", content_hash="n" * 64, title="t", max_score=8, pass_mark=70))
    session.commit()
    assignments.recompute_officials(session, [official.id], TODAY)
    session.commit()
    a = the_assignment(session, official)
    assert a.completion_id is None and a.due_on == TODAY + timedelta(days=30)
    assert status_at(facts(a), TODAY) == Status.NOT_YET_DUE
    rule.retake_on_major = False
    session.add(rule)
    session.commit()
    assignments.recompute_officials(session, [official.id], TODAY)
    session.commit()
    assert status_at(facts(the_assignment(session, official)), TODAY) == Status.COMPLIANT


def test_extension_and_exemption_are_stored_on_the_assignment(session):
    make_requirement(session, due_days=10, grace_days=0)
    official = make_official(session)
    assignments.recompute_officials(session, [official.id], TODAY - timedelta(days=30))
    session.commit()
    a = the_assignment(session, official)
    assert status_at(facts(a), TODAY) == Status.OVERDUE
    session.add(Extension(assignment_id=a.id, new_due_on=TODAY + timedelta(days=7), reason="illness"))
    session.commit()
    assignments.refresh_exemptions(session, a, TODAY)
    assert status_at(facts(a), TODAY) == Status.NOT_YET_DUE
    session.add(Exemption(assignment_id=a.id, reason="equivalent", comment="Trained elsewhere", valid_until=TODAY + timedelta(days=3)))
    session.commit()
    assignments.refresh_exemptions(session, a, TODAY)
    assert status_at(facts(a), TODAY) == Status.EXEMPT
    assert status_at(facts(a), TODAY + timedelta(days=4)) == Status.NOT_YET_DUE
    assert status_at(facts(a), TODAY + timedelta(days=8)) == Status.OVERDUE


def test_an_official_who_leaves_has_assignments_ended(session):
    make_requirement(session)
    official = make_official(session)
    assignments.recompute_officials(session, [official.id], TODAY)
    official.active = False
    session.add(official)
    session.commit()
    assignments.recompute_officials(session, [official.id], TODAY)
    session.commit()
    a = the_assignment(session, official)
    assert not a.active and a.ended_reason == "left"


def test_unit_subtree_and_audience_rules(session):
    department = make_department(session)
    africa = make_unit(session, department, "Africa Directorate")
    embassy = make_unit(session, department, "Embassy in Varessa", parent=africa)
    europe = make_unit(session, department, "Europe Directorate")
    make_requirement(session, unit_ids=str(africa.id), audience="political")
    inside = make_official(session, department_id=department.id, unit_id=embassy.id, unit_path=embassy.path, tags="political")
    wrong_tag = make_official(session, department_id=department.id, unit_id=embassy.id, unit_path=embassy.path, tags="trade")
    outside = make_official(session, department_id=department.id, unit_id=europe.id, unit_path=europe.path, tags="political")
    assignments.recompute_officials(session, [inside.id, wrong_tag.id, outside.id], TODAY)
    session.commit()
    assigned = {a.official_id for a in session.exec(select(Assignment))}
    assert assigned == {inside.id}


def test_unflagging_a_country_ends_its_assignments_and_history_is_kept(session, posted_rule):
    official = make_official(session)
    make_posting(session, official, "SS", TODAY + timedelta(days=30))
    flag(session, "SS")
    assert the_assignment(session, official).active
    flag(session, "SS", at_risk=False)
    assert not the_assignment(session, official).active
    rows = session.exec(select(CountryRiskAssessment).order_by(CountryRiskAssessment.id)).all()
    assert [r.at_risk for r in rows] == [True, False] and rows[0].superseded_at is not None
    assert flag(session, "SS", at_risk=False) is None  # the same assessment again changes nothing


def test_recomputing_twice_changes_nothing(session, posted_rule):
    flag(session, "SS", flagged_on=TODAY - timedelta(days=400))
    official = make_official(session)
    make_posting(session, official, "SS", TODAY + timedelta(days=10))
    assert assignments.recompute_officials(session, [official.id], TODAY) == 1
    session.commit()
    assert assignments.recompute_officials(session, [official.id], TODAY) == 0
