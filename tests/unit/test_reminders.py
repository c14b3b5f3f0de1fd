"""Reminders: the new-assignment email in the assignment's own transaction, then 30, 7 and 1 days before the
due date, on it, weekly when overdue (at most 4), before expiry, after a new major version; managers' weekly
digest and department admins' monthly summary; each once, however often the schedule runs."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import func
from sqlmodel import select
from typer.testing import CliRunner

from app.cli import cli
from app.config import get_settings
from app.models import Assignment, Completion, DueRule, ModuleVersion, OutboxMessage
from app.services.organisation import assignments
from app.services.reminders import remind
from tests.conftest import TEST_SECRET
from tests.factories import make_department, make_official, make_posting, make_requirement, make_unit
from tests.unit.test_assignments import EWP, TODAY, _attempt_id, flag


@pytest.fixture
def world(session):
    """Amira, in FCDO, posted to South Sudan in 60 days, line managed by Ben; Chloe is FCDO's department admin."""
    fcdo = make_department(session, "FCDO", "Foreign, Commonwealth and Development Office")
    unit = make_unit(session, fcdo, "Africa Directorate")
    ben = make_official(session, email="ben.smith@example.gov.uk", given_name="Ben", family_name="Smith",
                        roles="learner manager", department_id=fcdo.id, unit_id=unit.id, unit_path=unit.path)
    amira = make_official(session, email="amira.okafor@example.gov.uk", given_name="Amira", family_name="Okafor",
                          department_id=fcdo.id, unit_id=unit.id, unit_path=unit.path, line_manager_id=ben.id)
    chloe = make_official(session, email="chloe.evans@example.gov.uk", given_name="Chloe", family_name="Evans",
                          roles="learner department-admin", department_id=fcdo.id)
    requirement = make_requirement(session, name="Checkpoint visit training", at_risk_posting=True,
                                   due_rule=DueRule.POSTING.value, due_days=-14, validity_months=12)
    session.add(ModuleVersion(module_id="checkpoint-visit", version="1.0.0", content_hash="h" * 64,
                              title="The checkpoint visit", max_score=8, pass_mark=70))
    session.commit()
    make_posting(session, amira, "SS", TODAY + timedelta(days=60), post="British Embassy Juba")
    return {"amira": amira, "ben": ben, "chloe": chloe, "requirement": requirement, "fcdo": fcdo}


def emails(session) -> list[dict]:
    session.expire_all()
    rows = session.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    return [{"key": m.key, **json.loads(m.payload)} for m in rows]


def kinds(session) -> list[str]:
    return [e["kind"] for e in emails(session)]


def the_assignment(session, official) -> Assignment:
    session.expire_all()
    return session.exec(select(Assignment).where(Assignment.official_id == official.id)).one()


def run(session, on: date, **kwargs):
    result = remind(session, on, base_url="https://training.example.gov.uk", **kwargs)
    session.commit()
    return result


def test_flagging_the_country_enqueues_the_new_assignment_email_in_the_same_transaction(session, world):
    flag(session, "SS")
    assignment = the_assignment(session, world["amira"])
    [email] = emails(session)
    due = assignment.due_on
    assert email["kind"] == "assigned" and email["key"] == f"assigned:{assignment.id}:{TODAY.isoformat()}"
    assert email["to"] == "amira.okafor@example.gov.uk"
    assert email["subject"] == f"You must complete The checkpoint visit by {due.day} {due:%B %Y}"
    start = TODAY + timedelta(days=60)
    assert (f"You must complete The checkpoint visit by {due.day} {due:%B %Y} because you will be posted to South Sudan "
            f"from {start.day} {start:%B %Y}; {EWP} lists it as at risk (2025-26, 3 September 2025).") in email["body"]
    assert email["body"].startswith("Dear Amira,")
    assert "/training" in email["body"]


def test_no_email_when_the_assignment_write_is_rolled_back(session, world):
    from app.services.audit import Actor
    from app.services.organisation.risk import AssessmentInput, set_assessment

    set_assessment(session, Actor(None, "test"), AssessmentInput("SS", True, EWP, "2025-26", date(2025, 9, 3)), TODAY)
    assert kinds(session) == ["assigned"]  # written in this transaction, beside the assignment
    session.rollback()
    assert session.exec(select(func.count()).select_from(OutboxMessage)).one() == 0
    assert session.exec(select(func.count()).select_from(Assignment)).one() == 0


def test_reminders_before_on_and_after_the_due_date_each_once(session, world):
    flag(session, "SS")
    assignment = the_assignment(session, world["amira"])
    due = assignment.due_on
    assert (due - TODAY).days == 46
    schedule = {
        due - timedelta(days=31): [],
        due - timedelta(days=30): ["due-30"],
        due - timedelta(days=29): [],  # already sent
        due - timedelta(days=7): ["due-7"],
        due - timedelta(days=6): [],
        due - timedelta(days=1): ["due-1"],
        due: ["due-today"],
        due + timedelta(days=1): ["overdue"],
        due + timedelta(days=5): [],
        due + timedelta(days=8): ["overdue"],
        due + timedelta(days=15): ["overdue"],
        due + timedelta(days=22): ["overdue"],
        due + timedelta(days=29): [],  # at most 4
        due + timedelta(days=60): [],
    }
    for on, expected in schedule.items():
        before = len(emails(session))
        result = run(session, on)
        assert [e["kind"] for e in emails(session)[before:] if e["kind"] not in ("manager-digest", "department-summary")] \
            == expected, on
        assert sum(n for k, n in result.counts.items() if k not in ("manager-digest", "department-summary")) == len(expected)
    overdue = [e for e in emails(session) if e["kind"] == "overdue"]
    assert [e["key"] for e in overdue] == [f"overdue:{assignment.id}:{due.isoformat()}:{n}" for n in (1, 2, 3, 4)]
    assert "It is now 1 day overdue" in overdue[0]["body"] and "It is now 22 days overdue" in overdue[3]["body"]
    assert [e["subject"] for e in emails(session) if e["kind"] == "due-1"] == ["The checkpoint visit: due tomorrow"]


def test_a_missed_day_still_sends_the_reminder_next_day(session, world):
    flag(session, "SS")
    due = the_assignment(session, world["amira"]).due_on
    run(session, due - timedelta(days=6))  # the run 7 days before was missed
    assert "due-7" in kinds(session)


def test_a_late_assignment_gets_no_30_day_reminder_on_top_of_its_new_assignment_email(session, world):
    requirement = world["requirement"]
    requirement.due_rule, requirement.due_days, requirement.grace_days = DueRule.ASSIGNMENT.value, 20, 20
    session.add(requirement)
    session.commit()
    flag(session, "SS")
    run(session, TODAY)
    assert [k for k in kinds(session) if k.startswith(("assigned", "due"))] == ["assigned"]
    run(session, TODAY + timedelta(days=13))
    assert "due-7" in kinds(session)


def test_an_extension_moves_the_reminders_to_the_new_date(session, world):
    flag(session, "SS")
    assignment = the_assignment(session, world["amira"])
    assignment.extended_to = assignment.due_on + timedelta(days=20)
    session.add(assignment)
    session.commit()
    run(session, assignment.due_on)
    assert "due-today" not in kinds(session) and "overdue" not in kinds(session)
    run(session, assignment.extended_to)
    assert [e["key"] for e in emails(session) if e["kind"] == "due-today"] == [
        f"due-today:{assignment.id}:{assignment.extended_to.isoformat()}"]


def test_done_or_exempt_means_no_due_reminders(session, world):
    flag(session, "SS")
    assignment = the_assignment(session, world["amira"])
    assignment.exempt_until = assignment.due_on + timedelta(days=100)
    session.add(assignment)
    session.commit()
    for days in (-30, -7, -1, 0, 1, 8):
        run(session, assignment.due_on + timedelta(days=days))
    assert [k for k in kinds(session) if k not in ("manager-digest", "department-summary")] == ["assigned"]


def complete(session, official, on: date, version: str = "1.0.0") -> None:
    session.add(Completion(official_id=official.id, attempt_id=_attempt_id(session, official, "checkpoint-visit", version),
                           module_id="checkpoint-visit", module_version=version, content_hash="h" * 64, score=8,
                           percent=100, completed_at=datetime.combine(on, time(12), UTC)))
    session.commit()
    assignments.recompute_officials(session, [official.id], TODAY)
    session.commit()


def test_expiring_within_the_recertification_window(session, world):
    flag(session, "SS")
    complete(session, world["amira"], TODAY)
    assignment = the_assignment(session, world["amira"])
    expires = assignment.expires_on
    run(session, expires - timedelta(days=31))
    assert "expiring" not in kinds(session)
    run(session, expires - timedelta(days=30))
    run(session, expires - timedelta(days=10))
    [email] = [e for e in emails(session) if e["kind"] == "expiring"]
    assert email["key"] == f"expiring:{assignment.id}:{expires.isoformat()}"
    assert email["subject"] == f"The checkpoint visit: your completion expires on {expires.day} {expires:%B %Y}"


def test_a_new_major_version_asks_for_a_retake(session, world):
    flag(session, "SS")
    complete(session, world["amira"], TODAY - timedelta(days=1))
    assert the_assignment(session, world["amira"]).completion_id is not None
    session.add(ModuleVersion(module_id="checkpoint-visit", version="2.0.0", content_hash="i" * 64,
                              title="The checkpoint visit", max_score=8, pass_mark=70))
    session.commit()
    assignments.recompute_officials(session, [world["amira"].id], TODAY)
    session.commit()
    assignment = the_assignment(session, world["amira"])
    assert assignment.completion_id is None
    run(session, TODAY)
    run(session, TODAY + timedelta(days=1))
    [email] = [e for e in emails(session) if e["kind"] == "retake"]
    assert email["key"] == f"retake:{assignment.id}:{assignment.due_on.isoformat()}"
    assert "A new major version of The checkpoint visit has been published" in email["body"]


def test_the_manager_gets_one_weekly_digest_of_their_teams_overdue_and_due_soon(session, world):
    flag(session, "SS")
    other = make_official(session, given_name="Dev", family_name="Patel", line_manager_id=world["ben"].id,
                          department_id=world["fcdo"].id)
    make_posting(session, other, "SS", TODAY - timedelta(days=400))
    assignments.recompute_officials(session, [other.id], TODAY)
    session.commit()
    due = the_assignment(session, world["amira"]).due_on
    on = due - timedelta(days=3)  # Amira's is due in 3 days; Dev's too (both within 30)
    run(session, on)
    run(session, on)
    digests = [e for e in emails(session) if e["kind"] == "manager-digest"]
    assert len(digests) == 1
    [digest] = digests
    monday = on - timedelta(days=on.weekday())
    assert digest["to"] == "ben.smith@example.gov.uk" and digest["key"] == f"manager-digest:{world['ben'].id}:{monday.isoformat()}"
    assert "Amira Okafor: The checkpoint visit" in digest["body"] and "Dev Patel: The checkpoint visit" in digest["body"]
    run(session, monday + timedelta(days=7 + 1))  # next week: a new digest (both now overdue)
    digests = [e for e in emails(session) if e["kind"] == "manager-digest"]
    assert len(digests) == 2 and "Overdue:" in digests[1]["body"] and digests[1]["subject"].endswith("2 overdue")


def test_department_admins_get_a_monthly_summary_with_a_dashboard_link(session, world):
    flag(session, "SS")
    run(session, TODAY)
    run(session, TODAY)
    summaries = [e for e in emails(session) if e["kind"] == "department-summary"]
    assert len(summaries) == 1
    [summary] = summaries
    assert summary["to"] == "chloe.evans@example.gov.uk"
    assert summary["key"] == f"department-summary:{world['chloe'].id}:{TODAY.replace(day=1).isoformat()}"
    assert "* Assigned: 1" in summary["body"] and "* Not yet due: 1" in summary["body"]
    assert f"https://training.example.gov.uk/compliance/departments/{world['fcdo'].id}" in summary["body"]
    next_month = (TODAY.replace(day=1) + timedelta(days=32)).replace(day=1)
    run(session, next_month)
    assert len([k for k in kinds(session) if k == "department-summary"]) == 2


def test_a_dry_run_counts_per_kind_and_changes_nothing(session, world, monkeypatch, database_url):
    flag(session, "SS")
    due = the_assignment(session, world["amira"]).due_on
    before = emails(session)
    monkeypatch.setenv("APTRAIN_ENVIRONMENT", "test")
    monkeypatch.setenv("APTRAIN_SECRET_KEY", TEST_SECRET)
    monkeypatch.setenv("APTRAIN_DATABASE_URL", database_url)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["remind", "--as-at", (due + timedelta(days=1)).isoformat(), "--dry-run"])
        assert result.exit_code == 0, result.output
        assert "(dry run, nothing changed)" in result.output
        assert "  overdue: 1\n" in result.output and "  manager-digest: 1\n" in result.output
        assert "  department-summary: 1\n" in result.output and "Total would enqueue: 3" in result.output
        assert emails(session) == before
        result = CliRunner().invoke(cli, ["remind", "--as-at", (due + timedelta(days=1)).isoformat()])
        assert result.exit_code == 0 and "Total enqueued: 3" in result.output
        result = CliRunner().invoke(cli, ["remind", "--as-at", (due + timedelta(days=1)).isoformat()])
        assert "Total enqueued: 0" in result.output
        bad = CliRunner().invoke(cli, ["remind", "--as-at", "31/01/2027"])
        assert bad.exit_code != 0 and "not a date" in bad.output
    finally:
        get_settings.cache_clear()


def test_the_worker_runs_the_days_reminders_once_from_the_configured_hour(session, world, engine, database_url,
                                                                          monkeypatch):
    from app import clock
    from app.delivery_cli import _daily_reminders
    from tests.conftest import make_settings

    flag(session, "SS")
    due = the_assignment(session, world["amira"]).due_on
    schedule = _daily_reminders(make_settings(database_url, remind_hour=6), engine)
    day = due - timedelta(days=7)
    for hour, expected in ((5, []), (6, ["due-7"]), (23, ["due-7"])):
        monkeypatch.setattr(clock, "utcnow", lambda hour=hour: datetime.combine(day, time(hour), UTC))
        schedule()
        assert [k for k in kinds(session) if k.startswith("due")] == expected, hour
    monkeypatch.setattr(clock, "utcnow", lambda: datetime.combine(due, time(7), UTC))
    schedule()  # the next day it runs again
    assert [k for k in kinds(session) if k.startswith("due")] == ["due-7", "due-today"]
