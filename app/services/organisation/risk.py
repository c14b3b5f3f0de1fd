"""Country risk assessments: setting a flag (by a person or an import) and reading the current list."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy import or_
from sqlmodel import Session, select

from app.clock import utcnow
from app.models import Country, CountryRiskAssessment, Official, Posting
from app.services.audit import Actor, record
from app.services.organisation.assignments import RiskFlag, load_context, match, recompute_countries


@dataclass(frozen=True)
class AssessmentInput:
    country_code: str
    at_risk: bool
    source: str
    edition: str
    assessed_on: date
    level: str = ""


def current_assessment(session: Session, country_code: str, source: str) -> CountryRiskAssessment | None:
    return session.exec(
        select(CountryRiskAssessment).where(
            CountryRiskAssessment.country_code == country_code,
            CountryRiskAssessment.source == source,
            CountryRiskAssessment.superseded_at.is_(None),
        )
    ).first()


def set_assessment(
    session: Session, actor: Actor, given: AssessmentInput, today: date, *, recompute: bool = True
) -> CountryRiskAssessment | None:
    """Record a source's assessment of a country; the previous one from that source is kept as history.
    Returns None when nothing changed (the same assessment again)."""
    if session.get(Country, given.country_code) is None:
        raise ValueError(f"unknown country code {given.country_code!r}")
    previous = current_assessment(session, given.country_code, given.source)
    if previous is not None and (previous.at_risk, previous.level, previous.edition, previous.assessed_on) == (
        given.at_risk, given.level, given.edition, given.assessed_on
    ):
        return None
    if previous is not None:
        previous.superseded_at = utcnow()
        session.add(previous)
    assessment = CountryRiskAssessment(
        country_code=given.country_code,
        at_risk=given.at_risk,
        level=given.level,
        source=given.source,
        edition=given.edition,
        assessed_on=given.assessed_on,
        set_by_id=actor.id,
        set_by_label=actor.label,
    )
    session.add(assessment)
    session.flush()
    record(session, actor, "risk.assess", "country", given.country_code, before=previous, after=assessment)
    if recompute and (previous is None or previous.at_risk != given.at_risk):
        recompute_countries(session, [given.country_code], today)
    return assessment


def at_risk_list(session: Session) -> list[tuple[CountryRiskAssessment, Country]]:
    """Every current at-risk assessment with its country, by country name."""
    return list(
        session.exec(
            select(CountryRiskAssessment, Country)
            .join(Country, Country.code == CountryRiskAssessment.country_code)
            .where(CountryRiskAssessment.superseded_at.is_(None), CountryRiskAssessment.at_risk.is_(True))
            .order_by(Country.name, CountryRiskAssessment.source)
        ).all()
    )


@dataclass(frozen=True)
class AssessmentImpact:
    """What recording an assessment would do: officials who would newly have training assigned, and officials
    whose at-risk training would no longer be required (each official counted once)."""

    country_name: str
    newly_assigned: int
    no_longer_assigned: int
    unchanged: bool  # the same assessment is already recorded: saving it changes nothing


def preview_assessment(session: Session, given: AssessmentInput, today: date) -> AssessmentImpact:
    """The effect of `set_assessment(given)`, computed without writing: every official posted (now or later)
    to the country is matched against the active requirements with the flag as it is and as it would be."""
    country = session.get(Country, given.country_code)
    previous = current_assessment(session, given.country_code, given.source)
    unchanged = previous is not None and (previous.at_risk, previous.level, previous.edition, previous.assessed_on) == (
        given.at_risk, given.level, given.edition, given.assessed_on)
    ctx = load_context(session, today)
    flags = dict(ctx.flags)
    if given.at_risk:
        flags.setdefault(given.country_code, RiskFlag(given.country_code, country.name, given.source, given.edition,
                                                      given.assessed_on, today))
    elif not session.exec(select(CountryRiskAssessment.id).where(
            CountryRiskAssessment.country_code == given.country_code, CountryRiskAssessment.source != given.source,
            CountryRiskAssessment.superseded_at.is_(None), CountryRiskAssessment.at_risk.is_(True))).first():
        flags.pop(given.country_code, None)  # no other source still lists it
    after = replace(ctx, flags=flags)
    officials = session.exec(
        select(Official).where(Official.active.is_(True), Official.id.in_(
            select(Posting.official_id).where(Posting.country_code == given.country_code,
                                              or_(Posting.end_on.is_(None), Posting.end_on >= today))))
    ).all()
    postings: dict[int, list[Posting]] = {}
    for posting in session.exec(select(Posting).where(Posting.official_id.in_([o.id for o in officials] or [-1]))):
        postings.setdefault(posting.official_id, []).append(posting)
    newly = ended = 0
    for official in officials:
        own = postings.get(official.id, [])
        now = {r.id for r in ctx.requirements if match(r, official, own, ctx) is not None}
        then = {r.id for r in ctx.requirements if match(r, official, own, after) is not None}
        newly += bool(then - now)
        ended += bool(now - then)
    return AssessmentImpact(country.name, 0 if unchanged else newly, 0 if unchanged else ended, unchanged)
