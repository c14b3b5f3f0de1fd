"""Country risk assessments: setting a flag (by a person or an import) and reading the current list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, select

from app.clock import utcnow
from app.models import Country, CountryRiskAssessment
from app.services.audit import Actor, record
from app.services.organisation.assignments import recompute_countries


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
