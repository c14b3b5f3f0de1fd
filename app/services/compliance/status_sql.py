"""The compliance status of an assignment row at a date, as SQL: DESIGN.md's definition written once for the
database (it agrees with `app.services.compliance.status.status_at`; a test checks the two on random data).
The live counts (counts) and the maintained ones (maintained) both build on these expressions."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import and_, case, func, literal, or_, select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from app.models import Assignment, Official, Requirement
from app.services.compliance.status import EXPIRING_SOON_DAYS, Status


def is_assigned(on: date) -> ColumnElement[bool]:
    """Active officials with an assignment active at `on`."""
    return and_(
        Official.active.is_(True),
        Assignment.assigned_on <= on,
        or_(Assignment.ended_on.is_(None), Assignment.ended_on > on),
    )


def status_case(on: date) -> ColumnElement[str]:
    """The status at `on` of an assigned row: exempt, compliant, overdue or not yet due."""
    exempt = and_(Assignment.exempt_until.is_not(None), Assignment.exempt_until >= on)
    compliant = and_(
        Assignment.completed_on.is_not(None),
        Assignment.completed_on <= on,
        or_(Assignment.expires_on.is_(None), Assignment.expires_on > on),
    )
    due = func.coalesce(Assignment.extended_to, Assignment.due_on)
    expired = and_(Assignment.completed_on.is_not(None), Assignment.expires_on.is_not(None), Assignment.expires_on <= on)
    # After an expiry the effective due date is the later of the due date and the expiry date.
    overdue = or_(and_(~expired, due < on), and_(expired, due < on, Assignment.expires_on < on))
    return case(
        (exempt, literal(Status.EXEMPT.value)),
        (compliant, literal(Status.COMPLIANT.value)),
        (overdue, literal(Status.OVERDUE.value)),
        else_=literal(Status.NOT_YET_DUE.value),
    )


def expiring_soon_case(session: Session, on: date) -> ColumnElement[bool]:
    """Compliant and expiring within 30 days, or within the requirement's recertification window if longer."""
    windows = session.execute(select(Requirement.id, Requirement.recertification_days)).all()
    horizons = [
        and_(Assignment.requirement_id == rid, Assignment.expires_on <= on + timedelta(days=max(EXPIRING_SOON_DAYS, days)))
        for rid, days in windows
    ] or [literal(False)]
    return and_(status_case(on) == Status.COMPLIANT.value, Assignment.expires_on.is_not(None), or_(*horizons))
