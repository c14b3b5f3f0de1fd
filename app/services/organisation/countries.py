"""Country names as people write them, and the countries a form offers.

ISO 3166-1 (pycountry) names read like index entries ("Congo, The Democratic Republic of the",
"Viet Nam"). `natural_name` gives the everyday name; `in_sentence` adds "the" where English needs it
("posted to the Democratic Republic of the Congo"). `choices` is what a country select offers: the
sovereign states of the Correlates of War list (no Antarctica, Bouvet Island or other uninhabited
territories), plus the few other places where the UK has a post, the commonest first.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, select

from app.models import Country, CountryRiskAssessment, Posting

# Where neither pycountry's common name nor the rules below give the everyday name.
_EVERYDAY = {"BN": "Brunei", "FK": "Falkland Islands", "RU": "Russia", "VA": "Holy See", "VI": "United States Virgin Islands"}
# Names that take "the" inside a sentence ("posted to the Philippines").
_THE = {"AE", "BS", "CD", "CF", "DO", "GB", "GM", "KM", "KY", "MH", "MV", "NL", "PH", "SB", "TC", "US", "VA", "VG", "VI"}
# Places with a UK post that are not Correlates of War states (consulates-general, representative offices).
_OTHER_POSTS = {"HK", "PS"}


def natural_name(country: object) -> str:
    """The everyday English name of a pycountry country."""
    code = getattr(country, "alpha_2", "")
    if code in _EVERYDAY:
        return _EVERYDAY[code]
    if common := getattr(country, "common_name", None):
        return common
    name: str = country.name  # type: ignore[attr-defined]
    head, _, tail = name.partition(", ")
    if tail.endswith((" of", " of the")):  # "Micronesia, Federated States of" -> "Federated States of Micronesia"
        name = f"{tail} {head}".removeprefix("The ")
    elif tail and (official := getattr(country, "official_name", None)) and "," not in official:
        name = official  # "Virgin Islands, British" -> "British Virgin Islands"
    return name


def in_sentence(code: str, name: str) -> str:
    """The name as it reads inside a sentence: "the" before the names that take it."""
    return f"the {name}" if code in _THE else name


@dataclass(frozen=True)
class CountryChoices:
    common: list[Country]  # the countries officials are most often posted to, and those flagged at risk
    others: list[Country]  # every other place offered, A to Z

    @property
    def all(self) -> list[Country]:
        return [*self.common, *self.others]


def offered_codes() -> set[str]:
    """Sovereign states (from the Correlates of War table) and the other places with a UK post."""
    from app.services.organisation.risk_import import cow_states

    return set(cow_states().values()) | _OTHER_POSTS


def choices(session: Session, *, with_postings: bool = False, common: int = 12) -> CountryChoices:
    """The countries a select offers, the commonest first: most postings, then any flagged at risk.
    `with_postings` (filters) also offers any other place someone has a posting in (from an HR import)."""
    codes = offered_codes()
    # One pass over the postings gives both every place posted to and the busiest.
    posted = session.exec(select(Posting.country_code, func.count()).group_by(Posting.country_code)).all()
    if with_postings:
        codes |= {code for code, _n in posted}
    countries = {c.code: c for c in session.exec(select(Country)) if c.code in codes}
    busiest = [code for code, _n in sorted(posted, key=lambda row: (-row[1], row[0]))[:common]]
    flagged = session.exec(
        select(CountryRiskAssessment.country_code).where(
            CountryRiskAssessment.superseded_at.is_(None), CountryRiskAssessment.at_risk.is_(True))
    ).all()
    first = [countries[code] for code in dict.fromkeys([*busiest, *sorted(flagged)]) if code in countries]
    first.sort(key=lambda c: c.name)
    chosen = {c.code for c in first}
    rest = sorted((c for c in countries.values() if c.code not in chosen), key=lambda c: c.name)
    return CountryChoices(first, rest)
