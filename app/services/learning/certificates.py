"""An official's record (every completion) and its certificates: each carries a verification code that anyone
signed in to the service can check.

A certificate's expiry comes from the requirements that have assigned its module to the official (active or
ended): the earliest of completion date + each one's validity. A module nobody requires of them does not expire.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, select

from app.models import Assignment, Completion, ModuleVersion, Official, Requirement
from app.models.learning import CODE_ALPHABET, CODE_LENGTH
from app.services.compliance.status import add_months


class CertificateNotFound(LookupError):
    """No such certificate for this official (another official's is reported the same way)."""


@dataclass(frozen=True)
class Certificate:
    completion_id: int
    official_name: str
    module_id: str
    title: str
    version: str
    completed_on: date
    score: int
    percent: int
    expires_on: date | None
    code: str  # as stored: 20 characters, no hyphens

    def current(self, today: date) -> bool:
        """Current until its expiry date (on that day it has expired, as compliance counts it)."""
        return self.expires_on is None or self.expires_on > today

    @property
    def code_display(self) -> str:
        return format_code(self.code)


def format_code(code: str) -> str:
    """`ABCD-EFGH-…`: groups of four, easier to read out and type."""
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


def normalise_code(text: str) -> str | None:
    """The stored form of a code as someone typed it (any case, hyphens or spaces), or None if it cannot be one.
    Letters that Crockford's base32 leaves out read as the digits they look like."""
    cleaned = "".join(ch for ch in text.upper() if ch.isalnum())
    cleaned = cleaned.translate(str.maketrans({"O": "0", "I": "1", "L": "1"}))
    if len(cleaned) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in cleaned):
        return None
    return cleaned


def _query():
    return (
        select(Completion, Official, ModuleVersion.title)
        .join(Official, Official.id == Completion.official_id)
        .join(
            ModuleVersion,
            (ModuleVersion.module_id == Completion.module_id)
            & (ModuleVersion.version == Completion.module_version)
            & (ModuleVersion.content_hash == Completion.content_hash),
            isouter=True,
        )
    )


def _validities(session: Session, official_ids: set[int]) -> dict[tuple[int, str], list[int]]:
    """(official, module) → the validity in months of each requirement that has assigned it to them."""
    rows = session.exec(
        select(Assignment.official_id, Requirement.module_id, Requirement.validity_months)
        .join(Requirement, Requirement.id == Assignment.requirement_id)
        .where(Assignment.official_id.in_(official_ids), Requirement.validity_months.is_not(None))
    ).all()
    found: dict[tuple[int, str], list[int]] = {}
    for official_id, module_id, months in rows:
        found.setdefault((official_id, module_id), []).append(months)
    return found


def _certificates(session: Session, rows) -> list[Certificate]:
    rows = list(rows)
    validities = _validities(session, {completion.official_id for completion, _official, _title in rows}) if rows else {}
    found = []
    for completion, official, title in rows:
        completed_on = completion.completed_at.date()
        months = validities.get((completion.official_id, completion.module_id), [])
        found.append(
            Certificate(
                completion_id=completion.id,
                official_name=official.full_name,
                module_id=completion.module_id,
                title=title or completion.module_id,
                version=completion.module_version,
                completed_on=completed_on,
                score=completion.score,
                percent=completion.percent,
                expires_on=min((add_months(completed_on, m) for m in months), default=None),
                code=completion.verification_code or "",
            )
        )
    return found


def your_record(session: Session, official: Official) -> list[Certificate]:
    """Every completion of the official, newest first, each with its certificate."""
    query = _query().where(Completion.official_id == official.id).order_by(Completion.completed_at.desc(), Completion.id.desc())
    return _certificates(session, session.exec(query).all())


def certificate_for(session: Session, official: Official, completion_id: int) -> Certificate:
    """The certificate of one of the official's own completions."""
    query = _query().where(Completion.id == completion_id, Completion.official_id == official.id)
    found = _certificates(session, session.exec(query).all())
    if not found:
        raise CertificateNotFound(completion_id)
    return found[0]


def verify(session: Session, code: str) -> Certificate | None:
    """The certificate with this code (as typed), or None: a wrong code and a malformed one look the same."""
    stored = normalise_code(code)
    if stored is None:
        return None
    found = _certificates(session, session.exec(_query().where(Completion.verification_code == stored)).all())
    return found[0] if found else None
