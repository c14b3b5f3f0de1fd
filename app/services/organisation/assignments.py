"""Who must train, by when: assignments made and kept current from requirements, postings and risk flags.

Assignments are recomputed whenever an input changes (a posting, a risk assessment, a requirement,
a completion, an official's unit or status). Ending an assignment never deletes it; when the rule
matches again the same row comes back, and a still-valid completion still counts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import or_
from sqlmodel import Session, select

from app.clock import utcnow
from app.metrics import RECOMPUTE_SECONDS
from app.models import (
    Assignment,
    Completion,
    Country,
    CountryRiskAssessment,
    Department,
    DueRule,
    Exemption,
    Extension,
    ModuleVersion,
    Official,
    Posting,
    Requirement,
    Unit,
)
from app.services.compliance.maintained import sync, sync_officials
from app.services.compliance.status import add_months
from app.services.organisation.countries import in_sentence


@dataclass(frozen=True)
class RiskFlag:
    """A current at-risk assessment: which source says so, in which edition, and when we learned it."""

    country_code: str
    country_name: str
    source: str
    edition: str
    assessed_on: date
    flagged_on: date  # the day the platform recorded the flag: due dates run from here


@dataclass(frozen=True)
class Match:
    """Why a requirement applies to an official, and the posting behind it, if any."""

    reason: str
    posting: Posting | None = None
    flag: RiskFlag | None = None


@dataclass
class Context:
    """What recomputing needs, loaded once for a batch of officials."""

    today: date
    requirements: list[Requirement]
    flags: dict[str, RiskFlag]
    unit_paths: dict[int, str]
    department_names: dict[int, str]
    current_majors: dict[str, tuple[int, date]]  # module id -> (newest major version, first served)
    # Assignments made or renewed by this recompute: their new-assignment emails go to the outbox in the same
    # transaction (app.services.reminders.enqueue_assigned), once they have ids.
    newly_assigned: list[tuple[Assignment, Official, Requirement]] = field(default_factory=list)


def _ids(text: str) -> set[int]:
    return {int(part) for part in text.split() if part.isdigit()}


def current_risk_flags(session: Session) -> dict[str, RiskFlag]:
    """Every country some source currently flags as at risk (the first source by name when several do)."""
    rows = session.exec(
        select(CountryRiskAssessment, Country.name)
        .join(Country, Country.code == CountryRiskAssessment.country_code)
        .where(CountryRiskAssessment.superseded_at.is_(None), CountryRiskAssessment.at_risk.is_(True))
        .order_by(CountryRiskAssessment.source)
    ).all()
    flags: dict[str, RiskFlag] = {}
    for assessment, name in rows:
        flags.setdefault(
            assessment.country_code,
            RiskFlag(
                country_code=assessment.country_code,
                country_name=name,
                source=assessment.source,
                edition=assessment.edition,
                assessed_on=assessment.assessed_on,
                flagged_on=assessment.created_at.date(),
            ),
        )
    return flags


def load_context(session: Session, today: date, current_majors: Mapping[str, tuple[int, date]] | None = None) -> Context:
    return Context(
        today=today,
        requirements=list(session.exec(select(Requirement).where(Requirement.active.is_(True)))),
        flags=current_risk_flags(session),
        unit_paths={u.id: u.path for u in session.exec(select(Unit))},
        department_names={d.id: d.code for d in session.exec(select(Department))},
        current_majors=dict(current_majors) if current_majors is not None else _majors_served(session),
    )


def _majors_served(session: Session) -> dict[str, tuple[int, date]]:
    """Each module's newest major version served so far, and the day it was first served."""
    majors: dict[str, tuple[int, date]] = {}
    for row in session.exec(select(ModuleVersion)):
        major = int(row.version.split(".")[0])
        known = majors.get(row.module_id)
        served = row.first_served_at.date()
        if known is None or major > known[0] or (major == known[0] and served < known[1]):
            majors[row.module_id] = (major, served)
    return majors


# A reason is stored as the official reads it (left); managers, admins and exports read it in the third
# person (right). `match` writes with the left words and `reason_for` swaps in the right ones, so reasons
# stored before this table existed read correctly too.
_WORDS = {
    "posted": ("You are posted to ", "Posted to "),
    "will be posted": ("You will be posted to ", "To be posted to "),
    "department": ("your department", "their department"),
    "team": ("everyone in your team", "everyone in their team"),
    "role": ("your role (", "their role ("),
}
LEARNER, OTHERS = "learner", "others"


def reason_for(reason: str, audience: str) -> str:
    """Why an assignment applies, worded for its audience: the official themself (LEARNER) or anyone else (OTHERS)."""
    if audience == LEARNER:
        return reason
    for yours, theirs in _WORDS.values():
        reason = reason.replace(yours, theirs)
    return reason


def match(requirement: Requirement, official: Official, postings: list[Posting], ctx: Context) -> Match | None:
    """Whether the requirement applies to the official today, and why (every condition set must hold)."""
    if not official.active:
        return None
    reasons: list[str] = []
    departments = _ids(requirement.department_ids)
    if departments:
        if official.department_id not in departments:
            return None
        reasons.append(f"everyone in {ctx.department_names.get(official.department_id, _WORDS['department'][0])}")
    units = [ctx.unit_paths[u] for u in _ids(requirement.unit_ids) if u in ctx.unit_paths]
    if requirement.unit_ids.strip():
        if not any(official.unit_path.startswith(path) for path in units):
            return None
        reasons.append(_WORDS["team"][0])
    audience = set(requirement.audience.split())
    if audience:
        held = audience & (official.tag_set | {r.value for r in official.role_set})
        if not held:
            return None
        reasons.append(_WORDS["role"][0] + ", ".join(sorted(held)) + ")")
    posting = flag = None
    if requirement.at_risk_posting:
        live = sorted(
            (p for p in postings if (p.end_on is None or p.end_on >= ctx.today) and p.country_code in ctx.flags),
            key=lambda p: p.start_on,
        )
        if not live:
            return None
        posting, flag = live[0], ctx.flags[live[0].country_code]
        posted = _WORDS["posted" if posting.start_on <= ctx.today else "will be posted"][0]
        reasons.append(
            f"{posted}{in_sentence(flag.country_code, flag.country_name)} from {posting.start_on.strftime('%-d %B %Y')}; "
            f"{flag.source} lists it as at risk ({flag.edition}, {flag.assessed_on.strftime('%-d %B %Y')})"
        )
        return Match(reason=reasons[-1] + ".", posting=posting, flag=flag)
    if requirement.due_rule == DueRule.POSTING:
        upcoming = sorted((p for p in postings if p.end_on is None or p.end_on >= ctx.today), key=lambda p: p.start_on)
        posting = upcoming[0] if upcoming else None
    reason = "Required for " + " and ".join(reasons) + "." if reasons else "Required for every official."
    return Match(reason=reason, posting=posting)


def due_on(requirement: Requirement, assigned_on: date, found: Match) -> date:
    """The due date the rule gives, but never before the day the training was assigned plus the grace period,
    nor (for a country flagged after arrival) before the flag date plus the grace period.

    Nobody is late for training the platform only just asked for: a new requirement, a posting that started long
    ago or an old fixed date gives everyone newly assigned at least `grace_days` to train.
    """
    if requirement.due_rule == DueRule.FIXED and requirement.due_date is not None:
        due = requirement.due_date
    elif requirement.due_rule == DueRule.POSTING and found.posting is not None:
        due = found.posting.start_on + timedelta(days=requirement.due_days)
    else:
        due = assigned_on + timedelta(days=requirement.due_days)
    earliest = assigned_on + timedelta(days=requirement.grace_days)
    if found.flag is not None:
        earliest = max(earliest, found.flag.flagged_on + timedelta(days=requirement.grace_days))
    return max(due, earliest)


def _completion_facts(
    requirement: Requirement, completions: list[tuple[Completion, int]], ctx: Context
) -> tuple[Completion | None, date | None, date | None, date | None]:
    """The completion that counts (the newest; of the current major version when the rule asks for a retake),
    its date, its expiry (from the actual completion date), and a retake due date if a new major version needs one."""
    module_completions = [(c, major) for c, major in completions if c.module_id == requirement.module_id]
    if not module_completions:
        return None, None, None, None
    current = ctx.current_majors.get(requirement.module_id)
    retake_due = None
    if requirement.retake_on_major and current is not None:
        counted = [(c, m) for c, m in module_completions if m >= current[0]]
        if not counted:
            retake_due = current[1] + timedelta(days=requirement.grace_days)
            return None, None, None, retake_due
        module_completions = counted
    completion = max(module_completions, key=lambda pair: pair[0].completed_at)[0]
    completed = completion.completed_at.date()
    expires = add_months(completed, requirement.validity_months) if requirement.validity_months else None
    return completion, completed, expires, retake_due


def recompute_official(
    session: Session,
    official: Official,
    ctx: Context,
    *,
    postings: list[Posting] | None = None,
    existing: dict[int, Assignment] | None = None,
    completions: list[tuple[Completion, int]] | None = None,
) -> list[Assignment]:
    """Bring every assignment of one official up to date; returns the rows that changed."""
    if postings is None:
        postings = list(session.exec(select(Posting).where(Posting.official_id == official.id)))
    if existing is None:
        existing = {a.requirement_id: a for a in session.exec(select(Assignment).where(Assignment.official_id == official.id))}
    if completions is None:
        completions = _completions(session, [official.id]).get(official.id, [])
    changed: list[Assignment] = []
    for requirement in ctx.requirements:
        found = match(requirement, official, postings, ctx)
        assignment = existing.get(requirement.id)
        if found is None:
            if assignment is not None and assignment.active:
                assignment.active = False
                assignment.ended_on = ctx.today
                assignment.ended_reason = "left" if not official.active else "no longer matches the rule"
                changed.append(assignment)
            continue
        if assignment is None:
            assignment = Assignment(official_id=official.id, requirement_id=requirement.id, assigned_on=ctx.today, due_on=ctx.today)
            existing[requirement.id] = assignment
            ctx.newly_assigned.append((assignment, official, requirement))
        elif not assignment.active:
            assignment.active, assignment.ended_on, assignment.ended_reason = True, None, ""
            assignment.assigned_on = ctx.today
            ctx.newly_assigned.append((assignment, official, requirement))
        before = _facts(assignment)
        completion, completed, expires, retake_due = _completion_facts(requirement, completions, ctx)
        assignment.due_on = due_on(requirement, assignment.assigned_on, found)
        if retake_due is not None:
            assignment.due_on = max(assignment.due_on, retake_due)
        assignment.reason = found.reason[:500]
        assignment.posting_id = found.posting.id if found.posting is not None else None
        assignment.completion_id = completion.id if completion is not None else None
        assignment.completed_on, assignment.expires_on = completed, expires
        if assignment.id is None or _facts(assignment) != before:
            changed.append(assignment)
    for assignment in changed:
        assignment.updated_at = utcnow()
        session.add(assignment)
    return changed


def _facts(a: Assignment) -> tuple:
    return (a.active, a.assigned_on, a.due_on, a.reason, a.posting_id, a.completion_id, a.completed_on, a.expires_on)


def _completions(session: Session, official_ids: list[int]) -> dict[int, list[tuple[Completion, int]]]:
    """Completions of these officials with the major version each was made on."""
    found: dict[int, list[tuple[Completion, int]]] = {}
    for start in range(0, len(official_ids), 500):
        chunk = official_ids[start : start + 500]
        for completion in session.exec(select(Completion).where(Completion.official_id.in_(chunk))):
            major = int(completion.module_version.split(".")[0])
            found.setdefault(completion.official_id, []).append((completion, major))
    return found


@RECOMPUTE_SECONDS.time()  # /metrics: aptrain_assignment_recompute_seconds
def recompute_officials(session: Session, official_ids: Iterable[int], today: date) -> int:
    """Recompute the assignments of these officials (after an import, a posting or unit change, a completion)."""
    ids = sorted(set(official_ids))
    if not ids:
        return 0
    ctx = load_context(session, today)
    changed = 0
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        officials = list(session.exec(select(Official).where(Official.id.in_(chunk))))
        postings: dict[int, list[Posting]] = {}
        for posting in session.exec(select(Posting).where(Posting.official_id.in_(chunk))):
            postings.setdefault(posting.official_id, []).append(posting)
        existing: dict[int, dict[int, Assignment]] = {}
        for assignment in session.exec(select(Assignment).where(Assignment.official_id.in_(chunk))):
            existing.setdefault(assignment.official_id, {})[assignment.requirement_id] = assignment
        completions = _completions(session, chunk)
        for official in officials:
            changed += len(
                recompute_official(
                    session,
                    official,
                    ctx,
                    postings=postings.get(official.id, []),
                    existing=existing.setdefault(official.id, {}),
                    completions=completions.get(official.id, []),
                )
            )
    session.flush()
    sync_officials(session, ids)  # the maintained compliance counts, in this transaction
    if ctx.newly_assigned:
        from app.services.reminders import enqueue_assigned

        enqueue_assigned(session, ctx.newly_assigned)
    return changed


def recompute_countries(session: Session, country_codes: Iterable[str], today: date) -> int:
    """After a risk flag changes: everyone posted to (or about to go to) these countries."""
    codes = sorted(set(country_codes))
    if not codes:
        return 0
    ids = session.exec(
        select(Posting.official_id).where(
            Posting.country_code.in_(codes), or_(Posting.end_on.is_(None), Posting.end_on >= today)
        )
    ).all()
    assigned = session.exec(
        select(Assignment.official_id)
        .join(Posting, Posting.id == Assignment.posting_id)
        .where(Posting.country_code.in_(codes), Assignment.active.is_(True))
    ).all()
    return recompute_officials(session, [*ids, *assigned], today)


def recompute_everyone(session: Session, today: date) -> int:
    """After a requirement changes: every official (active ones, and those with active assignments to end)."""
    ids = session.exec(select(Official.id)).all()
    return recompute_officials(session, ids, today)


def refresh_exemptions(session: Session, assignment: Assignment, today: date) -> None:
    """Store the latest valid exemption's end date and the latest extension on the assignment."""
    exemptions = session.exec(
        select(Exemption).where(Exemption.assignment_id == assignment.id, Exemption.revoked_at.is_(None))
    ).all()
    assignment.exempt_until = max((e.valid_until for e in exemptions), default=None)
    extensions = session.exec(
        select(Extension).where(Extension.assignment_id == assignment.id).order_by(Extension.granted_at.desc(), Extension.id.desc())
    ).first()
    assignment.extended_to = extensions.new_due_on if extensions is not None else None
    assignment.updated_at = utcnow()
    session.add(assignment)
    sync(session, [assignment.id])  # the maintained compliance counts, in this transaction
