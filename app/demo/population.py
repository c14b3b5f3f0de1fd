"""A believable demo population: five departments, ~2,000 officials, postings, an at-risk list, requirements,
and a year of history: the requirements came in a year ago, assignments were made over the months since (as
postings were planned and people moved), completions came in over the year (some expiring, some expired), and a
snapshot at the end of each month draws the 12-month trend.

Deterministic (a fixed random seed), so every `make run` shows the same picture.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlmodel import Session, select

from app.content.model import Library, Module
from app.demo.plays import Play, event_rows, play_until
from app.models import (
    Assignment,
    Attempt,
    AttemptState,
    Completion,
    Department,
    DueRule,
    Exemption,
    ModuleVersion,
    Official,
    Posting,
    Requirement,
    Unit,
)
from app.services.audit import Actor
from app.services.learning.player import ensure_module_version
from app.services.organisation.assignments import recompute_everyone, refresh_exemptions
from app.services.organisation.risk import AssessmentInput, set_assessment

EWP_SOURCE = "Early Warning Project Statistical Risk Assessment"
EWP_EDITION = "2025-26"
EWP_DATE = date(2025, 9, 3)
# The published 2025-26 top 30 (USHMM and Dartmouth College), as ISO codes in rank order: the source's
# assessment, shown with its name, edition and date, never as this service's own judgement.
EWP_TOP_30 = (
    "MM TD SD IN BF PK AF NG YE GN NE ID ET CD IR KH ML BD IQ SY PH RU SO MZ TR AO CN LA CG TJ"
).split()
OTHER_POSTS = "FR DE US KE GH ZA BR MX JP AU CA NO PL EG JO SN TZ UG RW LK".split()

DEPARTMENTS = {
    "FCDO": ("Foreign, Commonwealth and Development Office", 900, ["Africa Directorate", "Asia Directorate", "Middle East Directorate", "Multilateral Directorate"]),
    "MOD": ("Ministry of Defence", 500, ["Defence Engagement", "Operations Directorate", "Policy Directorate"]),
    "HO": ("Home Office", 300, ["Asylum Policy", "Country Policy and Information", "Border Security"]),
    "DBT": ("Department for Business and Trade", 200, ["Export Control Joint Unit", "Trade Promotion"]),
    "CO": ("Cabinet Office", 100, ["National Security Secretariat", "Civil Service HR"]),
}
TEAMS = ["Policy team", "Programmes team", "Analysis team"]
TAGS = {"FCDO": ["political", "development"], "MOD": ["defence"], "HO": ["home-office"], "DBT": ["trade"], "CO": ["political"]}
POSTED_SHARE = {"FCDO": 0.4, "MOD": 0.2, "HO": 0.08, "DBT": 0.15, "CO": 0.03}
FAILED_FIRST = 0.2  # share of completions that came after a failed first attempt
HISTORY_DAYS = 365  # how far back the demo's assignments, completions and monthly snapshots go
GIVEN = "Amira Ben Chloe Dev Ewa Femi Grace Hassan Ines Jack Kofi Lena Malik Niamh Owen Priya Rhys Sara Tomasz Uma Viktor Wen Yusuf Zara Siobhán Nguyễn Seán Zoë".split()
FAMILY = "Okafor Smith Jones Patel Khan Nowak O'Brien Williams Brown Taylor Evans Davies Singh Ahmed Murphy Chen Kowalski Hughes Edwards Lewis Thảo García Müller".split()


@dataclass(frozen=True)
class PopulationSummary:
    departments: int
    units: int
    officials: int
    postings: int
    at_risk_countries: int
    requirements: int
    assignments: int


def seed_population(session: Session, library: Library, today: date, *, seed: int = 2026) -> PopulationSummary | None:
    """Create the demo population once (None when it already exists)."""
    if session.exec(select(Department)).first() is not None:
        return None
    rng = random.Random(seed)
    actor = Actor(None, "demo data")
    for rank, code in enumerate(EWP_TOP_30, start=1):
        given = AssessmentInput(code, True, EWP_SOURCE, EWP_EDITION, EWP_DATE, f"rank {rank} of 168")
        assessment = set_assessment(session, actor, given, today, recompute=False)
        assessment.created_at = datetime.combine(EWP_DATE + timedelta(days=7), time(9), UTC)
        session.add(assessment)
    units: dict[str, list[Unit]] = {}
    officials: list[Official] = []
    for code, (name, size, directorates) in DEPARTMENTS.items():
        department = Department(code=code, name=name)
        session.add(department)
        session.flush()
        teams = units.setdefault(code, [])
        for directorate_name in directorates:
            directorate = _unit(session, department, directorate_name, None)
            for team_name in TEAMS:
                teams.append(_unit(session, department, team_name, directorate))
        for n in range(size):
            team = teams[n % len(teams)]
            official = Official(
                email=f"{code.lower()}.{n + 1:04d}@example.gov.uk",
                given_name=rng.choice(GIVEN),
                family_name=rng.choice(FAMILY),
                roles="learner manager" if n < len(teams) else "learner",
                department_id=department.id,
                unit_id=team.id,
                unit_path=team.path,
                tags=rng.choice(TAGS[code]),
            )
            officials.append(official)
        session.add_all(officials[-size:])
        session.flush()
        managers = {o.unit_id: o for o in officials[-size:] if "manager" in o.roles}
        for official in officials[-size:]:
            manager = managers.get(official.unit_id)
            official.line_manager_id = manager.id if manager is not None and manager.id != official.id else None
            if rng.random() < POSTED_SHARE[code]:
                _postings(session, rng, official, today)
    requirements = _requirements(session, library, today)
    session.flush()
    recompute_everyone(session, today)
    session.flush()
    _backdate(session, rng, today)
    session.flush()
    recompute_everyone(session, today)  # due dates follow the assignment dates
    session.flush()
    _completions(session, rng, library, today)
    recompute_everyone(session, today)
    session.flush()
    return PopulationSummary(
        departments=len(DEPARTMENTS),
        units=sum(len(v) for v in units.values()) + sum(len(d[2]) for d in DEPARTMENTS.values()),
        officials=len(officials),
        postings=len(session.exec(select(Posting.id)).all()),
        at_risk_countries=len(EWP_TOP_30),
        requirements=len(requirements),
        assignments=len(session.exec(select(Assignment.id).where(Assignment.active.is_(True))).all()),
    )


def place_demo_accounts(session: Session, today: date) -> None:
    """Give the demo accounts a place: the learner is about to be posted to a country on the at-risk list."""
    fcdo = session.exec(select(Department).where(Department.code == "FCDO")).one()
    cabinet = session.exec(select(Department).where(Department.code == "CO")).one()
    team = session.exec(select(Unit).where(Unit.department_id == fcdo.id, Unit.full_name == "Africa Directorate / Policy team")).one()
    central = session.exec(select(Unit).where(Unit.department_id == cabinet.id, Unit.parent_id.is_not(None))).first()
    by_email = {o.email: o for o in session.exec(select(Official).where(Official.email.like("%@example.gov.uk")))}
    manager = by_email["manager@example.gov.uk"]
    for email, department, unit, tags in (
        ("learner@example.gov.uk", fcdo, team, "political"),
        ("manager@example.gov.uk", fcdo, team, "political"),
        ("dept-admin@example.gov.uk", fcdo, team, "political"),
        ("central-admin@example.gov.uk", cabinet, central, "political"),
        ("author@example.gov.uk", cabinet, central, ""),
    ):
        official = by_email[email]
        official.department_id, official.unit_id, official.unit_path, official.tags = department.id, unit.id, unit.path, tags
        if email != "manager@example.gov.uk" and department.id == fcdo.id:
            official.line_manager_id = manager.id
        session.add(official)
    learner = by_email["learner@example.gov.uk"]
    if session.exec(select(Posting).where(Posting.official_id == learner.id)).first() is None:
        session.add(Posting(official_id=learner.id, country_code="SD", post="British Embassy Khartoum",
                            start_on=today + timedelta(days=45), end_on=today + timedelta(days=45 + 3 * 365)))
    session.flush()
    recompute_everyone(session, today)


def _unit(session: Session, department: Department, name: str, parent: Unit | None) -> Unit:
    full_name = f"{parent.full_name} / {name}" if parent else name
    unit = Unit(department_id=department.id, parent_id=parent.id if parent else None, name=name, full_name=full_name, path="")
    session.add(unit)
    session.flush()
    unit.path = (parent.path if parent else f"/d{department.id}/") + f"{unit.id}/"
    return unit


def _postings(session: Session, rng: random.Random, official: Official, today: date) -> None:
    at_risk = rng.random() < 0.6
    country = rng.choice(EWP_TOP_30[:20] if at_risk else OTHER_POSTS)
    start = today + timedelta(days=rng.randint(-700, 120))
    session.add(Posting(official_id=official.id, country_code=country, post=f"British Embassy ({country})", start_on=start,
                        end_on=start + timedelta(days=3 * 365)))
    if start < today and rng.random() < 0.1:
        following = rng.choice(EWP_TOP_30[:20])
        session.add(Posting(official_id=official.id, country_code=following, post=f"British Embassy ({following})",
                            start_on=start + timedelta(days=3 * 365 + 1)))


def _requirements(session: Session, library: Library, today: date) -> list[Requirement]:
    wanted = [
        Requirement(name="Pre-deployment atrocity prevention training", module_id="recognising-atrocity-risk",
                    at_risk_posting=True, due_rule=DueRule.POSTING.value, due_days=-14, grace_days=30,
                    validity_months=24, recertification_days=60),
        Requirement(name="Political officers: election early warning", module_id="campaign-season",
                    audience="political", at_risk_posting=True, due_rule=DueRule.POSTING.value, due_days=30,
                    validity_months=12),
        Requirement(name="Trade staff: atrocity risk in trade decisions", module_id="rapid-response-contract",
                    audience="trade", due_rule=DueRule.ASSIGNMENT.value, due_days=90, validity_months=12),
        Requirement(name="Defence staff: arming and militias", module_id="self-defence-committees",
                    audience="defence", at_risk_posting=True, due_rule=DueRule.POSTING.value, due_days=-14, validity_months=24),
    ]
    chosen = [r for r in wanted if r.module_id in library.modules]
    for requirement in chosen:
        requirement.created_at = datetime.combine(_rollout(today), time(9), UTC)
    session.add_all(chosen)
    return chosen


def _rollout(today: date) -> date:
    """The day the demo's requirements came in: a year ago, so the 12-month trend starts with them."""
    return today - timedelta(days=HISTORY_DAYS)


def _backdate(session: Session, rng: random.Random, today: date) -> None:
    """Give each assignment the day it would have been made: the first weeks after the requirements came in
    for those already in scope, later for postings planned since (a few months before arrival, never before
    the country was flagged) and, for rules without a posting, for people who joined during the year."""
    flagged = EWP_DATE + timedelta(days=7)
    rows = session.exec(select(Assignment, Posting).outerjoin(Posting, Posting.id == Assignment.posting_id)).all()
    for assignment, posting in rows:
        rollout = _rollout(today) + timedelta(days=rng.randint(0, 45))
        if posting is not None:
            planned = posting.start_on - timedelta(days=rng.randint(30, 120))
            assigned = max(rollout, planned, flagged)
        elif rng.random() < 0.7:
            assigned = rollout
        else:
            assigned = today - timedelta(days=rng.randint(0, HISTORY_DAYS - 46))
        assignment.assigned_on = min(assigned, today)
        session.add(assignment)


def _completions(session: Session, rng: random.Random, library: Library, today: date) -> None:
    """Most officials completed at some point after being assigned (those done a year ago now expiring or
    expired), a few had trained before, some never did (overdue, or not yet due); a few are exempt."""
    rows = session.exec(
        select(Assignment, Requirement).join(Requirement, Requirement.id == Assignment.requirement_id).where(Assignment.active.is_(True))
    ).all()
    versions = {m.id: ensure_module_version(session, m) for m in library.modules.values()}
    for assignment, requirement in rows:
        module = library.get(requirement.module_id)
        roll = rng.random()
        if module is None or roll > 0.65:
            continue
        if roll > 0.6:
            session.add(Exemption(assignment_id=assignment.id, reason="equivalent-training",
                                  comment="Completed equivalent training with a previous employer.",
                                  valid_until=today + timedelta(days=rng.randint(30, 365))))
            session.flush()
            refresh_exemptions(session, assignment, today)
            continue
        if roll < 0.06:  # trained before this assignment, on an earlier posting
            day = assignment.assigned_on - timedelta(days=rng.randint(30, 500))
        else:  # most within the time given, the rest late, the later the fewer; some not yet
            day = assignment.assigned_on + timedelta(days=int(rng.expovariate(1 / 40)))
            if day > today:
                continue
        completed = datetime.combine(day, time(10), UTC)
        version = versions[module.id]
        if rng.random() < FAILED_FIRST:  # failed a first attempt a few days before passing
            _attempt(session, assignment.official_id, module, version, play_until(module, rng, passed=False),
                     completed - timedelta(days=rng.randint(1, 6)))
        found = play_until(module, rng, passed=True)
        attempt = _attempt(session, assignment.official_id, module, version, found, completed)
        session.add(Completion(official_id=assignment.official_id, attempt_id=attempt.id, module_id=module.id,
                               module_version=version.version, content_hash=version.content_hash,
                               score=found.score, percent=module.percent(found.score), completed_at=completed))
    session.flush()


def _attempt(session: Session, official_id: int, module: Module, version: ModuleVersion, found: Play,
             finished: datetime) -> Attempt:
    """A finished attempt with the events the player would have recorded for this play."""
    started = finished - timedelta(minutes=module.estimated_minutes)
    attempt = Attempt(official_id=official_id, module_id=module.id, module_version_id=version.id,
                      state=AttemptState.FINISHED.value, current_scene=found.ending_scene,
                      step=len(found.events), path_score=found.path_score, score=found.score,
                      max_score=module.max_score, percent=module.percent(found.score), passed=found.passed,
                      started_at=started, updated_at=finished, finished_at=finished)
    session.add(attempt)
    session.flush()
    session.add_all(event_rows(attempt.id, found, finished, module.estimated_minutes))
    return attempt

